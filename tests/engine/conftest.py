"""Fixtures for the daemon tests: daemon processes killed at teardown, and a premium batch run."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import DaemonProcess, separate_batch, write_wav
from processes import daemon_env


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


@pytest.fixture
def premium_batch(emulator, daemons, tmp_path):
    """`premium_batch(count, **knobs)`: a premium account's daemon separates `count` 2 s takes
    (sep_type 40, into tmp_path/"out", all asserted done) on the emulator set with `knobs`; the
    sources."""

    def run(count: int, **knobs) -> list[Path]:
        emulator.configure(**knobs)
        account = emulator.create_account(premium=True)
        sources = [write_wav(tmp_path / f"take{i:02d}.wav", seconds=2.0, seed=i) for i in range(count)]
        env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
        daemons(env)
        separate_batch(sources, env, tmp_path / "out")
        return sources

    return run
