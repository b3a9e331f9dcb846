"""Small helpers for the client tests: real audio files and polling a real (emulated) server."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import soundfile as sf

from mvsep_bridge.daemon.client import MvsepClient, Separation


def write_wav(path: Path, seconds: float = 2.0, rate: int = 44100, seed: int = 0) -> Path:
    noise = np.random.default_rng(seed).standard_normal((int(seconds * rate), 2)).astype("float32")
    sf.write(path, 0.1 * noise, rate, subtype="PCM_16")
    return path


def wait_final(client: MvsepClient, job_hash: str, timeout: float = 60.0) -> Separation:
    deadline = time.monotonic() + timeout
    while True:
        result = client.get(job_hash)
        if result.status.final or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def job_of(stats: dict, job_hash: str) -> dict:
    return next(j for j in stats["jobs"] if j["hash"] == job_hash)
