"""The finish stage's math, end to end, for each of MVSEP's 6 formats: a section goes to a
"server" that returns it at 44.1 or 48 kHz in format f with the codec's real delay; decode,
resample to the source rate, measure the lag, fit: within 1 sample, exact frame count."""

import numpy as np
import pytest

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.audio.align import find_lag, fit, stems_lag
from mvsep_bridge.daemon.audio.resample import resample

from .signals import band_noise

MAX_LAG = 4096  # > AAC's 1024 (+ resampled) and LAME's 576 + 529


def server_returns(section, source_rate, server_rate, fmt, folder):
    """What MVSEP does: resample to its rate, encode in the asked format (delay and all)."""
    path = folder / f"stem.{codecs.extension(fmt)}"
    codecs.encode(resample(section, source_rate, server_rate), server_rate, fmt, path)
    return codecs.decode(path)


@pytest.mark.parametrize("server_rate", [44_100, 48_000])
@pytest.mark.parametrize("source_rate", [44_100, 48_000])
@pytest.mark.parametrize("fmt", [0, 1, 2, 3, 4, 5])
def test_returned_stem_lines_up_within_one_sample(tmp_path, fmt, source_rate, server_rate):
    section = band_noise(source_rate * 3 // 2 + 17, source_rate, seed=fmt)
    returned, rate = server_returns(section, source_rate, server_rate, fmt, tmp_path)
    assert rate == server_rate
    back = resample(returned, server_rate, source_rate)
    lag = find_lag(section, back, MAX_LAG)
    stem = fit(back, lag, section.shape[0])
    assert stem.shape == section.shape
    assert abs(find_lag(section, stem, 64)) <= 1
    expected = round(1024 * source_rate / server_rate) if fmt == 3 else 0  # AAC priming
    assert abs(lag - expected) <= 1
    if fmt in (2, 4, 5):  # lossless: the content itself comes back
        core = slice(2000, -2000)
        err = np.sqrt(np.mean((stem[core] - section[core]) ** 2) / np.mean(section[core] ** 2))
        assert err < 1e-3


def test_a_group_of_stems_is_shifted_by_the_lag_of_their_sum(tmp_path):
    rate = 44_100
    parts = [band_noise(rate, rate, seed=s) * g for s, g in ((1, 1.0), (2, 0.1))]
    parts.append(np.zeros_like(parts[0]))  # a silent stem
    section = sum(parts)
    returned = []
    for i, part in enumerate(parts):
        folder = tmp_path / str(i)
        folder.mkdir()
        returned.append(server_returns(part, rate, rate, 3, folder)[0])
    lag = stems_lag(section, returned, MAX_LAG)
    assert lag == 1024
    stems = [fit(r, lag, section.shape[0]) for r in returned]
    assert abs(find_lag(section, sum(stems), 64)) == 0
