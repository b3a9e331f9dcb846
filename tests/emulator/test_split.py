"""The emulator's split is pure numpy: exact complementary bands, also across FFT blocks."""

from __future__ import annotations

import numpy as np

from mvsep_bridge.daemon.emulator import split


def test_stems_sum_to_the_input_across_block_edges():
    noise = np.random.default_rng(0).standard_normal((split.BLOCK + 4321, 2)).astype(np.float32) * 0.3
    stems = split.band_split(noise, 44100, 4)
    assert all(s.shape == noise.shape and s.dtype == np.float32 for s in stems)
    assert np.max(np.abs(np.sum(stems, axis=0) - noise)) < 1e-6


def test_each_tone_lands_in_its_band():
    rate = 44100
    t = np.arange(rate) / rate
    low, high = np.sin(2 * np.pi * 100 * t), np.sin(2 * np.pi * 12000 * t)
    stems = split.band_split(np.stack([low + high] * 2, axis=1), rate, 2)
    assert np.allclose(stems[0][:, 0], low, atol=1e-6) and np.allclose(stems[1][:, 0], high, atol=1e-6)


def test_one_stem_is_the_input_and_matchering_matches_loudness():
    audio = np.full((100, 2), 0.1, dtype=np.float32)
    assert np.array_equal(split.band_split(audio, 44100, 1)[0], audio)
    louder = split.match_loudness(audio, audio * 4)
    assert np.allclose(louder, audio * 4)
