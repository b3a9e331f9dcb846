"""Who may talk to the OSC server: loopback by default, `osc.allow_from` when it is set."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network

from mvsep_bridge.daemon.engine import UsageError

Network = IPv4Network | IPv6Network

LOG_EVERY = 60.0  # seconds between two log lines about the same refused sender


def check_listen(host: str, allow_from: list[Network]) -> None:
    """Listening beyond loopback is only allowed with an explicit list of who may send."""
    if not _is_loopback(host) and not allow_from:
        raise UsageError(
            f"osc.host = {host!r} listens beyond this computer, and osc.allow_from is empty",
            hint='set osc.allow_from to the senders\' addresses or networks (e.g. ["192.168.1.0/24"]), '
                 'or osc.host = "127.0.0.1"',
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@functools.lru_cache(maxsize=1024)  # asked for every datagram: a flood is mostly the same senders
def _allowed(host: str, allow_from: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if not allow_from:
        return address.is_loopback
    return any(address in network for network in allow_from)


@dataclass
class SenderGate:
    """Asked with the current `osc.allow_from` each time: a narrower list applies without a restart."""

    _logged: dict[str, float] = field(default_factory=dict)

    def allows(self, host: str, allow_from: list[Network]) -> bool:
        return _allowed(host, tuple(allow_from))

    def should_log(self, host: str, now: float) -> bool:
        """Log a refused sender once a minute, not once per datagram (a flood must not fill the log)."""
        last = self._logged.get(host)
        if last is not None and now - last < LOG_EVERY:
            return False
        if len(self._logged) > 1000:  # many spoofed sources: forget, rather than grow without end
            self._logged.clear()
        self._logged[host] = now
        return True
