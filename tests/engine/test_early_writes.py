"""The stems written while they download (jobs/early.py): the same files as a finish that starts
after the last byte, whether the lag guessed early holds or not, and nothing left behind when the
download fails. Read back with libsndfile; lags checked with plain numpy."""

import threading

import numpy as np
import soundfile as sf

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.audio.align import streamed_stems_lag
from mvsep_bridge.daemon.audio.finish import Stem, finish_stems, measure
from mvsep_bridge.daemon.audio.resample import resample
from mvsep_bridge.daemon.jobs.early import EarlyWrites

RATE = 48_000
FLAC_24 = 5


def noise(frames, seed):
    return (np.random.default_rng(seed).standard_normal((frames, 2)) * 0.1).astype(np.float32)


def delayed(samples, lag):
    return np.concatenate([np.zeros((lag, samples.shape[1]), np.float32), samples])


def numpy_lag(reference, stem, most):
    """The shift at which the stem best matches the reference, by plain dot products."""
    ref, got = reference.mean(axis=1), stem.mean(axis=1)
    n = ref.shape[0] - 2 * most
    return max(range(-most, most + 1), key=lambda lag: float(np.dot(ref[most:most + n], got[most + lag:most + lag + n])))


def first_pass_then_finish(reference, returned, targets, frames, margin, fmt, max_lag):
    """What the download and finish stages do: measure with early writing, then finish from them."""
    stems = [Stem(path, RATE) for path in returned]
    early = EarlyWrites(stems, frames, margin, fmt)
    measured = measure(reference, stems, max_lag, on_steady=early.start)
    guessed = early.lag
    written = early.take(measured.lag)
    lag = finish_stems(reference, list(zip(returned, targets)), RATE, frames, margin, fmt, max_lag,
                       measured=measured, written=written)
    return lag, guessed, written


def test_stems_written_early_are_the_files_a_late_finish_writes(tmp_path):
    section = noise(RATE * 20, 1)
    reference = tmp_path / "section.flac"
    codecs.encode(section, RATE, FLAC_24, reference)
    # the server's stems at 44.1 kHz, 700 frames late (at 48 kHz): resampled, then shifted back
    parts = [section * 0.6, section * 0.4]
    returned = []
    for index, part in enumerate(parts):
        returned.append(tmp_path / f"stem{index}.flac")
        codecs.encode(resample(delayed(part, 700), RATE, 44_100), 44_100, FLAC_24, returned[-1])
    margin, frames = 4_800, section.shape[0] - 9_600
    early_targets = [tmp_path / f"early{i}.flac" for i in range(2)]
    late_targets = [tmp_path / f"late{i}.flac" for i in range(2)]

    lag, guessed, written = first_pass_then_finish(reference, returned, early_targets, frames, margin, FLAC_24, RATE)
    assert guessed == lag and set(written) == set(returned)  # the early files were the ones taken
    assert not any(path.exists() for path in written.values())  # moved into place, not copied
    assert finish_stems(reference, list(zip(returned, late_targets)), RATE, frames, margin, FLAC_24, RATE) == lag
    for early, late, part in zip(early_targets, late_targets, parts):
        assert early.read_bytes() == late.read_bytes()
        got, rate = sf.read(str(early), dtype="float32", always_2d=True)
        assert (rate, got.shape[0]) == (RATE, frames)
        # the section's frames [margin, margin + frames), to the sample (plain numpy, not our finder)
        assert numpy_lag(part[margin:margin + frames], got, 50) == 0
    assert not list(tmp_path.glob("*.early.*")) and not list(tmp_path.glob("*.resampled"))


def test_a_guess_the_whole_section_overrules_is_written_again(tmp_path):
    # the first 6 s of the stems come 300 frames late, the louder rest 1200 frames late: the
    # lag so far holds at 300 long enough to be guessed, the whole section says 1200
    section = noise(RATE * 20, 2)
    reference = tmp_path / "section.flac"
    codecs.encode(section, RATE, FLAC_24, reference)
    cut = RATE * 6
    stem = np.zeros((section.shape[0] + 1200, 2), np.float32)
    stem[300:300 + cut] = section[:cut] * 0.2
    stem[cut + 1200:] = section[cut:]
    returned = [tmp_path / "stem0.flac"]
    codecs.encode(stem, RATE, FLAC_24, returned[0])
    frames = section.shape[0]
    seen = []
    assert streamed_stems_lag([section], [[stem]], RATE, on_steady=seen.append) == 1200
    assert seen == [300]

    targets = [tmp_path / "out.flac"]
    lag, guessed, written = first_pass_then_finish(reference, returned, targets, frames, 0, FLAC_24, RATE)
    assert (guessed, lag, written) == (300, 1200, {})
    late = tmp_path / "late.flac"
    finish_stems(reference, [(returned[0], late)], RATE, frames, 0, FLAC_24, RATE)
    assert targets[0].read_bytes() == late.read_bytes()
    # shifted by 1200, the lag of the whole section (the stem as it was written, 24-bit)
    got, _ = sf.read(str(targets[0]), dtype="float32", always_2d=True)
    sent, _ = sf.read(str(returned[0]), dtype="float32", always_2d=True)
    assert np.array_equal(got[cut + 1000:cut + 2000], sent[cut + 2200:cut + 3200])
    assert not list(tmp_path.glob("*.early.*"))


def test_silence_offers_no_guess_and_writes_nothing_early(tmp_path):
    silent = np.zeros((RATE * 10, 2), np.float32)
    seen = []
    assert streamed_stems_lag([silent], [[silent]], 4800, on_steady=seen.append) == 0
    assert seen == []


def test_a_download_that_fails_leaves_no_early_file_and_no_writer(tmp_path):
    section = noise(RATE * 20, 3)
    reference = tmp_path / "section.flac"
    codecs.encode(section, RATE, FLAC_24, reference)
    whole = tmp_path / "whole.flac"
    codecs.encode(section, RATE, FLAC_24, whole)
    data = whole.read_bytes()
    returned = tmp_path / "stem0.flac"
    returned.write_bytes(data[: len(data) * 2 // 3])  # the fetch broke two thirds in
    stems = [Stem(returned, RATE)]
    early = EarlyWrites(stems, section.shape[0], 0, FLAC_24)
    before = threading.active_count()
    try:
        measure(reference, stems, RATE, on_steady=early.start)
    except Exception:  # noqa: BLE001 (a short file may or may not decode: either way the pass is dropped)
        pass
    assert early.lag == 0  # the writing had started
    early.abort()  # what the download stage does when its files are not the whole stems
    assert threading.active_count() <= before
    assert not list(tmp_path.glob("*.early.*")) and not list(tmp_path.glob(".*.part"))
