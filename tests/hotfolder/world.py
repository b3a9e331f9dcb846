"""The hot-folder test world: real daemon processes, a real config file, real audio files."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import tomlkit

from harness import wait_for, write_wav  # noqa: F401 (wait_for: the hot-folder tests' too)
from processes import CLI

RATE = 44_100


def tone(path: Path, seconds: float = 1.0, seed: int = 0, rate: int = RATE) -> Path:
    """A short stereo wav at the hot-folder tests' rate; distinct per seed."""
    return write_wav(path, seconds, rate, seed, subtype="PCM_16")


def write_config(path: Path, *, folders: list[dict], presets: dict, **top) -> Path:
    doc = tomlkit.document()
    for key, value in top.items():
        doc[key] = value
    table = tomlkit.table()
    for name, preset in presets.items():
        table[name] = preset
    doc["presets"] = table
    array = tomlkit.aot()
    for folder in folders:
        array.append(tomlkit.item({k: str(v) if isinstance(v, Path) else v for k, v in folder.items()}))
    doc["hot_folders"] = array
    path.write_text(tomlkit.dumps(doc))
    return path


class Daemon:
    """`mvsep-bridge daemon` as a real process, its output in a log file."""

    def __init__(self, log: Path, env: dict[str, str]):
        self.log_path = log
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> Daemon:
        handle = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [CLI, "daemon"], env=self.env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        handle.close()
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_log(self, text: str, timeout: float = 30.0, count: int = 1) -> None:
        def seen():
            assert self.alive(), f"the daemon exited ({self.process.returncode}):\n{self.log()[-6000:]}"
            return self.log().count(text) >= count

        wait_for(seen, timeout, what=f"{text!r} in the daemon log", logs=self.log)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def manifest(stems_dir: Path) -> dict:
    return json.loads((stems_dir / "manifest.json").read_text())


def listing(folder: Path) -> list[str]:
    """Files under `folder`, relative, sorted (what a user sees in a file manager)."""
    if not folder.is_dir():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
