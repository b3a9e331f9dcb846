"""Write a stem so it appears atomically, in the chosen output format, aligned to the frame.

Lossy output (mp3 = 0, m4a = 3): a stem must still decode to exactly the section's frame count,
aligned, and should not pay for a second generation of loss. The decision:

1. Keep the server's bytes when they already are the answer: `original` is the stem as the server
   returned it, in the same container, and it decodes to exactly `samples` (no resample, no shift,
   no trim was needed). Then the file is copied as is: no re-encode, no extra loss.
2. Otherwise (the stem had to be resampled, shifted or trimmed, or came in another format), the
   aligned samples are encoded once, with gapless metadata: mp3's LAME tag records the encoder
   delay and padding (libsndfile/mpg123, FFmpeg and most players trim them), and m4a gets an MP4
   edit list at the sample rate's time scale (FFmpeg, Apple and our decoder skip the AAC priming
   and stop at the exact frame). That is a second generation of loss, which no container trick can
   avoid once the audio itself had to change; choose flac (2 or 5) to avoid it.
   Writing a lossless file under a lossy name, or a lossless format the user did not ask for,
   would break the promise of the output format, so it is not done.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import AudioError
from ..files import fsync_dir, replacing
from . import codecs
from .formats import LOSSY_FORMATS


def write_atomic(
    samples: np.ndarray,
    rate: int,
    output_format: int,
    path: Path | str,
    *,
    original: Path | str | None = None,
) -> bool:
    """Write (frames, channels) samples to `path` in `output_format`; the file appears whole or not
    at all (daemon/files.py).

    original: for a lossy output_format, the server's file of this stem; its bytes are kept when it
    decodes to exactly `samples` (module doc). Returns True when the bytes were kept.
    """
    samples = np.asarray(samples, dtype=np.float32)
    if original is not None and output_format in LOSSY_FORMATS and _is_exactly(original, samples, rate, output_format):
        copy_atomic(original, path)
        return True
    write_blocks_atomic([samples], rate, samples.shape[1], output_format, path)
    return False


def write_blocks_atomic(blocks: Iterable[np.ndarray], rate: int, channels: int, output_format: int,
                        path: Path | str) -> None:
    """Encode (frames, channels) blocks to `path` as they come, gapless (module doc, point 2); the
    file appears whole or not at all."""
    with _writing(path) as tmp, codecs.Encoder(tmp, rate, channels, output_format, gapless=True) as out:
        for block in blocks:
            out.write(block)


def copy_atomic(original: Path | str, path: Path | str) -> None:
    """The server's bytes as they are (module doc, point 1)."""
    with _writing(path) as tmp:
        shutil.copyfile(original, tmp)


def move_atomic(written: Path, path: Path) -> None:
    """A file written (and fsynced) elsewhere becomes `path`: renamed on the same filesystem,
    else copied as copy_atomic does."""
    if written.stat().st_dev != path.parent.stat().st_dev:
        copy_atomic(written, path)
        written.unlink()
        return
    os.replace(written, path)
    fsync_dir(path.parent)


def keeps_server_bytes(original: Path | str, output_format: int) -> bool:
    """Can the server's file of a stem be the answer, if nothing had to change? Only when it is
    in the lossy container asked for (lossless output is always written: it costs no quality)."""
    return output_format in LOSSY_FORMATS and Path(original).suffix.lower().lstrip(".") == codecs.extension(output_format)


@contextmanager
def _writing(path: Path | str) -> Iterator[Path]:
    path = Path(path)
    try:
        with replacing(path) as tmp:
            yield tmp
    except sf.LibsndfileError as exc:
        # libsndfile reports a full disk as "System error": say what happened
        if shutil.disk_usage(path.parent).free < 1 << 20:
            raise OSError(errno.ENOSPC, f"No space left on device writing {path}") from exc
        raise


def _is_exactly(original: Path | str, samples: np.ndarray, rate: int, output_format: int) -> bool:
    """Does `original` hold this format's container and decode to exactly these samples?"""
    if not keeps_server_bytes(original, output_format):
        return False
    try:
        decoded, decoded_rate = codecs.decode(original)
    except AudioError:
        return False
    return decoded_rate == rate and decoded.shape == samples.shape and np.array_equal(decoded, samples)
