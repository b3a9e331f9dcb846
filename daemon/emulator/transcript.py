"""Transcription as the emulator does it (Whisper, Parakeet stand-in): it cannot recognise words,
so each stretch of sound becomes a segment saying so; the timestamps are real (SRT, and a plain
text file without them), as the service returns a transcript with and without timestamps."""

from __future__ import annotations

import numpy as np

FRAME_SECONDS = 0.02
SILENCE = 10 ** (-40 / 20)  # RMS below -40 dBFS is a pause
MIN_PAUSE = 0.3  # shorter pauses do not split a segment


def segments(samples: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """(start s, end s) of each stretch of sound."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    size = max(1, int(FRAME_SECONDS * rate))
    count = len(mono) // size
    loud = [np.sqrt(np.mean(mono[i * size:(i + 1) * size] ** 2)) >= SILENCE for i in range(count)]
    found: list[list[float]] = []
    for index, on in enumerate(loud):
        if not on:
            continue
        start, end = index * FRAME_SECONDS, (index + 1) * FRAME_SECONDS
        if found and start - found[-1][1] < MIN_PAUSE:
            found[-1][1] = end
        else:
            found.append([start, end])
    return [(s, e) for s, e in found]


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def texts(spans: list[tuple[float, float]]) -> tuple[str, str]:
    """(plain text, SRT) of the segments."""
    lines = [f"[sound {index}]" for index in range(1, len(spans) + 1)]
    srt = "".join(f"{index}\n{_stamp(start)} --> {_stamp(end)}\n{line}\n\n"
                  for index, ((start, end), line) in enumerate(zip(spans, lines), 1))
    return "\n".join(lines) + "\n", srt
