"""Run a block producer on a thread of its own, a few blocks ahead of its consumer.

The finish stage reads several files at once (the uploaded section, every returned stem) and
consumes them in lockstep; libsndfile, soxr and numpy's FFT release the GIL, so decoding and
resampling each stem on its own thread uses the machine's other cores while memory still holds
only `depth` blocks per producer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()
_POLL = 0.1  # s: how often a blocked producer looks whether its consumer went away


def read_ahead(blocks: Iterable[T], depth: int = 4) -> Iterator[T]:
    """The items of `blocks`, produced on a daemon thread up to `depth` ahead. An exception in the
    producer is raised in the consumer at the point it happened; a consumer that stops early
    (close, or an exception of its own) stops the producer at its next item."""
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    gone = threading.Event()

    def offer(item: object) -> bool:
        while not gone.is_set():
            try:
                handoff.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in blocks:
                if not offer(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            offer(_Failed(exc))
            return
        offer(_END)

    worker = threading.Thread(target=produce, name="read-ahead", daemon=True)
    worker.start()
    try:
        while (item := handoff.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        gone.set()
        worker.join()


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc
