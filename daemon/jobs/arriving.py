"""A result file still being downloaded, read as its bytes arrive.

The download stage measures the stems' lag while they download (decoding and resampling
overlap the link instead of following it); the decoders read each file through an ArrivingFile
as if it were whole: a read past the bytes on disk waits for more until the fetch has ended. A
backend's fetch appends to part_path(dest) and renames it to `dest` when whole (Backend.fetch); an
open descriptor survives that rename. A fetch that fails ends the file where it broke (the
decoder sees a short file; the fetch's own error is what the stage reports), and one that starts
its `.part` over as a new file (a stale part of some other file) is caught by `read_whole`: in
both cases what was read is not the file, and the finish measures again.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

from ..client.download import part_path

#: s between looks at the file when no progress report wakes the reader (a server that sends
#: no length gives none)
POLL = 0.05


class ArrivingFile(io.RawIOBase):
    """`dest` as its fetch writes it (`size` bytes when the server said so), for one reader.

    The fetch's side calls `arrived()` when bytes were written and `ended()` once it is over,
    whether or not it succeeded."""

    def __init__(self, dest: Path, size: int | None = None):
        super().__init__()
        self.name = str(dest)  # decoders guess the format from it
        self._dest, self._size = dest, size
        self._changed = threading.Condition()
        self._ended = False
        self._fd: int | None = None
        self._pos = 0

    # --- the fetch's side ---------------------------------------------------------------------
    def arrived(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def ended(self) -> None:
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    # --- the reader's side --------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        """Fills `buffer` as a whole file would: short only at the file's end (libsndfile takes a
        short read for the end)."""
        view = memoryview(buffer).cast("B")
        got = 0
        while got < len(view):
            count = self._read_some(view[got:])
            if not count:
                break
            got += count
        return got

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        else:
            self._pos = self._length() + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        super().close()

    def read_whole(self) -> bool:
        """Whether the bytes read came from the file the fetch left at `dest` (not from a part it
        replaced by another): compare once the fetch has ended well."""
        if self._fd is None:
            return True  # nothing was read
        try:
            final, mine = os.stat(self._dest), os.fstat(self._fd)
        except OSError:
            return False
        return (final.st_dev, final.st_ino) == (mine.st_dev, mine.st_ino)

    def _read_some(self, view: memoryview) -> int:
        while True:
            with self._changed:
                ended = self._ended
            fd = self._open()
            count = os.preadv(fd, [view], self._pos) if fd is not None else 0
            # `ended` was read before the read: every byte written before it ended has been seen
            if count or ended:
                self._pos += count
                return count
            with self._changed:
                if not self._ended:
                    self._changed.wait(POLL)

    def _open(self) -> int | None:
        if self._fd is None:
            for path in (part_path(self._dest), self._dest):
                try:
                    self._fd = os.open(path, os.O_RDONLY)
                    break
                except FileNotFoundError:
                    continue
        return self._fd

    def _length(self) -> int:
        if self._size is not None:
            return self._size
        with self._changed:  # no length from the server: known once the fetch has ended
            while not self._ended:
                self._changed.wait(POLL)
        fd = self._open()
        return os.fstat(fd).st_size if fd is not None else 0
