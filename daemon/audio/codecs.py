"""Decode any file soundfile or PyAV can read; encode to MVSEP's six output formats.

Lossy formats go through FFmpeg (libmp3lame, aac: the ffmpeg CLI, else PyAV; audio/lossy.py) so
their encoder delay and padding are real: the finish stage must find and remove them, as it must
for MVSEP's own files.

Gapless metadata is honoured on decode: mp3's LAME tag (libsndfile/mpg123 and FFmpeg both trim
the encoder delay and padding it records) and an MP4 edit list (FFmpeg skips the priming; the
tail padding past the container's declared duration is cut here). `encode(..., gapless=True)`
writes that metadata so a file decodes to exactly the frames it was given, aligned.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
import soundfile as sf

from ..errors import AudioError
from .formats import FORMATS, extension  # noqa: F401 (extension: re-exported)
from .lossy import open_lossy

AUDIO_HINT = "give a wav, flac, aiff, mp3, m4a/aac or ogg file"


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


#: frames per block when audio is streamed: ~0.5 MB of stereo float32, so an hour-long file costs
#: no more memory than a short one
BLOCK_FRAMES = 1 << 16


def decode(path: Path | str) -> tuple[np.ndarray, int]:
    """All samples of a file as float32 (frames, channels), and its sample rate."""
    rate, channels, blocks = decode_blocks(path, block=None)
    chunks = list(blocks)
    if len(chunks) == 1:  # a libsndfile format, read in one piece: no second copy
        return np.ascontiguousarray(chunks[0]), rate
    samples = np.concatenate(chunks) if chunks else np.zeros((0, channels), np.float32)
    return samples, rate


def decode_blocks(path: Path | str, block: int | None = BLOCK_FRAMES,
                  stream: BinaryIO | None = None) -> tuple[int, int, Iterator[np.ndarray]]:
    """A file's sample rate and channel count, and its samples as float32 (frames, channels)
    blocks, read as they are consumed (never the whole file in memory). block None: libsndfile
    formats in one piece (FFmpeg's come in its own frames either way). `stream`: read the file's
    bytes from it instead (a file still arriving, jobs/arriving.py); `path` names it."""
    path = Path(path)
    try:
        opened = sf.SoundFile(stream if stream is not None else str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        opened = None  # not a libsndfile format (m4a/aac, some mp3): let FFmpeg try
        if stream is not None:
            stream.seek(0)
    if opened is not None:
        return int(opened.samplerate), int(opened.channels), _soundfile_blocks(path, opened, block)
    try:
        container = av.open(stream if stream is not None else str(path))
    except av.error.FFmpegError as exc:
        raise _undecodable(path, exc) from exc
    if not container.streams.audio:
        container.close()
        raise AudioError(f"{path.name}: no audio stream", hint="give an audio file")
    stream = container.streams.audio[0]
    rate = stream.codec_context.sample_rate
    channels = stream.codec_context.layout.nb_channels
    frames = _ffmpeg_frames(path, container, stream, rate, _declared_frames(container, stream, rate))
    return int(rate), channels, frames if block is None else _gathered(frames, block)


def _soundfile_blocks(path: Path, opened: sf.SoundFile, block: int | None) -> Iterator[np.ndarray]:
    try:
        with opened:
            if block is None:
                yield opened.read(dtype="float32", always_2d=True)
            else:
                yield from opened.blocks(block, dtype="float32", always_2d=True)
    except sf.LibsndfileError as exc:  # a header that opened, then frames that do not decode
        raise AudioError(f"cannot decode {path.name}: {exc.error_string}",
                         hint="the file is damaged or cut short; fetch or export it again") from exc


def _ffmpeg_frames(path: Path, container, stream, rate: int, declared: int | None) -> Iterator[np.ndarray]:
    """The stream's samples as FFmpeg decodes them: a codec frame (1024 or 1152 samples) at a time."""
    # planar float at the stream's own rate: a format change only, never a resample
    to_float = av.AudioResampler(format="fltp", rate=rate)
    left = declared  # None: all; else the frames before the encoder's tail padding (edit list)
    empty = True
    try:
        with container:
            for frame in container.decode(stream):
                for converted in to_float.resample(frame):
                    samples = converted.to_ndarray().T
                    if left is not None:
                        samples, left = samples[:left], left - min(left, samples.shape[0])
                    empty = False
                    if samples.shape[0]:
                        yield np.ascontiguousarray(samples)
    except av.error.FFmpegError as exc:
        raise _undecodable(path, exc) from exc
    if empty:
        raise AudioError(f"{path.name}: the audio stream is empty", hint="give a non-empty file")


def _gathered(frames: Iterator[np.ndarray], block: int) -> Iterator[np.ndarray]:
    """Codec frames joined into blocks of about `block` frames: fewer, larger numpy steps downstream."""
    pending: list[np.ndarray] = []
    count = 0
    for samples in frames:
        pending.append(samples)
        count += samples.shape[0]
        if count >= block:
            yield np.concatenate(pending)
            pending, count = [], 0
    if pending:
        yield np.concatenate(pending)


def _undecodable(path: Path, exc: av.error.FFmpegError) -> AudioError:
    # the reason, without FFmpeg's code and path
    return AudioError(f"cannot decode {path.name}: {exc.strerror or exc}", hint=AUDIO_HINT)


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
    """Write (frames, channels) float samples to `path` in MVSEP output format 0..5 (see Encoder)."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[:, None]
    with Encoder(path, sample_rate, samples.shape[1], output_format, gapless=gapless) as encoder:
        encoder.write(samples)


class Encoder:
    """Write float (frames, channels) blocks to `path` in MVSEP output format 0..5, block by block;
    the file is the same, byte for byte, however the samples are cut into blocks. Lossless formats
    go through libsndfile, lossy ones through FFmpeg (the ffmpeg CLI, else PyAV: audio/lossy.py).

    gapless: for m4a, write the edit list at the sample rate's time scale, so decoders skip the AAC
    priming and cut the padding to the exact frame count. Without it the m4a carries its priming
    in the stream (as some servers' files do), which the finish stage must find and remove. mp3
    is gapless either way (LAME tag).
    """

    def __init__(self, path: Path | str, sample_rate: int, channels: int, output_format: int, *,
                 gapless: bool = False):
        spec = FORMATS.get(output_format)
        if spec is None:
            raise AudioError(f"unknown output_format {output_format}", hint="use 0..5")
        self.path, self.frames = Path(path), 0
        self._clip = spec.soundfile is None or spec.soundfile[1] != "FLOAT"
        self._soundfile = self._lossy = None
        if spec.soundfile is not None:
            container, subtype = spec.soundfile
            self._soundfile = sf.SoundFile(str(path), "w", sample_rate, channels, subtype, format=container)
            return
        assert spec.ffmpeg is not None
        self._mp3 = spec.ffmpeg[0] == "mp3"
        self._lossy = open_lossy(self.path, sample_rate, channels, spec.ffmpeg, gapless)

    @property
    def backend(self) -> str:
        """Who writes the file: soundfile, ffmpeg (the CLI) or pyav."""
        return "soundfile" if self._lossy is None else self._lossy.name

    def write(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.float32)
        if samples.shape[0] == 0:
            return  # FFmpeg refuses an empty frame
        if self._clip:
            samples = np.clip(samples, -1.0, 1.0)
        if self._lossy is None:
            self._soundfile.write(samples)
        else:
            self._lossy.write(samples)
        self.frames += samples.shape[0]

    def close(self) -> None:
        if self._lossy is None:
            self._soundfile.close()
            return
        self._lossy.close()
        if self._mp3:
            set_lame_padding(self.path, self.frames)

    def __enter__(self) -> Encoder:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        elif self._lossy is None:
            self._soundfile.close()
        else:
            self._lossy.abort()


#: bytes at a file's start that hold the LAME tag (an ID3v2 header, then the first MPEG frame)
_LAME_HEAD = 1 << 16


def set_lame_padding(path: Path, frames: int) -> None:
    """Rewrite the mp3's LAME tag in place so decoders stop after exactly `frames` (reads and
    writes only the file's head, where the tag is; exact_lame_padding says why)."""
    with open(path, "r+b") as handle:
        head = handle.read(_LAME_HEAD)
        fixed = exact_lame_padding(head, frames)
        if fixed != head:
            handle.seek(0)
            handle.write(fixed)


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
