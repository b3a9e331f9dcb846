"""The finish stage's audio work for one job: decode the returned stems, resample them to the
source's rate, measure one lag for all of them against the uploaded section, trim, write.

Everything streams, block by block: an hour-long stem costs no more memory than a short one.
The stems are decoded and resampled twice (once to measure the lag, once to write), which costs
less than holding them: an hour of stereo float32 is 1.4 GB per stem.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import codecs
from .align import fit_blocks, streamed_stems_lag
from .resample import resample_blocks
from .write import copy_atomic, keeps_server_bytes, write_blocks_atomic


@dataclass
class _Returned:
    """A returned stem file, read again each time its blocks are asked for, at `rate`."""

    path: Path
    rate: int
    channels: int = 0
    own_rate: int = 0
    frames: int = 0  # frames decoded (at its own rate), counted by the first pass

    def blocks(self) -> Iterator[np.ndarray]:
        self.own_rate, self.channels, decoded = codecs.decode_blocks(self.path)
        self.frames = 0
        for block in decoded:
            self.frames += block.shape[0]
            yield block

    def resampled(self) -> Iterator[np.ndarray]:
        decoded = self.blocks()
        first = next(decoded, None)  # opens the file: its rate and channels are known from here
        if first is None:
            return
        yield from resample_blocks(_chain(first, decoded), self.own_rate, self.rate, self.channels)


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


def finish_stems(reference: Path, stems: list[tuple[Path, Path]], rate: int, frames: int,
                 margin_before: int, output_format: int, max_lag: int) -> int:
    """Write each (returned file, target) pair as the section's `frames` frames at `rate` in
    `output_format`, shifted by one lag (measured on the stems' sum against `reference`, the
    uploaded section with `margin_before` frames of margin in front). Returns the lag.

    A lossy stem that needed no change (its rate, no shift, exactly `frames`) is the server's file
    as it is: it decodes to exactly the samples that would be written (audio/write.py)."""
    if not stems:
        return 0
    returned = [_Returned(path, rate) for path, _target in stems]
    _ref_rate, _channels, reference_blocks = codecs.decode_blocks(reference)
    lag = streamed_stems_lag(reference_blocks, [stem.resampled() for stem in returned], max_lag)
    shift = lag + margin_before
    for stem, (path, target) in zip(returned, stems):
        unchanged = stem.own_rate == rate and shift == 0 and stem.frames == frames
        if unchanged and keeps_server_bytes(path, output_format):
            copy_atomic(path, target)
            continue
        blocks = fit_blocks(stem.resampled(), shift, frames, (stem.channels,))
        write_blocks_atomic(blocks, rate, stem.channels, output_format, target)
    return lag
