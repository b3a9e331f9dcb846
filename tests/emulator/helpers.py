"""Small tools the emulator tests share: test audio, polling a job, decoding results."""

from __future__ import annotations

import io
import time

import numpy as np
import requests
import soundfile as sf

from mvsep_bridge.daemon.audio import codecs

TIMEOUT = 10


def tone(seconds: float = 2.0, rate: int = 44100, channels: int = 2) -> np.ndarray:
    """A deterministic test signal with energy in every band (low, mid, high), peak < 0.6, and
    little noise: the lossy formats must reproduce it closely (harness.tone_mix is noisier)."""
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.2 * np.sin(2 * np.pi * 110 * t) + 0.15 * np.sin(2 * np.pi * 1000 * t) \
        + 0.1 * np.sin(2 * np.pi * 9000 * t)
    rng = np.random.default_rng(7)
    out = np.stack([mono * (1 - 0.3 * c) for c in range(channels)], axis=1)
    return (out + 0.02 * rng.standard_normal(out.shape)).astype(np.float32)


def wav_bytes(samples: np.ndarray, rate: int, subtype: str = "FLOAT") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def create(base: str, token: str, audio: bytes | None = None, name: str = "song.wav",
           **fields) -> requests.Response:
    data = {"api_token": token, **{k: str(v) for k, v in fields.items()}}
    files = {"audiofile": (name, audio)} if audio is not None else None
    return requests.post(f"{base}/api/separation/create", data=data, files=files, timeout=TIMEOUT)


def wait_for(base: str, job_hash: str, until=("done", "failed"), timeout: float = 20.0) -> dict:
    """Poll separation/get until the status is one of `until`; every body seen is kept."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = requests.get(f"{base}/api/separation/get", params={"hash": job_hash},
                            timeout=TIMEOUT).json()
        seen.append(body)
        if body["status"] in until:
            body["seen"] = seen
            return body
        time.sleep(0.1)
    raise AssertionError(f"{job_hash} never reached {until}: last {seen[-1] if seen else None}")


def download_decode(url: str, tmp_path, name: str) -> tuple[np.ndarray, int]:
    answer = requests.get(url, timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.headers["Content-Length"] == str(len(answer.content))
    path = tmp_path / name
    path.write_bytes(answer.content)
    return codecs.decode(path)
