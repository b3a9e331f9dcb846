"""A batch end to end through a real daemon on the emulator, against the physical bound.

    .venv/bin/python bench/batch.py [--count 10] [--seconds 30] [--bandwidth 10000000]
                                    [--waiting 1] [--processing 4] [--jitter 1] [--free]

Starts an emulator (premium account unless --free; MVSEP's real rate limits) and a daemon,
writes COUNT stereo 48 kHz / 24-bit WAVs of SECONDS each, and times one
`mvsep-bridge separate FILE… --sep-type 40` of them, then of one file alone through a fresh
daemon ("single": cold, no server pace known yet), and of one more file through the batch's
daemon restarted on the same HOME ("single, warm": it starts with the pace the batch taught it,
as a daemon that has run before does).
--jitter (default 1 s): each job processes a random extra, uniform in [0, JITTER] (the emulator's
processing_jitter_seconds, seeded per run, so a rerun draws the same). Without it every job takes
exactly waiting + processing, and the daemon's looks, timed from the upload's end, fall at the same
phase of each job's end run after run: done → download is then the luck of that phase (0.38 s cold,
0.20 s warm for the same daemon), not what a real server, whose ends are random to our looks,
would see. With it the figures over --repeat runs are an average over phases. The bounds count
each job's own time, so the jitter does not count against the daemon.
For each run:
- wall time against the bound: the upload bytes through the upload link, the server's own time
  per job (waiting + processing + its jitter) with the plan's concurrency, and the result bytes
  through the download link, pipelined as well as physics allows ("pipelined"); and the cruder
  sum of the three ("sum": bytes / bandwidth + the server's time for all jobs at the plan's
  concurrency, the issue's formula). The ratio is wall / bound.
  The emulator renders real audio, so on a loaded machine a job takes longer than configured:
  "measured" is the pipelined bound with each job's time on the server as seen (create to done);
  "server s" is their median.
- done → download start: when the emulator marked each job done vs when the daemon first asked
  for one of its result files (both on the emulator's clock), median and worst.
- polls (separation/get): in total, in the busiest minute (any 60 s window; MVSEP allows 60 per
  token) and the average rate over the run; answers 429; separation_history reads per batch;
  app/user reads (the daemon's "anything finished?" look, on the 120-a-minute limit).
- where the time goes (s from Enter): the first job on the server (command start, prepare, the
  first upload), the last upload in, the last job done, its results first asked for, the end.
--repeat N runs each N times and prints the median of every figure (the machine may be loaded).
Asserts MVSEP's limits from the emulator's counts: ≤ 60 polls in any minute, no 429.
Prints a table, then one JSON line per run.
"""

from __future__ import annotations

import argparse
import heapq
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from world import CLI, song, start_daemon, stop_daemon, world

SEP_TYPE = 40  # BS Roformer: two stems
#: the batch and the single file through fresh daemons (cold: no server pace known), then one more
#: file through the batch's daemon restarted on its HOME (warm: the pace the batch taught it)
RUNS = ("batch", "single", "single, warm")


def pipelined_bound(up_bytes: int, down_bytes: int, up_rate: int, down_rate: int,
                    server_seconds: list[float], concurrency: int) -> float:
    """The earliest the last result can be on disk: uploads back to back on one link, each job on
    the server as soon as it is uploaded and a plan slot is free, for its own time there
    (`server_seconds`, in upload order), downloads back to back as the jobs finish. Files are
    taken as equal in size (the batch's are)."""
    count = len(server_seconds)
    up_each = up_bytes / count / up_rate if up_rate else 0.0
    down_each = down_bytes / count / down_rate if down_rate else 0.0
    slots = [0.0] * concurrency  # when each plan slot is free again
    finished = []
    for i, seconds in enumerate(server_seconds):
        start = max((i + 1) * up_each, heapq.heappop(slots))
        heapq.heappush(slots, start + seconds)
        finished.append(start + seconds)
    end = 0.0
    for done in sorted(finished):
        end = max(end, done) + down_each
    return end


def sum_bound(up_bytes: int, down_bytes: int, up_rate: int, down_rate: int,
              server_seconds: list[float], concurrency: int) -> float:
    """Transfers and the server's time one after the other; the server's: all the jobs at the
    plan's concurrency (ceil(count / concurrency) x the time of one, when all take the same)."""
    return ((up_bytes / up_rate if up_rate else 0.0) + (down_bytes / down_rate if down_rate else 0.0)
            + pipelined_bound(0, 0, 0, 0, server_seconds, concurrency))


def separate(folder: Path, sources: list[Path], env: dict) -> tuple[float, float]:
    """One `mvsep-bridge separate` of `sources`, every job asserted done: (wall s, epoch at Enter)."""
    started, epoch = time.perf_counter(), time.time()
    result = subprocess.run([CLI, "separate", *map(str, sources), "--sep-type", str(SEP_TYPE),
                             "--out", str(folder / "out"), "--json"],
                            env=env, capture_output=True, text=True, timeout=3600, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"separate failed ({result.returncode}): {result.stderr[-2000:]}")
    states = [job["state"] for job in json.loads(result.stdout)]
    if states != ["done"] * len(sources):
        raise SystemExit(f"not every job is done: {states}")
    return wall, epoch


def run(folder: Path, count: int, seconds: float, args, seed: int, warm: bool = False) -> list[dict]:
    """The figures of COUNT files through a fresh daemon; with `warm`, then of one more file (other
    audio: the same would be the ledger's copy) through that daemon restarted on the same HOME,
    which starts with the server pace the first run taught it (data_dir/pace.json). `seed`: of
    the jitter's draws (each run its own, so --repeat averages over phases)."""
    folder.mkdir(parents=True)
    knobs = {"waiting_seconds": args.waiting, "processing_seconds": args.processing,
             "processing_jitter_seconds": args.jitter, "jitter_seed": seed,
             "upload_bandwidth": args.bandwidth, "download_bandwidth": args.bandwidth}
    sources = [song(folder / f"song{i:02d}.wav", seconds, seed=i) for i in range(count)]
    with world(folder, knobs, premium=not args.free) as (emulator, env, daemon):
        wall, epoch = separate(folder, sources, env)
        stats = emulator.stats()
        rows = [figures(count, seconds, args, wall, epoch, stats)]
        if warm:
            stop_daemon(daemon)
            again = start_daemon(folder, env)
            try:
                wall, epoch = separate(folder, [song(folder / "warm.wav", seconds, seed=count)], env)
                rows.append(figures(1, seconds, args, wall, epoch, emulator.stats(), before=stats))
            finally:
                stop_daemon(again)
        # with --keep: what the emulator saw
        (folder / "stats.json").write_text(json.dumps(emulator.stats(), indent=1))
    return rows


def figures(count: int, seconds: float, args, wall: float, epoch: float, stats: dict,
            before: dict | None = None) -> dict:
    """One run's figures from the emulator's stats; `before`: the stats before the run (its
    counts are taken off; the busiest minutes stay the session's, an upper bound for the run)."""
    empty = {"requests": 0, "bytes_in": 0, "bytes_out": 0, "status_429": 0, "busiest_minute": 0}
    earlier = (before or {}).get("endpoints", {})

    def endpoint(name: str) -> dict:
        now, then = stats["endpoints"].get(name, empty), earlier.get(name, empty)
        return {key: now[key] - then[key] if key != "busiest_minute" else now[key] for key in empty}

    endpoints = {name: endpoint(name) for name in stats["endpoints"]}
    seen = {j["hash"] for j in (before or {}).get("jobs", [])}
    jobs = sorted((j for j in stats["jobs"] if j["hash"] not in seen), key=lambda j: j["created"])
    up = endpoint("/api/separation/create")["bytes_in"]
    down = endpoint("/results/")["bytes_out"]
    polls = endpoint("/api/separation/get")
    concurrency = 1 if args.free else 10
    planned = [args.waiting + args.processing + j["processing_extra"] for j in jobs]
    bounds = {name: f(up, down, args.bandwidth, args.bandwidth, planned, concurrency)
              for name, f in (("pipelined", pipelined_bound), ("sum", sum_bound))}
    delays = [j["first_download_at"] - j["done_at"] for j in jobs]
    answers_429 = sum(e["status_429"] for e in endpoints.values())
    if polls["busiest_minute"] > 60 or answers_429:
        raise SystemExit(f"over MVSEP's limits: {polls['busiest_minute']} polls in a minute, {endpoints}")
    # the emulator renders real audio: on a loaded machine its jobs take longer than configured
    took = [j["done_at"] - j["created"] for j in jobs]
    measured = statistics.median(took)
    bounds["measured"] = pipelined_bound(up, down, args.bandwidth, args.bandwidth, took, concurrency)
    return {
        "files": count, "seconds_each": seconds, "bandwidth": args.bandwidth, "wall": round(wall, 2),
        "bound_pipelined": round(bounds["pipelined"], 2), "bound_sum": round(bounds["sum"], 2),
        "ratio_pipelined": round(wall / bounds["pipelined"], 2), "ratio_sum": round(wall / bounds["sum"], 2),
        "server_seconds_measured": round(measured, 2), "bound_measured": round(bounds["measured"], 2),
        "ratio_measured": round(wall / bounds["measured"], 2),
        "done_to_download_median": round(statistics.median(delays), 2),
        "done_to_download_worst": round(max(delays), 2),
        "polls": polls["requests"], "polls_busiest_minute": polls["busiest_minute"],
        "polls_per_minute_avg": round(polls["requests"] / wall * 60, 1),
        "answers_429": answers_429,
        "history_reads": endpoint("/api/app/separation_history")["requests"],
        "user_reads": endpoint("/api/app/user")["requests"],
        "user_reads_busiest_minute": endpoint("/api/app/user")["busiest_minute"],
        # where the time goes, seconds from Enter
        "t_first_on_server": round(min(j["created"] for j in jobs) - epoch, 2),
        "t_last_on_server": round(max(j["created"] for j in jobs) - epoch, 2),
        "t_last_done": round(max(j["done_at"] for j in jobs) - epoch, 2),
        "t_last_download": round(max(j["first_download_at"] for j in jobs) - epoch, 2),
        "creates": len(jobs), "upload_bytes": up, "download_bytes": down,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each WAV")
    parser.add_argument("--bandwidth", type=int, default=10_000_000,
                        help="bytes/s of the upload link and of the download link (0: unlimited)")
    parser.add_argument("--waiting", type=float, default=1.0)
    parser.add_argument("--processing", type=float, default=4.0)
    parser.add_argument("--jitter", type=float, default=1.0,
                        help="each job processes a random extra in [0, JITTER] s: ends out of step "
                             "with the daemon's looks (see above)")
    parser.add_argument("--free", action="store_true", help="a non-premium account (one job at a time)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the median of every figure")
    parser.add_argument("--keep", type=Path, help="work in this new folder and keep it (logs, stems)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mvsep-bench-") as tmp:
        where = args.keep or Path(tmp)
        runs = []
        for i in range(args.repeat):
            batch, warm = run(where / f"batch{i}", args.count, args.seconds, args, seed=2 * i + 1, warm=True)
            [single] = run(where / f"single{i}", 1, args.seconds, args, seed=2 * i + 2)
            runs.append([batch, single, warm])
    rows = [median_row([r[k] for r in runs]) for k in range(len(RUNS))]
    print(f"{'run':<14}{'wall s':>8}{'bound s':>9}{'ratio':>7}{'sum s':>7}{'ratio':>7}{'server s':>9}{'ratio':>7}"
          f"{'done→dl med':>12}{'worst':>7}{'polls':>7}{'max/min':>8}{'429':>5}{'history':>8}")
    for name, row in zip(RUNS, rows):
        print(f"{name:<14}{row['wall']:>8.2f}{row['bound_pipelined']:>9.2f}{row['ratio_pipelined']:>7.2f}"
              f"{row['bound_sum']:>7.2f}{row['ratio_sum']:>7.2f}{row['server_seconds_measured']:>9.2f}"
              f"{row['ratio_measured']:>7.2f}{row['done_to_download_median']:>12.2f}"
              f"{row['done_to_download_worst']:>7.2f}{row['polls']:>7}{row['polls_busiest_minute']:>8}"
              f"{row['answers_429']:>5}{row['history_reads']:>8}")
    print(f"{'where the time goes (s from Enter)':<36}{'first in':>9}{'last in':>8}{'last done':>10}"
          f"{'last dl':>8}{'end':>7}{'user reads':>11}")
    for name, row in zip(RUNS, rows):
        print(f"{name:<36}{row['t_first_on_server']:>9.2f}{row['t_last_on_server']:>8.2f}"
              f"{row['t_last_done']:>10.2f}{row['t_last_download']:>8.2f}{row['wall']:>7.2f}{row['user_reads']:>11}")
    for name, row in zip(RUNS, rows):
        print(json.dumps({"run": name, "runs": args.repeat, **row}))
    if args.repeat > 1:
        for each in runs:
            for name, row in zip(RUNS, each):
                print(json.dumps({"run": f"{name} (one of {args.repeat})", **row}))


def median_row(rows: list[dict]) -> dict:
    """Every figure's median over the runs (each figure on its own: a row of medians)."""
    return {key: (statistics.median(r[key] for r in rows) if isinstance(rows[0][key], (int, float))
                  else rows[0][key]) for key in rows[0]}


if __name__ == "__main__":
    main()
