"""What a bridge may ask of the engine: the only door from bridges/ into daemon/.

The daemon implements `Engine`; bridges receive one in `Bridge.start` and never import engine
internals (store, pipeline, scheduler, backends).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .jobs.model import JobEvent, JobRequest, JobView
from .settings import Settings

Unsubscribe = Callable[[], None]


class Engine(Protocol):
    settings: Settings

    def submit(self, request: JobRequest) -> JobView:
        """Validate, persist and queue a job. Raises UsageError (incl. ValidationError,
        BudgetError, AudioError) with a message naming the problem and the fix."""

    def get(self, job_id: str) -> JobView:
        """One job; raises UsageError for an unknown id."""

    def jobs(self) -> list[JobView]:
        """All jobs the store knows, newest first."""

    def cancel(self, job_id: str) -> JobView:
        """Cancel a job (remote cancel + refund where the backend allows)."""

    def subscribe(self, callback: Callable[[JobEvent], None], job_id: str | None = None) -> Unsubscribe:
        """Call `callback` on every event (of one job, or of all); returns the unsubscriber.
        Callbacks run on an engine thread and must not block."""


class Bridge(Protocol):
    """A way in (hot folders, OSC, REAPER spool, audio devices), run inside the daemon."""

    name: str

    def start(self, engine: Engine) -> None: ...

    def stop(self) -> None: ...
