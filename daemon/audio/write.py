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
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import AudioError
from ..files import replacing
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
    path = Path(path)
    samples = np.asarray(samples, dtype=np.float32)
    kept = (
        original is not None
        and output_format in LOSSY_FORMATS
        and _is_exactly(original, samples, rate, output_format)
    )
    try:
        with replacing(path) as tmp:
            if kept:
                shutil.copyfile(original, tmp)
            else:
                codecs.encode(samples, rate, output_format, tmp, gapless=True)
    except sf.LibsndfileError as exc:
        # libsndfile reports a full disk as "System error": say what happened
        if shutil.disk_usage(path.parent).free < 1 << 20:
            raise OSError(errno.ENOSPC, f"No space left on device writing {path}") from exc
        raise
    return kept


def _is_exactly(original: Path | str, samples: np.ndarray, rate: int, output_format: int) -> bool:
    """Does `original` hold this format's container and decode to exactly these samples?"""
    original = Path(original)
    if original.suffix.lower().lstrip(".") != codecs.extension(output_format):
        return False
    try:
        decoded, decoded_rate = codecs.decode(original)
    except AudioError:
        return False
    return decoded_rate == rate and decoded.shape == samples.shape and np.array_equal(decoded, samples)
