"""The hot-folder bridge: watches the configured folders and turns complete files into jobs.

One worker thread does all the work (scan, claim, submit, file); watchdog's thread and the
engine's events only enqueue and wake it, so neither is ever blocked by file I/O. Every file
event is one log line on the `mvsep_bridge.hotfolder` logger.

The life of a file: seen (event or rescan) and complete (inbox.py, stability.py) → claimed
(claim.py) → submitted with the folder's preset and its sidecar, followed, filed when its job is
over (lifecycle.py, sidecar.py, filing.py). Folders follow the daemon's settings (which follow
the config file) and the disk (a folder that disappears is watched again when it comes back,
and its claims are reconciled).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path

from mvsep_bridge.daemon.engine import Engine, HotFolder, JobEvent, JobTracker, JobView, Preset, Settings

from .claim import Busy, claim, owner_id
from .inbox import RESCAN_SECONDS, Complete, Inbox
from .layout import FolderLayout
from .lifecycle import BRIDGE, Claimed, Claims
from .watcher import Watcher

log = logging.getLogger("mvsep_bridge.hotfolder")


class HotFolderBridge:
    name = BRIDGE

    def __init__(self, *, tick: float = 0.2):
        self._tick = tick
        self._engine: Engine | None = None
        self._inboxes: list[Inbox] = []
        self._watcher = Watcher()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._paths: queue.SimpleQueue[tuple[Inbox, Path]] = queue.SimpleQueue()
        self._finished: queue.SimpleQueue[JobView] = queue.SimpleQueue()
        self._tracker: JobTracker | None = None
        self._claims: Claims | None = None
        self._thread: threading.Thread | None = None
        self._owner = ""
        self._settings: Settings | None = None  # the daemon's, as last applied
        self._next_reload = 0.0

    # -- Bridge protocol -------------------------------------------------------------------

    def start(self, engine: Engine) -> None:
        self._engine = engine
        self._owner = owner_id(engine.settings.data_dir)
        self._settings = engine.settings
        self._configure(engine.settings.hot_folders, engine.settings.presets)
        self._tracker = JobTracker(engine, BRIDGE, self._on_event)
        self._claims = Claims(engine, self._tracker)
        self._tracker.start()
        self._watcher.start()
        self._thread = threading.Thread(target=self._run, name="hotfolder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._tracker is not None:
            self._tracker.stop()
        self._watcher.stop()

    # -- settings ------------------------------------------------------------------------------

    def _configure(self, hot_folders: list[HotFolder], presets: dict[str, Preset]) -> None:
        """Make the watched folders those of the settings (at start, and when the config file
        changes: `hotfolder add/remove` and `preset add` apply to a running daemon)."""
        wanted: dict[str, Inbox] = {}
        for config in hot_folders:
            preset = presets.get(config.preset)
            if preset is None:
                known = ", ".join(sorted(presets)) or "none defined"
                log.error(
                    "%s: unknown preset %r (presets: %s); folder not watched. "
                    "Fix: `mvsep-bridge preset add %s --sep-type N` or `mvsep-bridge hotfolder add "
                    "%s --preset NAME`", config.path, config.preset, known, config.preset, config.path,
                )
                continue
            inbox = Inbox.of(config, FolderLayout.of(config.path, config.destination, self._owner), preset)
            wanted[inbox.key] = inbox
        for inbox in list(self._inboxes):
            if inbox.key not in wanted:
                log.info("%s: no longer watched (settings changed)", inbox.label)
                if inbox.watch is not None:
                    self._watcher.unwatch(inbox.watch)
                self._inboxes.remove(inbox)  # its files in flight are still filed when done
        current = {inbox.key for inbox in self._inboxes}
        for key, inbox in wanted.items():
            if key in current:
                continue
            layout = inbox.layout
            if layout.too_broad():
                log.error("%s: every file under it would be taken as input; folder not watched. Fix: "
                          "`mvsep-bridge hotfolder remove %s` and add a folder just for drops", layout.root,
                          layout.root)
                continue
            if layout.stems_among_inputs():
                log.error("%s: destination %s would mix stems with the folder's own files; folder not "
                          "watched. Fix: `mvsep-bridge hotfolder remove` and add it again with another "
                          "--destination", layout.root, layout.destination)
                continue
            self._inboxes.append(inbox)
        watched = ", ".join(str(inbox.layout.root) for inbox in self._inboxes)
        self._engine.announce(BRIDGE, watched or "no folders (mvsep-bridge hotfolder add)")

    def _reload(self) -> None:
        """Follow the daemon's settings, which follow the config file (checked at each rescan)."""
        settings = self._engine.settings
        if settings is not self._settings:
            self._settings = settings
            self._configure(settings.hot_folders, settings.presets)

    # -- callbacks from other threads: enqueue and wake, nothing else -------------------------

    def _on_event(self, event: JobEvent) -> None:
        if event.job.state.final:
            self._finished.put(event.job)
            self._wake.set()

    def _notifier(self, inbox: Inbox):
        def notify(path: Path) -> None:
            if inbox.layout.inbox_relative(path) is not None:
                self._paths.put((inbox, path))
                self._wake.set()

        return notify

    # -- the worker ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception:  # a bug in one step must not end hot folders for the daemon's life
                log.exception("hot folders: unexpected error; going on")
            self._wake.wait(self._tick)
            self._wake.clear()
        for inbox in self._inboxes:
            if inbox.watch is not None:
                self._watcher.unwatch(inbox.watch)

    def _step(self) -> None:
        assert self._claims is not None
        while not self._finished.empty():
            self._claims.finished(self._finished.get())
        while not self._paths.empty():
            inbox, path = self._paths.get()
            inbox.candidates.add(path)
        now = time.monotonic()
        if now >= self._next_reload:
            self._reload()
            self._next_reload = now + RESCAN_SECONDS
        for inbox in self._inboxes:
            if not self._present(inbox):
                continue
            if now >= inbox.next_scan:
                inbox.scan(now)
            for path in sorted(inbox.candidates):
                complete = inbox.examine(path, now)
                if complete is not None:
                    self._take(inbox, complete)
        self._claims.retry_due(now)

    def _present(self, inbox: Inbox) -> bool:
        """Follow the folder: log when it goes away, watch and reconcile when it (re)appears."""
        assert self._claims is not None
        root = inbox.layout.root
        if root.is_dir():
            if inbox.present:
                return True
            try:
                inbox.layout.ensure()
                inbox.watch = self._watcher.watch(root, self._notifier(inbox))
            except OSError as exc:
                if inbox.present is not False:
                    log.error("%s: cannot watch (%s); retrying", inbox.label, exc)
                inbox.present = False
                return False
            log.info(
                "%s: %s (preset %s, stems to %s, settle %.1f s)",
                inbox.label, "watching" if inbox.present is None else "back, watching again",
                inbox.config.preset, inbox.layout.destination, inbox.config.settle_seconds,
            )
            inbox.present = True
            inbox.next_scan = 0.0
            self._claims.reconcile(inbox)
            return True
        if inbox.present is not False:
            log.warning("%s: hot folder is gone (deleted or renamed); waiting for it to reappear", inbox.label)
            if inbox.watch is not None:
                self._watcher.unwatch(inbox.watch)
            inbox.gone()
        inbox.present = False
        return False

    def _take(self, inbox: Inbox, complete: Complete) -> None:
        assert self._claims is not None
        try:
            claimed = claim(inbox.layout, complete.path)
        except Busy:
            inbox.note(complete.path, "waits: a file of the same name is still being processed")
            return
        except OSError as exc:
            inbox.note(complete.path, f"cannot be moved into processing/ ({exc}); will retry", logging.ERROR)
            return
        inbox.taken(complete)
        if claimed is None:
            log.info("%s: %s was taken by another daemon", inbox.label, complete.relative)
            return
        log.info("%s: %s is complete (%d bytes): claimed as %s", inbox.label, complete.relative, complete.size,
                 claimed.relative_to(inbox.layout.root))
        self._claims.submit(Claimed(inbox, claimed))
