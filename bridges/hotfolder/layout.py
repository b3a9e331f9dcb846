"""Where things live in a hot folder (DESIGN.md "Hot folders") and which names are ours to take.

    <root>/                     files (or folders of files) are dropped here: the inbox
    <root>/processing/<owner>/  files claimed by one daemon (owner = that daemon's id)
    <root>/done/                sources whose stems were written
    <root>/failed/              sources that failed, each with <name>.error.txt
    <destination>/              stems: <destination>/<relative folder>/<source name>/ (default <root>/out)

Claims go under a per-daemon folder so that, after a restart, a daemon resumes only its own
claims: another host sharing the folder may be working on the rest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROCESSING = "processing"
DONE = "done"
FAILED = "failed"
OUT = "out"
SIDECAR_SUFFIX = ".json"
ERROR_SUFFIX = ".error.txt"
NAME_MAX = 255  # bytes per file name on ext4, APFS, NTFS (in UTF-16 units), SMB

# names browsers, copy tools and editors use while a file is still being written
_TEMPORARY_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".swp")


# files the OS drops into folders by itself (dot files such as .DS_Store are covered anyway)
_SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini"})


def is_temporary(name: str) -> bool:
    """Dot files, Office lock files (~$…), in-progress download/copy names, OS folder files."""
    lowered = name.lower()
    return name.startswith((".", "~$")) or lowered.endswith(_TEMPORARY_SUFFIXES) or lowered in _SYSTEM_FILES


def is_companion(name: str) -> bool:
    """A sidecar or an error note: it travels with its file and is never a job of its own."""
    lowered = name.lower()
    return lowered.endswith(SIDECAR_SUFFIX) or lowered.endswith(ERROR_SUFFIX)


def _companion(path: Path, suffix: str) -> Path:
    """`<name><suffix>` beside `path`; a name too long for that is cut (on a character boundary)
    so the companion can still exist (most filesystems allow 255 bytes per name)."""
    room = NAME_MAX - len(os.fsencode(suffix))
    name = os.fsencode(path.name)
    if len(name) > room:
        name = name[:room]
    return path.with_name(name.decode("utf-8", "ignore") + suffix)


def sidecar_of(path: Path) -> Path:
    return _companion(path, SIDECAR_SUFFIX)


def error_note_of(path: Path) -> Path:
    return _companion(path, ERROR_SUFFIX)


@dataclass(frozen=True)
class FolderLayout:
    root: Path
    destination: Path
    owner: str

    @classmethod
    def of(cls, root: Path, destination: str, owner: str) -> FolderLayout:
        root = Path(root).expanduser().absolute()
        dest = Path(destination).expanduser() if destination else root / OUT
        return cls(root=root, destination=dest if dest.is_absolute() else root / dest, owner=owner)

    @property
    def processing(self) -> Path:
        return self.root / PROCESSING

    @property
    def claims(self) -> Path:
        """This daemon's claimed files."""
        return self.processing / self.owner

    @property
    def done(self) -> Path:
        return self.root / DONE

    @property
    def failed(self) -> Path:
        return self.root / FAILED

    def ensure(self) -> None:
        for folder in (self.claims, self.done, self.failed, self.destination):
            folder.mkdir(parents=True, exist_ok=True)

    def stems_among_inputs(self) -> bool:
        """A destination that is the folder itself or inside processing/, done/ or failed/."""
        ours = (self.processing, self.done, self.failed)
        return self.destination == self.root or any(
            self.destination == p or p in self.destination.parents for p in ours
        )

    def too_broad(self) -> bool:
        """The filesystem root, the home folder or one above it: every file under a hot folder is
        taken (moved into processing/), so these would swallow the user's own files."""
        home = Path.home().absolute()
        return self.root == Path(self.root.anchor) or self.root == home or self.root in home.parents

    def reserved(self) -> tuple[Path, ...]:
        return (self.processing, self.done, self.failed, self.destination)

    def inbox_relative(self, path: Path) -> Path | None:
        """`path` relative to the root when it is an inbox entry (not ours, not a temporary name)."""
        try:
            relative = path.relative_to(self.root)
        except ValueError:
            return None
        if not relative.parts or any(is_temporary(part) for part in relative.parts):
            return None
        if any(path == folder or folder in path.parents for folder in self.reserved()):
            return None
        return relative

    def claimed_relative(self, claimed: Path) -> Path:
        return claimed.relative_to(self.claims)

    def stems_destination(self, relative: Path) -> Path:
        """The engine writes <this>/<source name>/: a dropped folder keeps its structure."""
        return self.destination / relative.parent
