"""Filing a claimed file once its job is over: `done/`, or `failed/` with `<name>.error.txt`.

Nothing is overwritten: a name already in done/ or failed/ gets " (2)", " (3)", … The error note
is written (to a temp name) before the file moves, so a full disk leaves the file in processing/
for a retry instead of in failed/ without its reason; it takes its name last, so whoever sees the
note finds the file and its sidecar already beside it.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from mvsep_bridge.daemon.engine import replacing

from .layout import FolderLayout, error_note_of, sidecar_of

# link(2) is how we move without replacing; these say the filesystem cannot hard-link
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}


def file_done(layout: FolderLayout, claimed: Path) -> Path:
    """Move a claimed file (and its sidecar) to done/, keeping its folder structure."""
    _must_exist(claimed)
    target = _move_unique(claimed, _free_name(layout.done / layout.claimed_relative(claimed)))
    _move_sidecar(claimed, target)
    _prune(claimed.parent, layout.claims)
    return target


def file_failed(layout: FolderLayout, claimed: Path, reason: str) -> Path:
    """Move a claimed file (and its sidecar) to failed/ with a note saying why and how to retry."""
    _must_exist(claimed)
    relative = layout.claimed_relative(claimed)
    target = _free_name(layout.failed / relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    note = error_note_of(target)
    with replacing(note) as staged:  # a failed move drops the staged note
        staged.write_text(error_text(layout, relative, target, reason), encoding="utf-8")
        target = _move_unique(claimed, target)
        _move_sidecar(claimed, target)
    if error_note_of(target) != note:  # lost the name to a concurrent filer: follow the file
        os.replace(note, error_note_of(target))
    _prune(claimed.parent, layout.claims)
    return target


def error_text(layout: FolderLayout, relative: Path, filed: Path, reason: str) -> str:
    inbox = layout.root / relative.parent
    sidecar = f" (and {sidecar_of(filed).name}, if there is one)"
    return (
        f"{relative} was not separated.\n\n"
        f"Why: {reason.strip()}\n\n"
        f"To retry: fix the cause above, then move {filed.name}{sidecar}\n"
        f"from {filed.parent}\n"
        f"back into {inbox}\n"
        f"(under the name {relative.name}). You may delete this note.\n"
    )


def _must_exist(claimed: Path) -> None:
    """Checked first: filing must not recreate a hot folder the user deleted meanwhile."""
    if not claimed.exists():
        raise FileNotFoundError(errno.ENOENT, "the claimed file is gone", str(claimed))


def _numbered(path: Path, n: int) -> Path:
    return path if n == 1 else path.with_name(f"{path.stem} ({n}){path.suffix}")


def _free_name(path: Path) -> Path:
    """The first of path, "name (2).ext", … with neither a file nor an error note."""
    n = 1
    while _numbered(path, n).exists() or error_note_of(_numbered(path, n)).exists():
        n += 1
    return _numbered(path, n)


def _move_unique(source: Path, target: Path) -> Path:
    """Move `source` to `target`, or to the next free " (n)" name: never replaces a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        candidate = _numbered(target, n)
        n += 1
        try:
            os.link(source, candidate)  # fails with EEXIST instead of replacing
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            if candidate.exists():
                continue
            os.rename(source, candidate)  # no hard links here: checked name, small race window
            return candidate
        os.unlink(source)
        return candidate


def _move_sidecar(claimed: Path, filed: Path) -> None:
    try:
        os.replace(sidecar_of(claimed), sidecar_of(filed))
    except FileNotFoundError:
        pass


def _prune(folder: Path, stop: Path) -> None:
    """Remove folders left empty by filing, up to (not including) `stop`."""
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
