"""What crosses the wire: a shared link of limited bandwidth per direction (knobs
upload_bandwidth / download_bandwidth), and per-endpoint and per-listener counts for
/_emulator/stats, including requests that carried an api_token (a token must never reach the
file host) and when each job's results were first asked for."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator

from .ratelimit import SLOW_PATHS

DOWNLOAD_PREFIXES = ("/results/", "/inputs/")
WINDOW = 60.0  # seconds: rate limits are per minute
#: seconds a sender may fall behind the link and catch up: each chunk's sleep overshoots a little,
#: and without this the link ran at ~82 % of its rate (8.2 of 10 MB/s); a real link's buffers
#: absorb that much, and idle time earns no more
SLACK = 0.05


def busiest_window(times: list[float], window: float = WINDOW) -> int:
    """The most of `times` (sorted) inside any `window` seconds."""
    most, first = 0, 0
    for last, when in enumerate(times):
        while when - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


class Link:
    """One direction of a link shared by every connection: bytes pass in arrival order at
    `rate()` bytes per second (0: unlimited), as through a real uplink: in any span of t seconds
    at most rate x (t + SLACK) bytes pass; idle time earns no more burst than that."""

    def __init__(self, rate: Callable[[], int]):
        self._rate = rate
        self._lock = threading.Lock()
        self._free_at = 0.0

    def take(self, size: int) -> None:
        rate = self._rate()
        if rate <= 0 or size <= 0:
            return
        with self._lock:
            now = time.monotonic()
            self._free_at = max(now - SLACK, self._free_at) + size / rate
            wait = self._free_at - now
        if wait > 0:  # behind by less than SLACK: no wait
            time.sleep(wait)


def limit_of(endpoint: str) -> str | None:
    """Which of MVSEP's per-token limits an endpoint's requests count against (None: none)."""
    if not endpoint.startswith("/api/"):
        return None
    return "slow" if endpoint.rstrip("/") in SLOW_PATHS else "default"


def endpoint_of(path: str) -> str:
    for prefix in DOWNLOAD_PREFIXES:
        if path.startswith(prefix):
            return prefix
    return path if path.startswith("/api/") else "other"


class _TokenScan:
    """Finds any of `tokens` in a byte stream seen in pieces (a token may straddle two)."""

    def __init__(self, tokens: set[bytes]):
        self.tokens = tokens
        self.keep = max((len(t) for t in tokens), default=1) - 1
        self.tail = b""
        self.found = False

    def feed(self, data: bytes) -> None:
        if self.found or not self.tokens or not data:
            return
        window = self.tail + bytes(data)
        self.found = any(token in window for token in self.tokens)
        self.tail = window[-self.keep:] if self.keep else b""


class _Input:
    """wsgi.input counted, scanned for tokens and paced by the upload link."""

    def __init__(self, stream, link: Link, exchange: Exchange):
        self._stream = stream
        self._link = link
        self._exchange = exchange

    def _seen(self, data):
        self._link.take(len(data))
        self._exchange.received(data)
        return data

    def read(self, size: int = -1) -> bytes:
        return self._seen(self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._seen(self._stream.readline(size))

    def readinto(self, buffer) -> int:
        count = self._stream.readinto(buffer)
        self._seen(memoryview(buffer)[:count or 0])
        return count

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class Exchange:
    """One request/response being counted."""

    def __init__(self, traffic: Traffic, endpoint: str, listener: str, scan: _TokenScan):
        self.traffic = traffic
        self.endpoint = endpoint
        self.listener = listener
        self.scan = scan

    def answered(self, status: str) -> None:
        """The response's status line; 429s are counted per endpoint (rate limits hit)."""
        if status.startswith("429"):
            self.traffic.add(self.endpoint, "status_429", 1)

    def received(self, data) -> None:
        self.traffic.add(self.endpoint, "bytes_in", len(data))
        self.scan.feed(data)

    def close(self) -> None:
        if self.scan.found:
            self.traffic.note_token(self.listener)

    def body(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The response body, counted and, for downloads, paced by the download link."""
        paced = self.endpoint in DOWNLOAD_PREFIXES
        try:
            for chunk in chunks:
                if paced:
                    self.traffic.download.take(len(chunk))
                self.traffic.add(self.endpoint, "bytes_out", len(chunk))
                yield chunk
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
            self.close()


class Traffic:
    def __init__(self, *, upload_rate: Callable[[], int], download_rate: Callable[[], int],
                 tokens: Callable[[], set[str]], now: Callable[[], float]):
        self.upload = Link(upload_rate)
        self.download = Link(download_rate)
        self._tokens = tokens
        self._now = now
        self._lock = threading.Lock()
        self._endpoints: dict[str, Counter] = defaultdict(Counter)
        self._listeners: dict[str, Counter] = defaultdict(Counter)
        self._first_download: dict[str, float] = {}  # job hash -> emulator time of its first result GET
        self._times: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=100_000))

    def add(self, endpoint: str, what: str, amount: int) -> None:
        with self._lock:
            self._endpoints[endpoint][what] += amount

    def note_token(self, listener: str) -> None:
        with self._lock:
            self._listeners[listener]["with_token"] += 1

    def begin(self, environ: dict) -> Exchange:
        """Count a request, wrap its body; the caller passes the response body through .body()."""
        path = environ.get("PATH_INFO", "")
        endpoint = endpoint_of(path)
        listener = f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        tokens = {t.encode() for t in self._tokens()}
        scan = _TokenScan(tokens)
        # the query string and headers as sent (a token in a URL or an Authorization header)
        scan.feed(environ.get("QUERY_STRING", "").encode("latin-1"))
        for key, value in environ.items():
            if key.startswith("HTTP_") and isinstance(value, str):
                scan.feed(b"\n" + value.encode("latin-1", "replace"))
        with self._lock:
            self._endpoints[endpoint]["requests"] += 1
            self._times[endpoint].append(time.monotonic())
            self._listeners[listener]["requests"] += 1
            if endpoint == "/results/":
                job_hash = path[len("/results/"):].split("/", 1)[0]
                self._first_download.setdefault(job_hash, self._now())
        exchange = Exchange(self, endpoint, listener, scan)
        environ["wsgi.input"] = _Input(environ["wsgi.input"], self.upload, exchange)
        return exchange

    def first_download(self, job_hash: str) -> float | None:
        with self._lock:
            return self._first_download.get(job_hash)

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "endpoints": {name: {"requests": c["requests"], "bytes_in": c["bytes_in"],
                                     "bytes_out": c["bytes_out"], "status_429": c["status_429"],
                                     "busiest_minute": busiest_window(list(self._times[name]))}
                              for name, c in sorted(self._endpoints.items())},
                "listeners": {name: {"requests": c["requests"], "with_token": c["with_token"]}
                              for name, c in sorted(self._listeners.items())},
                # the endpoints of one limit together: what the limit sees (all tokens together)
                "limits": {limit: {"busiest_minute": busiest_window(sorted(
                    t for name, times in self._times.items() if limit_of(name) == limit for t in times))}
                    for limit in ("default", "slow")},
            }
