"""The daemon process: the engine, its control channel and the bridges, until SIGTERM/SIGINT.

Bridges come from BRIDGES: name -> ("module:Class", "is it configured?"). Adding a bridge is one
line here; a bridge that fails to import or start is logged and skipped, never fatal.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Callable

from .engine import Bridge
from .jobs.engine import JobEngine
from .control.server import ControlServer
from .settings import Settings

log = logging.getLogger("mvsep_bridge.daemon")

BRIDGES: dict[str, tuple[str, Callable[[Settings], bool]]] = {
    # always on: `mvsep-bridge hotfolder add` applies to a running daemon, even its first folder
    "hotfolder": ("mvsep_bridge.bridges.hotfolder:HotFolderBridge", lambda s: True),
    "osc": ("mvsep_bridge.bridges.osc:OscBridge", lambda s: True),
}


def start_bridges(engine: JobEngine, settings: Settings) -> list[Bridge]:
    started: list[Bridge] = []
    for name, (target, configured) in BRIDGES.items():
        if not configured(settings):
            continue
        module_name, class_name = target.split(":")
        try:
            bridge = getattr(importlib.import_module(module_name), class_name)()
            bridge.start(engine)
        except Exception:
            log.exception("bridge %s could not start; the daemon runs without it", name)
            continue
        log.info("bridge %s started", name)
        started.append(bridge)
    return started


def run(settings: Settings, ready: Callable[[ControlServer], None] | None = None) -> None:
    """Run until SIGTERM or SIGINT. Jobs left unfinished resume at the next start."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    engine = JobEngine(settings).start()
    server = ControlServer(engine, settings.data_dir).start()
    bridges = start_bridges(engine, settings)
    if ready:
        ready(server)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        log.info("stopping")
        for bridge in bridges:
            try:
                bridge.stop()
            except Exception:
                log.exception("bridge %s did not stop cleanly", bridge.name)
        server.stop()
        engine.close()
