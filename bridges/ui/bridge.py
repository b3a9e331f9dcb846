"""UiBridge: the status page's server inside the daemon, on a loopback port of its own.

It listens on an ephemeral port (announced as "ui"), follows the engine's events for the open
pages, and offers one action on the control channel: "link", a one-time address that signs the
browser in (`mvsep-bridge ui` asks for it; the control channel already requires the secret).
"""

from __future__ import annotations

import logging
import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from mvsep_bridge.daemon.engine import Engine, UsageError

from .access import Access
from .app import BRIDGE, UiApp
from .live import Hub

log = logging.getLogger("mvsep_bridge.ui")

HOST = "127.0.0.1"


class QuietHandler(WSGIRequestHandler):
    """No request lines: a one-time link's token must not reach a log, even spent."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class UiBridge:
    name = BRIDGE

    def __init__(self) -> None:
        self._access = Access()
        self._hub = Hub()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._unsubscribe = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{HOST}:{self._server.server_port}"

    def start(self, engine: Engine) -> None:
        app = UiApp(engine, self._access, self._hub, port=lambda: self._server.server_port)
        self._server = make_server(HOST, 0, app, threaded=True, request_handler=QuietHandler)
        self._unsubscribe = engine.subscribe(self._hub.publish)
        self._thread = threading.Thread(target=self._server.serve_forever, name="ui", daemon=True)
        self._thread.start()
        engine.offer(BRIDGE, self._action)
        engine.announce(BRIDGE, self.url)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._hub.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _action(self, action: str, arguments: dict) -> dict:
        if action != "link":
            raise UsageError(f"the status page offers the action 'link', not {action!r}")
        return {"url": f"{self.url}/login?token={self._access.mint_link()}"}
