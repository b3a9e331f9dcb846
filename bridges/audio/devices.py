"""The devices PortAudio sees, finding one by name or number, and checking what it takes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Literal

from .errors import NoSuchDevice, UnsupportedFormat
from .portaudio import PA_INVALID_CHANNEL_COUNT, PA_INVALID_SAMPLE_RATE, error_code

Kind = Literal["input", "output"]
COMMON_RATES = (22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000)


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    host_api: str
    input_channels: int
    output_channels: int
    default_rate: float
    default_input: bool
    default_output: bool

    def channels(self, kind: Kind) -> int:
        return self.input_channels if kind == "input" else self.output_channels

    def as_dict(self) -> dict:
        return asdict(self)


def list_devices(sd: ModuleType) -> list[Device]:
    apis = sd.query_hostapis()
    default_in, default_out = sd.default.device
    return [Device(index=d["index"], name=d["name"], host_api=apis[d["hostapi"]]["name"],
                   input_channels=d["max_input_channels"], output_channels=d["max_output_channels"],
                   default_rate=d["default_samplerate"], default_input=d["index"] == default_in,
                   default_output=d["index"] == default_out)
            for d in sd.query_devices()]


def choose(devices: list[Device], spec: str | int | None, kind: Kind) -> Device:
    """The device `spec` names (its number, its exact name, or a part of the name that only one
    device has), or the default device of `kind`; only devices with `kind` channels count."""
    usable = [d for d in devices if d.channels(kind) > 0]
    if spec is None or spec == "":
        found = [d for d in usable if (d.default_input if kind == "input" else d.default_output)] or usable[:1]
        if not found:
            raise NoSuchDevice(f"no audio {kind} device is available",
                               hint="`mvsep-bridge devices` lists what PortAudio sees; check the sound "
                                    "server or ~/.asoundrc")
        return found[0]
    text = str(spec).strip()
    if text.isdigit():
        found = [d for d in usable if d.index == int(text)]
    else:
        found = [d for d in usable if d.name == text] or \
                [d for d in usable if text.lower() in d.name.lower()]
    if len(found) == 1:
        return found[0]
    names = ", ".join(f"{d.index} {d.name!r}" for d in usable) or "none"
    if found:
        raise NoSuchDevice(f"{text!r} matches several {kind} devices: "
                           + ", ".join(f"{d.index} {d.name!r}" for d in found),
                           hint="give the device's number or its full name")
    raise NoSuchDevice(f"no {kind} device {text!r}; {kind} devices: {names}",
                       hint="`mvsep-bridge devices` lists them; give a number or a name")


def check_format(sd: ModuleType, device: Device, kind: Kind, rate: int, channels: int) -> None:
    """UnsupportedFormat, naming what the device takes, when it cannot run `rate` x `channels`."""
    if channels > device.channels(kind):
        raise UnsupportedFormat(
            f"the {kind} device {device.name!r} has {device.channels(kind)} channel(s), {channels} needed",
            hint="choose a device with more channels (`mvsep-bridge devices`)"
                 + (" or --channels N" if kind == "input" else ""))
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=device.index, samplerate=rate, channels=channels, dtype="float32")
    except sd.PortAudioError as exc:
        if error_code(exc) == PA_INVALID_CHANNEL_COUNT:
            raise UnsupportedFormat(f"the {kind} device {device.name!r} does not take {channels} channel(s)",
                                    hint="choose another channel count or device") from None
        if error_code(exc) != PA_INVALID_SAMPLE_RATE:
            raise
        takes = supported_rates(sd, device, kind, channels)
        raise UnsupportedFormat(
            f"the {kind} device {device.name!r} does not take {rate} Hz; it takes "
            + (", ".join(f"{r} Hz" for r in takes) or "none of the common rates"),
            hint="choose one of those rates, or another device") from None


def supported_rates(sd: ModuleType, device: Device, kind: Kind, channels: int) -> list[int]:
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    rates = sorted({*COMMON_RATES, int(device.default_rate)})
    found = []
    for rate in rates:
        try:
            check(device=device.index, samplerate=rate, channels=channels, dtype="float32")
        except sd.PortAudioError:
            continue
        found.append(rate)
    return found


def device_rate(sd: ModuleType, device: Device, kind: Kind, wanted: int, channels: int) -> int:
    """`wanted` when the device takes it, else its default rate (the stream is resampled)."""
    try:
        check_format(sd, device, kind, wanted, channels)
        return wanted
    except UnsupportedFormat:
        if channels > device.channels(kind):
            raise
    rate = int(device.default_rate)
    check_format(sd, device, kind, rate, channels)
    return rate
