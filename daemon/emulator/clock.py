"""The emulator clock: wall time plus an offset that tests move forward (`POST /_emulator/clock`)
to make results expire without waiting 72 hours. The offset is persisted."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

from .store import Store


class Clock:
    def __init__(self, store: Store):
        self._store = store
        self._offset = float(store.get("clock", "offset", 0.0))
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._offset += seconds
            self._store.put("clock", "offset", self._offset)
        return self.now()

    def stamp(self, when: float | None = None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        """A UTC date as the site prints it."""
        return datetime.fromtimestamp(self.now() if when is None else when, timezone.utc).strftime(fmt)
