"""Synthetic test signals shared by the audio tests."""

import numpy as np


def noise(frames: int, channels: int = 2, seed: int = 0, level: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((frames, channels)) * level).astype(np.float32)


def band_noise(frames: int, rate: int, seed: int = 0) -> np.ndarray:
    """Noise below 12 kHz: what survives mp3/aac and 44.1↔48 kHz resampling, so lags stay sharp."""
    from scipy.signal import butter, sosfilt

    sos = butter(8, 12_000, fs=rate, output="sos")
    return (sosfilt(sos, noise(frames, 2, seed, 0.2), axis=0)).astype(np.float32)
