"""Exactly the section's frame count, by decoders we did not write: mp3 stems decode to the
manifest's frames in libsndfile, the ffmpeg CLI and PyAV (also for n mod 1152 in 1..46, where
FFmpeg's muxer used to claim up to 46 frames too many); m4a stems declare exactly n, which our
decoder gives, and FFmpeg gives n rounded up to whole AAC packets, aligned (README)."""

from __future__ import annotations

import math

import av
import pytest
import soundfile as sf

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.audio.align import find_lag

from harness import ffmpeg_decode, ffprobe_frames, read_manifest, run_cli, tone_mix
from processes import daemon_env


def _pyav(path) -> int:
    with av.open(str(path)) as container:
        return sum(frame.samples for frame in container.decode(audio=0))


def _separate(tmp_path, rate: int, frames: int, output_format: int):
    source = tmp_path / "song.wav"
    sf.write(source, tone_mix(frames / rate + 0.5, rate), rate, subtype="PCM_24")
    out = tmp_path / "out"
    length = repr(frames / rate)  # the frame count back by round-half-up, exactly
    result = run_cli(["separate", str(source), "--sep-type", "40", "--format", str(output_format),
                      "--length", length, "--out", str(out)], daemon_env(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    folder = out / "song"
    manifest = read_manifest(folder)
    assert manifest["source"]["frames"] == frames
    return folder, manifest


@pytest.mark.parametrize("rate,frames", [(44_100, 1152 * 34 + 1), (44_100, 1152 * 34 + 46),
                                         (48_000, 1152 * 41 + 23), (48_000, 1152 * 41), (44_100, 44_100)])
def test_mp3_stems_decode_to_exactly_the_sections_frames_everywhere(tmp_path, rate, frames):
    folder, manifest = _separate(tmp_path, rate, frames, output_format=0)
    for stem in manifest["stems"]:
        path = folder / stem["file"]
        assert stem["frames"] == frames
        assert sf.info(str(path)).frames == frames, "libsndfile (mpg123)"
        assert sf.read(str(path))[0].shape[0] == frames
        assert ffmpeg_decode(path).shape[0] == frames, "ffmpeg CLI"
        assert _pyav(path) == frames, "PyAV"


def test_the_issues_1153_frames_decode_to_1153_where_a_decoder_opens_them(tmp_path):
    # FFmpeg (CLI and PyAV) needs a few more MPEG frames than 1153 samples make to lock on to an
    # mp3 stream at all, whatever its tags (README): libsndfile and our decoder are the judges
    folder, manifest = _separate(tmp_path, 44_100, 1153, output_format=0)
    for stem in manifest["stems"]:
        path = folder / stem["file"]
        assert sf.info(str(path)).frames == 1153 and sf.read(str(path))[0].shape[0] == 1153
        assert codecs.decode(path)[0].shape[0] == 1153


def test_m4a_stems_declare_the_exact_length_and_ffmpeg_pads_to_whole_packets(tmp_path):
    rate, frames = 48_000, 240_000
    folder, manifest = _separate(tmp_path, rate, frames, output_format=3)
    for stem in manifest["stems"]:
        path = folder / stem["file"]
        ours, _ = codecs.decode(path)
        assert ours.shape[0] == frames and ffprobe_frames(path) == frames  # the edit list says n
        by_ffmpeg = ffmpeg_decode(path)
        assert by_ffmpeg.shape[0] == math.ceil(frames / 1024) * 1024  # 240640, as the README says
        assert find_lag(ours, by_ffmpeg[:frames], 2048) == 0  # the priming skipped: aligned
