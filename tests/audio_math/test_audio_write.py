"""write_atomic: whole files only; lossy stems decode to the exact frames, aligned; server bytes
are kept when they already are the answer."""

import numpy as np
import pytest

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.audio.align import find_lag, fit
from mvsep_bridge.daemon.audio.write import write_atomic
from mvsep_bridge.daemon.errors import AudioError

from .signals import band_noise


@pytest.mark.parametrize("rate", [44_100, 48_000])
@pytest.mark.parametrize("fmt", [0, 3])
@pytest.mark.parametrize("frames", [12_345, 96_001])
def test_lossy_stem_decodes_to_exact_frames_aligned(tmp_path, fmt, rate, frames):
    x = band_noise(frames, rate, seed=frames)
    path = tmp_path / f"vocals.{codecs.extension(fmt)}"
    assert write_atomic(x, rate, fmt, path) is False  # encoded, nothing to keep
    y, got_rate = codecs.decode(path)
    assert got_rate == rate and y.shape == x.shape
    assert abs(find_lag(x, y, 2048)) <= 1


@pytest.mark.parametrize("fmt,tolerance", [(1, 1 / 32768), (2, 1 / 32768), (4, 0.0), (5, 1 / 2**23)])
def test_lossless_stem_is_the_samples(tmp_path, fmt, tolerance):
    x = band_noise(10_000, 48_000)
    path = tmp_path / f"bass.{codecs.extension(fmt)}"
    write_atomic(x, 48_000, fmt, path)
    y, _ = codecs.decode(path)
    assert y.shape == x.shape and np.max(np.abs(y - x)) <= tolerance


@pytest.mark.parametrize("fmt", [0, 3])
def test_server_bytes_are_kept_when_nothing_had_to_change(tmp_path, fmt):
    ext = codecs.extension(fmt)
    server = tmp_path / f"server.{ext}"
    codecs.encode(band_noise(30_000, 44_100), 44_100, fmt, server, gapless=True)
    decoded, _ = codecs.decode(server)
    out = tmp_path / f"vocals.{ext}"
    assert write_atomic(decoded, 44_100, fmt, out, original=server) is True
    assert out.read_bytes() == server.read_bytes()


def test_server_bytes_are_not_kept_when_the_stem_had_to_move(tmp_path):
    """An m4a with its AAC priming in the stream must be shifted, so it is encoded again."""
    server = tmp_path / "server.m4a"
    section = band_noise(30_000, 44_100)
    codecs.encode(section, 44_100, 3, server)  # no edit list: 1024 frames of priming
    decoded, _ = codecs.decode(server)
    lag = find_lag(section, decoded, 4096)
    assert lag == 1024
    stem = fit(decoded, lag, section.shape[0])
    out = tmp_path / "vocals.m4a"
    assert write_atomic(stem, 44_100, 3, out, original=server) is False
    y, _ = codecs.decode(out)
    assert y.shape == section.shape and abs(find_lag(section, y, 4096)) <= 1


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    x = np.zeros((100, 3), np.float32)  # mp3 cannot hold 3 channels
    with pytest.raises(AudioError):
        write_atomic(x, 44_100, 0, tmp_path / "x.mp3")
    assert list(tmp_path.iterdir()) == []


def test_replaces_an_existing_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "drums.flac"
    path.write_bytes(b"old")
    write_atomic(band_noise(1000, 44_100), 44_100, 2, path)
    assert [p.name for p in tmp_path.iterdir()] == ["drums.flac"]
    assert codecs.probe(path).frames == 1000
