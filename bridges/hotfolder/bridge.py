"""The hot-folder bridge: watches the configured folders and turns complete files into jobs.

One worker thread does all the work (scan, claim, submit, file); watchdog's thread and the
engine's event callbacks only enqueue and wake it, so neither is ever blocked by file I/O.
Every file event is one log line on the `mvsep_bridge.hotfolder` logger.

The life of a file: seen (event or rescan) → complete (stability.py) → claimed (claim.py) →
submitted with the folder's preset and its sidecar (sidecar.py) → filed when its job is over
(filing.py). Folders follow the config file (re-read when it changes) and the disk (a folder
that disappears is watched again when it comes back, and its claims are reconciled).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError as PydanticValidationError
from watchdog.observers.api import ObservedWatch

from mvsep_bridge.daemon.engine import (
    BridgeError,
    Engine,
    HotFolder,
    JobEvent,
    JobRequest,
    JobState,
    JobTracker,
    JobView,
    Preset,
    ReplyChannel,
    Settings,
    Unreachable,
)

from .claim import Busy, adopt_companions, claim, claimed_files, foreign_claims, owner_id
from .filing import file_done, file_failed
from .layout import SIDECAR_SUFFIX, FolderLayout, is_companion, is_temporary, sidecar_of
from .sidecar import merge, read_sidecar
from .stability import StabilityTracker, openable
from .watcher import Watcher

log = logging.getLogger("mvsep_bridge.hotfolder")

BRIDGE = "hotfolder"
RESCAN_SECONDS = 2.0  # full walk of each inbox: catches what events miss (network shares)
RETRY_SECONDS = 3.0  # filing or submitting that hit a transient error (full disk, engine away)


def file_identity(path: Path) -> str:
    """Survives the claim rename, differs for a later file of the same name (stored in the reply
    channel's address so a restart never confuses a new drop with an old job of that name)."""
    st = path.stat()
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


@dataclass
class _Folder:
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

    @property
    def label(self) -> str:
        return str(self.layout.root)


@dataclass
class _Claimed:
    folder: _Folder
    path: Path  # in processing/<owner>/
    job_id: str | None = None
    outcome: JobView | None = None  # the job's final view, once it is over
    failure: str | None = None  # why it goes to failed/, once known
    retry_at: float = 0.0  # when to try again after a transient error
    retries: int = 0


class HotFolderBridge:
    name = BRIDGE

    def __init__(self, *, tick: float = 0.2):
        self._tick = tick
        self._engine: Engine | None = None
        self._folders: list[_Folder] = []
        self._watcher = Watcher()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._paths: queue.SimpleQueue[tuple[_Folder, Path]] = queue.SimpleQueue()
        self._views: queue.SimpleQueue[JobView] = queue.SimpleQueue()
        self._by_job: dict[str, _Claimed] = {}
        self._retry: list[_Claimed] = []  # to submit or to file again later
        self._tracker: JobTracker | None = None
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
        self._tracker.start()
        self._watcher.start()
        self._thread = threading.Thread(target=self._run, name="hotfolder", daemon=True)
        self._thread.start()

    def _configure(self, hot_folders: list[HotFolder], presets: dict[str, Preset]) -> None:
        """Make the watched folders those of the settings (at start, and when the config file
        changes: `hotfolder add/remove` and `preset add` apply to a running daemon)."""
        wanted: dict[str, tuple[HotFolder, Preset]] = {}
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
            wanted[_key(config, preset)] = (config, preset)
        for folder in list(self._folders):
            if _key(folder.config, folder.preset) not in wanted:
                log.info("%s: no longer watched (settings changed)", folder.label)
                if folder.watch is not None:
                    self._watcher.unwatch(folder.watch)
                self._folders.remove(folder)  # its files in flight are still filed when done
        current = {_key(f.config, f.preset) for f in self._folders}
        for key, (config, preset) in wanted.items():
            if key not in current:
                layout = FolderLayout.of(config.path, config.destination, self._owner)
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
                self._folders.append(_Folder(config, layout, preset, StabilityTracker(config.settle_seconds)))

    def _reload(self) -> None:
        """Follow the daemon's settings, which follow the config file (checked at each rescan)."""
        settings = self._engine.settings
        if settings is not self._settings:
            self._settings = settings
            self._configure(settings.hot_folders, settings.presets)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._tracker is not None:
            self._tracker.stop()
        self._watcher.stop()

    # -- callbacks from other threads: enqueue and wake, nothing else -------------------------

    def _on_event(self, event: JobEvent) -> None:
        if event.job.state.final:
            self._views.put(event.job)
            self._wake.set()

    def _notifier(self, folder: _Folder):
        def notify(path: Path) -> None:
            if folder.layout.inbox_relative(path) is not None:
                self._paths.put((folder, path))
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
        for folder in self._folders:
            if folder.watch is not None:
                self._watcher.unwatch(folder.watch)

    def _step(self) -> None:
        while not self._views.empty():
            view = self._views.get()
            claimed = self._by_job.get(view.id)
            if claimed is not None:
                claimed.outcome = view
                self._file(claimed)
        while not self._paths.empty():
            folder, path = self._paths.get()
            folder.candidates.add(path)
        now = time.monotonic()
        if now >= self._next_reload:
            self._reload()
            self._next_reload = now + RESCAN_SECONDS
        for folder in self._folders:
            if not self._present(folder):
                continue
            if now >= folder.next_scan:
                self._scan(folder, now)
            for path in sorted(folder.candidates):
                self._examine(folder, path, now)
        for item in [c for c in self._retry if c.retry_at <= now]:
            self._retry.remove(item)
            if item.failure is not None:
                self._fail(item, item.failure)
            elif item.outcome is not None:
                self._file(item)
            else:
                self._submit(item)

    def _present(self, folder: _Folder) -> bool:
        """Follow the folder: log when it goes away, watch and reconcile when it (re)appears."""
        root = folder.layout.root
        if root.is_dir():
            if folder.present:
                return True
            try:
                folder.layout.ensure()
                folder.watch = self._watcher.watch(root, self._notifier(folder))
            except OSError as exc:
                if folder.present is not False:
                    log.error("%s: cannot watch (%s); retrying", folder.label, exc)
                folder.present = False
                return False
            log.info(
                "%s: %s (preset %s, stems to %s, settle %.1f s)",
                folder.label, "watching" if folder.present is None else "back, watching again",
                folder.config.preset, folder.layout.destination, folder.config.settle_seconds,
            )
            folder.present = True
            folder.next_scan = 0.0
            self._reconcile(folder)
            return True
        if folder.present is not False:
            log.warning("%s: hot folder is gone (deleted or renamed); waiting for it to reappear", folder.label)
            if folder.watch is not None:
                self._watcher.unwatch(folder.watch)
            folder.watch = None
            folder.candidates.clear()
            folder.tracker = StabilityTracker(folder.config.settle_seconds)
        folder.present = False
        return False

    def _scan(self, folder: _Folder, now: float) -> None:
        layout = folder.layout
        reserved = set(layout.reserved())
        for current, dirs, names in os.walk(layout.root):
            here = Path(current)
            dirs[:] = [d for d in dirs if here / d not in reserved and not is_temporary(d)]
            folder.candidates.update(here / name for name in names)
        folder.noted = {p for p in folder.noted if p.exists() or p.is_symlink()}
        self._remove_emptied(folder)
        folder.next_scan = now + RESCAN_SECONDS

    def _remove_emptied(self, folder: _Folder) -> None:
        """Dropped folders we emptied go once they stayed empty for the settle time (a copier
        may still be about to create the next file in them)."""
        before_our_rmdir: dict[Path, float] = {}  # our own rmdir of a child is not activity
        for directory in sorted(folder.emptied, key=lambda p: len(p.parts), reverse=True):
            try:
                quiet_since = before_our_rmdir.get(directory, directory.stat().st_mtime)
                if any(directory.iterdir()) or time.time() - quiet_since < folder.config.settle_seconds:
                    continue
                parent_mtime = directory.parent.stat().st_mtime
                directory.rmdir()
                before_our_rmdir[directory.parent] = parent_mtime
                log.info("%s: removed the emptied folder %s", folder.label, directory.relative_to(folder.layout.root))
            except OSError:
                pass
            folder.emptied.discard(directory)

    def _note(self, folder: _Folder, path: Path, message: str, level: int = logging.INFO) -> None:
        """Log a waiting/ignored state once per path, not once per tick."""
        if path not in folder.noted:
            folder.noted.add(path)
            log.log(level, "%s: %s %s", folder.label, path.relative_to(folder.layout.root), message)

    def _drop(self, folder: _Folder, path: Path) -> None:
        folder.candidates.discard(path)
        folder.tracker.forget(path)

    def _examine(self, folder: _Folder, path: Path, now: float) -> None:
        relative = folder.layout.inbox_relative(path)
        if relative is None:
            if any(is_temporary(part) for part in path.relative_to(folder.layout.root).parts):
                self._note(folder, path, "ignored: temporary or hidden name", logging.DEBUG)
            self._drop(folder, path)
            return
        try:
            stat = path.stat()  # a link to a file counts as the file (the link is what moves)
        except FileNotFoundError:
            self._drop(folder, path)
            return
        if path.is_dir():
            self._drop(folder, path)
            if path.is_symlink():  # its files live elsewhere: moving them out is not ours to do
                self._note(folder, path, "ignored: a link to a folder (drop the folder itself)", logging.WARNING)
                return
            for current, _dirs, names in os.walk(path):
                folder.candidates.update(Path(current) / name for name in names)
            return
        if is_companion(path.name):
            self._drop(folder, path)  # sidecars and error notes travel with their file
            audio = path.with_name(path.name[: -len(SIDECAR_SUFFIX)])
            if path.name.lower().endswith(SIDECAR_SUFFIX) and not audio.exists():
                self._note(folder, path, f"is a sidecar waiting for its file {audio.name}")
            return
        if not path.is_file():
            self._note(folder, path, "ignored: not a regular file", logging.WARNING)
            self._drop(folder, path)
            return
        if path not in folder.tracker:
            log.info("%s: %s arrived (%d bytes)", folder.label, relative, stat.st_size)
        if not folder.tracker.observe(path, stat, now) or self._sidecar_settling(folder, path):
            return
        try:
            unlocked = openable(path)
        except FileNotFoundError:
            self._drop(folder, path)
            return
        if not unlocked:
            self._note(folder, path, "is complete but cannot be opened yet (locked?); waiting")
            return
        self._take(folder, path, relative, stat.st_size)

    @staticmethod
    def _sidecar_settling(folder: _Folder, path: Path) -> bool:
        """A sidecar written in place just now may not be complete: its file waits for it."""
        try:
            age = time.time() - sidecar_of(path).stat().st_mtime
        except OSError:
            return False
        return age < folder.config.settle_seconds

    def _take(self, folder: _Folder, path: Path, relative: Path, size: int) -> None:
        try:
            claimed = claim(folder.layout, path)
        except Busy:
            self._note(folder, path, "waits: a file of the same name is still being processed")
            return
        except OSError as exc:
            self._note(folder, path, f"cannot be moved into processing/ ({exc}); will retry", logging.ERROR)
            return
        self._drop(folder, path)
        folder.noted.discard(path)
        if claimed is None:
            log.info("%s: %s was taken by another daemon", folder.label, relative)
            return
        if relative.parent != Path("."):
            folder.emptied.update(p for p in path.parents if folder.layout.root in p.parents)
        log.info("%s: %s is complete (%d bytes): claimed as %s", folder.label, relative, size,
                 claimed.relative_to(folder.layout.root))
        self._submit(_Claimed(folder, claimed))

    def _request(self, item: _Claimed) -> JobRequest:
        layout = item.folder.layout  # an empty or non-audio file: the engine refuses it, saying so
        chosen = merge(item.folder.preset, read_sidecar(item.path))
        fields = {"output_format": chosen.output_format} if chosen.output_format is not None else {}
        return JobRequest(
            source=item.path,
            sep_type=chosen.sep_type,
            options=chosen.options,
            destination=layout.stems_destination(layout.claimed_relative(item.path)),
            reply=ReplyChannel(bridge=BRIDGE, address=file_identity(item.path), tag=str(item.path)),
            **fields,
        )

    def _submit(self, item: _Claimed) -> None:
        assert self._engine is not None
        name = item.folder.layout.claimed_relative(item.path)
        try:
            view = self._engine.submit(self._request(item))
        except FileNotFoundError:
            log.warning("%s: %s vanished before it was submitted", item.folder.label, name)
            return
        except Unreachable as exc:
            self._later(item, f"{name} not submitted yet ({exc.message})")
            return
        except (BridgeError, PydanticValidationError, OSError) as exc:
            self._fail(item, _reason(exc))
            return
        item.job_id = view.id
        self._by_job[view.id] = item
        log.info("%s: %s submitted as job %s", item.folder.label, name, view.id)
        if view.state.final:
            item.outcome = view
            self._file(item)

    def _reconcile(self, folder: _Folder) -> None:
        """After a (re)start: claims of ours either have a job (follow it) or never got one."""
        assert self._tracker is not None
        layout = folder.layout
        jobs: dict[tuple[str, str | None], JobView] = {}
        for view in self._tracker.jobs():  # newest first: keep the newest per claim
            reply = view.request.reply
            if reply.tag:
                jobs.setdefault((reply.tag, reply.address), view)
        tracked = {item.path for item in [*self._by_job.values(), *self._retry]}
        for path in claimed_files(layout):
            if path in tracked:
                continue
            relative = layout.claimed_relative(path)
            if not (layout.root / relative).exists():
                adopt_companions(layout.root / relative, path)  # a crash between the two renames
            item = _Claimed(folder, path)
            try:
                view = jobs.get((str(path), file_identity(path)))
            except FileNotFoundError:
                continue
            if view is None:
                log.info("%s: %s was claimed but never submitted; submitting it now", folder.label, relative)
                self._submit(item)
                continue
            item.job_id = view.id
            self._by_job[view.id] = item
            log.info("%s: %s resumes as job %s (%s)", folder.label, relative, view.id, view.state.value)
            if view.state.final:
                item.outcome = view
                self._file(item)
        for other in foreign_claims(layout):
            log.info("%s: %s holds another daemon's claims; left to it", folder.label, other.relative_to(layout.root))

    def _file(self, item: _Claimed) -> None:
        """File a claim whose job is over: done/ on success, failed/ with the job's error."""
        view = item.outcome
        assert view is not None
        if item.job_id is not None:
            self._by_job.pop(item.job_id, None)
        if view.state is not JobState.DONE:
            self._fail(item, _job_reason(view))
            return
        folder = item.folder
        name = folder.layout.claimed_relative(item.path)
        try:
            filed = file_done(folder.layout, item.path)
        except FileNotFoundError:
            log.warning("%s: %s vanished (folder deleted or renamed?); nothing to file", folder.label, name)
            return
        except OSError as exc:
            self._later(item, f"cannot file {name} ({exc})")
            return
        self._engine.source_moved(view.id, filed)
        log.info("%s: %s done: %d stem(s) in %s; source moved to %s", folder.label, name,
                 len(view.stems), view.result_dir, filed.relative_to(folder.layout.root))

    def _fail(self, item: _Claimed, reason: str) -> None:
        folder = item.folder
        name = folder.layout.claimed_relative(item.path)
        item.failure = reason
        try:
            filed = file_failed(folder.layout, item.path, reason)
        except FileNotFoundError:
            log.warning("%s: %s vanished before it could be filed as failed", folder.label, name)
            return
        except OSError as exc:
            self._later(item, f"{name} failed ({reason.splitlines()[0]}) but cannot be filed ({exc})")
            return
        log.info("%s: %s failed: %s; moved to %s", folder.label, name, reason.splitlines()[0],
                 filed.relative_to(folder.layout.root))

    def _later(self, item: _Claimed, problem: str) -> None:
        """Try again in RETRY_SECONDS; said once, not every retry (it may last: a full disk)."""
        level = logging.ERROR if item.retries == 0 else logging.DEBUG
        log.log(level, "%s: %s; retrying every %.0f s", item.folder.label, problem, RETRY_SECONDS)
        item.retries += 1
        item.retry_at = time.monotonic() + RETRY_SECONDS
        self._retry.append(item)


def _key(config: HotFolder, preset: Preset) -> str:
    return config.model_dump_json() + preset.model_dump_json()


def _reason(exc: Exception) -> str:
    if isinstance(exc, PydanticValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _job_reason(view: JobView) -> str:
    if view.state is JobState.CANCELLED:
        return f"job {view.id} was cancelled" + (f": {view.error}" if view.error else "")
    return f"job {view.id} failed: {view.error or view.message or 'no reason given'}"
