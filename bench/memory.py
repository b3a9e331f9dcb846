"""Peak memory of the local engine on a long file: bounded by a block, not by the file.

    .venv/bin/python bench/memory.py [--minutes 10] [--rate 44100]

Runs in this process on stereo noise and prints the peak resident memory (ru_maxrss) against
what the audio itself needs: the input, and the stems separate() returns (one input-sized array
per stem). "streamed" runs the same blocks but drops each block's stems after use (what a writer
that streams to disk would do): its extra memory is the block working set alone.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from mvsep_bridge.daemon.localsep import dsp


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
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


if __name__ == "__main__":
    main()
