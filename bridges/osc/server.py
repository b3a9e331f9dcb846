"""The UDP socket: one receive thread handing each datagram to a handler, and sending replies.

Replies leave from the listening socket, so a client sees them come from the port it sent to
(liblo and Ardour match replies that way).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable

from mvsep_bridge.daemon.engine import UsageError

from . import wire
from .routing import Target

log = logging.getLogger("mvsep_bridge.osc")

RECEIVE_BUFFER = 4 * 1024 * 1024  # asked of the kernel (capped by net.core.rmem_max): absorbs bursts
MAX_RECEIVE = 65_535

Handler = Callable[[bytes, Target], None]


class UdpServer:
    def __init__(self, host: str, port: int, handler: Handler):
        try:
            family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
            self._socket = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as exc:
            raise UsageError(f"cannot listen for OSC on {host}:{port}: {exc}",
                             hint="fix osc.host in the config file (an address of this computer)") from None
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            self._socket.bind(address)
        except OSError as exc:
            self._socket.close()
            raise UsageError(f"cannot listen for OSC on udp {host}:{port}: {exc.strerror or exc}",
                             hint="another program may use that port: set osc.port in the config file "
                                  "(0 takes any free port; `mvsep-bridge daemon status` shows it)") from None
        self._socket.settimeout(0.5)  # wake up to notice stop_receiving()
        self._handler = handler
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="osc-receive", daemon=True)

    @property
    def address(self) -> Target:
        host, port = self._socket.getsockname()[:2]
        return host, port

    def start(self) -> None:
        self._thread.start()

    def stop_receiving(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def close(self) -> None:
        self._socket.close()

    def send(self, reply: tuple[str, tuple[object, ...]], targets: Iterable[Target]) -> None:
        """Send one message to each target; a reply that would exceed one safe datagram becomes an
        error saying so (never a truncated or fragmented message)."""
        address, args = reply
        data = wire.encode(address, args)
        if len(data) > wire.MAX_DATAGRAM:
            data = wire.encode("/mvsep/error", (
                "too_large", f"the {address} reply would be {len(data)} bytes, over {wire.MAX_DATAGRAM}"))
        for target in targets:
            try:
                self._socket.sendto(data, target)
            except OSError as exc:  # a client that is gone, a host that cannot be reached
                log.debug("cannot send %s to %s:%s (%s)", address, *target, exc)

    def _receive(self) -> None:
        while not self._stopping.is_set():
            try:
                datagram, sender = self._socket.recvfrom(MAX_RECEIVE)
            except TimeoutError:
                continue
            except OSError as exc:
                if self._stopping.is_set():
                    return
                log.warning("receive failed (%s); going on", exc)
                continue
            try:
                self._handler(datagram, (sender[0], sender[1]))
            except Exception:  # a bug with one datagram must not end the server
                log.exception("unexpected error handling a datagram from %s:%s; going on", *sender[:2])
