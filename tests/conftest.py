"""The test world: real processes on loopback. Fixtures here are shared by every test folder."""

from __future__ import annotations

import os

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


@pytest.fixture
def emulator(tmp_path):
    """A real MVSEP emulator subprocess with fast timings (~0.2 s per phase); stopped at teardown."""
    from emulator_handle import start_emulator
    from mvsep_bridge.daemon.emulator.config import FAST_TIMINGS

    handle = start_emulator(tmp_path / "emulator", **FAST_TIMINGS)
    yield handle
    handle.stop()
