"""soxr resampling keeps frame 0 at frame 0 and gives round(n * to / from) frames."""

import numpy as np
import pytest

from mvsep_bridge.daemon.audio.resample import resample, resampled_frames

from .signals import noise


@pytest.mark.parametrize("src,dst", [(44_100, 48_000), (48_000, 44_100), (22_050, 48_000)])
def test_impulse_stays_in_place(src, dst):
    x = np.zeros((src, 2), np.float32)
    x[src // 3] = 0.8
    y = resample(x, src, dst)
    assert y.shape == (resampled_frames(src, src, dst), 2)
    where = src // 3 * dst / src  # the impulse's time, in output frames
    assert abs(int(np.argmax(np.abs(y[:, 0]))) - where) <= 0.5  # zero delay


@pytest.mark.parametrize("frames", [1, 999, 44_101, 12_345])
def test_frame_count_is_rounded_length(frames):
    y = resample(noise(frames), 44_100, 48_000)
    assert y.shape[0] == round(frames * 48_000 / 44_100) and y.dtype == np.float32


def test_same_rate_is_untouched():
    x = noise(100)
    assert np.array_equal(resample(x, 48_000, 48_000), x)


def test_round_trip_keeps_the_signal():
    # band-limited so 48k -> 44.1k loses nothing
    from .signals import band_noise

    x = band_noise(48_000, 48_000)
    y = resample(resample(x, 48_000, 44_100), 44_100, 48_000)
    core = slice(1000, -1000)  # the filter's edges
    err = np.sqrt(np.mean((y[core] - x[core]) ** 2) / np.mean(x[core] ** 2))
    assert err < 1e-3
