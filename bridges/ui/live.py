"""Live updates for open pages: the engine's job events fanned out to one queue per page, written
as server-sent events. A page that (re)connects gets the whole state first, then every change:
its queue is registered before the snapshot is taken, so nothing falls in between."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator

from mvsep_bridge.daemon.engine import JobEvent

KEEPALIVE_SECONDS = 15.0  # a comment line now and then: a closed page is noticed and let go
OVERVIEW_SECONDS = 2.0  # hot folder counts and the budget change without job events
AFTER_EVENT_SECONDS = 0.25  # and soon after a job changed (one look for a burst of events)


class Hub:
    """Hands each engine event to every connected page; never blocks the engine's thread."""

    def __init__(self) -> None:
        self._pages: set[queue.SimpleQueue[JobEvent | None]] = set()
        self._lock = threading.Lock()

    def publish(self, event: JobEvent) -> None:
        with self._lock:
            for page in self._pages:
                page.put(event)

    def close(self) -> None:
        with self._lock:
            for page in self._pages:
                page.put(None)

    def connect(self) -> queue.SimpleQueue[JobEvent | None]:
        page: queue.SimpleQueue[JobEvent | None] = queue.SimpleQueue()
        with self._lock:
            self._pages.add(page)
        return page

    def disconnect(self, page: queue.SimpleQueue[JobEvent | None]) -> None:
        with self._lock:
            self._pages.discard(page)


def sse(kind: str, payload: object) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(payload)}\n\n".encode()


def stream(hub: Hub, snapshot: Callable[[], dict], overview: Callable[[], dict]) -> Iterator[bytes]:
    """The event stream of one page: `snapshot`, then `job` per event and `overview` when it
    changed; ends when the hub closes or the page goes away (the write fails, the generator closes)."""
    page = hub.connect()
    try:
        state = snapshot()
        last_overview = state["overview"]
        yield sse("snapshot", state)
        next_check = last_write = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= next_check:
                next_check = now + OVERVIEW_SECONDS
                current = overview()
                if current != last_overview:
                    last_overview, last_write = current, now
                    yield sse("overview", current)
                elif now - last_write >= KEEPALIVE_SECONDS:
                    last_write = now
                    yield b": keepalive\n\n"
            try:
                event = page.get(timeout=max(next_check - time.monotonic(), 0.0))
            except queue.Empty:
                continue
            if event is None:
                return
            last_write = time.monotonic()
            next_check = min(next_check, last_write + AFTER_EVENT_SECONDS)
            yield sse("job", event.job.model_dump(mode="json"))
    finally:
        hub.disconnect(page)
