"""The test world: real processes on loopback. Fixtures here are shared by every test folder."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import psutil
import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the developer's real config, data or logs."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / ".run"))
    for name in list(os.environ):
        if name.startswith("MVSEP_"):
            monkeypatch.delenv(name)
    return home


@pytest.fixture(autouse=True)
def no_daemon_left_behind(tmp_path, isolated_home):
    """Commands start daemons on demand, and those outlive the command by design (idle exit after
    minutes): stop every daemon whose data dir lies in this test's folders."""
    yield
    for root in (tmp_path, isolated_home):
        for info in Path(root).rglob("daemon.json"):
            try:
                pid = int(json.loads(info.read_text())["pid"])
                process = psutil.Process(pid)
                if "daemon" not in process.cmdline():
                    continue
                process.send_signal(signal.SIGTERM)
                process.wait(10)
            except psutil.TimeoutExpired:
                process.kill()
            except (OSError, ValueError, KeyError, psutil.Error):
                continue


@pytest.fixture
def emulator(tmp_path):
    """A real MVSEP emulator subprocess with fast timings (~0.2 s per phase); stopped at teardown."""
    from mvsep_bridge.daemon.emulator.config import FAST_TIMINGS

    from emulator_handle import start_emulator

    handle = start_emulator(tmp_path / "emulator", **FAST_TIMINGS)
    yield handle
    handle.stop()


def pytest_collection_modifyitems(items):
    """The slow soak tests first: a two-minute test handed to a worker last would end the run
    two minutes after everything else (a stable sort: the rest keep their order)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
