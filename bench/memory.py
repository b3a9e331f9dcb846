"""Peak memory on a long file: of the local engine, and of the daemon end to end.

    .venv/bin/python bench/memory.py [--minutes 10] [--rate 44100]
    .venv/bin/python bench/memory.py daemon [--minutes 60] [--format 2]

The local engine runs in this process on stereo noise and prints the peak resident memory
(ru_maxrss) against what the audio itself needs: the input, and the stems separate() returns (one
input-sized array per stem). "streamed" runs the same blocks but drops each block's stems after
use (what a writer that streams to disk would do): its extra memory is the block working set alone.

`daemon`: a real daemon on the emulator (bench/world.py) separates a 48 kHz / 24-bit stereo WAV of
that length (goal: the daemon's peak RSS <= 300 MB). Prints each process's peak RSS (VmHWM, read
just before it stops) and where the daemon's went, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from mvsep_bridge.daemon.localsep import dsp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from world import CLI, world  # noqa: E402 (the benches' emulator + daemon)

BLOCK = 1 << 20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    if sys.argv[1:2] == ["daemon"]:
        return daemon_memory(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=44_100)
    args = parser.parse_args()
    frames = int(args.minutes * 60 * args.rate)
    rng = np.random.default_rng(0)
    samples = np.empty((frames, 2), np.float32)
    for start in range(0, frames, 1 << 22):  # fill in chunks: no float64 copy of the whole file
        n = min(1 << 22, frames - start)
        samples[start : start + n] = rng.standard_normal((n, 2), dtype=np.float32) * 0.1
    audio_mib = samples.nbytes / 2**20
    print(f"input: {args.minutes:g} min stereo {args.rate} Hz float32 = {audio_mib:.0f} MiB; "
          f"block core {dsp.BLOCK_FRAMES} frames")

    base = peak_mib()
    print(f"before   : peak RSS {base:.0f} MiB (Python, numpy, scipy and the input)")
    started = time.perf_counter()
    for _ in dsp.iter_blocks(samples, args.rate, "four"):
        pass
    streamed = peak_mib()
    print(f"streamed : peak RSS {streamed:.0f} MiB = before + {streamed - base:.0f} MiB working set "
          f"({time.perf_counter() - started:.1f} s)")

    started = time.perf_counter()
    stems = dsp.separate(samples, args.rate, "four")
    whole = peak_mib()
    held = sum(s.nbytes for s in stems.values()) / 2**20
    print(f"separate : peak RSS {whole:.0f} MiB = before + {held:.0f} MiB of stems "
          f"+ {whole - base - held:.0f} MiB working set ({time.perf_counter() - started:.1f} s)")


def long_song(path: Path, minutes: float, rate: int = 48_000) -> Path:
    """Tones + noise, 24-bit stereo, written block by block (the bench itself stays small)."""
    rng = np.random.default_rng(0)
    frames = int(minutes * 60 * rate)
    with sf.SoundFile(path, "w", rate, 2, subtype="PCM_24") as out:
        for start in range(0, frames, BLOCK):
            t = np.arange(start, min(frames, start + BLOCK)) / rate
            tones = np.stack([0.25 * np.sin(2 * np.pi * 220 * t), 0.25 * np.sin(2 * np.pi * 331 * t + 1.0)], axis=1)
            out.write((tones + 0.1 * rng.standard_normal(tones.shape)).astype(np.float32))
    return path


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had (MB = 10^6 bytes)."""
    with open(f"/proc/{pid}/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return kib * 1024 / 1e6


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/PID/stat, in clock ticks)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def daemon_memory(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="memory.py daemon")
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--format", type=int, default=2, help="output_format code (2: flac 16 bit)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the folder (logs, stems) here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        source = long_song(folder / "long.wav", args.minutes)
        knobs = {"waiting_seconds": 0.2, "processing_seconds": 0.2, "distribute_threshold": 1e9}
        with world(folder, knobs) as (emulator, env, daemon):
            started = time.perf_counter()
            result = subprocess.run([CLI, "separate", str(source), "--sep-type", "40", "--format",
                                     str(args.format), "--out", str(folder / "out"), "--json"],
                                    env=env, capture_output=True, text=True, timeout=3600, check=False)
            wall = time.perf_counter() - started
            figures = {"minutes": args.minutes, "source_bytes": source.stat().st_size, "wall_s": round(wall, 1),
                       "daemon_peak_rss_mb": round(peak_rss_mb(daemon.pid), 1),
                       "emulator_peak_rss_mb": round(peak_rss_mb(emulator.process.pid), 1),
                       "daemon_cpu_s": round(cpu_seconds(daemon.pid), 1)}
        if result.returncode != 0:
            raise SystemExit(f"separate failed ({result.returncode}): {result.stderr[-2000:]}")
        jobs = json.loads(result.stdout)
        figures["stems"] = {stem["name"]: sf.info(str(Path(jobs[0]["result_dir"]) / stem["file"])).frames
                            for stem in jobs[0]["stems"]}
    print(f"{args.minutes:g} min 48 kHz / 24-bit stereo ({figures['source_bytes'] / 1e6:.0f} MB), "
          f"separated in {figures['wall_s']} s")
    print(f"daemon peak RSS   {figures['daemon_peak_rss_mb']:>8.1f} MB (goal <= 300)")
    print(f"emulator peak RSS {figures['emulator_peak_rss_mb']:>8.1f} MB")
    print(f"daemon CPU        {figures['daemon_cpu_s']:>8.1f} s (user + system, its start included)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
