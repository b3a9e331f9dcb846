"""Post-processing speed per stem (the finish stage: decode, resample, align, trim, write) on
one core, per output format, with and without resampling (goal: >= 100x realtime).

    .venv/bin/python bench/finish.py [--seconds 60] [--stems 2] [--profile FORMAT]

Builds a 48 kHz / 24-bit stereo section as the daemon uploads it (FLAC), and stems as MVSEP
returns them: at 44.1 kHz (resampled back to 48 kHz) or at 48 kHz (no resample), in the asked
format, with the codec's own delay. Then runs the daemon's own `finish_stems` on them, pinned to
one core; the CPU time counted is this process's and its children's (the ffmpeg CLI that encodes
mp3 when it is on PATH inherits the one core). "encode alone" is the output format's
encoder by itself on the samples the chain writes (also where the chain kept the server's file
and encoded nothing); the rest of the chain is the difference. Prints a table, then one
JSON line. --profile FORMAT prints cProfile's top calls of that format's resampled run instead
(this process only). To measure the PyAV encoders, run with a PATH that has no ffmpeg.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import sys
import tempfile
from pathlib import Path

import numpy as np

from mvsep_bridge.daemon.audio import codecs, lossy
from mvsep_bridge.daemon.audio.finish import finish_stems
from mvsep_bridge.daemon.audio.formats import FLAC_24, FLOAT_WAV, FORMATS, LOSSY_FORMATS
from mvsep_bridge.daemon.audio.resample import resample
from mvsep_bridge.daemon.emulator.split import band_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from world import song  # noqa: E402 (the benches' test song)

RATE = 48_000
MAX_LAG = RATE // 2  # the daemon's 0.5 s


def returned_stems(section: np.ndarray, server_rate: int, fmt: int, count: int, folder: Path) -> list[Path]:
    """What the server sends back: the section split, at its rate, in format `fmt`."""
    paths = []
    for index, stem in enumerate(band_split(resample(section, RATE, server_rate), server_rate, count)):
        path = folder / f"stem{index}.{codecs.extension(fmt)}"
        codecs.encode(stem, server_rate, fmt, path)
        paths.append(path)
    return paths


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children, all pinned to one core (the machine is
    shared: wall time would measure the neighbours)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):  # microseconds, not os.times' ticks
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def run(folder: Path, reference: Path, stems: list[Path], fmt: int, frames: int) -> float:
    out = folder / "out"
    out.mkdir(exist_ok=True)
    pairs = [(stem, out / stem.name) for stem in stems]
    started = cpu_seconds()
    finish_stems(reference, pairs, RATE, frames, 0, fmt, MAX_LAG)
    return cpu_seconds() - started


def encode_alone(folder: Path, reference: Path, stems: list[Path], fmt: int, frames: int) -> float:
    """The output format's encoder by itself, on exactly the samples the chain writes (the chain
    run once more, to float wav): CPU per stem."""
    lossless = folder / "lossless"
    lossless.mkdir(exist_ok=True)
    pairs = [(stem, lossless / f"{stem.stem}.wav") for stem in stems]
    finish_stems(reference, pairs, RATE, frames, 0, FLOAT_WAV, MAX_LAG)
    written = [codecs.decode(target)[0] for _stem, target in pairs]
    started = cpu_seconds()
    for samples in written:
        codecs.encode(samples, RATE, fmt, folder / f"alone.{codecs.extension(fmt)}", gapless=True)
    return (cpu_seconds() - started) / len(written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--stems", type=int, default=2)
    parser.add_argument("--profile", type=int, choices=sorted(FORMATS), default=None)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reference = song(folder / "section.wav", args.seconds, RATE)
        section, _ = codecs.decode(reference)
        upload = folder / "section.flac"
        codecs.encode(section, RATE, FLAC_24, upload)
        formats = [args.profile] if args.profile is not None else sorted(FORMATS)
        for fmt in formats:
            for server_rate in (44_100, RATE):
                work = folder / f"{fmt}-{server_rate}"
                work.mkdir()
                stems = returned_stems(section, server_rate, fmt, args.stems, work)
                if args.profile is not None and server_rate != RATE:
                    profiler = cProfile.Profile()
                    profiler.runcall(run, work, upload, stems, fmt, section.shape[0])
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
                    return
                seconds = run(work, upload, stems, fmt, section.shape[0])
                per_stem = seconds / args.stems
                alone = encode_alone(work, upload, stems, fmt, section.shape[0])
                rows.append({"format": FORMATS[fmt].label, "code": fmt, "resampled": server_rate != RATE,
                             "cpu_s_per_stem": round(per_stem, 3), "x_realtime": round(args.seconds / per_stem, 1),
                             "encode_alone_x_realtime": round(args.seconds / alone, 1)})
    encoders = {FORMATS[f].extension: "ffmpeg CLI" if lossy.cli_for(FORMATS[f].ffmpeg[1]) else "PyAV"
                for f in sorted(LOSSY_FORMATS)}
    print(f"{args.seconds:g} s stereo section at 48 kHz, {args.stems} stems, one core (CPU time); encoded by "
          + ", ".join(f"{ext}: {by}" for ext, by in encoders.items()))
    print(f"{'format':<22}{'resampled':>10}{'s per stem':>12}{'x realtime':>12}{'encode alone':>14}")
    for row in rows:
        flag = "44.1→48k" if row["resampled"] else "no"
        print(f"{row['format']:<22}{flag:>10}{row['cpu_s_per_stem']:>12.3f}{row['x_realtime']:>12.1f}"
              f"{row['encode_alone_x_realtime']:>13.1f}x")
    print(json.dumps({"seconds": args.seconds, "stems": args.stems, "encoders": encoders, "rows": rows}))


if __name__ == "__main__":
    main()
