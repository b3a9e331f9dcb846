"""watchdog glue: turns file-system events in a folder into "look at this path" calls.

Events only say where to look; whether a file is complete is decided by polling its stat (see
stability.py), and a periodic rescan catches what events miss (network shares, overflows).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch


class _Forward(FileSystemEventHandler):
    def __init__(self, notify: Callable[[Path], None]):
        self._notify = notify

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self._notify(Path(raw if isinstance(raw, str) else raw.decode()))


class Watcher:
    """One watchdog observer for all hot folders; watches come and go with their folders."""

    def __init__(self) -> None:
        self._observer = Observer()
        self._observer.daemon = True

    def start(self) -> None:
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)

    def watch(self, root: Path, notify: Callable[[Path], None]) -> ObservedWatch:
        """Watch `root` itself (not its subfolders: done/ and out/ grow a folder per job, and
        inotify watches are a limited resource); raises OSError when it cannot be watched.
        Dropped folders are walked when they appear; later changes inside them show up at the
        next rescan."""
        return self._observer.schedule(_Forward(notify), str(root), recursive=False)

    def unwatch(self, watch: ObservedWatch) -> None:
        """Drop a watch, also one whose folder vanished (its emitter may have stopped already)."""
        try:
            self._observer.unschedule(watch)
        except (KeyError, OSError):
            pass
