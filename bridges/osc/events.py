"""Job events → OSC messages to the job's client and to every subscriber, progress throttled.

The engine's callback only enqueues (it runs on an engine thread and must not block); this pump's
own thread throttles and sends.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from mvsep_bridge.daemon.engine import JobEvent, JobView

from . import replies
from .routing import Target
from .throttle import ProgressThrottle

log = logging.getLogger("mvsep_bridge.osc")

Send = Callable[[replies.Reply, set[Target]], None]


class EventPump:
    def __init__(self, targets: Callable[[JobView], set[Target]], send: Send):
        self._targets = targets
        self._send = send
        self._events: queue.SimpleQueue[JobEvent | None] = queue.SimpleQueue()
        self._throttle: ProgressThrottle[JobView] = ProgressThrottle()
        self._thread = threading.Thread(target=self._run, name="osc-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._events.put(None)
        self._thread.join(timeout=5)

    def on_event(self, event: JobEvent) -> None:
        """The engine's callback."""
        self._events.put(event)

    def _run(self) -> None:
        while True:
            due = self._throttle.next_due()
            try:
                event = self._events.get(timeout=None if due is None else max(0.0, due - time.monotonic()))
            except queue.Empty:
                event = None
            else:
                if event is None:
                    return
            try:
                if event is not None:
                    self._handle(event)
                for view in self._throttle.due(time.monotonic()):
                    self._emit(replies.progress(view), view)
            except Exception:  # one bad event must not silence every later one
                log.exception("cannot report a job event; going on")

    def _handle(self, event: JobEvent) -> None:
        view = event.job
        if view.state.final:
            self._throttle.forget(view.id)
            self._emit(replies.finished(view), view)
        elif event.kind == "accepted":
            # counts as the first progress: a following "queued" shows nothing new
            self._throttle.offer(view.id, replies.progress_key(view), view, time.monotonic())
            self._emit(replies.accepted(view), view)
        elif self._throttle.offer(view.id, replies.progress_key(view), view, time.monotonic()) is not None:
            self._emit(replies.progress(view), view)

    def _emit(self, reply: replies.Reply, view: JobView) -> None:
        targets = self._targets(view)
        if targets:
            self._send(reply, targets)
