"""Decode any file soundfile or PyAV can read; encode to MVSEP's six output formats.

Lossy formats go through PyAV (libmp3lame, aac) so their encoder delay and padding are real:
the finish stage must find and remove them, as it must for MVSEP's own files.

Gapless metadata is honoured on decode: mp3's LAME tag (libsndfile/mpg123 and FFmpeg both trim
the encoder delay and padding it records) and an MP4 edit list (FFmpeg skips the priming; the
tail padding past the container's declared duration is cut here). `encode(..., gapless=True)`
writes that metadata so a file decodes to exactly the frames it was given, aligned.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from ..errors import AudioError
from .formats import FORMATS, extension  # noqa: F401 (extension: re-exported)

AUDIO_HINT = "give a wav, flac, aiff, mp3, m4a/aac or ogg file"


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def decode(path: Path | str) -> tuple[np.ndarray, int]:
    """All samples of a file as float32 (frames, channels), and its sample rate."""
    path = Path(path)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        return data, int(rate)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        pass  # not a libsndfile format (m4a/aac, some mp3): let FFmpeg try
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioError(f"{path.name}: no audio stream", hint="give an audio file")
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate
            # planar float at the stream's own rate: a format change only, never a resample
            to_float = av.AudioResampler(format="fltp", rate=rate)
            chunks = [
                converted.to_ndarray()
                for frame in container.decode(stream)
                for converted in to_float.resample(frame)
            ]
            declared = _declared_frames(container, stream, rate)
    except av.error.FFmpegError as exc:
        raise AudioError(
            f"cannot decode {path.name}: {exc.strerror or exc}",  # the reason, without FFmpeg's code and path
            hint=AUDIO_HINT,
        ) from exc
    if not chunks:
        raise AudioError(f"{path.name}: the audio stream is empty", hint="give a non-empty file")
    samples = np.concatenate(chunks, axis=1).T
    if declared is not None and declared < samples.shape[0]:
        samples = samples[:declared]  # the encoder's tail padding, past the edit list's end
    return np.ascontiguousarray(samples), int(rate)


def check_decodable(path: Path | str, field: str = "source") -> None:
    """AudioError unless FFmpeg finds an audio stream in `path` (its header only, no decoding)."""
    path = Path(path)
    try:
        with av.open(str(path)) as container:
            if container.streams.audio:
                return
    except av.error.FFmpegError as exc:
        raise AudioError(f"{path} is not audio: {exc.strerror or exc}", hint=AUDIO_HINT, field=field) from exc
    raise AudioError(f"{path} has no audio stream", hint=AUDIO_HINT, field=field)


def _declared_frames(container, stream, rate: int) -> int | None:
    """The frame count an MP4/MOV container declares (its edit list), else None.

    Only MP4/MOV: there the duration comes from the sample table and edit list; elsewhere (raw
    mp3, ogg) FFmpeg may estimate it from the bit rate, and cutting to a guess would lose audio.
    """
    if "mp4" not in container.format.name or stream.duration is None or stream.time_base is None:
        return None
    return round(stream.duration * stream.time_base * rate)


def probe(path: Path | str) -> AudioInfo:
    """Rate, channels and frame count; exact for libsndfile formats, decoded for the others."""
    try:
        info = sf.info(str(path))
        return AudioInfo(int(info.samplerate), int(info.channels), int(info.frames))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        data, rate = decode(path)
        return AudioInfo(rate, data.shape[1], data.shape[0])


def encode(
    samples: np.ndarray,
    sample_rate: int,
    output_format: int,
    path: Path | str,
    *,
    gapless: bool = False,
) -> None:
    """Write (frames, channels) float samples to `path` in MVSEP output format 0..5.

    gapless: for m4a, stamp the frames with timestamps from 0 and write the edit list at the
    sample rate's time scale, so decoders skip the AAC priming and cut the padding to the exact
    frame count. Without it the m4a carries its priming in the stream (as some servers' files
    do), which the finish stage must find and remove. mp3 is gapless either way (LAME tag).
    """
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    spec = FORMATS.get(output_format)
    if spec is None:
        raise AudioError(f"unknown output_format {output_format}", hint="use 0..5")
    if spec.soundfile is not None:
        container, subtype = spec.soundfile
        if subtype != "FLOAT":
            samples = np.clip(samples, -1.0, 1.0)
        sf.write(str(path), samples, sample_rate, format=container, subtype=subtype)
        return
    assert spec.pyav is not None
    container_name, codec, bit_rate = spec.pyav
    channels = samples.shape[1]
    layout = "mono" if channels == 1 else "stereo"
    if channels > 2:
        raise AudioError(f"{channels} channels cannot be written as {codec}", hint="use wav or flac")
    # MP4 writes its edit list in the movie time scale (1/1000 s by default): at the sample rate
    # it can name the exact frame count
    options = {"movie_timescale": str(sample_rate)} if gapless and container_name == "mp4" else {}
    with av.open(str(path), "w", format=container_name, options=options) as out:
        stream = out.add_stream(codec, rate=sample_rate, layout=layout)
        stream.bit_rate = bit_rate
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(np.clip(samples, -1.0, 1.0).T), format="fltp", layout=layout
        )
        frame.sample_rate = sample_rate
        if gapless:
            frame.pts, frame.time_base = 0, Fraction(1, sample_rate)
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    if container_name == "mp3":
        path = Path(path)
        path.write_bytes(exact_lame_padding(path.read_bytes(), samples.shape[0]))


def exact_lame_padding(data: bytes, frames: int) -> bytes:
    """The mp3 `data` with its LAME tag's end padding set so decoders stop after exactly `frames`.

    FFmpeg's muxer derives the padding from packet durations, which are whole MPEG frames: when
    the last frame holds 1..46 samples of audio the tag claims more, and libsndfile/mpg123,
    FFmpeg and PyAV all decode up to 46 samples too many. Here the padding is what is left of
    the stream after the encoder delay and the audio: tag frames x samples per frame - delay -
    `frames`. The tag's CRC-16 is recomputed (decoders ignore a tag whose CRC is wrong).
    Data without a LAME tag is returned unchanged."""
    tag = next((i for i in (data.find(b"Info"), data.find(b"Xing")) if i >= 0), -1)
    start = next((tag - side for side in (36, 21, 13) if tag - side >= 0
                  and data[tag - side] == 0xFF and data[tag - side + 1] & 0xE0 == 0xE0), None)
    if tag < 0 or start is None:
        return data
    flags = int.from_bytes(data[tag + 4:tag + 8], "big")
    if not flags & 1:  # no frame count: the padding cannot be known
        return data
    count = int.from_bytes(data[tag + 8:tag + 12], "big")
    lame = tag + 12 + (4 if flags & 2 else 0) + (100 if flags & 4 else 0) + (4 if flags & 8 else 0)
    per_frame = 1152 if (data[start + 1] >> 3) & 3 == 3 else 576  # MPEG-1 or MPEG-2/2.5 layer III
    packed = data[lame + 21:lame + 24]
    delay = (packed[0] << 4) | (packed[1] >> 4)
    padding = count * per_frame - delay - frames
    if len(data) < start + 192 or not 0 <= padding < 4096:
        return data
    fixed = bytearray(data)
    fixed[lame + 22] = (packed[1] & 0xF0) | (padding >> 8)
    fixed[lame + 23] = padding & 0xFF
    fixed[start + 190:start + 192] = _crc16_arc(fixed[start:start + 190]).to_bytes(2, "big")
    return bytes(fixed)


def _crc16_arc(data: bytes) -> int:
    """CRC-16/ARC (polynomial 0x8005 reflected, initial 0), as the LAME tag's own CRC."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc
