"""Call rates under a server's per-token limit: token buckets, paused by Retry-After. One for every
status call (separation/get), one for the bell's counts of the running jobs (app/user)."""

from __future__ import annotations

import threading
import time

#: MVSEP allows 60 separation/get per minute per token
MVSEP_GET_LIMIT = 60.0
#: ... and 120 a minute on the other endpoints together (app/user, separation/create, history…)
MVSEP_LIMIT = 120.0
BURST = 15  # polls at once: a batch's jobs end close together; in any minute BURST + the rate stays under the limit
HEADROOM = 0.1  # of the limit, left for the user's other tools (the site, another client)


def usable(limit: float) -> float:
    """Calls per minute we allow ourselves under a server limit: the burst on top of the steady
    rate must never cross the server's window."""
    return max(1.0, limit * (1 - HEADROOM) - BURST)


class PollRate:
    def __init__(self, limit: float | None = MVSEP_GET_LIMIT, burst: int = BURST):
        self._lock = threading.Lock()
        self._burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._paused_until = 0.0
        self.per_minute = usable(limit) if limit else None

    def set_limit(self, limit: float | None) -> None:
        """The server's limit per minute (None: unlimited), e.g. its X-RateLimit-Limit."""
        with self._lock:
            self.per_minute = usable(limit) if limit else None

    def pause(self, seconds: float) -> None:
        """The server said Retry-After: no call before then, for any job."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            self._tokens = 0.0

    def spend(self) -> None:
        """A call on the same limit made without waiting for its turn (e.g. a create): it takes a
        token all the same, into debt if there is none, so the calls that wait make room for it."""
        with self._lock:
            self._refill(time.monotonic())
            self._tokens -= 1.0

    def acquire(self, stop: threading.Event, until: float | None = None) -> bool:
        """Wait for one call's turn; False when `stop` was set meanwhile, or when the turn would
        come after `until` (monotonic s; then no turn is taken, and the tokens go on refilling)."""
        while not stop.is_set():
            wait = self.take()
            if wait <= 0:
                return True
            if until is not None and time.monotonic() + wait > until:
                stop.wait(max(0.0, until - time.monotonic()))
                return False
            stop.wait(min(wait, 1.0))
        return False

    def take(self) -> float:
        """Take a token if there is one (0), else the seconds until there will be (none taken)."""
        with self._lock:
            now = time.monotonic()
            if now < self._paused_until:
                self._stamp = self._paused_until
                return self._paused_until - now
            if self.per_minute is None:
                return 0.0
            self._refill(now)
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / (self.per_minute / 60.0)

    def _refill(self, now: float) -> None:
        if self.per_minute is not None and now > self._stamp:
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self.per_minute / 60.0)
            self._stamp = now
