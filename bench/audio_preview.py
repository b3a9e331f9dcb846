"""Memory and speed of a stem preview: the player streams stems from disk block by block, so its
peak RSS grows by a few MiB whatever the stems' length, resampled or not.

    .venv/bin/python bench/audio_preview.py [--minutes 60] [--stems 4]

Writes sparse 16-bit WAV stems (silence that takes no disk space), points ALSA at a `null`
device through a temporary HOME/.asoundrc, plays them mixed through real PortAudio in this
process (the null device has no clock: it runs as fast as the player feeds it), once at the
stems' rate and once resampled, and prints the growth of peak RSS and the speed (x real time),
a table and then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from upload_memory import sparse_wav  # bench/ runs as scripts: its folder is on sys.path

RATE = 48_000


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--stems", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / ".asoundrc").write_text('pcm.bench_null { type null }\n')
        os.environ["HOME"] = str(home)  # before PortAudio loads: it reads the ALSA config once
        from mvsep_bridge.bridges.audio import portaudio
        from mvsep_bridge.bridges.audio.devices import choose, list_devices
        from mvsep_bridge.bridges.audio.player import Playback, StemFiles

        sd = portaudio.load()
        device = choose(list_devices(sd), "bench_null", "output")
        frames = round(args.minutes * 60 * RATE)
        paths = [sparse_wav(home / f"stem{i}.wav", frames * 4, rate=RATE) for i in range(args.stems)]
        files = StemFiles.open(paths)
        rows = []
        for rate in (RATE, 44_100):
            before = peak_rss_mib()
            playback = Playback(id="bench", job="bench", stems=[p.stem for p in paths], device=device,
                                files=files, rate=rate)
            started = time.perf_counter()
            playback.begin(sd)
            playback.wait()
            seconds = time.perf_counter() - started
            assert playback.state == "done", playback.error
            rows.append({"rate": rate, "resampled": rate != RATE, "stems": args.stems, "minutes": args.minutes,
                         "stem_mib": round(frames * 4 / 2 ** 20), "frames_played": playback.frames_played,
                         "seconds": round(seconds, 2), "x_real_time": round(args.minutes * 60 / seconds, 1),
                         "peak_rss_growth_mib": round(peak_rss_mib() - before, 1)})
    print(f"{'rate':>6} {'stems':>5} {'min':>5} {'MiB/stem':>8} {'s':>7} {'x rt':>7} {'RSS +MiB':>8}")
    for r in rows:
        print(f"{r['rate']:>6} {r['stems']:>5} {r['minutes']:>5g} {r['stem_mib']:>8} {r['seconds']:>7} "
              f"{r['x_real_time']:>7} {r['peak_rss_growth_mib']:>8}")
    print(json.dumps(rows))


if __name__ == "__main__":
    sys.exit(main())
