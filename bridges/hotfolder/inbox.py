"""One watched hot folder: which paths in it are candidates, and when a dropped file is complete.

`Inbox.examine` is the whole judgement on one path (ignored, waiting, a folder to walk, or
complete); it logs each waiting/ignored state once per path, not once per tick.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.observers.api import ObservedWatch

from mvsep_bridge.daemon.engine import HotFolder, Preset

from .layout import SIDECAR_SUFFIX, FolderLayout, is_companion, is_temporary, sidecar_of
from .stability import StabilityTracker, openable

log = logging.getLogger("mvsep_bridge.hotfolder")

RESCAN_SECONDS = 2.0  # full walk of each inbox: catches what events miss (network shares)


@dataclass
class Complete:
    """A dropped file that is whole and may be claimed."""

    path: Path
    relative: Path  # to the inbox
    size: int


@dataclass
class Inbox:
    config: HotFolder
    layout: FolderLayout
    preset: Preset
    tracker: StabilityTracker
    candidates: set[Path] = field(default_factory=set)
    noted: set[Path] = field(default_factory=set)  # paths already logged as waiting/ignored
    emptied: set[Path] = field(default_factory=set)  # dropped folders we took files out of
    watch: ObservedWatch | None = None
    present: bool | None = None
    next_scan: float = 0.0

    @classmethod
    def of(cls, config: HotFolder, layout: FolderLayout, preset: Preset) -> Inbox:
        return cls(config, layout, preset, StabilityTracker(config.settle_seconds))

    @property
    def label(self) -> str:
        return str(self.layout.root)

    @property
    def key(self) -> str:
        """Equal for equal settings: a changed folder or preset is a new inbox."""
        return self.config.model_dump_json() + self.preset.model_dump_json()

    def gone(self) -> None:
        """The folder went away: forget what was seen in it."""
        self.watch = None
        self.candidates.clear()
        self.tracker = StabilityTracker(self.config.settle_seconds)

    def scan(self, now: float) -> None:
        reserved = set(self.layout.reserved())
        for current, dirs, names in os.walk(self.layout.root):
            here = Path(current)
            dirs[:] = [d for d in dirs if here / d not in reserved and not is_temporary(d)]
            self.candidates.update(here / name for name in names)
        self.noted = {p for p in self.noted if p.exists() or p.is_symlink()}
        self._remove_emptied()
        self.next_scan = now + RESCAN_SECONDS

    def _remove_emptied(self) -> None:
        """Dropped folders we emptied go once they stayed empty for the settle time (a copier
        may still be about to create the next file in them)."""
        before_our_rmdir: dict[Path, float] = {}  # our own rmdir of a child is not activity
        for directory in sorted(self.emptied, key=lambda p: len(p.parts), reverse=True):
            try:
                quiet_since = before_our_rmdir.get(directory, directory.stat().st_mtime)
                if any(directory.iterdir()) or time.time() - quiet_since < self.config.settle_seconds:
                    continue
                parent_mtime = directory.parent.stat().st_mtime
                directory.rmdir()
                before_our_rmdir[directory.parent] = parent_mtime
                log.info("%s: removed the emptied folder %s", self.label, directory.relative_to(self.layout.root))
            except OSError:
                pass
            self.emptied.discard(directory)

    def note(self, path: Path, message: str, level: int = logging.INFO) -> None:
        """Log a waiting/ignored state once per path, not once per tick."""
        if path not in self.noted:
            self.noted.add(path)
            log.log(level, "%s: %s %s", self.label, path.relative_to(self.layout.root), message)

    def drop(self, path: Path) -> None:
        self.candidates.discard(path)
        self.tracker.forget(path)

    def taken(self, item: Complete) -> None:
        """`item` was claimed: stop looking at it; empty folders it came from go later."""
        self.drop(item.path)
        self.noted.discard(item.path)
        if item.relative.parent != Path("."):
            self.emptied.update(p for p in item.path.parents if self.layout.root in p.parents)

    def examine(self, path: Path, now: float) -> Complete | None:
        relative = self.layout.inbox_relative(path)
        if relative is None:
            if any(is_temporary(part) for part in path.relative_to(self.layout.root).parts):
                self.note(path, "ignored: temporary or hidden name", logging.DEBUG)
            self.drop(path)
            return None
        try:
            stat = path.stat()  # a link to a file counts as the file (the link is what moves)
        except FileNotFoundError:
            self.drop(path)
            return None
        if path.is_dir():
            self.drop(path)
            if path.is_symlink():  # its files live elsewhere: moving them out is not ours to do
                self.note(path, "ignored: a link to a folder (drop the folder itself)", logging.WARNING)
                return None
            for current, _dirs, names in os.walk(path):
                self.candidates.update(Path(current) / name for name in names)
            return None
        if is_companion(path.name):
            self.drop(path)  # sidecars and error notes travel with their file
            audio = path.with_name(path.name[: -len(SIDECAR_SUFFIX)])
            if path.name.lower().endswith(SIDECAR_SUFFIX) and not audio.exists():
                self.note(path, f"is a sidecar waiting for its file {audio.name}")
            return None
        if not path.is_file():
            self.note(path, "ignored: not a regular file", logging.WARNING)
            self.drop(path)
            return None
        if path not in self.tracker:
            log.info("%s: %s arrived (%d bytes)", self.label, relative, stat.st_size)
        if not self.tracker.observe(path, stat, now) or self._sidecar_settling(path):
            return None
        try:
            unlocked = openable(path)
        except FileNotFoundError:
            self.drop(path)
            return None
        if not unlocked:
            self.note(path, "is complete but cannot be opened yet (locked?); waiting")
            return None
        return Complete(path, relative, stat.st_size)

    def _sidecar_settling(self, path: Path) -> bool:
        """A sidecar written in place just now may not be complete: its file waits for it."""
        try:
            age = time.time() - sidecar_of(path).stat().st_mtime
        except OSError:
            return False
        return age < self.config.settle_seconds
