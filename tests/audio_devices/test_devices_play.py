"""Previews through real PortAudio on ALSA: what the device received, sample for sample."""

from __future__ import annotations

import json
import signal
import subprocess

import numpy as np
import soxr

from processes import CLI

from .world import (assert_played, assert_played_prefix, bite, read_available, read_some, run_cli, separate,
                    stem_samples, while_running, write_song)


def test_devices_lists_each_device_with_its_channels_and_default_rate(alsa, env):
    result = run_cli(["devices", "--json"], env)

    assert result.returncode == 0, result.stderr
    devices = {d["name"]: d for d in json.loads(result.stdout)}
    assert {"preview_out", "capture_in", "mono_out"} <= set(devices)
    assert devices["mono_out"]["output_channels"] == 1 and devices["default"]["default_output"]
    assert devices["preview_out"]["output_channels"] >= 2 and devices["capture_in"]["input_channels"] >= 2
    assert devices["preview_out"]["default_rate"] == 44_100 and devices["preview_out"]["host_api"] == "ALSA"
    table = run_cli(["devices"], env)
    assert table.returncode == 0 and "mono_out" in table.stdout and "44100" in table.stdout


def test_play_one_stem_sends_exactly_its_samples_to_the_device(alsa, env, finished_job):
    name = finished_job["stems"][0]["name"]

    result = run_cli(["play", finished_job["id"], "--stem", name, "--device", "preview_out"], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("done")
    assert_played(alsa.played(2), stem_samples(finished_job, name))


def test_play_several_stems_sends_their_mix_from_the_start_time(alsa, env, finished_job):
    names = [s["name"] for s in finished_job["stems"]]

    result = run_cli(["play", finished_job["id"], *[a for n in names for a in ("--stem", n)],
                      "--device", "preview_out", "--start", "0.5"], env)

    assert result.returncode == 0, result.stderr
    mix = sum(stem_samples(finished_job, n) for n in names)
    assert_played(alsa.played(2), mix[24_000:])  # 0.5 s at the stems' 48 kHz


def test_play_at_another_device_rate_resamples_the_stream(alsa, env, finished_job):
    name = finished_job["stems"][0]["name"]

    result = run_cli(["play", finished_job["id"], "--stem", name, "--device", "preview_out", "--rate", "44100"], env)

    assert result.returncode == 0, result.stderr
    assert "resampled from 48000 Hz" in result.stderr
    # the block-wise stream matches soxr resampling the whole stem at once
    expected = soxr.resample(stem_samples(finished_job, name), 48_000, 44_100, quality="HQ")
    assert len(expected) == 88_200
    assert_played(alsa.played(2), expected, exact=False)


def test_a_file_rate_the_device_does_not_take_is_resampled_to_its_default(alsa, env, isolated_home):
    # PortAudio on ALSA takes 1 kHz to 384 kHz: a 400 kHz job's stems must be converted
    job = separate(env, write_song(isolated_home / "Music" / "hires.wav", seconds=0.5, rate=400_000))

    result = run_cli(["play", job["id"], "--device", "preview_out"], env)

    assert result.returncode == 0, result.stderr
    assert "at 44100 Hz, resampled from 400000 Hz" in result.stderr
    mix = sum(stem_samples(job, s["name"]) for s in job["stems"])
    expected = soxr.resample(mix, 400_000, 44_100, quality="HQ")
    assert len(expected) == 22_050
    assert_played(alsa.played(2), expected, exact=False)


def test_ctrl_c_stops_the_play_command_and_says_how_much_was_heard(alsa, env, finished_job):
    name = finished_job["stems"][0]["name"]
    play = subprocess.Popen([CLI, "play", finished_job["id"], "--stem", name, "--device", "preview_fifo"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    heard = [read_some(alsa.out_fd, 1 << 16)]  # it plays: the device took a pipeful

    play.send_signal(signal.SIGINT)
    out, err = while_running(lambda: play.communicate(timeout=60), lambda: heard.append(bite(alsa.out_fd)))

    assert play.returncode == 0, err
    assert out.startswith("stopped: ")
    played = np.frombuffer(b"".join(heard) + read_available(alsa.out_fd), "<f4").reshape(-1, 2)
    assert assert_played_prefix(played, stem_samples(finished_job, name)) < 96_000 // 2
