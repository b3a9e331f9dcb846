"""JobTracker: the part every bridge that follows its own jobs needs (hot folders, OSC, REAPER).

It hears the engine's events, keeps those of one bridge's jobs (`request.reply.bridge`), and hands
them to the bridge on a thread of its own, in order, so the bridge may do I/O (write a file, send
a datagram) without holding up the engine. A final event reaches the bridge once per process.
`start()` returns the bridge's jobs as the store has them, for reconciling after a restart: final
ones the bridge may not have reported yet, unfinished ones whose events will follow.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .jobs.model import JobEvent, JobView

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger("mvsep_bridge.bridges")


class JobTracker:
    def __init__(self, engine: Engine, bridge: str, on_event: Callable[[JobEvent], None]):
        self.engine = engine
        self.bridge = bridge
        self._on_event = on_event
        self._events: queue.Queue[JobEvent | None] = queue.Queue()
        self._tags: dict[str, str] = {}  # tag -> newest job id
        self._reported: set[str] = set()  # jobs whose final event went out
        self._lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None
        self._thread = threading.Thread(target=self._deliver, name=f"{bridge}-events", daemon=True)

    def start(self) -> list[JobView]:
        """Listen first, then list: no event falls between the two."""
        self._unsubscribe = self.engine.subscribe(self._events.put)
        self._thread.start()
        mine = self.jobs()
        for view in reversed(mine):  # oldest first, so the newest job wins a reused tag
            self._remember(view)
        return mine

    def jobs(self) -> list[JobView]:
        """This bridge's jobs, newest first."""
        return [v for v in self.engine.jobs() if v.request.reply.bridge == self.bridge]

    def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        self._events.put(None)
        if self._thread.is_alive():
            self._thread.join(5.0)

    def by_tag(self, tag: str) -> JobView | None:
        """The newest job this bridge submitted with `tag`."""
        with self._lock:
            job_id = self._tags.get(tag)
        return self.engine.get(job_id) if job_id else None

    def mark_reported(self, job_id: str) -> None:
        """The bridge reported this job's end by itself (e.g. while reconciling at start)."""
        with self._lock:
            self._reported.add(job_id)

    def _remember(self, view: JobView) -> None:
        if view.request.reply.tag:
            with self._lock:
                self._tags[view.request.reply.tag] = view.id

    def _deliver(self) -> None:
        while (event := self._events.get()) is not None:
            if event.job.request.reply.bridge != self.bridge:
                continue
            self._remember(event.job)
            if event.job.state.final:
                with self._lock:
                    if event.job.id in self._reported:
                        continue
                    self._reported.add(event.job.id)
            try:
                self._on_event(event)
            except Exception:  # one bad event must not end the bridge's reporting
                log.exception("bridge %s could not handle %s of job %s", self.bridge, event.kind, event.job.id)
