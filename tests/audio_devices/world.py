"""Small helpers of the audio device tests: the CLI as a process, a test signal, what was played."""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from processes import CLI


def run_cli(args: list[str], env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def noise(frames: int, channels: int = 2, seed: int = 0) -> np.ndarray:
    """24-bit-exact float32 noise (so FLAC 24 and float WAV both hold it exactly), never silent."""
    rng = np.random.default_rng(seed)
    ints = rng.integers(-(2 ** 22), 2 ** 22, size=(frames, channels))
    ints[ints == 0] = 1
    return (ints / 2 ** 23).astype(np.float32)


def write_song(path: Path, seconds: float = 2.0, rate: int = 48_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, noise(round(seconds * rate)) * 0.5, rate, subtype="PCM_24")
    return path


def separate(env: dict, source: Path) -> dict:
    """Separate `source` through the daemon (started on demand); the finished job's view."""
    result = run_cli(["separate", str(source), "--json"], env)
    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    assert view["state"] == "done" and len(view["stems"]) >= 2
    return view


def stem_samples(job: dict, name: str) -> np.ndarray:
    stem = next(s for s in job["stems"] if s["name"] == name)
    samples, _ = sf.read(Path(job["result_dir"]) / stem["file"], dtype="float32", always_2d=True)
    return samples


def assert_played(played: np.ndarray, expected: np.ndarray, exact: bool = True) -> None:
    """`played` is silence (PortAudio primes the device with it), then `expected`, then silence."""
    lead = int(np.flatnonzero(np.any(played != 0, axis=1))[0]) - int(np.flatnonzero(np.any(expected != 0, axis=1))[0])
    assert lead >= 0 and not played[:lead].any()
    assert len(played) >= lead + len(expected), f"{len(played) - lead} of {len(expected)} frames played"
    if exact:
        np.testing.assert_array_equal(played[lead:lead + len(expected)], expected)
    else:
        np.testing.assert_allclose(played[lead:lead + len(expected)], expected, atol=1e-4)
    assert not played[lead + len(expected):].any()


def assert_played_prefix(played: np.ndarray, expected: np.ndarray) -> int:
    """`played` is silence, then the start of `expected` (a preview cut short); returns its frames."""
    lead = int(np.flatnonzero(np.any(played != 0, axis=1))[0]) - int(np.flatnonzero(np.any(expected != 0, axis=1))[0])
    assert lead >= 0 and not played[:lead].any()
    heard = played[lead:]
    np.testing.assert_array_equal(heard, expected[:len(heard)])
    return len(heard)


def read_some(fd: int, size: int) -> bytes:
    """`size` bytes from a blocking FIFO end."""
    os.set_blocking(fd, True)
    data = b""
    while len(data) < size:
        data += os.read(fd, size - len(data))
    return data


def bite(fd: int) -> bytes:
    """What a slow device takes now: 4 KB per 20 ms (about a quarter of real time for 48 kHz
    stereo float, so a command has seconds to act before a preview could end by itself), or
    nothing after a short wait (never blocks for long: the stream may have ended)."""
    time.sleep(0.02)
    if not select.select([fd], [], [], 0.05)[0]:
        return b""
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 4096)
    except BlockingIOError:
        return b""


def offer(fd: int, data: bytes) -> bool:
    """Give a slow input device `data` (at most PIPE_BUF bytes, so all or nothing) if it has room."""
    if not select.select([], [fd], [], 0.05)[1]:
        return False
    os.set_blocking(fd, False)
    try:
        return os.write(fd, data) == len(data)
    except BlockingIOError:
        return False


def read_available(fd: int) -> bytes:
    os.set_blocking(fd, False)
    data = b""
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return data
        data += chunk


def while_running(call, keep_device_moving) -> dict:
    """Run `call()` on a thread (it waits for a stream that only moves when the test moves the
    device) and call `keep_device_moving()` until it returns; its answer."""
    answer: list = []
    thread = threading.Thread(target=lambda: answer.append(call()))
    thread.start()
    while thread.is_alive():
        keep_device_moving()
    return answer[0]


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


class Feeder:
    """Feeds `samples` into a FIFO input device: first a whole pipeful, then 4 KB at a time (a pipe
    takes that whole or not at all) as far as the device takes them; `sent` frames so far.

    ALSA's file plugin does not retry a short read: a read that finds the pipe less full than it
    asks fills the rest with whatever its buffer held. Only what the device read from the first,
    full pipeful (`whole` frames) comes in exactly; a plain file has no short reads at all."""

    PIPE_BYTES = 1 << 20

    def __init__(self, fd: int, samples: np.ndarray):
        self.fd, self.samples = fd, samples
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, self.PIPE_BYTES)
        self.whole = self.PIPE_BYTES // samples[0].nbytes
        os.set_blocking(fd, True)
        os.write(fd, samples[:self.whole].tobytes())  # an empty pipe of this size takes it at once
        self.sent = self.whole

    def __call__(self, frames: int = 512) -> None:
        if offer(self.fd, self.samples[self.sent:self.sent + frames].tobytes()):
            self.sent += frames
