"""The finish stage's audio work for one job: decode the returned stems, resample them to the
source's rate, measure one lag for all of them against the uploaded section, trim, write.

Everything streams, block by block: an hour-long stem costs no more memory than a short one.
Two passes: `measure` decodes and resamples every stem once, finds the lag on their sum, and
spills each stem, as resampled, to a file beside it (an hour of stereo float32 is 1.4 GB per
stem: disk, not memory); `write` then trims and encodes from there instead of decoding and
resampling again. The download stage runs `measure` while the stems still arrive (their bytes
read through jobs/arriving.py), and starts the writing as soon as the lag holds steady (from the
spills as they grow: jobs/early.py), so after the last byte little is left to do.

Each stem is its own thread in both passes (decode + resample + spill ahead of the lag's FFTs;
trim + encode), and so is the section's decode: the codecs and the FFT release the GIL, so a
job's finish takes about half the wall time on two cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from . import codecs
from .ahead import read_ahead
from .align import fit_blocks, streamed_stems_lag
from .resample import resample_blocks
from .write import copy_atomic, keeps_server_bytes, move_atomic, write_blocks_atomic


class Watcher(Protocol):
    """Told when a file it reads while it is written grows, and when it is complete or abandoned."""

    def arrived(self) -> None: ...

    def ended(self) -> None: ...


@dataclass
class Stem:
    """A returned stem file, resampled to `rate` as it is read; `stream`: its bytes while they
    still arrive (read once); `watcher`: the reader of its spill while it is written."""

    path: Path
    rate: int
    stream: BinaryIO | None = None
    watcher: Watcher | None = None
    channels: int = 0
    own_rate: int = 0
    frames: int = 0  # frames decoded (at its own rate), counted by `measure`

    @property
    def spill(self) -> Path:
        """Its resampled samples as raw float32, written by `measure`."""
        return self.path.with_name(self.path.name + ".resampled")

    def blocks(self) -> Iterator[np.ndarray]:
        self.own_rate, self.channels, decoded = codecs.decode_blocks(self.path, stream=self.stream)
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

    def spilled(self, blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        """The blocks, also written to `spill`."""
        try:
            with open(self.spill, "wb") as spill:
                for block in blocks:
                    spill.write(np.ascontiguousarray(block, dtype="<f4").data)
                    if self.watcher is not None:
                        spill.flush()  # for the watcher's own descriptor
                        self.watcher.arrived()
                    yield block
        finally:
            if self.watcher is not None:
                self.watcher.ended()

    def unspilled(self, spill: BinaryIO | None = None) -> Iterator[np.ndarray]:
        """The blocks back from `spill`; `spill`: read it from there instead (e.g. as it grows)."""
        if spill is None:
            with open(self.spill, "rb") as own:
                yield from self.unspilled(own)
            return
        while chunk := spill.read(codecs.BLOCK_FRAMES * self.channels * 4):
            yield np.frombuffer(chunk, dtype="<f4").reshape(-1, self.channels)


@dataclass
class Measured:
    """What `measure` found: the lag, and the stems as spilled."""

    lag: int
    stems: list[Stem]


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


def measure(reference: Path, stems: list[Stem], max_lag: int,
            on_steady: Callable[[int], object] | None = None) -> Measured:
    """The first pass: one lag for all `stems` (on their sum) against `reference`, the uploaded
    section; each stem spilled as resampled. `on_steady`: told the lag as soon as it holds
    steady, before the end (audio/align.py's streamed_stems_lag)."""
    try:
        _ref_rate, _channels, reference_blocks = codecs.decode_blocks(reference)
        with ExitStack() as cleanup:
            # closed on the way out, error or not: no producer outlives the pass
            ahead = [cleanup.enter_context(closing(read_ahead(blocks))) for blocks in
                     [reference_blocks, *(stem.spilled(stem.resampled()) for stem in stems)]]
            lag = streamed_stems_lag(ahead[0], ahead[1:], max_lag, on_steady)
    except BaseException:
        for stem in stems:
            stem.spill.unlink(missing_ok=True)
        raise
    return Measured(lag, stems)


def finish_stems(reference: Path, stems: list[tuple[Path, Path]], rate: int, frames: int,
                 margin_before: int, output_format: int, max_lag: int, measured: Measured | None = None,
                 written: dict[Path, Path] | None = None) -> int:
    """Write each (returned file, target) pair as the section's `frames` frames at `rate` in
    `output_format`, shifted by one lag (measured on the stems' sum against `reference`, the
    uploaded section with `margin_before` frames of margin in front). Returns the lag.
    `measured`: the first pass, done already (while the stems downloaded) on these files.
    `written`: returned file → its target's content, written already for this lag (jobs/early.py).

    A lossy stem that needed no change (its rate, no shift, exactly `frames`) is the server's file
    as it is: it decodes to exactly the samples that would be written (audio/write.py)."""
    if not stems:
        return 0
    if measured is None:
        measured = measure(reference, [Stem(path, rate) for path, _target in stems], max_lag)
    shift, written = measured.lag + margin_before, written or {}

    def write(stem: Stem, target: Path) -> None:
        unchanged = stem.own_rate == rate and shift == 0 and stem.frames == frames
        if unchanged and keeps_server_bytes(stem.path, output_format):
            copy_atomic(stem.path, target)
            return
        if stem.path in written:
            move_atomic(written[stem.path], target)
            return
        blocks = fit_blocks(stem.unspilled(), shift, frames, (stem.channels,))
        write_blocks_atomic(blocks, rate, stem.channels, output_format, target)

    try:
        with ThreadPoolExecutor(max_workers=min(len(stems), os.cpu_count() or 1), thread_name_prefix="finish") as pool:
            writes = [pool.submit(write, stem, target) for stem, (_path, target) in zip(measured.stems, stems)]
            for done in writes:
                done.result()  # the first failure, raised here
    finally:
        for stem in measured.stems:
            stem.spill.unlink(missing_ok=True)
    return measured.lag
