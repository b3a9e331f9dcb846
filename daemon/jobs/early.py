"""The finish's writing, started while the stems still download.

The download stage measures the stems' lag as they arrive (audio/finish.py's `measure`). As soon
as the lag so far holds steady (audio/align.py), each stem is trimmed and encoded for that lag
from its spill, read as the spill grows (an ArrivingFile), into a file beside the stem in the
work dir. The finish takes those files when the lag measured over the whole section is the same
one (nearly always) and writes the stems again when it is not: a wrong guess costs CPU, never a
wrong file. So after the last byte only the last blocks are left to encode, however long the
stems (an hour of 48 kHz stereo is ~10 s of FLAC encoding per stem, ~70 s of mp3).

Nothing here survives the daemon: after a restart the finish measures and writes as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..audio import codecs
from ..audio.align import fit_blocks
from ..audio.finish import Stem
from ..audio.write import keeps_server_bytes, write_blocks_atomic
from .arriving import ArrivingFile

log = logging.getLogger("mvsep_bridge.jobs")


class _Stopped(Exception):
    """The early writing was called off: what was written is not kept."""


class EarlyWrites:
    """The stems of one job written early, for `frames` frames at their `rate` in `output_format`,
    `margin_before` frames of the section's margin trimmed. `start` is the first pass's on_steady;
    then `take` (the finish) or `abort` (the download failed), once."""

    def __init__(self, stems: list[Stem], frames: int, margin_before: int, output_format: int):
        self._stems, self._frames, self._margin, self._format = stems, frames, margin_before, output_format
        self._spills = {stem.path: ArrivingFile(stem.spill) for stem in stems}
        for stem in stems:
            stem.watcher = self._spills[stem.path]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._written: dict[Path, Path] = {}
        self.lag: int | None = None

    def start(self, lag: int) -> None:
        """Write every stem for `lag` (a guess, checked by `take`), each on a thread of its own."""
        self.lag = lag
        for stem in self._stems:
            shift = lag + self._margin
            if shift == 0 and stem.own_rate == stem.rate and keeps_server_bytes(stem.path, self._format):
                continue  # the server's file may well be the answer as it is (audio/write.py)
            thread = threading.Thread(target=self._write, args=(stem, shift), name="early-write", daemon=True)
            thread.start()
            self._threads.append(thread)

    def take(self, lag: int) -> dict[Path, Path]:
        """Stem file → its target's content, for the stems written for `lag`, the lag the whole
        section gave; nothing when the guess was another lag (those files are removed)."""
        if lag != self.lag:
            if self.lag is not None:
                log.info("the stems' lag is %d, not the %d they were written for early: writing them again",
                         lag, self.lag)
            self.abort()
            return {}
        self._join()
        return dict(self._written)

    def abort(self) -> None:
        """Stop writing, remove what was written."""
        self._stop.set()
        self._join()
        for written in self._written.values():
            written.unlink(missing_ok=True)
        self._written.clear()

    def _join(self) -> None:
        for spill in self._spills.values():
            spill.ended()  # the first pass is over: a writer reads to what is there
        for thread in self._threads:
            thread.join()
        for spill in self._spills.values():
            spill.close()

    def _write(self, stem: Stem, shift: int) -> None:
        target = stem.path.with_name(f"{stem.path.name}.early.{codecs.extension(self._format)}")
        try:
            blocks = fit_blocks(self._spilled(stem), shift, self._frames, (stem.channels,))
            write_blocks_atomic(blocks, stem.rate, stem.channels, self._format, target)
        except _Stopped:
            return
        except Exception as exc:  # noqa: BLE001 (the finish writes this stem itself, and says why if it fails)
            log.debug("%s: not written early (%s)", stem.path.name, exc)
            return
        if self._stop.is_set():
            target.unlink(missing_ok=True)
            return
        self._written[stem.path] = target

    def _spilled(self, stem: Stem) -> Iterator[np.ndarray]:
        """The stem's resampled samples from its spill, as the first pass writes it."""
        for block in stem.unspilled(self._spills[stem.path]):
            if self._stop.is_set():
                raise _Stopped
            yield block
        if self._stop.is_set():
            raise _Stopped
