"""Previews through real PortAudio on ALSA: what the device received, sample for sample."""

from __future__ import annotations

import json

from .world import assert_played, run_cli, stem_samples


def test_devices_lists_each_device_with_its_channels_and_default_rate(alsa, env):
    result = run_cli(["devices", "--json"], env)

    assert result.returncode == 0, result.stderr
    devices = {d["name"]: d for d in json.loads(result.stdout)}
    assert {"preview_out", "capture_in", "mono_out"} <= set(devices)
    assert devices["mono_out"]["output_channels"] == 1
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
