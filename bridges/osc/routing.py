"""Where replies go: the sender (or the configured fixed reply host:port), and the subscribers."""

from __future__ import annotations

import threading

from mvsep_bridge.daemon.engine import UsageError

Target = tuple[str, int]

MAX_SUBSCRIBERS = 32


def format_address(target: Target) -> str:
    """"host:port", as stored in the job's reply channel (IPv6 hosts in brackets)."""
    host, port = target
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_address(text: str | None) -> Target | None:
    if not text:
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def reply_target(sender: Target, reply_host: str, reply_port: int) -> Target:
    """The sender, unless a fixed reply host and/or port is configured (Max's udpreceive never
    learns the sender's port; TouchOSC listens on its own receive port)."""
    return reply_host or sender[0], reply_port or sender[1]


class Subscribers:
    """host:port pairs that receive every event and every error. Thread-safe."""

    def __init__(self, limit: int = MAX_SUBSCRIBERS):
        self._limit = limit
        self._targets: set[Target] = set()
        self._lock = threading.Lock()

    def add(self, target: Target) -> None:
        with self._lock:
            if target not in self._targets and len(self._targets) >= self._limit:
                raise UsageError(f"already {self._limit} subscribers",
                                 hint="send /mvsep/unsubscribe from a monitor that is gone")
            self._targets.add(target)

    def remove(self, target: Target) -> bool:
        with self._lock:
            if target in self._targets:
                self._targets.remove(target)
                return True
            return False

    def all(self) -> set[Target]:
        with self._lock:
            return set(self._targets)
