"""Requests waiting for the worker: those that start or stop something before mere questions.

Two bounded lanes, so a flood of questions (status, listings) can neither push out a separate
request nor grow without limit; a full lane refuses (the caller answers `busy`).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

Item = TypeVar("Item")

ACTION_LIMIT = 1000  # separate, cancel, play, stop
QUESTION_LIMIT = 200  # status, jobs, algorithms: each may answer with many datagrams


class Full(Exception):
    pass


class WorkQueue(Generic[Item]):
    def __init__(self, action_limit: int = ACTION_LIMIT, question_limit: int = QUESTION_LIMIT):
        self._lanes: tuple[deque[Item], deque[Item]] = (deque(), deque())  # actions, questions
        self._limits = (action_limit, question_limit)
        self._ready = threading.Condition()
        self._closed = False

    def put(self, item: Item, *, action: bool) -> None:
        """Queue `item`; Full when its lane is."""
        lane = 0 if action else 1
        with self._ready:
            if len(self._lanes[lane]) >= self._limits[lane]:
                raise Full(f"{self._limits[lane]} {'requests' if action else 'questions'} are waiting")
            self._lanes[lane].append(item)
            self._ready.notify()

    def get(self) -> Item | None:
        """The next item, actions first; None once closed and empty."""
        with self._ready:
            while not any(self._lanes) and not self._closed:
                self._ready.wait()
            for lane in self._lanes:
                if lane:
                    return lane.popleft()
            return None

    def close(self) -> list[Item]:
        """No more items; returns those still waiting (to refuse them), and wakes the worker."""
        with self._ready:
            self._closed = True
            left = [*self._lanes[0], *self._lanes[1]]
            for lane in self._lanes:
                lane.clear()
            self._ready.notify_all()
            return left
