"""Fault injection, switched at run time through the config knobs (see config.py): 5xx answers,
429 bursts, TCP resets (also after a create was committed: the lost response), truncated
downloads and slow answers. Counters ("next N") are deterministic; the rate is seeded."""

from __future__ import annotations

import collections
import random
import socket
import struct
import threading
from collections.abc import Callable

from .config import EmulatorConfig


class ConnectionReset(ConnectionResetError):
    """Raised by the app after arming the socket: the server then closes it with a RST."""


class Faults:
    def __init__(self, config: Callable[[], EmulatorConfig]):
        self._config = config
        self._lock = threading.Lock()
        self._random = random.Random(config().fault_seed)
        self._reset_sockets: set[socket.socket] = set()
        self.fired: collections.Counter[str] = collections.Counter()  # knob -> times it fired

    def reseed(self) -> None:
        with self._lock:
            self._random = random.Random(self._config().fault_seed)

    def applies(self, path: str) -> bool:
        return self._config().fault_path in path

    def take(self, knob: str) -> bool:
        """Use one from a "next N" counter; True if it fired."""
        with self._lock:
            config = self._config()
            left = getattr(config, knob)
            if left <= 0:
                return False
            setattr(config, knob, left - 1)
            self.fired[knob] += 1
            return True

    def roll_failure(self) -> bool:
        with self._lock:
            rate = self._config().fail_rate
            fired = rate > 0 and self._random.random() < rate
            if fired:
                self.fired["fail_rate"] += 1
            return fired

    def reset(self, environ: dict) -> None:
        """Arm this request's socket for an abortive close (SO_LINGER 0 → RST) and unwind."""
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with self._lock:
                self._reset_sockets.add(sock)
        raise ConnectionReset("emulator fault: connection reset")

    def wants_reset(self, sock: socket.socket) -> bool:
        with self._lock:
            if sock in self._reset_sockets:
                self._reset_sockets.discard(sock)
                return True
            return False
