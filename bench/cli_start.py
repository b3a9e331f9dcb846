"""How long a command takes from Enter to exit: `--help`, and `jobs` / `status` with a daemon
running (the issue's goal: <= 0.3 s on an idle machine), and the first `separate`-style start of a
daemon on demand.

    .venv/bin/python bench/cli_start.py [--runs 10]

Runs in a scratch HOME with its own data dir on the local engine (no token, no network). Prints a
table and, last, one JSON line with every figure in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = str(Path(sys.executable).with_name("mvsep-bridge"))


def timed(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([CLI, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MVSEP_")}
        env.update(HOME=home, XDG_CONFIG_HOME=f"{home}/.config", XDG_DATA_HOME=f"{home}/.local/share",
                   XDG_STATE_HOME=f"{home}/.local/state", XDG_CACHE_HOME=f"{home}/.cache")
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
    print(f"{'command':<28}{'median s':>10}{'worst s':>10}")
    for name, values in figures.items():
        print(f"{name:<28}{statistics.median(values):>10.3f}{max(values):>10.3f}")
    print(json.dumps({name: {"median": round(statistics.median(v), 4), "worst": round(max(v), 4)}
                      for name, v in figures.items()}))


if __name__ == "__main__":
    main()
