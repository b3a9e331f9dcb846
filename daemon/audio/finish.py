"""The finish stage's audio work for one job: decode the returned stems, resample them to the
source's rate, measure one lag for all of them against the uploaded section, trim, write.

Everything streams, block by block: an hour-long stem costs no more memory than a short one.
The lag is known only once every stem has been read, so the first pass also spills each stem, as
resampled, to an anonymous temp file beside it (an hour of stereo float32 is 1.4 GB per stem:
disk, not memory), and the second pass trims and writes from there instead of decoding and
resampling again.

Each stem is its own thread in both passes (decode + resample + spill ahead of the lag's FFTs;
trim + encode), and so is the section's decode: the codecs and the FFT release the GIL, so a
job's finish takes about half the wall time on two cores.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from . import codecs
from .ahead import read_ahead
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


def _spilled(blocks: Iterator[np.ndarray], spill: BinaryIO) -> Iterator[np.ndarray]:
    """The blocks, also written to `spill` as raw float32."""
    for block in blocks:
        spill.write(np.ascontiguousarray(block, dtype="<f4").data)
        yield block


def _unspilled(spill: BinaryIO, channels: int) -> Iterator[np.ndarray]:
    spill.seek(0)
    while chunk := spill.read(codecs.BLOCK_FRAMES * channels * 4):
        yield np.frombuffer(chunk, dtype="<f4").reshape(-1, channels)


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
    with ExitStack() as cleanup:
        spills = [cleanup.enter_context(tempfile.TemporaryFile(dir=path.parent)) for path, _target in stems]
        # closed on the way out, error or not: no producer outlives the finish
        ahead = [cleanup.enter_context(closing(read_ahead(blocks))) for blocks in
                 [reference_blocks, *(_spilled(stem.resampled(), spill) for stem, spill in zip(returned, spills))]]
        lag = streamed_stems_lag(ahead[0], ahead[1:], max_lag)
        shift = lag + margin_before

        def write(stem: _Returned, spill: BinaryIO, path: Path, target: Path) -> None:
            unchanged = stem.own_rate == rate and shift == 0 and stem.frames == frames
            if unchanged and keeps_server_bytes(path, output_format):
                copy_atomic(path, target)
                return
            blocks = fit_blocks(_unspilled(spill, stem.channels), shift, frames, (stem.channels,))
            write_blocks_atomic(blocks, rate, stem.channels, output_format, target)

        with ThreadPoolExecutor(max_workers=min(len(stems), os.cpu_count() or 1), thread_name_prefix="finish") as pool:
            writes = [pool.submit(write, stem, spill, path, target)
                      for stem, spill, (path, target) in zip(returned, spills, stems)]
            for done in writes:
                done.result()  # the first failure, raised here
    return lag
