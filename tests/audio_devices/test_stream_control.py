"""Streams the test moves itself (FIFO devices): a preview stopped at once, a device that
disappears mid-stream, a recording stopped by hand and a second one refused while it runs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mvsep_bridge.daemon.control.client import ControlClient
from mvsep_bridge.daemon.errors import BridgeError

from .world import (Feeder, assert_played, assert_played_prefix, bite, noise, read_available, read_some, run_cli,
                    stem_samples, wait_for, while_running)

FRAME = 8  # float32 stereo


@pytest.fixture
def client(finished_job, isolated_home):
    """The daemon the job ran on (started on demand by `separate`)."""
    found = ControlClient.discover(isolated_home / "data")
    assert found is not None
    return found


def test_stop_ends_a_preview_at_once(alsa, client, finished_job):
    name = finished_job["stems"][0]["name"]
    expected = stem_samples(finished_job, name)

    playing = client.call("audio", "play", {"job": finished_job["id"], "stems": [name], "device": "preview_fifo"})
    assert playing["state"] == "playing"
    heard = [read_some(alsa.out_fd, 1 << 16)]  # the device took this much; the player waits on it now
    # the stop waits for the player, which waits on the device: keep taking small bites meanwhile
    stopped = while_running(lambda: client.call("audio", "stop"), lambda: heard.append(bite(alsa.out_fd)))
    heard.append(read_available(alsa.out_fd))

    assert stopped["state"] == "stopped" and stopped["error"] is None
    played = np.frombuffer(b"".join(heard), "<f4").reshape(-1, 2)
    frames = assert_played_prefix(played, expected)
    assert frames < len(expected) // 2  # cut short: nothing was written after the stop
    assert client.call("audio", "status")["playback"]["state"] == "stopped"


def test_a_device_that_disappears_mid_preview_ends_it_and_the_daemon_plays_on(alsa, env, client, finished_job):
    name = finished_job["stems"][0]["name"]
    client.call("audio", "play", {"job": finished_job["id"], "stems": [name], "device": "preview_fifo"})
    read_some(alsa.out_fd, 1 << 16)

    os.close(alsa.out_fd)  # the device's far end is gone: its writes fail from now on
    alsa.out_fd = None
    failed = wait_for(lambda: (s := client.call("audio", "status")["playback"])["state"] != "playing" and s)

    assert failed["state"] == "failed" and "preview_fifo" in failed["error"]
    assert client.ping()["pid"]  # the daemon is up, and plays the next preview
    result = run_cli(["play", finished_job["id"], "--stem", name, "--device", "preview_out"], env)
    assert result.returncode == 0, result.stderr
    assert_played(alsa.played(2), stem_samples(finished_job, name))


def test_a_recording_stopped_by_hand_holds_what_came_in_and_a_second_one_is_refused(alsa, client):
    fed = noise(44_100 * 10, seed=3)
    feed = Feeder(alsa.in_fd, fed)  # a pipeful waits in the device before the recording starts

    recording = client.call("audio", "record_start", {"device": "capture_fifo", "file_format": "wav"})
    assert recording["state"] == "recording" and recording["rate"] == 44_100 and recording["channels"] == 2
    with pytest.raises(BridgeError) as refused:
        client.call("audio", "record_start", {"device": "capture_in"})
    assert "a recording runs already" in refused.value.message and "stop it first" in refused.value.hint

    done = while_running(lambda: client.call("audio", "record_stop"), feed)

    assert done["state"] == "submitted" and done["job"] and done["overflows"] == 0
    captured, rate = sf.read(done["file"], dtype="float32", always_2d=True)
    assert rate == 44_100 and len(captured) == done["frames"] > 0
    exact = min(len(captured), feed.whole)  # beyond the first pipeful, see Feeder
    np.testing.assert_array_equal(captured[:exact], fed[:exact])
    job = wait_for(lambda: (v := client.get(done["job"])).state.final and v)
    assert job.state == "done" and job.request.reply.bridge == "audio"
    assert job.request.reply.tag == done["recording"] and job.request.source == Path(done["file"])
