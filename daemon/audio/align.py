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

from collections.abc import Callable, Iterable, Iterator

import numpy as np

#: reference frames per correlation block: bounds memory for hour-long sections
_BLOCK = 1 << 16
#: blocks in a row the correlation so far must peak at one lag before that lag is offered as a
#: guess (streamed_stems_lag's on_steady)
STEADY_BLOCKS = 3


def mono(samples: np.ndarray) -> np.ndarray:
    """Mean of the channels as float64 (1-D input is taken as mono)."""
    samples = np.asarray(samples)
    if samples.ndim == 1:
        return samples.astype(np.float64)
    # column by column, in order: the same sums as mean(axis=1), without its slow strided reduce
    total = samples[:, 0].astype(np.float64)
    for channel in range(1, samples.shape[1]):
        total += samples[:, channel]
    return total / samples.shape[1]


def correlation(reference: np.ndarray, candidate: np.ndarray, max_lag: int) -> np.ndarray:
    """Cross-correlation of the mono mixdowns for lags -max_lag..max_lag (index = lag + max_lag).

    c[L] = sum_n reference[n] * candidate[n + L], over the whole reference, candidate taken as 0
    outside its frames (so it may be longer or shorter).
    """
    return streamed_correlation([mono(reference)], [mono(candidate)], max_lag)


def streamed_correlation(reference: Iterable[np.ndarray], candidate: Iterable[np.ndarray], max_lag: int) -> np.ndarray:
    """`correlation` of two mono float64 signals given as blocks of any size, consumed as they
    come: computed per _BLOCK frames of the reference with FFTs, holding only that block and the
    candidate's frames around it, so memory stays bounded whatever the length."""
    total = np.zeros(2 * max_lag + 1)
    for total in running_correlation(reference, candidate, max_lag):
        pass
    return total


def running_correlation(reference: Iterable[np.ndarray], candidate: Iterable[np.ndarray],
                        max_lag: int) -> Iterator[np.ndarray]:
    """`streamed_correlation` so far, after each _BLOCK frames of the reference (the same array,
    updated in place: copy it to keep it)."""
    if max_lag < 0:
        raise ValueError("max_lag must be >= 0")
    window = _Window(iter(candidate))
    total = np.zeros(2 * max_lag + 1)
    start = 0
    for block in _rechunk(reference, _BLOCK):
        # the candidate's frames [start - max_lag, start + len + max_lag), zeros outside it
        span = window.take(start - max_lag, start + block.shape[0] + max_lag)
        total += _valid_correlation(span, block)
        start += block.shape[0]
        window.drop_before(start - max_lag)
        yield total


def _valid_correlation(span: np.ndarray, block: np.ndarray) -> np.ndarray:
    """c[k] = sum_n block[n] * span[n + k] for k = 0 .. len(span) - len(block), by FFT. A circular
    correlation of length >= len(span) never wraps for these k, so no more padding is needed."""
    n = 1 << (span.shape[0] - 1).bit_length()  # numpy's FFT, not scipy's: a second less daemon start-up
    circular = np.fft.irfft(np.fft.rfft(span, n) * np.conj(np.fft.rfft(block, n)), n)
    return circular[: span.shape[0] - block.shape[0] + 1]


def _rechunk(blocks: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """The same 1-D signal in blocks of exactly `size` (the last one shorter)."""
    held = np.zeros(0)
    for block in blocks:
        held = np.concatenate([held, block])
        while held.shape[0] >= size:
            yield held[:size]
            held = held[size:]
    if held.shape[0]:
        yield held


class _Window:
    """Frames of a 1-D signal streamed as blocks, asked for in increasing, overlapping spans."""

    def __init__(self, blocks: Iterator[np.ndarray]):
        self._blocks, self._first, self._held = blocks, 0, np.zeros(0)

    def take(self, begin: int, end: int) -> np.ndarray:
        """Frames [begin, end) of the signal, zeros outside it."""
        while self._first + self._held.shape[0] < end:
            block = next(self._blocks, None)
            if block is None:
                break
            self._held = np.concatenate([self._held, block])
        span = np.zeros(end - begin)
        lo, hi = max(begin, self._first), min(end, self._first + self._held.shape[0])
        if hi > lo:
            span[lo - begin : hi - begin] = self._held[lo - self._first : hi - self._first]
        return span

    def drop_before(self, frame: int) -> None:
        """Forget frames before `frame`: no later span starts earlier."""
        cut = min(max(0, frame - self._first), self._held.shape[0])
        self._held, self._first = self._held[cut:], self._first + cut


def find_lag(reference: np.ndarray, candidate: np.ndarray, max_lag: int) -> int:
    """The lag (see module doc) within ±max_lag at which candidate best matches reference.

    Silence on either side gives 0: when there is nothing to line up, every shift is as good.
    """
    return _peak(correlation(reference, candidate, max_lag), max_lag)


def _peak(corr: np.ndarray, max_lag: int) -> int:
    if not np.any(corr):
        return 0
    return int(np.argmax(corr)) - max_lag


def stems_lag(reference: np.ndarray, stems: Iterable[np.ndarray], max_lag: int) -> int:
    """One lag for a group of stems: measured on their sum (see module doc)."""
    return streamed_stems_lag([reference], [[stem] for stem in stems], max_lag)


def streamed_stems_lag(reference: Iterable[np.ndarray], stems: list[Iterable[np.ndarray]], max_lag: int,
                       on_steady: Callable[[int], object] | None = None) -> int:
    """`stems_lag` with the reference and each stem given as (frames, channels) blocks, consumed
    together: memory holds a block of each, never a whole file.

    on_steady: called once, with the lag the correlation so far peaks at, when that peak has held
    for STEADY_BLOCKS blocks in a row (~4 s at 48 kHz): a guess that work waiting for the lag may
    start on, to be checked against the lag returned at the end (most often the same)."""
    if not stems:
        raise ValueError("no stems to align")
    total, peaks = np.zeros(2 * max_lag + 1), []
    for total in running_correlation((mono(block) for block in reference), _summed(stems), max_lag):
        if on_steady is not None and np.any(total):
            peaks.append(_peak(total, max_lag))
            if len(peaks) >= STEADY_BLOCKS and len(set(peaks[-STEADY_BLOCKS:])) == 1:
                on_steady(peaks[-1])
                on_steady = None
    return _peak(total, max_lag)


def _summed(stems: list[Iterable[np.ndarray]]) -> Iterator[np.ndarray]:
    """The sum of the stems' mono mixdowns (float64), block by block; a stem that ends early
    counts as silence after its end."""
    streams = [_rechunk((mono(block) for block in stem), _BLOCK) for stem in stems]
    while True:
        blocks = [next(stream, None) for stream in streams]
        present = [block for block in blocks if block is not None]
        if not present:
            return
        total = np.zeros(max(block.shape[0] for block in present))
        for block in present:
            total[: block.shape[0]] += block
        yield total


def fit(samples: np.ndarray, lag: int, frames: int) -> np.ndarray:
    """Undo `lag` (drop its first `lag` frames, or prepend -lag frames of silence), then cut or
    pad with silence at the end to exactly `frames` frames."""
    samples = np.asarray(samples)
    return np.concatenate(list(fit_blocks([samples], lag, frames, samples.shape[1:], samples.dtype)))


def fit_blocks(blocks: Iterable[np.ndarray], lag: int, frames: int, shape: tuple = (), dtype=np.float32) -> Iterator[np.ndarray]:
    """`fit`, block by block: `shape` is a frame's shape ((channels,), or () for 1-D samples)."""
    if lag < 0:
        yield np.zeros((min(-lag, frames),) + tuple(shape), dtype)
    skip, left = max(lag, 0), max(frames - max(-lag, 0), 0)
    for block in blocks:
        dropped = min(skip, block.shape[0])
        block, skip = block[dropped:], skip - dropped
        if left and block.shape[0]:
            yield block[:left]
            left -= min(left, block.shape[0])
    yield np.zeros((left,) + tuple(shape), dtype)
