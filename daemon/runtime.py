"""The daemon process: the engine, its control channel and the bridges, until SIGTERM/SIGINT.

Bridges come from BRIDGES: name -> ("module:Class", "is it configured?"). Adding a bridge is one
line here; a bridge that fails to import or start is logged and skipped, never fatal.

The daemon follows the config file (checked every CONFIG_POLL_SECONDS): budgets, the token, the
server and the backend apply to the next stage of every job. One started on demand by a command
(`on_demand`) exits once it has had nothing to do for `daemon.idle_exit_minutes`.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from . import logs
from .control.server import ControlServer
from .engine import Bridge
from .errors import ConfigError
from .jobs.job_engine import JobEngine
from .settings import Settings, config_path, load_settings

log = logging.getLogger("mvsep_bridge.daemon")

CONFIG_POLL_SECONDS = 2.0

BRIDGES: dict[str, tuple[str, Callable[[Settings], bool]]] = {
    # always on: `mvsep-bridge hotfolder add` applies to a running daemon, even its first folder
    "hotfolder": ("mvsep_bridge.bridges.hotfolder:HotFolderBridge", lambda s: True),
    "osc": ("mvsep_bridge.bridges.osc:OscBridge", lambda s: True),
    "reaper": ("mvsep_bridge.bridges.reaper:ReaperBridge", lambda s: True),  # spool under data_dir
    "ui": ("mvsep_bridge.bridges.ui:UiBridge", lambda s: True),  # loopback only; `mvsep-bridge ui` signs in
    "audio": ("mvsep_bridge.bridges.audio:AudioBridge", lambda s: True),  # PortAudio loads on first use
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


def _config_stamp() -> tuple[float, int] | None:
    try:
        st = config_path().stat()
    except OSError:
        return None
    return st.st_mtime, st.st_size


class Daemon:
    def __init__(self, settings: Settings, *, overrides: dict[str, Any] | None = None, on_demand: bool = False):
        self.overrides = overrides or {}  # the daemon's own flags, kept over the config file
        self.on_demand = on_demand
        self.engine = JobEngine(settings)
        self._stop = threading.Event()
        self._active = time.monotonic()
        self._config = _config_stamp()

    @property
    def settings(self) -> Settings:
        return self.engine.settings

    def info(self) -> dict[str, Any]:
        """What the control channel's ping and `daemon status` tell."""
        settings = self.settings
        return {"pid": os.getpid(), "backend": self.engine.backend.name, "data_dir": str(settings.data_dir),
                "on_demand": self.on_demand, "bridges": self.engine.listening(),
                "identity": settings.identity()}

    def touch(self) -> None:
        """Someone used the daemon: the idle clock starts again."""
        self._active = time.monotonic()

    def reload(self) -> None:
        """Read the config file (and this process's environment) again and apply what changed."""
        self._config = _config_stamp()
        try:
            settings = load_settings(**self.overrides)
        except ConfigError as exc:
            log.warning("the config file has an error; keeping the settings in use: %s", exc.message)
            return
        logs.mask_also(settings.token)
        self.engine.apply_settings(settings)

    def shutdown(self) -> None:
        self._stop.set()

    def run(self, ready: Callable[[ControlServer], None] | None = None) -> None:
        """Run until SIGTERM, SIGINT, `shutdown()` or (on demand) idleness. Jobs left unfinished
        resume at the next start."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self._stop.set())
        engine = self.engine.start()
        unsubscribe = engine.subscribe(lambda _event: self.touch())
        # bridges first: once the control channel is found (daemon.json), what they offer is there
        bridges = start_bridges(engine, self.settings)
        server = ControlServer(engine, self.settings.data_dir, daemon=self).start()
        if ready:
            ready(server)
        try:
            while not self._stop.wait(1.0):
                if _config_stamp() != self._config:
                    self.reload()
                if self._idle_out():
                    log.info("no work for %g minutes: exiting (started on demand)",
                             self.settings.daemon.idle_exit_minutes)
                    break
        finally:
            log.info("stopping")
            unsubscribe()
            for bridge in bridges:
                try:
                    bridge.stop()
                except Exception:
                    log.exception("bridge %s did not stop cleanly", bridge.name)
            server.stop()
            engine.close()

    def _idle_out(self) -> bool:
        minutes = self.settings.daemon.idle_exit_minutes
        if not self.on_demand or minutes <= 0:
            return False
        if self.engine.busy:
            self.touch()
            return False
        return time.monotonic() - self._active > minutes * 60
