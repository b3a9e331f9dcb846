"""Local engine speed: seconds of work per second of audio, per local model, on a synthetic song
(default 3 minutes, 44.1 kHz stereo).

    .venv/bin/python bench/local_speed.py [--seconds 180] [--rate 44100] [--profile SEP_TYPE]

Reports CPU time (this process, which uses one core: the DSP engine runs numpy/scipy on one
thread) and wall time (which a loaded machine inflates). Prints a table, then one JSON line.
--profile SEP_TYPE prints cProfile's top calls of that model instead.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time

from mvsep_bridge.daemon.localsep import MODELS, separate
from mvsep_bridge.daemon.localsep.synth import song


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--rate", type=int, default=44_100)
    parser.add_argument("--profile", type=int, choices=sorted(MODELS), default=None)
    args = parser.parse_args()
    mix, _parts = song(args.seconds, args.rate)
    if args.profile is not None:
        profiler = cProfile.Profile()
        profiler.runcall(separate, mix, args.rate, args.profile)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        return
    rows = []
    for sep_type in sorted(MODELS):
        cpu, wall = time.process_time(), time.perf_counter()
        separate(mix, args.rate, sep_type)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        rows.append({"sep_type": sep_type, "model": MODELS[sep_type].name,
                     "cpu_s_per_s": round(cpu / args.seconds, 4), "wall_s_per_s": round(wall / args.seconds, 4)})
    print(f"synthetic song: {args.seconds:g} s, {args.rate} Hz, stereo")
    print(f"{'sep_type':<9}{'model':<48}{'CPU s/s':>9}{'wall s/s':>10}")
    for row in rows:
        print(f"{row['sep_type']:<9}{row['model']:<48}{row['cpu_s_per_s']:>9.3f}{row['wall_s_per_s']:>10.3f}")
    print(json.dumps({"seconds": args.seconds, "rate": args.rate, "rows": rows}))


if __name__ == "__main__":
    main()
