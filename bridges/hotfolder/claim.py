"""Taking a file: one atomic rename decides who owns it, across processes and hosts.

rename(2) of the same source succeeds for exactly one caller; the others get ENOENT. Each daemon
renames into its own `processing/<owner>/`, so two winners can never collide on the target.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from pathlib import Path

from .layout import FolderLayout, error_note_of, is_companion, sidecar_of


def owner_id(state_dir: Path) -> str:
    """This daemon's stable id (`<host>-<8 hex>`), kept in `state_dir` so restarts resume claims."""
    path = state_dir / "hotfolder-owner"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    host = re.sub(r"[^A-Za-z0-9_-]+", "-", socket.gethostname()).strip("-")[:40] or "host"
    owner = f"{host}-{uuid.uuid4().hex[:8]}"
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(owner + "\n")
    os.replace(tmp, path)
    return owner


class Busy(Exception):
    """A file of the same name is still being processed here: take the new one later."""


def claim(layout: FolderLayout, source: Path) -> Path | None:
    """Move `source` (an inbox file) into this daemon's claims; None if someone else took it.

    Its sidecar follows; a stale error note beside it (from an earlier failure) is removed.
    """
    relative = unused_name(layout, source.relative_to(layout.root))
    target = layout.claims / relative
    if target.exists():
        raise Busy(f"{relative} is already being processed")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)
    except FileNotFoundError:
        return None  # lost the race (or the file was removed meanwhile)
    adopt_companions(source, target)
    return target


def unused_name(layout: FolderLayout, relative: Path) -> Path:
    """`relative`, or "name (n).ext" when stems of that name exist already: a file dropped again
    gets a result of its own, the earlier one stays (so do both sources, in done/)."""
    candidate, n = relative, 1
    while (layout.stems_destination(candidate) / candidate.stem).exists():
        n += 1
        candidate = relative.with_name(f"{relative.stem} ({n}){relative.suffix}")
    return candidate


def adopt_companions(inbox_path: Path, claimed: Path) -> None:
    """Bring the sidecar along (also after a crash between the two renames)."""
    try:
        os.rename(sidecar_of(inbox_path), sidecar_of(claimed))
    except FileNotFoundError:
        pass
    error_note_of(inbox_path).unlink(missing_ok=True)


def claimed_files(layout: FolderLayout) -> list[Path]:
    """Every file this daemon claimed and has not filed yet (sidecars excluded)."""
    if not layout.claims.is_dir():
        return []
    return sorted(
        Path(folder) / name
        for folder, _dirs, names in os.walk(layout.claims)
        for name in names
        if not is_companion(name)
    )


def foreign_claims(layout: FolderLayout) -> list[Path]:
    """Claim folders of other daemons sharing this hot folder."""
    if not layout.processing.is_dir():
        return []
    return sorted(p for p in layout.processing.iterdir() if p.is_dir() and p.name != layout.owner)
