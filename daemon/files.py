"""Files that appear whole or not at all (results, manifests, settings, the daemon's address):
written to a hidden temp file beside the target (same filesystem), fsynced, renamed over it, and
the folder fsynced, so a crash or a full disk never leaves half a file under the real name."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path, mode: int = 0o666) -> Iterator[Path]:
    """A temp path to write; when the block ends without an error it becomes `path`. `mode` is
    applied with the umask, as for any new file (0o600: only its owner may read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # short and unique: fits beside a name near NAME_MAX, and two writers never share it
    tmp = path.parent / f".{path.name[:40]}.{secrets.token_hex(6)}.part"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
    try:
        yield tmp
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_text(path: Path, text: str, mode: int = 0o666) -> None:
    with replacing(path, mode) as tmp:
        tmp.write_text(text, encoding="utf-8")


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
