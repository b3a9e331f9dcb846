"""A stem's waveform picture: min/max peaks per column, read from the file in blocks (a long stem
is never held in memory whole), drawn as an SVG the page shows as an image."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import soundfile as sf

COLUMNS = 600
BLOCK_FRAMES = 1 << 16


def peaks_of_blocks(blocks: Iterable[np.ndarray], frames: int, columns: int = COLUMNS) -> np.ndarray:
    """(columns, 2) array of the min and max sample (any channel) of each equal slice of the
    `frames` frames (frame f in column f * columns // frames), from 2-D blocks read in order."""
    columns = max(1, min(columns, frames))
    first_frame = -(-np.arange(columns + 1, dtype=np.int64) * frames // columns)  # ceil: where each column starts
    low, high = np.full(columns, np.inf, np.float32), np.full(columns, -np.inf, np.float32)
    offset = 0
    for block in blocks:
        if not len(block):
            continue
        # the columns this block touches, and where each starts in it (the first one may have
        # begun in the block before: merged with what that one found)
        # (frames past the header's count go to the last column)
        first = min(int(np.searchsorted(first_frame, offset, side="right")) - 1, columns - 1)
        last = min(int(np.searchsorted(first_frame, offset + len(block), side="left")), columns)
        starts = np.maximum(first_frame[first:last] - offset, 0)
        touched = slice(first, last)
        low[touched] = np.minimum(low[touched], np.minimum.reduceat(block, starts, axis=0).min(axis=1))
        high[touched] = np.maximum(high[touched], np.maximum.reduceat(block, starts, axis=0).max(axis=1))
        offset += len(block)
    empty = low > high  # a file shorter than its header said
    low[empty] = high[empty] = 0.0
    return np.stack([low, high], axis=1)


def peaks(path: Path, columns: int = COLUMNS) -> np.ndarray:
    info = sf.info(str(path))
    blocks = sf.blocks(str(path), blocksize=BLOCK_FRAMES, always_2d=True, dtype="float32")
    return peaks_of_blocks(blocks, info.frames, columns)


def svg(columns: np.ndarray, height: int = 100) -> str:
    """One vertical bar per column (viewBox units; the page stretches it to its width)."""
    middle = height / 2
    bars = " ".join(
        f"M{i} {middle - high * middle:.1f}V{middle - low * middle:.1f}"
        for i, (low, high) in enumerate(np.clip(columns, -1.0, 1.0))
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {len(columns)} {height}" '
            f'preserveAspectRatio="none"><path d="{bars}" stroke="#3b82f6" stroke-width="1" '
            f'vector-effect="non-scaling-stroke"/></svg>')
