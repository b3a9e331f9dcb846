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
    `frames` frames, from 2-D blocks read in order. Columns without frames stay 0."""
    columns = max(1, min(columns, frames))
    low, high = np.full(columns, np.inf, np.float32), np.full(columns, -np.inf, np.float32)
    offset = 0
    for block in blocks:
        if not len(block):
            continue
        column = (np.arange(offset, offset + len(block), dtype=np.int64) * columns) // max(frames, 1)
        column = np.minimum(column, columns - 1)
        low_per_frame, high_per_frame = block.min(axis=1), block.max(axis=1)
        np.minimum.at(low, column, low_per_frame)
        np.maximum.at(high, column, high_per_frame)
        offset += len(block)
    empty = low > high
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
