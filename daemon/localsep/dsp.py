"""The DSP engine: STFT masks applied block by block, so memory stays bounded for long files.

Each block is analysed with a margin of context on both sides, on the global frame grid, and only
its core is kept: the masks of a bin depend on a neighbourhood of TIME_KERNEL frames, so with
enough margin a block gives the same samples as analysing the whole file at once (a test checks
it), while only one block's spectra are ever in memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
from scipy.signal import ShortTimeFFT
from scipy.signal.windows import hann

from . import masks

#: frames of a block's core; ~12 s at 44.1 kHz, ~100 MB of spectra for stereo
BLOCK_FRAMES = 1 << 19

#: which masks make which stems, per recipe (the last stem of each is the rest of the mix)
RECIPES: dict[str, tuple[str, ...]] = {
    "four": ("vocals", "drums", "bass", "other"),
    "vocals": ("vocals", "instrumental"),
    "drums": ("drums", "other"),
    "bass": ("bass", "other"),
    "centre": ("center", "wide"),
}


def fft_size(rate: int) -> int:
    """A power of two of about 85 ms: 4096 at 44.1/48 kHz, so kernels mean the same at any rate."""
    return 1 << max(8, math.ceil(math.log2(rate * 0.085)))


def _stem_masks(recipe: str, spectra: np.ndarray, freqs: np.ndarray) -> dict[str, np.ndarray]:
    """The masks of every stem but the last (which takes the rest) for one block's spectra."""
    if recipe == "centre":
        return {"center": masks.centre(spectra)}
    drums = masks.percussive(masks.magnitude(spectra))
    if recipe == "drums":
        return {"drums": drums}
    harmonic = 1.0 - drums
    low = masks.low_band(freqs)
    bass = harmonic * low
    if recipe == "bass":
        return {"bass": bass}
    vocals = harmonic * (1.0 - low) * masks.centre(spectra)
    if recipe == "vocals":
        return {"vocals": vocals}
    return {"vocals": vocals, "drums": drums, "bass": bass}


def iter_blocks(
    samples: np.ndarray, rate: int, recipe: str, block_frames: int = BLOCK_FRAMES
) -> Iterator[tuple[int, int, dict[str, np.ndarray]]]:
    """Yield (first frame, frame count, stems) of each block of (frames, channels) float samples;
    each stem is (count, channels) float32, and the block's stems add up to its samples."""
    names = RECIPES[recipe]
    frames = samples.shape[0]
    n_fft = fft_size(rate)
    hop = n_fft // 4
    stft = ShortTimeFFT(hann(n_fft, sym=False).astype(np.float32), hop=hop, fs=rate, mfft=n_fft)
    freqs = stft.f.astype(np.float32)
    # context each side: the frames covering a sample, their median neighbourhood, and frames
    # whole inside the block (see module doc); a multiple of hop keeps the global frame grid
    margin = hop * math.ceil((2 * n_fft + (masks.TIME_KERNEL // 2 + 1) * hop) / hop)
    block_frames = max(hop, block_frames // hop * hop)
    for first in range(0, frames, block_frames):
        count = min(block_frames, frames - first)
        lo, hi = max(0, first - margin), min(frames, first + count + margin)
        block = np.asarray(samples[lo:hi], dtype=np.float32).T  # (channels, frames)
        if block.shape[1] < n_fft:  # a file shorter than one FFT: silence after it
            block = np.pad(block, ((0, 0), (0, n_fft - block.shape[1])))
        spectra = stft.stft(block)  # (channels, freqs, frames)
        core = slice(first - lo, first - lo + count)
        stems: dict[str, np.ndarray] = {}
        taken = np.zeros((count, samples.shape[1]), dtype=np.float64)
        for name, mask in _stem_masks(recipe, spectra, freqs).items():
            stem = stft.istft(spectra * mask.astype(np.float32), k1=block.shape[1])[:, core].T
            stems[name] = np.ascontiguousarray(stem, dtype=np.float32)
            taken += stems[name]
        # the last stem is the rest, so the stems sum to the input up to float32 rounding
        rest = np.asarray(samples[first : first + count], dtype=np.float64) - taken
        stems[names[-1]] = rest.astype(np.float32)
        yield first, count, {name: stems[name] for name in names}


def separate(
    samples: np.ndarray,
    rate: int,
    recipe: str,
    progress: Callable[[float], None] | None = None,
    block_frames: int = BLOCK_FRAMES,
) -> dict[str, np.ndarray]:
    """All stems of `recipe` for (frames, channels) samples, each the input's shape (float32)."""
    out = {name: np.zeros(samples.shape, dtype=np.float32) for name in RECIPES[recipe]}
    for first, count, stems in iter_blocks(samples, rate, recipe, block_frames):
        for name, stem in stems.items():
            out[name][first : first + count] = stem
        if progress:
            progress((first + count) / samples.shape[0])
    return out
