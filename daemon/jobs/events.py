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


#: fields whose change alone is not news to a listener
_QUIET = {"updated_at"}


class Journal:
    """Commits job changes and tells the log and the listeners. The pipeline and the scheduler
    write job rows through it (the store is written directly only for a row nobody follows, such
    as an earlier job the ledger marks expired). Listeners hear `progress` only when something
    they can see changed."""

    def __init__(self, store: JobStore):
        self.store = store
        self._lock = threading.Lock()
        self._order = threading.RLock()  # commits and their events in one order for everyone
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
        # one commit at a time, row and event together: two threads changing a job (the poller
        # and a worker) must not tell listeners the older state last
        with self._order:
            return self._commit(job_id, **changes)

    def _commit(self, job_id: str, **changes: Any) -> Job:
        before = self.store.get(job_id)
        if changes.get("state", before.state) != before.state and "progress" not in changes:
            changes["progress"] = None  # "within the current state": the last one's is not this one's
        job = self.store.update(job_id, **changes)
        kind = "progress"
        if before.state != job.state:
            detail = job.error or job.message or ""
            log.info("job %s: %s -> %s%s", job.id, before.state, job.state, f" ({detail})" if detail else "")
            kind = _KIND.get(job.state, "progress")
        elif _seen(before) == _seen(job):
            return job  # nothing a listener could see changed (e.g. a repeated poll answer)
        self._publish(job, kind)
        return job

    def publish(self, job: Job, kind: str) -> None:
        with self._order:
            self._publish(job, kind)

    def _publish(self, job: Job, kind: str) -> None:
        event = JobEvent(job=job.view(), kind=kind)
        with self._lock:
            listeners = [cb for wanted, cb in self._listeners if wanted in (None, job.id)]
        for callback in listeners:
            try:
                callback(event)
            except Exception:  # a broken listener must not stop the job
                log.exception("event listener failed")


def _seen(job: Job) -> dict:
    # the view, not the row: a change of a field the view does not show (the poller's bookkeeping)
    # is no news to a listener
    return job.view().model_dump(exclude=_QUIET)
