"""OSC's /mvsep/play and /mvsep/stop reach the audio bridge: liblo's oscsend as the peer."""

from __future__ import annotations

import subprocess

from mvsep_bridge.daemon.control.client import ControlClient

from .world import assert_played, stem_samples, wait_for


def test_osc_play_from_liblo_plays_the_stem_on_the_default_device(alsa, env, finished_job, isolated_home):
    client = ControlClient.discover(isolated_home / "data")
    where = wait_for(lambda: client.ping()["bridges"].get("osc"))  # "udp://127.0.0.1:PORT"
    name = finished_job["stems"][0]["name"]

    subprocess.run(["oscsend", "127.0.0.1", where.rsplit(":", 1)[1], "/mvsep/play", "ss", finished_job["id"], name],
                   check=True, timeout=30)

    ended = wait_for(lambda: (p := client.call("audio", "status")["playback"]) and p["state"] != "playing" and p)
    assert ended["state"] == "done" and ended["device"] == "default" and ended["stems"] == [name]
    assert_played(alsa.played(2), stem_samples(finished_job, name))
