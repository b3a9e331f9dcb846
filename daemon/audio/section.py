"""Seconds → frames, sample-exactly, and cutting a section out of samples.

Rounding rule (one rule everywhere, so every part of the project agrees on a section's frames):
    first = round_half_up(start  * rate)
    count = round_half_up(length * rate)
The count depends on the length only, never on where the section starts, so two sections of the
same length always give stems of the same frame count.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import AudioError


def to_frames(seconds: float, rate: int) -> int:
    """Seconds as the nearest frame; halves round up (not Python's round-half-to-even)."""
    return math.floor(seconds * rate + 0.5)


def frame_span(
    start_s: float | None, length_s: float | None, rate: int, total_frames: int
) -> tuple[int, int]:
    """The (first frame, frame count) of a section of a source of `total_frames` at `rate`.

    start_s None means the beginning; length_s None means to the end of the source. A section that
    does not lie inside the source is refused with an AudioError naming the source's duration.
    """
    duration = total_frames / rate
    start_s = 0.0 if start_s is None else float(start_s)
    if not math.isfinite(start_s) or start_s < 0:
        raise AudioError(f"section start {start_s} s is invalid", hint="give a start >= 0 seconds")
    first = to_frames(start_s, rate)
    if first >= total_frames:
        raise AudioError(
            f"section starts at {start_s:.6g} s, after the source's end ({duration:.6g} s)",
            hint=f"give a start below {duration:.6g} s",
        )
    if length_s is None:
        return first, total_frames - first
    length_s = float(length_s)
    if not math.isfinite(length_s) or length_s <= 0:
        raise AudioError(f"section length {length_s} s is invalid", hint="give a length > 0 seconds")
    count = to_frames(length_s, rate)
    if count == 0:
        raise AudioError(
            f"section length {length_s:.6g} s is shorter than one frame at {rate} Hz",
            hint="give a longer section",
        )
    if first + count > total_frames:
        raise AudioError(
            f"section {start_s:.6g} s + {length_s:.6g} s ends after the source's end ({duration:.6g} s)",
            hint=f"give a length of at most {(total_frames - first) / rate:.6g} s, or none for 'to the end'",
        )
    return first, count


def cut(samples: np.ndarray, first: int, count: int) -> np.ndarray:
    """Frames [first, first + count) of (frames, channels) samples; a view, not a copy."""
    if first < 0 or count < 0 or first + count > samples.shape[0]:
        raise AudioError(
            f"frames {first}..{first + count} are outside the {samples.shape[0]} frames given",
            hint="compute the span with frame_span() against this audio's frame count",
        )
    return samples[first : first + count]
