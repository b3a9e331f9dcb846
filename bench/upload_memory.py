"""Memory while uploading a long source: the client streams it from disk, so its peak RSS grows
by a few MiB whatever the file's size.

    .venv/bin/python bench/upload_memory.py [--gib 1]

Starts an emulator on loopback, uploads a sparse WAV of the given size with MvsepClient in this
process, cancels the job, and prints the growth of this process's peak RSS and the upload speed
(a table, then one JSON line).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from mvsep_bridge.daemon.client import MvsepClient, SeparationInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from harness import sparse_wav  # noqa: E402 (the tests' sparse WAV maker, not a copy of it)

CLI = str(Path(sys.executable).with_name("mvsep-bridge"))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=1.0)
    size = int(parser.parse_args().gib * (1 << 30)) // 4 * 4
    with tempfile.TemporaryDirectory() as tmp:
        emulator = subprocess.Popen([CLI, "emulator", "--port", "0", "--state", f"{tmp}/state",
                                     "--set", "waiting_seconds=3600"], stdout=subprocess.PIPE, text=True)
        try:
            base = emulator.stdout.readline().split()[-1]
            account = requests.post(f"{base}/_emulator/accounts", json={"premium": True, "credits": 100_000},
                                    timeout=30).json()
            source = sparse_wav(Path(tmp) / "long.wav", size)
            with MvsepClient(base, account["api_token"], timeout=(10, 600)) as client:
                before = peak_rss_mib()
                start = time.perf_counter()
                job = client.create_once(SeparationInput(sep_type=40, audiofile=source))
                seconds = time.perf_counter() - start
                growth = peak_rss_mib() - before
                client.cancel(job.hash)
        finally:
            emulator.terminate()
            emulator.wait(30)
    figures = {"bytes": size, "peak_rss_growth_mib": round(growth, 1), "seconds": round(seconds, 2),
               "mib_per_s": round(size / (1 << 20) / seconds, 1)}
    print(f"uploaded {size / (1 << 30):.2f} GiB in {seconds:.1f} s ({figures['mib_per_s']} MiB/s); "
          f"peak RSS grew {growth:.1f} MiB")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
