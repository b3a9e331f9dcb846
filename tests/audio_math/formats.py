"""Make a test file in each input format the daemon must read."""

from pathlib import Path

import numpy as np
import soundfile as sf

from mvsep_bridge.daemon.audio import codecs

#: extension → how to write it (codecs.encode for MVSEP's formats, soundfile for the others)
INPUT_FORMATS = ("wav", "flac", "aiff", "mp3", "m4a", "ogg")


def write_input(samples: np.ndarray, rate: int, ext: str, folder: Path) -> Path:
    path = folder / f"source.{ext}"
    if ext == "aiff":
        sf.write(path, samples, rate, format="AIFF", subtype="PCM_16")
    elif ext == "ogg":
        sf.write(path, samples, rate, format="OGG", subtype="VORBIS")
    else:
        fmt = {"wav": 4, "flac": 5, "mp3": 0, "m4a": 3}[ext]
        codecs.encode(samples, rate, fmt, path)
    return path
