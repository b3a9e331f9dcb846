"""Pure sample math for previews: a mix of stems, block by block, and where a start time falls."""

from __future__ import annotations

import numpy as np


def mix(blocks: list[np.ndarray], channels: int) -> np.ndarray:
    """The sum of the stems' blocks (frames x channels, float32) as `channels` channels: a mono
    stem goes to every channel; a shorter block (a stem that ended) counts as silence after it."""
    frames = max(len(b) for b in blocks)
    out = np.zeros((frames, channels), dtype=np.float32)
    for block in blocks:
        out[: len(block)] += block if block.shape[1] == channels else block[:, :1]
    return out


def start_frame(start: float, rate: int, frames: int) -> int:
    """The frame a preview starting at `start` seconds begins with, inside the file."""
    return min(max(0, round(start * rate)), frames)
