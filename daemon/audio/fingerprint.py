"""Content hashes for the ledger: the same audio gives the same hash, whatever file it came in."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np


def audio_hash(samples: np.ndarray, rate: int) -> str:
    """sha256 hex of the canonical PCM: a header "pcm-f32le <rate> <channels> <frames>\\n", then
    the samples as float32 little-endian, interleaved frame by frame.

    The header makes a different rate or layout of the same numbers hash differently.
    """
    pcm = np.asarray(samples, dtype="<f4")
    if pcm.ndim == 1:
        pcm = pcm[:, None]
    hasher = AudioHasher(rate, pcm.shape[1], pcm.shape[0])
    hasher.update(pcm)
    return hasher.hexdigest()


class AudioHasher:
    """`audio_hash` of samples given block by block (the frame count is part of the header, so it
    is given first)."""

    def __init__(self, rate: int, channels: int, frames: int):
        self._digest = hashlib.sha256(f"pcm-f32le {int(rate)} {channels} {frames}\n".encode())

    def update(self, samples: np.ndarray) -> None:
        self._digest.update(np.ascontiguousarray(samples, dtype="<f4").data)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def file_sha256(path: Path | str) -> str:
    """sha256 hex of a file's bytes, read in chunks (never the whole file in memory)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
