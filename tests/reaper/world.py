"""The REAPER test world: a real daemon (with its spool bridge) on the emulator, a config file
with the account's token, and the spool seen from outside as the scripts see it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import tomlkit

from harness import DaemonProcess, run_cli
from processes import daemon_env


def write_config(path: Path, **top) -> Path:
    doc = tomlkit.document()
    for key, value in top.items():
        doc[key] = value
    path.write_text(tomlkit.dumps(doc))
    os.chmod(path, 0o600)
    return path


def music(path: Path, seconds: float, rate: int, channels: int, seed: int = 0) -> Path:
    """Tones below 5 kHz (they survive the emulator's trip through 44.1 kHz unchanged), distinct
    per seed and channel, so a one-sample misalignment is far above the codec's error."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(seed)
    columns = []
    for _ in range(channels):
        freqs = rng.uniform(100, 4500, 6)
        phases = rng.uniform(0, 2 * np.pi, 6)
        columns.append(sum(0.08 * np.sin(2 * np.pi * f * t + p) for f, p in zip(freqs, phases)))
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.stack(columns, axis=1).astype(np.float32), rate, subtype="PCM_24")
    return path


EDGE = 2048  # frames at each end where the emulator's resampler rings (its filter length)


class SpoolWorld:
    def __init__(self, root: Path, base_url: str, token: str):
        self.root = root
        self.data = root / "data"
        self.spool = self.data / "reaper-spool"
        self.config = write_config(root / "config.toml", api_token=token, base_url=base_url,
                                   allowed_roots=[str(root)])
        self.env = daemon_env(self.data, config=self.config)
        self.daemon: DaemonProcess | None = None

    def start(self) -> DaemonProcess:
        self.daemon = DaemonProcess(self.env, self.root / "daemon.log")
        return self.daemon

    def log(self) -> str:
        return (self.root / "daemon.log").read_text(errors="replace")

    def write_request(self, request: dict, *, name: str | None = None, raw: str | None = None) -> Path:
        folder = self.spool / "requests"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name or request['id']}.json"
        temp = path.with_name(path.name + ".tmp")
        temp.write_text(raw if raw is not None else json.dumps(request))
        os.rename(temp, path)
        return path

    def status(self, request_id: str) -> dict | None:
        try:
            return json.loads((self.spool / "status" / f"{request_id}.json").read_text())
        except FileNotFoundError:
            return None

    def catalog(self, timeout: float = 30.0) -> list[dict]:
        """The catalog the bridge wrote for the scripts, once it is there."""
        deadline = time.monotonic() + timeout
        while not (self.spool / "catalog.json").exists():
            assert time.monotonic() < deadline, f"the bridge wrote no catalog\n{self.log()[-3000:]}"
            time.sleep(0.05)
        return json.loads((self.spool / "catalog.json").read_text())["algorithms"]

    def wait_status(self, request_id: str, states: tuple[str, ...], timeout: float = 90.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(request_id)
            if status and status["state"] in states:
                return status
            assert self.daemon is None or self.daemon.process.poll() is None, self.log()[-4000:]
            time.sleep(0.05)
        raise AssertionError(f"no {states} status for {request_id}: {self.status(request_id)}\n{self.log()[-4000:]}")


def install(fake, env: dict) -> Path:
    """The scripts as a user has them: `mvsep-bridge install-reaper` into the fake's resource folder."""
    fake.resource_path.mkdir(parents=True, exist_ok=True)
    done = run_cli(["install-reaper", "--resource-path", str(fake.resource_path)], env)
    assert done.returncode == 0, done.stderr
    return fake.resource_path / "Scripts" / "MVSEP Bridge"


def run_until(fake, world: SpoolWorld, done, what: str, timeout: float = 120.0) -> None:
    """Let REAPER run (its defer loops) until `done()`, as a user waits for the results."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}; console: {fake.console}\n{world.log()[-3000:]}"
        fake.tick(8)
        time.sleep(0.02)
