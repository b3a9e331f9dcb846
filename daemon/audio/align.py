"""Find and remove the time offset between a returned stem and the audio that was sent.

Sign convention: a lag L > 0 means the candidate is late: candidate[n + L] lines up with
reference[n] (codec priming, a server's padding). L < 0 means it is early (frames lost at its
start). `fit(samples, L, frames)` undoes either.

Stems are aligned as a group: measure the lag once, on the SUM of the stems against the uploaded
section (`stems_lag`), and shift every stem by that one lag. The sum is the whole mix again, so it
correlates strongly with the section; a single stem may be silent (no vocals in this section) or
barely correlated with the mix (a quiet pad), and its own peak could be anywhere. One shift for
all also keeps the stems summing to the mix.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: reference frames per correlation block: bounds memory for hour-long sections
_BLOCK = 1 << 16


def mono(samples: np.ndarray) -> np.ndarray:
    """Mean of the channels as float64 (1-D input is taken as mono)."""
    samples = np.asarray(samples)
    return samples.astype(np.float64) if samples.ndim == 1 else samples.mean(axis=1, dtype=np.float64)


def correlation(reference: np.ndarray, candidate: np.ndarray, max_lag: int) -> np.ndarray:
    """Cross-correlation of the mono mixdowns for lags -max_lag..max_lag (index = lag + max_lag).

    c[L] = sum_n reference[n] * candidate[n + L], over the whole reference, candidate taken as 0
    outside its frames (so it may be longer or shorter). Computed block by block with FFTs so
    memory stays bounded by the block size, whatever the length.
    """
    if max_lag < 0:
        raise ValueError("max_lag must be >= 0")
    ref, cand = mono(reference), mono(candidate)
    # pad the candidate so every block can read max_lag frames either side of its span
    padded = np.zeros(ref.shape[0] + 2 * max_lag)
    usable = min(cand.shape[0], ref.shape[0] + max_lag)
    padded[max_lag : max_lag + usable] = cand[:usable]
    total = np.zeros(2 * max_lag + 1)
    for start in range(0, ref.shape[0], _BLOCK):
        block = ref[start : start + _BLOCK]
        span = padded[start : start + block.shape[0] + 2 * max_lag]
        total += _valid_correlation(span, block)
    return total


def _valid_correlation(span: np.ndarray, block: np.ndarray) -> np.ndarray:
    """c[k] = sum_n block[n] * span[n + k] for k = 0 .. len(span) - len(block), by FFT. A circular
    correlation of length >= len(span) never wraps for these k, so no more padding is needed."""
    n = 1 << (span.shape[0] - 1).bit_length()  # numpy's FFT, not scipy's: a second less daemon start-up
    circular = np.fft.irfft(np.fft.rfft(span, n) * np.conj(np.fft.rfft(block, n)), n)
    return circular[: span.shape[0] - block.shape[0] + 1]


def find_lag(reference: np.ndarray, candidate: np.ndarray, max_lag: int) -> int:
    """The lag (see module doc) within ±max_lag at which candidate best matches reference.

    Silence on either side gives 0: when there is nothing to line up, every shift is as good.
    """
    corr = correlation(reference, candidate, max_lag)
    if not np.any(corr):
        return 0
    return int(np.argmax(corr)) - max_lag


def stems_lag(reference: np.ndarray, stems: Iterable[np.ndarray], max_lag: int) -> int:
    """One lag for a group of stems: measured on their sum (see module doc)."""
    stems = list(stems)
    if not stems:
        raise ValueError("no stems to align")
    frames = max(s.shape[0] for s in stems)
    total = np.zeros(frames)
    for stem in stems:
        total[: stem.shape[0]] += mono(stem)
    return find_lag(reference, total, max_lag)


def fit(samples: np.ndarray, lag: int, frames: int) -> np.ndarray:
    """Undo `lag` (drop its first `lag` frames, or prepend -lag frames of silence), then cut or
    pad with silence at the end to exactly `frames` frames."""
    samples = np.asarray(samples)
    if lag > 0:
        samples = samples[lag:]
    elif lag < 0:
        samples = np.concatenate([np.zeros((-lag,) + samples.shape[1:], samples.dtype), samples])
    if samples.shape[0] >= frames:
        return np.ascontiguousarray(samples[:frames])
    tail = np.zeros((frames - samples.shape[0],) + samples.shape[1:], samples.dtype)
    return np.concatenate([samples, tail])
