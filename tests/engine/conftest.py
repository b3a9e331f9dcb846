"""Fixtures for the daemon tests: a data dir, and a daemon process killed at teardown."""

from __future__ import annotations

import pytest

from harness import DaemonProcess


@pytest.fixture
def daemons(tmp_path):
    """Start daemons with `daemons(env)`; every one is killed at teardown."""
    started: list[DaemonProcess] = []

    def start(env: dict) -> DaemonProcess:
        daemon = DaemonProcess(env, tmp_path / f"daemon{len(started)}.log")
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill()
