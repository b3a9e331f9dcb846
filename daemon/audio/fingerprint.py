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
    digest = hashlib.sha256(f"pcm-f32le {int(rate)} {pcm.shape[1]} {pcm.shape[0]}\n".encode())
    digest.update(np.ascontiguousarray(pcm).data)
    return digest.hexdigest()


def file_sha256(path: Path | str) -> str:
    """sha256 hex of a file's bytes, read in chunks (never the whole file in memory)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
