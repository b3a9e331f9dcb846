"""Read a section of a source file: only its frames where the format can seek exactly."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import AudioError
from . import codecs
from .section import cut, frame_span, to_frames

# libsndfile formats whose seek is sample-exact; mp3 (MPEG) is decoded whole, because its
# frame-accurate seek depends on the decoder's gapless handling
_SEEKABLE = {"WAV", "WAVEX", "FLAC", "AIFF", "OGG", "W64", "RF64", "CAF"}


def check_source(path: Path, field: str = "source") -> None:
    """Refuse, before any job exists, a source that is no audio file: missing, a folder, not a
    regular file (a FIFO or a device such as /dev/null, which reading would block on or find
    empty), empty, or in no format the decoders know. Reads the header only."""
    if path.is_dir():
        raise AudioError(f"{path} is a folder, not an audio file",
                         hint="give the audio files inside it, or drop the folder into a hot folder", field=field)
    if not path.exists():
        raise AudioError(f"{path}: no such file", hint="give the path of an existing audio file", field=field)
    if not path.is_file():
        raise AudioError(f"{path} is not a regular file (a pipe, socket or device)",
                         hint="give an audio file; save a stream to a file first", field=field)
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty (0 bytes)",
                         hint="give a complete audio file; an interrupted copy leaves an empty file", field=field)
    try:
        sf.info(str(path))
        return
    except (sf.LibsndfileError, RuntimeError, TypeError):
        pass
    codecs.check_decodable(path, field)


def read_section(
    path: Path | str, start: float | None = None, length: float | None = None
) -> tuple[np.ndarray, int]:
    """The section [start, start + length) seconds of `path` as float32 (frames, channels), and its
    sample rate. None means the beginning / the end. Frames as `section.frame_span` rounds them."""
    read = read_blocks_with_margin(path, start, length, 0.0)
    chunks = list(read.blocks)
    return (np.concatenate(chunks) if chunks else np.zeros((0, read.channels), np.float32)), read.rate


@dataclass(frozen=True)
class MarginedBlocks:
    """A section with up to `margin` seconds of the source's own audio on each side, as float32
    (frames, channels) blocks read as they are consumed: `frames` in all, `before` of them ahead
    of the section and `after` behind it."""

    blocks: Iterator[np.ndarray]
    rate: int
    channels: int
    frames: int
    before: int
    after: int


def read_blocks_with_margin(
    path: Path | str, start: float | None, length: float | None, margin: float
) -> MarginedBlocks:
    """wav, flac, aiff, ogg: reads only the section's frames, a block at a time (an hour-long
    source costs no more memory than a short one). mp3, m4a/aac and anything else FFmpeg reads:
    decodes the whole file, then cuts. Unreadable files raise AudioError with the decoder's reason
    (a truncated one when its last block is read)."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: no such file", hint="give the path of an existing audio file")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        info = None
    if info is not None and info.format in _SEEKABLE and info.frames > 0:
        rate, total = int(info.samplerate), int(info.frames)
        first, count, before, after = _span(start, length, margin, rate, total)
        wanted = before + count + after
        return MarginedBlocks(_frames_of(path, first - before, wanted, total), rate, int(info.channels),
                              wanted, before, after)
    samples, rate = codecs.decode(path)
    first, count, before, after = _span(start, length, margin, rate, samples.shape[0])
    section = np.ascontiguousarray(cut(samples, first - before, before + count + after))
    return MarginedBlocks(iter([section]), rate, samples.shape[1], section.shape[0], before, after)


def _frames_of(path: Path, first: int, wanted: int, promised: int) -> Iterator[np.ndarray]:
    """Frames [first, first + wanted) of a seekable file, block by block."""
    got = 0
    try:
        with sf.SoundFile(str(path)) as opened:
            opened.seek(first)
            while got < wanted:
                block = opened.read(min(codecs.BLOCK_FRAMES, wanted - got), dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    break
                got += block.shape[0]
                yield block
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"cannot read {path.name}: {exc}", hint="the file may be damaged") from exc
    if got != wanted:
        raise AudioError(
            f"{path.name}: header promises {promised} frames but the data ends early",
            hint="the file is truncated; re-export it",
        )


def _span(start: float | None, length: float | None, margin: float, rate: int, total: int) -> tuple[int, int, int, int]:
    first, count = frame_span(start, length, rate, total)
    wanted = to_frames(margin, rate)
    return first, count, min(wanted, first), min(wanted, total - first - count)
