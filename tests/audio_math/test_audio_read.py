"""read_section: the exact frames of a section, from every input format; clear errors."""

import numpy as np
import pytest

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.audio.read import read_section
from mvsep_bridge.daemon.errors import AudioError

from .formats import INPUT_FORMATS, write_input
from .signals import band_noise


@pytest.mark.parametrize("rate", [44_100, 48_000])
@pytest.mark.parametrize("ext", INPUT_FORMATS)
def test_section_is_the_same_frames_as_the_whole_decode(tmp_path, ext, rate):
    path = write_input(band_noise(2 * rate, rate), rate, ext, tmp_path)
    whole, whole_rate = codecs.decode(path)
    samples, got_rate = read_section(path, 0.5, 1.0)
    assert got_rate == whole_rate == rate
    assert samples.shape == (rate, 2) and samples.dtype == np.float32
    assert np.array_equal(samples, whole[rate // 2 : rate // 2 + rate])


@pytest.mark.parametrize("ext", INPUT_FORMATS)
def test_no_section_is_the_whole_file(tmp_path, ext):
    path = write_input(band_noise(12_345, 44_100), 44_100, ext, tmp_path)
    samples, _ = read_section(path)
    assert np.array_equal(samples, codecs.decode(path)[0])


def test_wav_reads_a_section_past_the_first_frames_exactly(tmp_path):
    x = np.arange(4000, dtype=np.float32).reshape(2000, 2) / 4000
    path = tmp_path / "ramp.wav"
    codecs.encode(x, 1000, 4, path)  # 32-bit float: bit-exact
    samples, _ = read_section(path, 1.2345, 0.5)
    assert np.array_equal(samples, x[1235:1735])  # 1234.5 rounds up


def test_section_past_the_end_is_refused(tmp_path):
    path = write_input(band_noise(44_100, 44_100), 44_100, "flac", tmp_path)
    with pytest.raises(AudioError) as info:
        read_section(path, 0.5, 1.0)
    assert "after the source's end" in str(info.value)


def test_garbage_names_the_file_and_the_decoders_reason(tmp_path):
    bad = tmp_path / "song.mp3"
    bad.write_bytes(b"ID3" + bytes(range(256)) * 20)
    with pytest.raises(AudioError) as info:
        read_section(bad, 0, 1)
    assert "song.mp3" in str(info.value) and "cannot decode" in str(info.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(AudioError) as info:
        read_section(tmp_path / "nope.wav")
    assert "nope.wav" in str(info.value) and "no such file" in str(info.value)


def test_truncated_wav_is_measured_by_its_real_data(tmp_path):
    path = tmp_path / "cut.wav"
    codecs.encode(band_noise(44_100, 44_100), 44_100, 1, path)
    path.write_bytes(path.read_bytes()[:50_000])  # header still says 44100 frames
    with pytest.raises(AudioError) as info:
        read_section(path, 0.5, 0.4)
    assert "after the source's end (0.283" in str(info.value)  # (50000 - 44) / 4 frames
