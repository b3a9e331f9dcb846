"""The emulator's "separation": pure numpy functions that are deterministic and exactly
complementary, so the stems sum back to the input (this is protocol, not separation quality)."""

from __future__ import annotations

import numpy as np
import soxr

SITE_RATE = 44100


def band_edges(count: int, sample_rate: int) -> np.ndarray:
    """count+1 frequency edges (Hz): 0, log-spaced cut-offs between 150 Hz and 8 kHz, then ∞."""
    if count <= 1:
        return np.array([0.0, np.inf])
    top = min(8000.0, sample_rate * 0.4)
    cuts = np.geomspace(150.0, top, count - 1)
    return np.concatenate([[0.0], cuts, [np.inf]])


BLOCK = 1 << 20  # frames per FFT block: bounds memory for long inputs


def band_split(samples: np.ndarray, sample_rate: int, count: int) -> list[np.ndarray]:
    """Split (frames, channels) audio into `count` stems with complementary FFT band masks.

    Each frequency bin goes to exactly one stem, so the stems sum to the input (float rounding).
    Long inputs go block by block; linearity keeps the sum exact across block edges.
    """
    samples = np.asarray(samples, dtype=np.float32)
    if count <= 1:
        return [samples.copy()]
    edges = band_edges(count, sample_rate)
    stems = [np.empty_like(samples) for _ in range(count)]
    for start in range(0, samples.shape[0], BLOCK):
        block = samples[start:start + BLOCK].astype(np.float64)
        frames = block.shape[0]
        spectrum = np.fft.rfft(block, axis=0)
        freqs = np.fft.rfftfreq(frames, 1.0 / sample_rate)
        for stem, low, high in zip(stems, edges[:-1], edges[1:]):
            mask = ((freqs >= low) & (freqs < high))[:, None]
            stem[start:start + frames] = np.fft.irfft(spectrum * mask, n=frames, axis=0)
    return stems


def to_site_rate(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    """MVSEP returns 44.1 kHz whatever came in; soxr's default (HQ) quality."""
    if sample_rate == SITE_RATE:
        return samples, sample_rate
    return soxr.resample(samples, sample_rate, SITE_RATE).astype(np.float32), SITE_RATE


def match_loudness(target: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Matchering stand-in: the target scaled to the reference's RMS level."""
    target_rms = float(np.sqrt(np.mean(np.square(target, dtype=np.float64))))
    reference_rms = float(np.sqrt(np.mean(np.square(reference, dtype=np.float64))))
    gain = reference_rms / target_rms if target_rms > 0 else 1.0
    return (target * gain).astype(np.float32)


def generated_tone(seconds: float, sample_rate: int = SITE_RATE) -> np.ndarray:
    """Text-to-audio stand-in: a deterministic stereo chord, `seconds` long."""
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    mono = 0.2 * (np.sin(2 * np.pi * 220 * t) + 0.5 * np.sin(2 * np.pi * 330 * t))
    return np.stack([mono, mono], axis=1).astype(np.float32)
