"""At most a few progress messages per second per job, and only when what they show changed.

Pure: the caller passes the clock. A change that arrives too soon is held, not dropped, and goes
out when its job's interval has passed (unless a newer change replaced it), so the last state a
client sees is the real one.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")

MIN_INTERVAL = 0.25  # seconds between two progress messages of one job


@dataclass
class ProgressThrottle(Generic[Item]):
    interval: float = MIN_INTERVAL
    _sent: dict[str, tuple[float, Hashable]] = field(default_factory=dict)  # job → (when, key)
    _held: dict[str, tuple[Hashable, Item]] = field(default_factory=dict)

    def offer(self, job: str, key: Hashable, item: Item, now: float) -> Item | None:
        """The item to send now, or None (unchanged, or held until the interval has passed)."""
        last = self._sent.get(job)
        if last is not None and last[1] == key:
            self._held.pop(job, None)  # back to what the client already shows
            return None
        if last is None or now - last[0] >= self.interval:
            self._sent[job] = (now, key)
            self._held.pop(job, None)
            return item
        self._held[job] = (key, item)
        return None

    def due(self, now: float) -> list[Item]:
        """Held items whose interval has passed, to send now."""
        ready = [job for job in self._held if now - self._sent[job][0] >= self.interval]
        items = []
        for job in ready:
            key, item = self._held.pop(job)
            self._sent[job] = (now, key)
            items.append(item)
        return items

    def next_due(self) -> float | None:
        """When the earliest held item becomes due (None: nothing held)."""
        return min((self._sent[job][0] + self.interval for job in self._held), default=None)

    def forget(self, job: str) -> None:
        """The job is over: its final message supersedes anything held."""
        self._sent.pop(job, None)
        self._held.pop(job, None)
