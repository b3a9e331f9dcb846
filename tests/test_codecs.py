"""Every MVSEP output format really encodes and decodes; lossless ones are sample-exact."""

import numpy as np
import pytest

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.errors import AudioError


def tone(frames: int, rate: int) -> np.ndarray:
    t = np.arange(frames) / rate
    return np.stack([0.4 * np.sin(2 * np.pi * 330 * t), 0.3 * np.sin(2 * np.pi * 97 * t)], axis=1).astype(np.float32)


@pytest.mark.parametrize("fmt,tolerance", [(1, 1 / 32768), (2, 1 / 32768), (4, 0.0), (5, 1 / 2**23)])
def test_lossless_formats_round_trip(tmp_path, fmt, tolerance):
    x = tone(12_345, 48_000)
    path = tmp_path / f"x.{codecs.extension(fmt)}"
    codecs.encode(x, 48_000, fmt, path)
    y, rate = codecs.decode(path)
    assert rate == 48_000 and y.shape == x.shape
    assert np.max(np.abs(y - x)) <= tolerance


@pytest.mark.parametrize("fmt", [0, 3])
def test_lossy_formats_keep_rate_and_channels_and_carry_the_signal(tmp_path, fmt):
    x = tone(44_100, 44_100)
    path = tmp_path / f"x.{codecs.extension(fmt)}"
    codecs.encode(x, 44_100, fmt, path)
    y, rate = codecs.decode(path)
    assert rate == 44_100 and y.shape[1] == 2
    assert y.shape[0] >= x.shape[0]  # codecs may add delay and padding, never lose the signal
    assert abs(np.sqrt(np.mean(y**2)) - np.sqrt(np.mean(x**2))) < 0.02


def test_garbage_is_refused_with_the_decoders_reason(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + b"\x00nonsense" * 50)
    with pytest.raises(AudioError) as info:
        codecs.decode(bad)
    assert "bad.wav" in str(info.value)


def test_a_text_file_named_wav_is_refused_in_plain_words(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("these are my notes, not audio\n")
    with pytest.raises(AudioError) as info:
        codecs.decode(bad)
    message = str(info.value)
    assert message.startswith("cannot decode notes.wav: Invalid data found when processing input")
    assert "Errno" not in message and str(tmp_path) not in message  # no FFmpeg code, no path twice
