"""Commit a job change and tell everyone: the store row first, then the log line, then listeners."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .model import JobEvent, JobState
from .store import Job, JobStore

log = logging.getLogger("mvsep_bridge.jobs")

Listener = Callable[[JobEvent], None]

_KIND = {JobState.DONE: "done", JobState.FAILED: "failed", JobState.CANCELLED: "cancelled"}


class Journal:
    """The only writer of job rows after creation, so no change escapes the log or the listeners."""

    def __init__(self, store: JobStore):
        self.store = store
        self._lock = threading.Lock()
        self._listeners: list[tuple[str | None, Listener]] = []

    def subscribe(self, callback: Listener, job_id: str | None = None) -> Callable[[], None]:
        entry = (job_id, callback)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)

        return unsubscribe

    def commit(self, job_id: str, **changes: Any) -> Job:
        before = self.store.get(job_id).state if "state" in changes else None
        job = self.store.update(job_id, **changes)
        kind = "progress"
        if before is not None and before != job.state:
            detail = job.error or job.message or ""
            log.info("job %s: %s -> %s%s", job.id, before, job.state, f" ({detail})" if detail else "")
            kind = _KIND.get(job.state, "progress")
        self.publish(job, kind)
        return job

    def publish(self, job: Job, kind: str) -> None:
        event = JobEvent(job=job.view(), kind=kind)
        with self._lock:
            listeners = [cb for wanted, cb in self._listeners if wanted in (None, job.id)]
        for callback in listeners:
            try:
                callback(event)
            except Exception:  # a broken listener must not stop the job
                log.exception("event listener failed")
