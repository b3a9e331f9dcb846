"""Small helpers for the client tests: real audio files and polling a real (emulated) server."""

from __future__ import annotations

import time

from mvsep_bridge.daemon.client import MvsepClient, Separation

from harness import write_wav  # noqa: F401 (the client tests' audio)


def wait_final(client: MvsepClient, job_hash: str, timeout: float = 60.0) -> Separation:
    deadline = time.monotonic() + timeout
    while True:
        result = client.get(job_hash)
        if result.status.final or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def job_of(stats: dict, job_hash: str) -> dict:
    return next(j for j in stats["jobs"] if j["hash"] == job_hash)
