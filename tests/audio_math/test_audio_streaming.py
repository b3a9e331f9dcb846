"""Audio streamed block by block gives what whole arrays give, and holds a block, not a file:
decode, resample, lag, trim and encode are the same whatever the blocks; the finish stage of an
hour-long stem would hold only blocks (checked here on two minutes with tracemalloc, which sees
numpy's buffers)."""

import hashlib
import tracemalloc

import numpy as np
import pytest
import soundfile as sf
import soxr

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.audio.align import fit, fit_blocks, stems_lag, streamed_stems_lag
from mvsep_bridge.daemon.audio.finish import finish_stems
from mvsep_bridge.daemon.audio.resample import resample_blocks
from mvsep_bridge.daemon.emulator.split import band_split

from .signals import band_noise


def blocks_of(samples, size):
    return [samples[start : start + size] for start in range(0, samples.shape[0], size)]


@pytest.mark.parametrize("fmt", [0, 1, 2, 5])
def test_decoded_blocks_are_the_file_as_libsndfile_reads_it(tmp_path, fmt):
    path = tmp_path / f"x.{codecs.extension(fmt)}"
    codecs.encode(band_noise(30_001, 48_000), 48_000, fmt, path)
    rate, channels, blocks = codecs.decode_blocks(path, block=4096)
    whole, _ = sf.read(str(path), dtype="float32", always_2d=True)
    assert (rate, channels) == (48_000, 2)
    assert np.array_equal(np.concatenate(list(blocks)), whole)


def test_resampled_blocks_are_soxrs_one_shot_cut_to_the_rounding_rule():
    x = band_noise(44_100 * 2 + 17, 44_100)
    one_shot = soxr.resample(x, 44_100, 48_000, quality="VHQ")
    want = (x.shape[0] * 48_000 * 2 + 44_100) // (2 * 44_100)
    ragged = [x[:5], x[5:70_000], x[70_000:70_001], x[70_001:]]
    streamed = np.concatenate(list(resample_blocks(ragged, 44_100, 48_000, 2)))
    assert streamed.shape == (want, 2)
    n = min(want, one_shot.shape[0])
    assert np.array_equal(streamed[:n], one_shot[:n]) and not np.any(streamed[n:])


@pytest.mark.parametrize("lag", [-700, 0, 321])
def test_trimmed_blocks_are_the_trimmed_array(lag):
    x = band_noise(50_000, 48_000)
    whole = fit(x, lag, 49_000)
    assert whole.shape == (49_000, 2)
    assert np.array_equal(np.concatenate(list(fit_blocks(blocks_of(x, 777), lag, 49_000, (2,)))), whole)


def test_the_lag_of_streamed_stems_is_the_lag_of_the_arrays():
    section = band_noise(200_000, 48_000)
    late = np.concatenate([np.zeros((1234, 2), np.float32), section])  # the stems come 1234 frames late
    stems = [late * 0.7, late * 0.3]
    assert stems_lag(section, stems, 4096) == 1234
    assert streamed_stems_lag(blocks_of(section, 5000), [blocks_of(s, 3001) for s in stems], 4096) == 1234


@pytest.mark.parametrize("fmt", [0, 3, 5])
def test_an_encoder_fed_blocks_writes_the_same_bytes(tmp_path, fmt):
    x = band_noise(40_000, 48_000)
    digests = set()
    for size in (x.shape[0], 4096, 999):
        path = tmp_path / f"{size}.{codecs.extension(fmt)}"
        with codecs.Encoder(path, 48_000, 2, fmt, gapless=True) as encoder:
            for block in blocks_of(x, size):
                encoder.write(block)
        digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    assert len(digests) == 1
    if fmt == 0:  # the LAME tag, rewritten in place, still names the exact length
        assert sf.info(str(path)).frames == x.shape[0]


def test_finishing_two_minutes_of_stems_holds_blocks_not_files(tmp_path):
    rate, frames = 48_000, 48_000 * 120
    section = band_noise(frames, rate)  # 46 MB as float32: one whole copy would show
    reference = tmp_path / "section.flac"
    codecs.encode(section, rate, 5, reference)
    returned = []
    for index, stem in enumerate(band_split(section, rate, 2)):
        returned.append(tmp_path / f"stem{index}.flac")
        codecs.encode(stem, rate, 5, returned[-1])
    del section, stem
    tracemalloc.start()
    try:
        lag = finish_stems(reference, [(r, tmp_path / f"out{i}.wav") for i, r in enumerate(returned)],
                           rate, frames, 0, 1, rate // 2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert lag == 0
    # ~16 MB: a block of each stream and the lag's FFTs; one whole stem would be 46 MB by itself
    assert peak < 32e6, f"{peak / 1e6:.0f} MB at the peak"
    for index in range(2):
        assert sf.info(str(tmp_path / f"out{index}.wav")).frames == frames


def test_a_lossy_stem_that_needs_no_change_is_the_servers_file(tmp_path):
    rate = 48_000
    section = band_noise(rate * 3, rate)
    reference = tmp_path / "section.flac"
    codecs.encode(section, rate, 5, reference)
    returned = []
    for index, stem in enumerate(band_split(section, rate, 2)):
        returned.append(tmp_path / f"stem{index}.mp3")
        codecs.encode(stem, rate, 0, returned[-1])  # the LAME tag makes it decode to exactly 3 s, aligned
    targets = [tmp_path / "kept0.mp3", tmp_path / "kept1.mp3"]
    assert finish_stems(reference, list(zip(returned, targets)), rate, section.shape[0], 0, 0, rate // 2) == 0
    assert [t.read_bytes() for t in targets] == [r.read_bytes() for r in returned]
    # with a margin to trim, the same stems must change: encoded again, to the exact frames
    moved = tmp_path / "moved.mp3"
    finish_stems(reference, [(returned[0], moved)], rate, section.shape[0] - 480, 480, 0, rate // 2)
    assert moved.read_bytes() != returned[0].read_bytes()
    assert sf.info(str(moved)).frames == section.shape[0] - 480
