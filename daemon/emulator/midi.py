"""MIDI extraction as the emulator does it (SOME, Transkun, Basic Pitch stand-in): the strongest
pitch of each 50 ms frame, held notes merged, written as a Standard MIDI File (format 0)."""

from __future__ import annotations

import struct

import numpy as np

FRAME_SECONDS = 0.05
TICKS_PER_BEAT = 480
TEMPO_US = 500_000  # 120 bpm: a tick is 1/960 s
SILENCE = 10 ** (-40 / 20)  # frames quieter than -40 dBFS (RMS) hold no note
VELOCITY = 90


def notes(samples: np.ndarray, rate: int) -> list[tuple[int, float, float]]:
    """(MIDI note, start s, end s) of the dominant pitch over time."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    size = max(1, int(FRAME_SECONDS * rate))
    window = np.hanning(size)
    found: list[list] = []
    for index in range(len(mono) // size):
        frame = mono[index * size:(index + 1) * size]
        if np.sqrt(np.mean(frame**2)) < SILENCE:
            continue
        spectrum = np.abs(np.fft.rfft(frame * window))
        spectrum[0] = 0.0
        frequency = np.argmax(spectrum) * rate / size
        if frequency <= 0:
            continue
        note = round(69 + 12 * float(np.log2(frequency / 440.0)))
        start, end = index * FRAME_SECONDS, (index + 1) * FRAME_SECONDS
        if found and found[-1][0] == note and abs(found[-1][2] - start) < 1e-9:
            found[-1][2] = end
        else:
            found.append([note, start, end])
    return [(n, s, e) for n, s, e in found if 0 <= n <= 127]


def _varlen(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def smf(held: list[tuple[int, float, float]]) -> bytes:
    """A format-0 Standard MIDI File of the notes on channel 1."""
    ticks_per_second = TICKS_PER_BEAT * 1_000_000 / TEMPO_US
    events = []  # (tick, order: offs before ons at one tick, bytes)
    for note, start, end in held:
        events.append((round(start * ticks_per_second), 1, bytes([0x90, note, VELOCITY])))
        events.append((round(end * ticks_per_second), 0, bytes([0x80, note, 0])))
    track = bytearray(b"\x00\xff\x51\x03" + TEMPO_US.to_bytes(3, "big"))
    now = 0
    for tick, _, message in sorted(events):
        track += _varlen(tick - now) + message
        now = tick
    track += b"\x00\xff\x2f\x00"  # end of track
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_BEAT)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)
