"""When is a dropped file complete? When its size and mtime have not changed for `settle` seconds
and it can be opened for reading (a writer on Windows or SMB holds it locked until done)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass
class _Sample:
    size: int
    mtime_ns: int
    since: float  # clock time this (size, mtime) was first seen


class StabilityTracker:
    """Remembers the last (size, mtime) of each watched path; pure: the caller passes the time."""

    def __init__(self, settle: float):
        self.settle = settle
        self._samples: dict[Path, _Sample] = {}

    def observe(self, path: Path, stat: os.stat_result, now: float) -> bool:
        """Record a stat of `path`; True once it has been unchanged for `settle` seconds."""
        sample = self._samples.get(path)
        if sample is None or (sample.size, sample.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            self._samples[path] = _Sample(stat.st_size, stat.st_mtime_ns, now)
            return False  # never on first sight: a file is judged by two looks at least
        return now - sample.since >= self.settle

    def forget(self, path: Path) -> None:
        self._samples.pop(path, None)

    def __contains__(self, path: Path) -> bool:
        return path in self._samples


def openable(path: Path) -> bool:
    """The file can be opened and read (no exclusive lock held by its writer). A file that is
    gone raises FileNotFoundError: another daemon took it, which is not a lock."""
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except FileNotFoundError:
        raise
    except OSError:
        return False
    return True
