"""Small helpers of the audio device tests: the CLI as a process, a test signal, what was played."""

from __future__ import annotations

import subprocess
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
