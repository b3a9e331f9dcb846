"""What every test folder shares: a test signal, a wav of it, the CLI as a user runs it, the
daemon as a real process, and waiting for a condition (`from harness import …`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from processes import CLI, start_cli


FFMPEG, FFPROBE = shutil.which("ffmpeg"), shutil.which("ffprobe")


def ffmpeg_decode(path) -> np.ndarray:
    """A file as the ffmpeg CLI decodes it (a decoder we did not write): float32 (frames, 2)."""
    assert FFMPEG, "the ffmpeg CLI is needed (scripts/setup.sh installs Debian's ffmpeg)"
    raw = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "2", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32).reshape(-1, 2)


def ffprobe_frames(path) -> int:
    """The frame count ffprobe reads from the container (an MP4's edit list, in samples)."""
    assert FFPROBE, "ffprobe is needed (scripts/setup.sh installs Debian's ffmpeg)"
    out = subprocess.run([FFPROBE, "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=duration_ts",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def tone_mix(seconds: float, rate: int = 48_000, seed: int = 0, channels: int = 2) -> np.ndarray:
    """A test signal with content everywhere (tones + noise, peak < 0.6), so lags are measurable;
    distinct per seed, so the daemon's ledger never takes two files for one."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    columns = [0.25 * np.sin(2 * np.pi * (220 + 111 * c + 7 * seed) * t + c) + 0.1 * rng.standard_normal(t.size)
               for c in range(channels)]
    return np.stack(columns, axis=1).astype(np.float32)


def write_wav(path: Path, seconds: float = 2.0, rate: int = 48_000, seed: int = 0, *,
              channels: int = 2, subtype: str = "PCM_24") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone_mix(seconds, rate, seed, channels), rate, subtype=subtype, format="WAV")
    return path


def run_cli(args: list[str], env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def separate_batch(sources: list[Path], env: dict, out: Path, timeout: float = 240) -> list[dict]:
    """`mvsep-bridge separate SOURCES… --sep-type 40 --out OUT --json` through the daemon: the
    jobs' views, each asserted done."""
    result = run_cli(["separate", *map(str, sources), "--sep-type", "40", "--out", str(out), "--json"], env,
                     timeout=timeout)
    assert result.returncode == 0, result.stderr
    views = json.loads(result.stdout)
    assert [v["state"] for v in views] == ["done"] * len(sources)
    return views


class DaemonProcess:
    """`mvsep-bridge daemon` in a subprocess; `kill()` is kill -9."""

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.url: str | None = None
        self.start()

    def start(self) -> None:
        self.process, first = start_cli(["daemon"], env=self.env, log_path=self.log_path)
        if not first.startswith("daemon listening on http://"):
            self.kill()
            raise RuntimeError(f"the daemon did not start: {first!r}\n{self.log_path.read_text()[-3000:]}")
        self.url = first.split()[3]

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as a crash or power loss."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.kill()
        self.start()


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.02, what="condition",
             logs: Callable[[], str] | None = None):
    """`predicate()` once it is truthy. `what` may be a callable, to describe the state at the
    time of failure rather than at the call; `logs` adds the tail of a log to the failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    tail = ("\n--- log ---\n" + logs()[-6000:]) if logs else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what() if callable(what) else what}{tail}")


def store_states(data_dir: Path) -> dict[str, str]:
    """Job id -> state, read from the store file as another process would."""
    import sqlite3

    path = data_dir / "jobs.sqlite3"
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return dict(conn.execute("SELECT id, state FROM jobs").fetchall())
    except sqlite3.OperationalError:
        return {}
    finally:
        conn.close()


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def sparse_wav(path, data_bytes: int, rate: int = 44100, channels: int = 2):
    """A valid 16-bit WAV header followed by `data_bytes` of silence that takes no disk space."""
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
    header += b"data" + struct.pack("<I", data_bytes)
    with open(path, "wb") as out:
        out.write(header)
        out.truncate(len(header) + data_bytes)
    return path
