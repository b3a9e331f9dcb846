"""Rate limits as MVSEP sets them: 120 requests a minute on most endpoints, 60 on
separation/get and app/algorithms, counted per api_token (per client IP without one), with
X-RateLimit-Limit / X-RateLimit-Remaining on every answer and Retry-After on 429."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from .config import EmulatorConfig

SLOW_PATHS = ("/api/separation/get", "/api/app/algorithms")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    def __init__(self, config: Callable[[], EmulatorConfig]):
        self._config = config
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def check(self, path: str, identity: str) -> Verdict:
        config = self._config()
        slow = path.rstrip("/") in SLOW_PATHS
        limit = config.rate_limit_slow if slow else config.rate_limit
        key = ("slow" if slow else "default", identity)
        now = time.monotonic()  # wall time: moving the emulator clock must not lift limits
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] >= config.rate_limit_window:
                hits.popleft()
            if len(hits) >= limit:
                wait = config.rate_limit_window - (now - hits[0])
                return Verdict(False, limit, 0, max(1, math.ceil(wait)))
            hits.append(now)
            return Verdict(True, limit, limit - len(hits), 0)
