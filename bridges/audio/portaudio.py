"""The one door to PortAudio (through sounddevice): loading it and turning its errors into ours.

PortAudio reads the device list once, when the process first loads it; it is not re-read in a
running daemon: re-initialising PortAudio can abort the process with some ALSA plugins (`share`), and
the daemon must stay up. A device added later is seen by `mvsep-bridge devices` (its own process)
and by the daemon after a restart.
"""

from __future__ import annotations

import logging
from types import ModuleType

from mvsep_bridge.daemon.engine import UsageError

from .errors import INSTALL_PORTAUDIO, DeviceBusy, PortAudioMissing

log = logging.getLogger("mvsep_bridge.audio")

# PortAudio error codes (portaudio.h) that mean something to a user
PA_INVALID_CHANNEL_COUNT = -9998
PA_INVALID_SAMPLE_RATE = -9997
PA_DEVICE_UNAVAILABLE = -9985


def load() -> ModuleType:
    """sounddevice, or PortAudioMissing saying how to install the library."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio cannot be loaded
        raise PortAudioMissing(f"the PortAudio library cannot be loaded ({exc}): audio devices are unavailable",
                               hint=INSTALL_PORTAUDIO) from None
    return sounddevice


def error_code(exc: Exception) -> int | None:
    """The PortAudio error code of a sounddevice.PortAudioError, if it carries one."""
    args = getattr(exc, "args", ())
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def opening_error(exc: Exception, device: str) -> UsageError:
    """A PortAudio error raised when opening a stream, as an error a user can act on."""
    if error_code(exc) == PA_DEVICE_UNAVAILABLE:
        return DeviceBusy(f"the audio device {device!r} is busy (another program uses it)",
                          hint="close the program that holds it, or choose another --device")
    return UsageError(f"the audio device {device!r} cannot be opened: {exc}",
                      hint="`mvsep-bridge devices` lists the devices; check that it is connected")


def close_quietly(stream) -> None:
    try:
        stream.close(ignore_errors=True)
    except Exception:  # a stream whose device vanished may not close cleanly; it is gone either way
        log.debug("closing a failed stream", exc_info=True)
