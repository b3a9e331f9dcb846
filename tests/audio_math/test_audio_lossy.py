"""Both lossy backends (audio/lossy.py: the ffmpeg CLI for mp3, PyAV for m4a and when no ffmpeg is
on PATH; each tested on both formats) write files that decoders we did not write read to exactly
the frames given, aligned: mp3 through its LAME tag (libsndfile/mpg123 and the ffmpeg CLI),
gapless m4a through its edit list (ffprobe, the ffmpeg CLI, our decoder); a plain m4a keeps its
AAC priming. An ffmpeg without LAME, or that does not run, leaves mp3 to PyAV; one that fails is
a clear AudioError; one whose parent is killed ends and leaves no result behind."""

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import psutil
import pytest
import soundfile as sf

from mvsep_bridge.daemon.audio import codecs, lossy
from mvsep_bridge.daemon.audio.write import write_blocks_atomic
from mvsep_bridge.daemon.errors import AudioError

from harness import FFMPEG, FFPROBE, ffmpeg_decode, ffprobe_frames

from .signals import band_noise

GREP = shutil.which("grep")
AAC_PRIMING = 1024  # frames FFmpeg's AAC encoder puts before the audio


@pytest.fixture(params=["ffmpeg", "pyav"])
def backend(request, monkeypatch, tmp_path):
    """Which lossy backend the Encoder picks: the CLI when ffmpeg is on PATH (for m4a too, so
    either backend can take either format), else PyAV."""
    assert FFMPEG and FFPROBE, "the ffmpeg CLI is needed (scripts/setup.sh installs Debian's ffmpeg)"
    if request.param == "pyav":
        (tmp_path / "bin").mkdir()
        monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # as on a machine without ffmpeg
    else:
        monkeypatch.setattr(lossy, "CLI_CODECS", frozenset({"libmp3lame", "aac"}))
    return request.param


def encoded(x: np.ndarray, rate: int, fmt: int, path, backend: str, gapless: bool = True):
    with codecs.Encoder(path, rate, x.shape[1], fmt, gapless=gapless) as encoder:
        for start in range(0, x.shape[0], 4096):  # block by block, as the finish stage writes
            encoder.write(x[start:start + 4096])
    assert encoder.backend == backend
    return path


def lag_of(x: np.ndarray, y: np.ndarray, most: int = 4096) -> int:
    """How many frames later `x` starts in `y`: the peak of their cross-correlation (plain numpy)."""
    a, b = x.sum(axis=1), y.sum(axis=1)
    size = 1 << int(np.ceil(np.log2(a.size + b.size)))
    corr = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)
    lags = np.r_[np.arange(0, most + 1), np.arange(-most, 0)]
    return int(lags[np.argmax(corr[lags])])


@pytest.mark.parametrize("rate,frames", [(44_100, 1152 * 40 + 1), (48_000, 48_000 * 2 + 123)])
def test_mp3_decodes_to_the_exact_frames_aligned_through_its_lame_tag(tmp_path, backend, rate, frames):
    x = band_noise(frames, rate, seed=frames)
    path = encoded(x, rate, 0, tmp_path / "x.mp3", backend)
    by_mpg123, got_rate = sf.read(str(path), dtype="float32", always_2d=True)
    assert got_rate == rate and by_mpg123.shape == x.shape  # 1 frame past whole MPEG frames: not 46 more
    assert lag_of(x, by_mpg123) == 0
    by_cli = ffmpeg_decode(path)
    assert by_cli.shape == x.shape and lag_of(x, by_cli) == 0
    assert np.sqrt(np.mean((by_mpg123 - x) ** 2)) < 0.1 * np.sqrt(np.mean(x**2))  # the signal, not noise


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_gapless_m4a_declares_the_exact_frames_and_skips_its_priming(tmp_path, backend, rate):
    frames = rate * 2 + 77
    x = band_noise(frames, rate, seed=rate)
    path = encoded(x, rate, 3, tmp_path / "x.m4a", backend)
    assert ffprobe_frames(path) == frames  # the edit list, in the sample rate's time scale
    ours, got_rate = codecs.decode(path)
    assert got_rate == rate and ours.shape == x.shape and lag_of(x, ours) == 0
    by_cli = ffmpeg_decode(path)
    assert by_cli.shape[0] >= frames and lag_of(x, by_cli[:frames]) == 0  # FFmpeg pads to whole packets


def test_a_plain_m4a_keeps_its_aac_priming_in_the_stream(tmp_path, backend):
    x = band_noise(30_000, 44_100)
    path = encoded(x, 44_100, 3, tmp_path / "x.m4a", backend, gapless=False)
    assert lag_of(x, ffmpeg_decode(path)) == AAC_PRIMING  # no edit list to skip it
    assert ffprobe_frames(path) == x.shape[0] + AAC_PRIMING


@pytest.mark.parametrize("fmt,codec", [(0, "libmp3lame"), (3, "aac")])
def test_a_rate_the_codec_cannot_hold_is_refused_in_plain_words(tmp_path, backend, fmt, codec):
    # the CLI would resample to 48 kHz without a word: half the frames, a wrong length
    with pytest.raises(AudioError) as info:
        codecs.encode(band_noise(1000, 192_000), 192_000, fmt, tmp_path / f"x.{codecs.extension(fmt)}")
    assert str(info.value).startswith(f"192000 Hz audio cannot be written as {codec}")
    assert "wav or flac" in str(info.value)


def test_mp3_goes_to_the_cli_and_m4a_stays_in_pyav(tmp_path):
    assert FFMPEG
    x = band_noise(20_000, 48_000)
    encoded(x, 48_000, 0, tmp_path / "x.mp3", "ffmpeg")
    encoded(x, 48_000, 3, tmp_path / "x.m4a", "pyav")


def test_a_failing_ffmpeg_is_an_audio_error_with_its_reason(tmp_path):
    assert FFMPEG
    with pytest.raises(AudioError) as info:  # ffmpeg cannot open its output: no such folder
        codecs.encode(band_noise(100_000, 48_000), 48_000, 0, tmp_path / "gone" / "x.mp3")
    message = str(info.value)
    assert message.startswith("ffmpeg failed to encode libmp3lame: it exited with status")
    assert "No such file or directory" in message and "ffmpeg -version" in message


WRITER = """
import sys
import numpy as np
from pathlib import Path
from mvsep_bridge.daemon.audio.write import write_blocks_atomic

def blocks():
    block = (np.random.default_rng(0).standard_normal((48_000, 2)) * 0.1).astype(np.float32)
    yield block
    print("writing", flush=True)
    sys.stdin.readline()  # never answered: killed here, in the middle of the file
    yield block

write_blocks_atomic(blocks(), 48_000, 2, 0, Path(sys.argv[1]))
"""


def test_ffmpeg_ends_when_its_parent_is_killed_and_no_result_is_left(tmp_path):
    target = tmp_path / "out" / "vocals.mp3"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "writing\n"
        (child,) = psutil.Process(writer.pid).children()
        assert os.path.basename(child.exe()) == "ffmpeg"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "ffmpeg outlived the process that fed it"
    left = [p.name for p in target.parent.iterdir()]
    assert "vocals.mp3" not in left and all(name.endswith(".part") for name in left)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_an_error_while_writing_stops_ffmpeg_and_leaves_no_file(tmp_path, backend):
    def blocks():
        yield band_noise(48_000, 48_000)
        raise RuntimeError("the stem's decoder failed")

    with pytest.raises(RuntimeError):
        write_blocks_atomic(blocks(), 48_000, 2, 0, tmp_path / "out" / "vocals.mp3")
    assert list((tmp_path / "out").iterdir()) == []
    assert psutil.Process().children() == []  # the ffmpeg child was stopped and reaped


def on_path(folder, script: str) -> None:
    (folder / "ffmpeg").write_text(f"#!/bin/sh\n{script}\n")
    (folder / "ffmpeg").chmod(0o755)


def test_an_ffmpeg_build_without_lame_leaves_mp3_to_pyav(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    on_path(tmp_path / "bin", f'if [ "$2" = -encoders ]; then {FFMPEG} "$@" | {GREP} -v libmp3lame; '
                              f'else exec {FFMPEG} "$@"; fi')  # a build without LAME
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    x = band_noise(20_000, 48_000)
    path = encoded(x, 48_000, 0, tmp_path / "x.mp3", "pyav")
    by_mpg123, _ = sf.read(str(path), dtype="float32", always_2d=True)
    assert by_mpg123.shape == x.shape and lag_of(x, by_mpg123) == 0


def test_an_ffmpeg_that_does_not_run_leaves_mp3_to_pyav(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    on_path(tmp_path / "bin", "echo 'error while loading shared libraries: libavdevice.so.59' >&2; exit 127")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    x = band_noise(20_000, 48_000)
    path = encoded(x, 48_000, 0, tmp_path / "x.mp3", "pyav")
    assert sf.info(str(path)).frames == x.shape[0]
