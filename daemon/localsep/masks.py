"""Time-frequency masks for the local engine, as pure functions of one block's STFT.

Every mask is a weight in [0, 1] per (frequency, frame) bin, shared by all channels (so a stem
keeps the stereo image it had in the mix). The stems' masks are built as a partition of 1, so the
stems add up to the mix.

- Harmonic/percussive (HPSS, Fitzgerald 2010): in a spectrogram, sustained tones are horizontal
  lines and hits are vertical lines. A median along time keeps the former, a median along
  frequency the latter; the soft mask P²/(H²+P²) gives each bin to the percussive part in
  proportion.
- Centre: how alike the left and right channels are in a bin, phase included:
  2·Re(L·R*) / (|L|²+|R|²) is 1 for a source panned dead centre, 0 for a hard-panned one and
  about 0 on average for a wide, decorrelated one (a stereo pad, reverb).
- Low band: a smooth low-pass weight, where the bass lives.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

#: median kernel lengths: frames (~0.4 s at hop n_fft/4) and bins (~180 Hz)
TIME_KERNEL = 17
FREQ_KERNEL = 17
#: bass crossover (Hz) and the steepness of its weight
BASS_CUTOFF = 200.0
BASS_ORDER = 8
#: exponent sharpening the centre similarity: a bin must be very alike to count as centre
CENTRE_POWER = 4

_EPS = 1e-12


def magnitude(spectra: np.ndarray) -> np.ndarray:
    """(channels, freqs, frames) complex → (freqs, frames) RMS magnitude over the channels.

    RMS, not the magnitude of the channels' mean, so out-of-phase content does not vanish."""
    return np.sqrt(np.mean(np.abs(spectra) ** 2, axis=0))


def percussive(mag: np.ndarray) -> np.ndarray:
    """Soft percussive mask P²/(H²+P²) of a (freqs, frames) magnitude."""
    harmonic = median_filter(mag, size=(1, TIME_KERNEL), mode="reflect")
    perc = median_filter(mag, size=(FREQ_KERNEL, 1), mode="reflect")
    h2, p2 = harmonic**2, perc**2
    return p2 / (h2 + p2 + _EPS)


def centre(spectra: np.ndarray) -> np.ndarray:
    """(freqs, frames) centre weight in [0, 1]; every bin counts as centre for non-stereo input."""
    if spectra.shape[0] != 2:
        return np.ones(spectra.shape[1:], dtype=np.float32)
    left, right = spectra
    similarity = 2 * np.real(left * np.conj(right)) / (np.abs(left) ** 2 + np.abs(right) ** 2 + _EPS)
    return np.clip(similarity, 0.0, 1.0) ** CENTRE_POWER


def low_band(freqs: np.ndarray) -> np.ndarray:
    """(freqs, 1) weight: 1 well below BASS_CUTOFF, 0.5 at it, 0 well above."""
    return (1.0 / (1.0 + (freqs / BASS_CUTOFF) ** BASS_ORDER))[:, None]
