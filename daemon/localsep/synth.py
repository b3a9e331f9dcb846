"""A synthetic song whose true stems are known: for the SDR benchmark and a demo clip.

Four parts, each (frames, 2) float32, built from plain oscillators and noise (deterministic for a
given seed): a bass line (centre), a drum pattern (kick, snare, hi-hat), a voice-like harmonic line
with vibrato and vowel formants (centre), and a wide pad (left and right detuned apart, so the two
channels are decorrelated). The mix is their sum.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

BPM = 110.0


def _harmonics(phase: np.ndarray, count: int, weights: np.ndarray | None = None) -> np.ndarray:
    out = np.zeros_like(phase)
    for k in range(1, count + 1):
        out += (1.0 / k if weights is None else weights[k - 1]) * np.sin(k * phase)
    return out


def _envelope(frames: int, rate: int, note_s: float, attack_s: float, release_s: float) -> np.ndarray:
    """A repeating attack/hold/release envelope of `note_s` seconds per note."""
    t = (np.arange(frames) / rate) % note_s
    rise = np.clip(t / attack_s, 0, 1)
    fall = np.clip((note_s - t) / release_s, 0, 1)
    return rise * fall


def bass(frames: int, rate: int) -> np.ndarray:
    notes = np.array([41.2, 41.2, 55.0, 49.0, 36.7, 36.7, 55.0, 61.7])  # E1 E1 A1 G1 D1 D1 A1 B1
    beat = 60.0 / BPM
    index = (np.arange(frames) / rate / beat).astype(int) % len(notes)
    phase = 2 * np.pi * np.cumsum(notes[index]) / rate
    tone = _harmonics(phase, 6) * _envelope(frames, rate, beat, 0.01, 0.08)
    tone = sosfilt(butter(4, 300, fs=rate, output="sos"), tone)
    return np.repeat((0.2 * tone)[:, None], 2, axis=1)


def drums(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros((frames, 2))
    step = int(rate * 60.0 / BPM / 2)  # eighth notes
    hit = np.arange(int(0.25 * rate)) / rate
    kick = np.sin(2 * np.pi * np.cumsum(50 + 100 * np.exp(-hit * 30)) / rate) * np.exp(-hit * 12)
    band = butter(2, [1000, 8000], btype="band", fs=rate, output="sos")
    snare_noise = sosfilt(band, rng.standard_normal(hit.size))
    snare = (0.6 * snare_noise + 0.4 * np.sin(2 * np.pi * 190 * hit)) * np.exp(-hit * 25)
    hat_noise = sosfilt(butter(4, 7000, btype="high", fs=rate, output="sos"), rng.standard_normal(hit.size))
    hat = hat_noise * np.exp(-hit * 80)
    pattern = [("k", 0), ("h", 1), ("s", 2), ("h", 3), ("k", 4), ("k", 5), ("s", 6), ("h", 7)]
    for bar_start in range(0, frames, 8 * step):
        for kind, eighth in pattern:
            at = bar_start + eighth * step
            if at >= frames:
                continue
            n = min(hit.size, frames - at)
            if kind == "k":
                out[at : at + n] += 0.6 * kick[:n, None]
            elif kind == "s":
                out[at : at + n] += 0.35 * snare[:n, None]
            else:  # hi-hat a little to the right
                out[at : at + n] += 0.2 * hat[:n, None] * np.array([0.7, 1.0])
    return out


def voice(frames: int, rate: int) -> np.ndarray:
    t = np.arange(frames) / rate
    melody = np.array([220.0, 246.9, 261.6, 293.7, 329.6, 293.7, 261.6, 246.9])
    phrase = 60.0 / BPM
    f0 = melody[(t / phrase).astype(int) % len(melody)]
    f0 = f0 * 2 ** (0.4 / 12 * np.sin(2 * np.pi * 5.5 * t))  # vibrato: ±0.4 semitone at 5.5 Hz
    phase = 2 * np.pi * np.cumsum(f0) / rate
    # vowel-ish formants at 700 and 1200 Hz shape the harmonic weights of a 220 Hz voice
    k = np.arange(1, 25)
    formants = np.exp(-(((k * 240 - 700) / 250) ** 2)) + 0.6 * np.exp(-(((k * 240 - 1200) / 300) ** 2)) + 0.05
    tone = _harmonics(phase, 24, formants / k**0.5)
    sung = _envelope(frames, rate, 2 * phrase, 0.05, 0.15) * ((t / (2 * phrase)).astype(int) % 4 != 3)
    return np.repeat((0.25 * tone * sung)[:, None], 2, axis=1)


def pad(frames: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(frames) / rate
    out = np.zeros((frames, 2))
    for base in (329.6, 392.0, 493.9):  # E4 G4 B4
        for channel, detune in ((0, -0.004), (1, 0.004)):  # left and right drift apart: wide
            phase = 2 * np.pi * base * (1 + detune) * t + rng.uniform(0, 2 * np.pi)
            out[:, channel] += _harmonics(phase, 8)
    out = sosfilt(butter(2, [250, 3000], btype="band", fs=rate, output="sos"), out, axis=0)
    return 0.06 * out


def song(seconds: float, rate: int = 44_100, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(mix, {"bass", "drums", "vocals", "pad"} true stems), each (frames, 2) float32; the mix
    is the sum of the stems (up to float32 rounding) and peaks at 0.9."""
    frames = int(round(seconds * rate))
    rng = np.random.default_rng(seed)
    parts = {
        "bass": bass(frames, rate),
        "drums": drums(frames, rate, rng),
        "vocals": voice(frames, rate),
        "pad": pad(frames, rate, rng),
    }
    # one gain for all parts: the mix peaks at 0.9 and the parts keep their balance
    gain = 0.9 / np.max(np.abs(np.sum(list(parts.values()), axis=0)))
    parts = {name: (gain * part).astype(np.float32) for name, part in parts.items()}
    mix = np.sum(list(parts.values()), axis=0, dtype=np.float64).astype(np.float32)
    return mix, parts
