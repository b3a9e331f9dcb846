"""A scratch world for end-to-end benchmarks: an emulator and a daemon as real processes on
loopback, in a throw-away HOME, and test audio. Used by bench/batch.py and bench/section_upload.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import requests
import soundfile as sf

CLI = str(Path(sys.executable).with_name("mvsep-bridge"))


def scratch_env(home: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MVSEP_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=f"{home}/.config", XDG_DATA_HOME=f"{home}/.local/share",
               XDG_STATE_HOME=f"{home}/.local/state", XDG_CACHE_HOME=f"{home}/.cache",
               XDG_RUNTIME_DIR=f"{home}/.run", MVSEP_BRIDGE_DATA_DIR=f"{home}/data", **extra)
    return env


def song(path: Path, seconds: float, rate: int = 48_000, seed: int = 0, subtype: str = "PCM_24") -> Path:
    """Stereo tones + noise: content everywhere, like music as far as codecs are concerned."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    left = 0.25 * np.sin(2 * np.pi * 220 * t) + 0.1 * rng.standard_normal(t.size)
    right = 0.25 * np.sin(2 * np.pi * 331 * t + 1.0) + 0.1 * rng.standard_normal(t.size)
    sf.write(path, np.stack([left, right], axis=1).astype(np.float32), rate, subtype=subtype)
    return path


class Emulator:
    def __init__(self, folder: Path, knobs: dict):
        (folder / "knobs.json").write_text(json.dumps(knobs))
        with open(folder / "emulator.log", "ab") as log:
            self.process = subprocess.Popen(
                [CLI, "emulator", "--port", "0", "--state", str(folder / "state"),
                 "--config", str(folder / "knobs.json")],
                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True)
        first = self.process.stdout.readline()
        if not first.startswith("listening on"):
            self.stop()
            raise RuntimeError(f"the emulator did not start: {first!r}")
        self.base_url = first.split()[-1]

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        answer = requests.request(method, f"{self.base_url}/_emulator/{path}", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def account(self, premium: bool = True) -> str:
        return self.call("POST", "accounts", {"premium": premium, "credits": 1_000_000})["api_token"]

    def stats(self) -> dict:
        return self.call("GET", "stats")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def start_daemon(folder: Path, env: dict) -> subprocess.Popen:
    """`mvsep-bridge daemon` on `env`'s HOME, up and listening (its log: folder/daemon.log)."""
    with open(folder / "daemon.log", "ab") as log:
        daemon = subprocess.Popen([CLI, "daemon"], env=env, stdout=subprocess.PIPE, stderr=log,
                                  stdin=subprocess.DEVNULL, text=True)
    first = daemon.stdout.readline()
    if not first.startswith("daemon listening"):
        stop_daemon(daemon)
        raise RuntimeError(f"the daemon did not start: {first!r}; see {folder / 'daemon.log'}")
    return daemon


def stop_daemon(daemon: subprocess.Popen) -> None:
    daemon.terminate()
    daemon.wait(30)


@contextmanager
def world(folder: Path, knobs: dict, premium: bool = True):
    """(emulator, env with a token, daemon process): the daemon is up and listening."""
    emulator = Emulator(folder, knobs)
    try:
        env = scratch_env(folder / "home", MVSEP_BRIDGE_BASE_URL=emulator.base_url,
                          MVSEP_API_TOKEN=emulator.account(premium))
        daemon = start_daemon(folder, env)
        try:
            yield emulator, env, daemon
        finally:
            stop_daemon(daemon)
    finally:
        emulator.stop()
