"""Fixtures for the daemon tests: daemon processes killed at teardown, a premium batch run, and a
`separate` whose job waits on the server."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import DaemonProcess, separate_batch, store_states, wait_for, write_wav
from processes import CLI, daemon_env


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


@dataclass
class HeldJob:
    """`mvsep-bridge separate song.wav` running, its one job waiting on the server."""

    env: dict
    data: Path
    token: str
    daemon: DaemonProcess
    separate: subprocess.Popen
    id: str

    def outcome(self) -> tuple[int, str]:
        """The command's exit code and stderr, once it has ended."""
        _, err = self.separate.communicate(timeout=60)
        return self.separate.returncode, err


@pytest.fixture
def held_job(emulator, daemons, tmp_path):
    """`held_job(**popen_options)`: a HeldJob (the server keeps it waiting 60 s); the command is
    killed at teardown."""
    started: list[subprocess.Popen] = []

    def start(**popen_options) -> HeldJob:
        emulator.configure(waiting_seconds=60.0)
        account = emulator.create_account()
        data = tmp_path / "data"
        env = daemon_env(data, emulator.base_url, account.token)
        daemon = daemons(env)
        source = write_wav(tmp_path / "song.wav", seconds=1.0)
        separate = subprocess.Popen([CLI, "separate", str(source), "--sep-type", "40"], env=env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen_options)
        started.append(separate)
        wait_for(lambda: "remote" in store_states(data).values(), what="the job on the server")
        [job] = store_states(data)
        return HeldJob(env, data, account.token, daemon, separate, job)

    yield start
    for separate in started:
        separate.kill()
        separate.wait()
