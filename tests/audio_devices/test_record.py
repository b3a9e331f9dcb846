"""`mvsep-bridge record`: an input captured sample for sample, then separated on the emulator."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mvsep_bridge.daemon.control.client import ControlClient
from processes import CLI, daemon_env

from .world import Feeder, noise, run_cli, wait_for, while_running


@pytest.mark.parametrize("file_format", ["flac", "wav"])
def test_record_captures_exactly_the_input_and_separates_it_on_mvsep(alsa, emulator, isolated_home, file_format):
    account = emulator.create_account(credits=100)
    env = daemon_env(isolated_home / "data", emulator.base_url, account.token)
    fed = noise(44_100 * 2, seed=7)
    alsa.feed(np.concatenate([fed, noise(44_100, seed=8)]))  # more than is asked for
    out = isolated_home / "Recordings"

    result = run_cli(["record", "--device", "capture_in", "--seconds", "2", "--file-format", file_format, "--sep-type", "40",
                      "--out", str(out), "--json"], env)

    assert result.returncode == 0, result.stderr
    [recording] = out.glob(f"recording-*.{file_format}")
    captured, rate = sf.read(recording, dtype="float32", always_2d=True)
    assert rate == 44_100
    np.testing.assert_array_equal(captured, fed)  # every frame, to the frame count asked for
    assert "overflow" not in result.stderr
    [view] = json.loads(result.stdout)
    assert view["state"] == "done" and view["backend"] == "mvsep"
    assert Path(view["request"]["source"]) == recording and view["request"]["reply"]["bridge"] == "audio"
    folder = out / recording.stem
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["source"]["frames"] == 88_200 and manifest["source"]["sample_rate"] == 44_100
    for stem in manifest["stems"]:
        assert sf.info(folder / stem["file"]).frames == 88_200
    assert emulator.stats()["credits"][account.email] < 100


def test_ctrl_c_ends_an_open_ended_recording_which_is_then_separated(alsa, env, isolated_home):
    fed = noise(44_100 * 20, seed=9)
    feed = Feeder(alsa.in_fd, fed)  # a pipeful waits in the device before the recording starts
    out = isolated_home / "Recordings"
    record = subprocess.Popen([CLI, "record", "--device", "capture_fifo", "--out", str(out), "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: feed() or recorded_frames(isolated_home / "data") > 0, timeout=60)

    record.send_signal(signal.SIGINT)
    stdout, stderr = while_running(lambda: record.communicate(timeout=120), feed)

    assert record.returncode == 0, stderr
    [recording] = out.glob("recording-*.flac")
    captured, rate = sf.read(recording, dtype="float32", always_2d=True)
    assert rate == 44_100 and len(captured) > 0
    exact = min(len(captured), feed.whole)  # beyond the first pipeful, see Feeder
    np.testing.assert_array_equal(captured[:exact], fed[:exact])
    [view] = json.loads(stdout)
    assert view["state"] == "done" and Path(view["request"]["source"]) == recording
    assert (out / recording.stem / "manifest.json").exists()


def recorded_frames(data_dir: Path) -> int:
    """How far the daemon's recording is, as its audio bridge says (0 before it runs)."""
    client = ControlClient.discover(data_dir)
    recording = client.call("audio", "status")["recording"] if client else None
    return recording["frames"] if recording else 0
