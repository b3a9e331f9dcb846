"""How long a command takes from Enter to exit: `--help`, and `jobs` / `status` with a daemon
running (the issue's goal: <= 0.3 s on an idle machine), and the first `separate`-style start of a
daemon on demand; and how long `separate FILE --json` takes from Enter until the running daemon
has the job (the job's created_at, the daemon's clock when it stored the job: the same machine's
clock as this script's), on the emulator with a 30 s WAV.

    .venv/bin/python bench/cli_start.py [--runs 10]

The listing figures run in a scratch HOME with its own data dir on the local engine (no token,
no network); the `separate` figure in bench/world.py's world (an emulator and a daemon on
loopback). Prints a table and, last, one JSON line with every figure in seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from world import CLI, scratch_env, song, world

SEP_TYPE = 40  # as bench/batch.py
KNOBS = {"waiting_seconds": 0.2, "processing_seconds": 0.2}  # the job's server time is not measured here


def timed(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([CLI, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def listings(home: Path, runs: int) -> dict[str, list[float]]:
    env = scratch_env(home)
    figures: dict[str, list[float]] = {"--help": [timed(["--help"], env) for _ in range(runs)]}
    figures["jobs (no daemon)"] = [timed(["jobs"], env) for _ in range(runs)]
    start = time.perf_counter()
    daemon = subprocess.Popen([CLI, "daemon"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    daemon.stdout.readline()  # "daemon listening on …"
    figures["daemon start to listening"] = [time.perf_counter() - start]
    try:
        figures["jobs (daemon running)"] = [timed(["jobs"], env) for _ in range(runs)]
        figures["status JOB (daemon running)"] = [timed(["status", "0123456789ab"], env) for _ in range(runs)]
        figures["daemon status"] = [timed(["daemon", "status"], env) for _ in range(runs)]
    finally:
        daemon.terminate()
        daemon.wait(30)
    return figures


def separate_starts(folder: Path, runs: int) -> dict[str, list[float]]:
    """Enter → the job at the daemon, and Enter → exit, of `separate` with a daemon running."""
    folder.mkdir(parents=True)
    source = song(folder / "song.wav", 30.0)
    queued, ends = [], []
    with world(folder, KNOBS) as (_emulator, env, _daemon):
        for run in range(runs):
            epoch, started = time.time(), time.perf_counter()
            result = subprocess.run([CLI, "separate", str(source), "--sep-type", str(SEP_TYPE), "--json",
                                     "--out", str(folder / f"out{run}")],
                                    env=env, capture_output=True, text=True, timeout=600, check=False)
            ends.append(time.perf_counter() - started)
            if result.returncode != 0:
                raise SystemExit(f"separate failed ({result.returncode}): {result.stderr[-2000:]}")
            (job,) = json.loads(result.stdout)
            queued.append(datetime.fromisoformat(job["created_at"]).timestamp() - epoch)
    return {"separate: Enter → job at daemon": queued, "separate: Enter → exit": ends}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="mvsep-bench-") as tmp:
        figures = listings(Path(tmp) / "home", runs)
        figures.update(separate_starts(Path(tmp) / "world", runs))
    print(f"{'command':<34}{'median s':>10}{'worst s':>10}")
    for name, values in figures.items():
        print(f"{name:<34}{statistics.median(values):>10.3f}{max(values):>10.3f}")
    print(json.dumps({name: {"median": round(statistics.median(v), 4), "worst": round(max(v), 4)}
                      for name, v in figures.items()}))


if __name__ == "__main__":
    main()
