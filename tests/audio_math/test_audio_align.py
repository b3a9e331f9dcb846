"""Bounded cross-correlation finds known offsets; fit undoes them to an exact frame count."""

import numpy as np
import pytest

from mvsep_bridge.daemon.audio import align
from mvsep_bridge.daemon.audio.align import correlation, find_lag, fit, stems_lag

from .signals import noise


def delayed(x: np.ndarray, lag: int, frames: int) -> np.ndarray:
    """x as a codec would return it: `lag` frames late (or -lag early), `frames` long."""
    if lag >= 0:
        y = np.concatenate([np.zeros((lag, x.shape[1]), x.dtype), x])
    else:
        y = x[-lag:]
    return fit(y, 0, frames)


@pytest.mark.parametrize("lag", [0, 1, 1105, 2112, -7, -576])
@pytest.mark.parametrize("extra", [-300, 0, 4000])  # candidate shorter / same / longer
def test_finds_known_lag_and_fit_undoes_it(lag, extra):
    x = noise(20_000, seed=3)
    y = delayed(x, lag, x.shape[0] + extra)
    assert find_lag(x, y, max_lag=3000) == lag
    fitted = fit(y, lag, x.shape[0])
    assert fitted.shape == x.shape
    good = slice(max(0, -lag), x.shape[0] - max(0, lag - extra))  # frames the candidate carried
    assert np.array_equal(fitted[good], x[good])


def test_lag_outside_the_window_is_not_found():
    x = noise(20_000, seed=4)
    y = delayed(x, 500, 20_500)
    assert find_lag(x, y, max_lag=100) != 500


def test_blocks_give_the_same_correlation_as_one_direct_sum(monkeypatch):
    x, y = noise(5000, seed=5), noise(5300, seed=6)
    y[:5000] += 0.5 * x  # some correlation
    monkeypatch.setattr(align, "_BLOCK", 256)  # many blocks, and a ragged last one
    blocked = correlation(x, y, 40)
    mx, my = x.mean(axis=1), y.mean(axis=1)
    direct = []
    for lag in range(-40, 41):  # sum over n of x[n] * y[n + lag], where both exist
        n = np.arange(max(0, -lag), min(5000, 5300 - lag))
        direct.append(np.dot(mx[n], my[n + lag]))
    assert np.allclose(blocked, direct, atol=1e-9)


def test_silence_gives_zero_lag():
    assert find_lag(np.zeros((1000, 2)), noise(1000), 50) == 0


def test_group_lag_is_measured_on_the_sum_of_the_stems():
    """A silent stem and an uncorrelated-looking quiet one still get the mix's lag."""
    mix_parts = [noise(30_000, seed=s) for s in (7, 8)]
    section = mix_parts[0] + mix_parts[1] * 0.05
    stems = [delayed(mix_parts[0], 1024, 32_000), delayed(mix_parts[1] * 0.05, 1024, 32_000),
             np.zeros((32_000, 2), np.float32)]
    assert stems_lag(section, stems, 3000) == 1024
    assert find_lag(section, stems[2], 3000) == 0  # alone, the silent stem says nothing


def test_fit_pads_and_trims():
    x = np.ones((10, 1), np.float32)
    assert fit(x, 3, 10).tolist() == [[1.0]] * 7 + [[0.0]] * 3
    assert fit(x, -2, 5).tolist() == [[0.0]] * 2 + [[1.0]] * 3
    assert fit(x, 0, 4).shape == (4, 1)
