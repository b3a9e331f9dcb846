"""JobEngine: the daemon's implementation of `daemon.engine.Engine` (store + pipeline + scheduler).

One engine per data_dir: it holds an exclusive lock on data_dir/engine.lock for its lifetime, so a
second daemon (or an in-process `separate`) can never run the same jobs twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import soundfile as sf

from ..audio.read import check_source
from ..audio.section import frame_span
from ..backends import make_backend
from ..backends.base import Backend
from ..errors import BridgeError, UsageError
from ..settings import Settings
from .events import Journal
from .model import JobEvent, JobRequest, JobView
from .pipeline import Pipeline, check_result_folder, result_folder
from .scheduler import Scheduler
from .store import JobStore

log = logging.getLogger("mvsep_bridge.jobs")

STORE_FILE = "jobs.sqlite3"
LOCK_FILE = "engine.lock"


class EngineBusy(BridgeError):
    """Another engine (a daemon) runs on this data_dir."""

    exit_code = 3


def lock_data_dir(data_dir: Path) -> int:
    """Take data_dir's engine lock (released when the process ends, even by kill -9)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise EngineBusy(
            f"another mvsep-bridge process (a daemon, or a `separate` without one) runs the jobs in {data_dir}",
            hint="wait for it to finish, or run `mvsep-bridge daemon` so every command shares one engine",
        ) from None
    return fd


class JobEngine:
    def __init__(self, settings: Settings, backend: Backend | None = None):
        self.settings = settings
        data_dir = settings.data_dir
        self._lock_fd = lock_data_dir(data_dir)
        self.store = JobStore(data_dir / STORE_FILE)
        self.journal = Journal(self.store)
        self.backend = backend or make_backend(settings)
        self.pipeline = Pipeline(self.journal, self.backend, data_dir / "work", settings.budget,
                                 settings.section_margin_seconds)
        self.scheduler = Scheduler(self.pipeline)
        self._started = False

    def start(self) -> JobEngine:
        if not self._started:
            self._started = True
            self.scheduler.start()
            log.info("engine started on %s with the %s backend", self.settings.data_dir, self.backend.name)
        return self

    def close(self) -> None:
        if self._started:  # a one-off command (cancel, status) never started the workers
            self.scheduler.stop()
        self.backend.close()
        self.store.close()
        os.close(self._lock_fd)

    def __enter__(self) -> JobEngine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- Engine protocol ----------------------------------------------------------------------
    def submit(self, request: JobRequest) -> JobView:
        source = request.source
        check_source(source)
        _check_writable(request.destination or source.parent)
        check_result_folder(result_folder(request))
        seconds = _section_seconds(request)
        if seconds is not None:  # refuse a bad algorithm or an over-budget job before queueing it
            # (an unreachable server or a bad token surfaces here too: the caller decides to retry)
            plan = self.backend.plan(request, seconds)
            self.pipeline.check_budget(plan.credits)
        job = self.store.add(request, backend=self.backend.name)
        log.info("job %s: queued %s", job.id, source.name)
        self.journal.publish(job, "accepted")
        self.scheduler.route(job)
        return job.view()

    def get(self, job_id: str) -> JobView:
        return self.store.get(job_id).view()

    def jobs(self) -> list[JobView]:
        return [job.view() for job in self.store.all()]

    def cancel(self, job_id: str, wait: float = 10.0) -> JobView:
        job = self.store.get(job_id)
        if job.state.final:
            return job.view()
        job = self.journal.commit(job_id, cancel_requested=True, message="cancelling")
        if not self._started:  # a one-off command: no workers to hand it to
            self.scheduler.cancel(job)
            return self.get(job_id)
        self.scheduler.kick(job_id)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            job = self.store.get(job_id)
            if job.state.final:
                break
            time.sleep(0.05)
        return job.view()

    def subscribe(self, callback: Callable[[JobEvent], None], job_id: str | None = None) -> Callable[[], None]:
        return self.journal.subscribe(callback, job_id)

    # --- helpers for in-process callers -------------------------------------------------------
    def wait(self, job_ids: list[str], timeout: float | None = None) -> list[JobView]:
        """Block until every job is final; returns their views."""
        done = threading.Event()

        def check(_event: JobEvent | None = None) -> None:
            if all(self.store.get(i).state.final for i in job_ids):
                done.set()

        unsubscribe = self.subscribe(check)
        try:
            check()
            done.wait(timeout)
        finally:
            unsubscribe()
        return [self.get(i) for i in job_ids]


def _section_seconds(request: JobRequest) -> float | None:
    """The section's duration when the header tells it cheaply (wav, flac, aiff, ogg), else None:
    prepare decodes the file anyway and reports what is wrong with it."""
    try:
        info = sf.info(str(request.source))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return None
    if info.frames <= 0:
        return None
    _, frames = frame_span(request.start, request.length, int(info.samplerate), int(info.frames))
    return frames / info.samplerate


def _check_writable(folder: Path) -> None:
    """Refuse a destination the stems could never be written to before the job runs (and spends)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        problem = None if os.access(folder, os.W_OK) else "permission denied"
    except OSError as exc:
        problem = exc.strerror or str(exc)
    if problem:
        raise UsageError(f"cannot write the stems to {folder}: {problem}",
                         hint="choose a folder you can write to (--out, or the hot folder's destination)")
