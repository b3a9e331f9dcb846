"""Who may see the status page: the user who holds the control secret, and only from loopback.

A one-time link (minted through the control channel, which needs the 0600 secret) is exchanged
once for a session cookie (HttpOnly, SameSite=Strict); the page itself is then reached without
any secret in its URL. Every request must name a loopback Host (a DNS-rebinding page names its
own), and a POST must come from the page's own origin (another site's form or script cannot).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

COOKIE = "mvsep_ui"
LINK_SECONDS = 120.0  # a link not opened by then is of no use to anyone who finds it later
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


@dataclass
class Access:
    """Links not yet used and the sessions they became (in memory: a daemon restart means
    `mvsep-bridge ui` again)."""

    link_seconds: float = LINK_SECONDS
    _links: dict[str, float] = field(default_factory=dict)  # token -> expiry (monotonic)
    _sessions: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def mint_link(self) -> str:
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._links = {t: expiry for t, expiry in self._links.items() if expiry > now}
            self._links[token] = now + self.link_seconds
        return token

    def redeem(self, token: str) -> str | None:
        """A new session for a link's token, once; None for a used, expired or unknown one."""
        with self._lock:
            expiry = self._links.pop(token, None)
            if expiry is None or expiry <= time.monotonic():
                return None
            session = secrets.token_urlsafe(32)
            self._sessions.add(session)
            return session

    def is_session(self, cookie: str | None) -> bool:
        if not cookie:
            return False
        with self._lock:
            return any(hmac.compare_digest(cookie, known) for known in self._sessions)


def loopback_host(host_header: str | None, port: int) -> bool:
    """The Host header names this server on a loopback name (not a rebound DNS name)."""
    if not host_header:
        return False
    host, _, given_port = host_header.rpartition(":")
    return host.lower() in LOOPBACK_HOSTS and given_port == str(port)


def same_origin(origin: str | None, host_header: str) -> bool:
    """A POST's Origin is this page's own (scheme http, the Host it was sent to)."""
    if not origin:
        return False
    parts = urlsplit(origin)
    return parts.scheme == "http" and parts.netloc == host_header
