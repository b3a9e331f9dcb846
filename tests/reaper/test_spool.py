"""The spool bridge in a real daemon on the emulator: request files in, status files out."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from .world import EDGE, music
from harness import run_cli, store_states


def separate(world, request_id, source, **fields):
    request = {"kind": "separate", "id": request_id, "source": str(source), "sep_type": 40,
               "destination": str(world.root / "Media" / "MVSEP" / request_id)} | fields
    return world.write_request(request)


def test_a_request_becomes_a_job_and_its_stems_are_reported(spool_world):
    world = spool_world
    source = music(world.root / "song.wav", 3.0, 48_000, 2)
    world.start()
    path = separate(world, "r1", source, start=0.5, length=1.25, output_format=1)
    done = world.wait_status("r1", ("done", "failed", "rejected"))
    assert done["state"] == "done", done
    assert not path.exists()  # taken
    assert {s["name"] for s in done["stems"]} == {"vocals", "instrumental"}
    original, _ = sf.read(source, always_2d=True)
    section = original[24_000:24_000 + 60_000]
    total = np.zeros_like(section)
    for stem in done["stems"]:
        assert os.path.dirname(stem["path"]) == str(world.root / "Media" / "MVSEP" / "r1" / "song")
        samples, rate = sf.read(stem["path"], always_2d=True)
        assert rate == 48_000 and samples.shape == section.shape
        total += samples
    error = np.abs(total - section)[EDGE:-EDGE].max()
    assert error < 2e-3  # the stems add up to the section, in place
    shown = run_cli(["daemon", "status"], world.env)
    assert shown.returncode == 0 and str(world.spool) in shown.stdout and "reaper" in shown.stdout, shown.stdout
    heartbeat = json.loads((world.spool / "daemon.json").read_text())
    assert heartbeat["pid"] == world.daemon.process.pid and time.time() - heartbeat["time"] < 30
    world.daemon.stop()  # SIGTERM: the scripts see "not running" at once, not after the heartbeat ages
    assert not (world.spool / "daemon.json").exists()


def test_bad_request_files_get_an_error_status_and_the_daemon_goes_on(spool_world):
    world = spool_world
    source = music(world.root / "song.wav", 1.0, 44_100, 1)
    old = time.time() - 60
    garbage = world.write_request({}, name="broken", raw='{"kind": "separate", "id": "bro')
    os.utime(garbage, (old, old))
    separate(world, "no-field", source, sep_type="forty")
    world.write_request({"kind": "explode", "id": "kind"})
    separate(world, "missing", world.root / "nowhere.wav")
    separate(world, "renamed", source).rename(world.spool / "requests" / "other-name.json")
    separate(world, "relative", "song.wav")
    world.write_request({}, name="no id!", raw="{}")
    world.start()
    for request_id, words in [("broken", "json"), ("no-field", "sep_type"), ("kind", "kind"),
                              ("missing", "nowhere.wav"), ("other-name", "does not match its id"),
                              ("relative", "must be an absolute path")]:
        status = world.wait_status(request_id, ("rejected", "failed"))
        assert words in (status["error"] or "").lower() + (status.get("hint") or ""), status
    assert sorted(p.name for p in (world.spool / "requests" / "rejected").iterdir()) == sorted(
        ["broken.json", "no-field.json", "kind.json", "other-name.json", "relative.json", "no id!.json"]
        + (["missing.json"] if world.status("missing")["state"] == "rejected" else []))
    assert not (world.spool / "status" / "no id!.json").exists()
    separate(world, "good", source)
    assert world.wait_status("good", ("done", "failed", "rejected"))["state"] == "done"


def test_a_request_cancelled_before_it_was_taken_never_becomes_a_job(spool_world):
    world = spool_world
    source = music(world.root / "song.wav", 1.0, 44_100, 2)
    separate(world, "b-job", source)
    world.write_request({"kind": "cancel", "id": "a-cancel", "target": "b-job"})
    world.start()
    status = world.wait_status("b-job", ("cancelled", "done", "queued", "rejected"))
    assert status["state"] == "cancelled" and status["job"] is None
    time.sleep(0.5)
    assert not any((world.spool / "requests").glob("*.json"))


def test_a_source_outside_the_allowed_roots_is_refused_with_the_fix(spool_world, isolated_home):
    world = spool_world
    outside = music(isolated_home / "Music" / "private.wav", 1.0, 44_100, 1)
    world.start()
    separate(world, "outside", outside)
    status = world.wait_status("outside", ("rejected", "done", "failed"))
    assert status["state"] == "rejected" and "allowed" in status["error"], status
    assert "allowed_roots" in (status["hint"] or "") + status["error"]


def test_a_daemon_killed_mid_job_reports_the_same_job_after_restart(spool_world, emulator):
    world = spool_world
    emulator.configure(processing_seconds=3.0)
    source = music(world.root / "song.wav", 2.0, 44_100, 2)
    world.start()
    separate(world, "r1", source)
    first = world.wait_status("r1", ("queued", "preparing", "uploading", "remote"))
    world.daemon.restart()  # kill -9, start again
    done = world.wait_status("r1", ("done", "failed", "cancelled"))
    assert done["state"] == "done" and done["job"] == first["job"], (first, done)
    assert len(store_states(world.data)) == 1  # never a second job for one request


def test_a_generate_request_without_a_source_is_checked_like_any_other(spool_world, tmp_path):
    world = spool_world
    base = {"kind": "generate", "sep_type": 62, "options": {"add_opt1": "rain on a tin roof", "add_opt2": "2"}}
    world.write_request({**base, "id": "relative", "destination": "media/x"})
    world.write_request({**base, "id": "with-source", "source": str(tmp_path / "a.wav"),
                         "destination": str(world.root / "out")})
    world.write_request({**base, "id": "outside", "destination": "/tmp/not-allowed-for-reaper"})
    world.write_request({**base, "id": "separation", "sep_type": 40, "destination": str(world.root / "out")})
    world.write_request({**base, "id": "good", "destination": str(world.root / "out")})
    world.start()
    for request_id, words in [("relative", "must be an absolute path"), ("with-source", "extra"),
                              ("outside", "allowed"), ("separation", "give a file")]:
        status = world.wait_status(request_id, ("rejected", "failed", "done"))
        assert status["state"] == "rejected" and words in status["error"].lower() + (status["hint"] or ""), status
    done = world.wait_status("good", ("done", "failed", "rejected"))
    assert done["state"] == "done", done
    (stem,) = done["stems"]
    assert Path(stem["path"]).parent == world.root / "out" / "sep_type-62"
    assert sf.info(stem["path"]).frames == 2 * 44_100
