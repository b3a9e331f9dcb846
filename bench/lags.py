"""Print the delay each MVSEP output format adds, as our decoders see it.

    .venv/bin/python bench/lags.py

For each format and rate: encode 3 s of band-limited noise the way a server does (no gapless
metadata) and the way write_atomic does (gapless), decode with soundfile and with PyAV, and print
the lag (frames the decoded audio is late) and the extra frames. mp3 goes through libsndfile's
mpg123 by default; PyAV is FFmpeg's decoder of the same file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import av
import numpy as np
import soundfile as sf
from scipy.signal import butter, sosfilt

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.audio.align import find_lag


def pyav_decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [f.to_ndarray() for f in container.decode(stream)]
    return np.concatenate(chunks, axis=1).T if chunks[0].ndim == 2 else np.concatenate(chunks)


def main() -> None:
    print(f"{'format':<20}{'rate':>7}  {'writer':<8}{'decoder':<10}{'lag':>6}{'extra':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for rate in (44_100, 48_000):
            rng = np.random.default_rng(0)
            lowpass = butter(8, 12_000, fs=rate, output="sos")
            x = sosfilt(lowpass, rng.standard_normal((3 * rate, 2)) * 0.2, axis=0).astype(np.float32)
            for fmt in range(6):
                for gapless in (False, True) if fmt in (0, 3) else (False,):
                    path = Path(tmp) / f"x{fmt}{gapless}.{codecs.extension(fmt)}"
                    codecs.encode(x, rate, fmt, path, gapless=gapless)
                    decoders = {"codecs": lambda p: codecs.decode(p)[0], "pyav": pyav_decode}
                    if fmt == 0:
                        decoders["soundfile"] = lambda p: sf.read(str(p), dtype="float32", always_2d=True)[0]
                    for name, decode in decoders.items():
                        y = decode(path)
                        if y.ndim == 2 and y.shape[1] != 2:
                            y = y.reshape(-1, 2)
                        print(
                            f"{codecs.OUTPUT_FORMATS[fmt][0]:<20}{rate:>7}  "
                            f"{'gapless' if gapless else 'plain':<8}{name:<10}"
                            f"{find_lag(x, y, 4096):>6}{y.shape[0] - x.shape[0]:>7}"
                        )


if __name__ == "__main__":
    main()
