"""ReaperBridge: the daemon's side of the spool (protocol in the package docstring).

One worker thread does all file work: it takes request files, submits them, writes status files
from the engine's events (the engine's callback only enqueues), keeps the heartbeat fresh and
writes the catalog for the scripts' menu.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import threading
import time
from pathlib import Path

from pydantic import ValidationError as PydanticValidationError

from mvsep_bridge.daemon.engine import (
    BridgeError,
    Engine,
    JobEvent,
    JobRequest,
    JobState,
    JobView,
    ReplyChannel,
    Unreachable,
    Unsubscribe,
)

from .catalog import catalog_entries
from .protocol import (
    PROTOCOL,
    REQUEST,
    REQUEST_ID,
    CancelRequest,
    GenerateRequest,
    Layout,
    OtherFile,
    SeparateRequest,
    Status,
    StemFile,
    spool_dir,
    write_atomic,
)

log = logging.getLogger("mvsep_bridge.reaper")

BRIDGE = "reaper"
HEARTBEAT_SECONDS = 2.0
CATALOG_SECONDS = 600.0
SETTLE_SECONDS = 2.0  # an unreadable request this young may still be being written by hand
RETRY_SECONDS = 3.0  # the engine was unreachable: try the request again


class ReaperBridge:
    name = BRIDGE

    def __init__(self, *, spool: Path | None = None, tick: float = 0.1):
        self._spool = spool
        self._tick = tick
        self._engine: Engine | None = None
        self._layout: Layout | None = None
        self._views: queue.SimpleQueue[JobView] = queue.SimpleQueue()
        self._jobs: dict[str, str] = {}  # request id -> job id
        self._final: set[str] = set()  # request ids whose final status is written
        self._retry_at: dict[str, float] = {}
        self._unsubscribe: Unsubscribe | None = None
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_heartbeat = 0.0
        self._next_catalog = 0.0

    # -- Bridge protocol ---------------------------------------------------------------------

    def start(self, engine: Engine) -> None:
        self._engine = engine
        self._layout = Layout(self._spool or spool_dir(engine.settings.data_dir))
        self._layout.ensure()
        self._unsubscribe = engine.subscribe(self._on_event)
        self._reconcile()
        engine.announce(BRIDGE, str(self._layout.root))
        self._thread = threading.Thread(target=self._run, name="reaper-spool", daemon=True)
        self._thread.start()
        log.info("REAPER spool at %s", self._layout.root)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._layout is not None:
            self._layout.heartbeat.unlink(missing_ok=True)  # the scripts say "not running" at once

    def _on_event(self, event: JobEvent) -> None:
        reply = event.job.request.reply
        if reply.bridge == BRIDGE and self._layout and reply.address == str(self._layout.root):
            self._views.put(event.job)
            self._wake.set()

    # -- the worker ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception:  # one bad step must not end the spool for the daemon's life
                log.exception("REAPER spool: unexpected error; going on")
            self._wake.wait(self._tick)
            self._wake.clear()

    def _step(self) -> None:
        while not self._views.empty():
            self._report(self._views.get())
        now = time.monotonic()
        if now >= self._next_heartbeat:
            write_atomic(self._layout.heartbeat, {"protocol": PROTOCOL, "pid": os.getpid(), "time": time.time()})
            self._next_heartbeat = now + HEARTBEAT_SECONDS
        if now >= self._next_catalog:
            self._write_catalog()
            self._next_catalog = now + CATALOG_SECONDS
        for path in sorted(self._layout.requests.glob("*.json")):
            if self._retry_at.get(path.name, 0.0) <= now:
                self._take(path)

    def _reconcile(self) -> None:
        """After a (re)start: know our jobs, and bring status files up to date with them (a
        status file the script already consumed is not written again)."""
        for view in reversed(self._engine.jobs()):  # oldest first: the newest job of a tag wins
            reply = view.request.reply
            if reply.bridge != BRIDGE or reply.address != str(self._layout.root) or not reply.tag:
                continue
            self._jobs[reply.tag] = view.id
            status = self._layout.status_of(reply.tag)
            if not view.state.final or (status.exists() and _state_in(status) != view.state.value):
                self._report(view)

    def _write_catalog(self) -> None:
        try:
            entries = catalog_entries(self._engine.algorithms())
            write_atomic(self._layout.catalog, {"protocol": PROTOCOL, "algorithms": entries})
        except (BridgeError, OSError) as exc:
            log.warning("cannot write the REAPER catalog (%s); retrying in %.0f s", exc, CATALOG_SECONDS)

    # -- requests ------------------------------------------------------------------------------

    def _take(self, path: Path) -> None:
        request_id = path.stem
        if not re.match(REQUEST_ID, request_id):  # no status can be named after it
            log.warning("request file %s: the name is not a request id; moved to %s", path.name, self._layout.rejected)
            os.replace(path, self._layout.rejected / path.name)
            return
        try:
            text = path.read_text(encoding="utf-8")
            request = REQUEST.validate_json(text)
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError, PydanticValidationError) as exc:
            if _age(path) < SETTLE_SECONDS:
                return  # maybe not complete yet (a writer that does not rename)
            self._reject(path, request_id, _reason(exc),
                         "the scripts write requests atomically; a hand-written one must follow the "
                         "spool protocol (bridges/reaper/__init__.py)")
            return
        if request.id != request_id:
            self._reject(path, request_id, f"the file name {path.name} does not match its id {request.id!r}",
                         "name request files <id>.json")
            return
        if isinstance(request, CancelRequest):
            self._cancel(request)
            path.unlink(missing_ok=True)
            return
        self._submit(path, request)

    def _submit(self, path: Path, request: SeparateRequest | GenerateRequest) -> None:
        if request.id in self._jobs:  # taken before a crash: never a second job
            self._report(self._engine.get(self._jobs[request.id]))
            path.unlink(missing_ok=True)
            return
        fields = {"output_format": request.output_format} if request.output_format is not None else {}
        if isinstance(request, SeparateRequest):
            fields.update(source=request.source, start=request.start, length=request.length)
        try:  # a generate request has no source: its text options are the input
            job = JobRequest(
                sep_type=request.sep_type, options=request.options, destination=request.destination,
                reply=ReplyChannel(bridge=BRIDGE, address=str(self._layout.root), tag=request.id), **fields)
            view = self._engine.submit(job)
        except Unreachable as exc:
            log.warning("request %s waits: %s", request.id, exc.message)
            self._retry_at[path.name] = time.monotonic() + RETRY_SECONDS
            return
        except BridgeError as exc:
            self._reject(path, request.id, exc.message, exc.hint)
            return
        except (PydanticValidationError, OSError) as exc:
            self._reject(path, request.id, _reason(exc), None)
            return
        self._retry_at.pop(path.name, None)
        self._jobs[request.id] = view.id
        log.info("request %s (%s) is job %s", request.id, request.label or request.kind, view.id)
        self._report(view)
        path.unlink(missing_ok=True)

    def _cancel(self, request: CancelRequest) -> None:
        job_id = self._jobs.get(request.target)
        if job_id is None:
            pending = self._layout.requests / f"{request.target}.json"
            if pending.exists():  # not taken yet: it never becomes a job
                pending.unlink(missing_ok=True)
                self._write(Status(id=request.target, state=JobState.CANCELLED.value,
                                   message="cancelled before it was sent"))
            return
        try:
            self._engine.cancel(job_id)
        except BridgeError as exc:
            log.info("cancel of %s (job %s): %s", request.target, job_id, exc.message)

    def _reject(self, path: Path, request_id: str, error: str, hint: str | None) -> None:
        log.warning("request %s refused: %s", path.name, error)
        try:
            os.replace(path, self._layout.rejected / path.name)  # kept for the user to look at
        except FileNotFoundError:
            return
        self._write(Status(id=request_id, state="rejected", error=error, hint=hint))

    # -- status files ----------------------------------------------------------------------------

    def _report(self, view: JobView) -> None:
        tag = view.request.reply.tag
        if not tag or tag in self._final:
            return  # a late event after the final one: the script may have consumed the file
        stems, others = [], []
        if view.state is JobState.DONE and view.result_dir:
            folder = Path(view.result_dir)
            stems = [StemFile(name=s.name, path=folder / s.file, sample_rate=s.sample_rate, frames=s.frames)
                     for s in view.stems]
            others = [OtherFile(name=f.name, path=folder / f.file, kind=f.kind) for f in view.other_files]
        self._write(Status(
            id=tag, job=view.id, state=view.state.value, message=view.message, error=view.error,
            progress=view.progress, queue_position=view.queue_position, queue_count=view.queue_count,
            chunks_done=view.chunks_done, chunks_total=view.chunks_total, credits=view.credits,
            result_dir=view.result_dir, stems=stems, other_files=others))
        if view.state.final:
            self._final.add(tag)

    def _write(self, status: Status) -> None:
        try:
            write_atomic(self._layout.status_of(status.id), status)
        except OSError as exc:
            log.error("cannot write the status of %s (%s)", status.id, exc)


def _state_in(path: Path) -> str | None:
    try:
        return Status.model_validate_json(path.read_text(encoding="utf-8")).state
    except (OSError, ValueError):
        return None


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _reason(exc: Exception) -> str:
    if isinstance(exc, PydanticValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors())
    return str(exc)
