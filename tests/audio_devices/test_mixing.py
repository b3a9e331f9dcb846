"""The sample math of previews, on plain arrays."""

from __future__ import annotations

import numpy as np

from mvsep_bridge.bridges.audio.mixing import mix, start_frame


def test_a_mix_sums_the_stems_and_spreads_a_mono_stem_over_every_channel():
    stereo = np.array([[0.1, -0.2], [0.3, 0.4], [0.5, 0.6]], dtype=np.float32)
    mono = np.array([[0.25], [-0.5]], dtype=np.float32)  # a stem that ends one frame early

    mixed = mix([stereo, mono], channels=2)

    expected = stereo.copy()
    expected[:2] += mono  # numpy broadcasts the mono column over both channels
    np.testing.assert_array_equal(mixed, expected)
    assert mixed.dtype == np.float32


def test_a_start_time_falls_on_the_nearest_frame_inside_the_file():
    assert start_frame(0.5, 48_000, 96_000) == 24_000
    assert start_frame(1 / 3, 44_100, 96_000) == 14_700
    assert start_frame(5.0, 48_000, 96_000) == 96_000  # past the end: nothing left to play
