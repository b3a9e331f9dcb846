"""A daemon that has run before knows the server's pace (data_dir/pace.json): after a restart it
asks about a job like the earlier ones only near its expected end; a remembered pace that is too
slow (the server faster now) still gets the job seen done by the bell, which never waits longer
than an eighth of the job's run; a bad pace file is ignored and written anew. Counted on the
emulator's /_emulator/stats: separation/get (polls, 60 a minute) and app/user (the bell)."""

from __future__ import annotations

import json
import subprocess
import time

from mvsep_bridge.daemon.jobs.pace import PACE_FILE, server_key

from harness import separate_batch, wait_for, write_wav
from processes import CLI, daemon_env

POLLS, BELL = "/api/separation/get", "/api/app/user"


def requests(emulator, endpoint: str) -> int:
    return emulator.stats()["endpoints"].get(endpoint, {}).get("requests", 0)


def remembered(data, emulator) -> dict[str, list]:
    """sep_type -> [(rate, at)] the daemon wrote for this emulator."""
    return json.loads((data / PACE_FILE).read_text())["servers"][server_key("mvsep", emulator.base_url)]


def test_a_restarted_daemon_asks_about_a_job_like_an_earlier_one_only_near_its_end(emulator, daemons, tmp_path):
    emulator.configure(waiting_seconds=1.0, processing_seconds=9.0)
    account = emulator.create_account(premium=True)
    data = tmp_path / "data"
    env = daemon_env(data, emulator.base_url, account.token)
    daemon = daemons(env)
    separate_batch([write_wav(tmp_path / "first.wav", seconds=2.0, seed=0)], env, tmp_path / "out")
    cold = requests(emulator, POLLS)
    [[rate, _]] = remembered(data, emulator)["40"]
    assert rate >= 9.0 / 2.0  # ~10 s on the server for 2 s of audio (its end: between two looks)

    daemon.kill()  # a crash: the pace was written when the job was seen done
    daemon.start()
    # other audio (the same would be the ledger's copy of the first result, no job at all)
    separate_batch([write_wav(tmp_path / "second.wav", seconds=2.0, seed=1)], env, tmp_path / "out")
    warm = requests(emulator, POLLS) - cold

    # cold, the first job was asked about every few seconds while it ran (at 0.25 s, then every
    # ~3 s: the poll budget's share while the bell rings); warm, once near its expected end and
    # once when the bell said it was done
    assert cold >= 3
    assert warm <= 2
    assert len(remembered(data, emulator)["40"]) == 1  # this run's first job replaced the memory
    assert len(emulator.stats()["jobs"]) == 2


def test_a_too_slow_remembered_pace_still_gets_the_job_seen_done_by_the_bell(emulator, daemons, tmp_path):
    emulator.configure(waiting_seconds=1.0, processing_seconds=4.0)
    account = emulator.create_account(premium=True)
    data = tmp_path / "data"
    data.mkdir()
    # a week ago the server took 300 s per second of audio: this 2 s take would end in 10 minutes
    week_ago = time.time() - 7 * 86400
    stale = {"version": 1, "servers": {server_key("mvsep", emulator.base_url): {"40": [[300.0, week_ago]] * 5}}}
    (data / PACE_FILE).write_text(json.dumps(stale))
    env = daemon_env(data, emulator.base_url, account.token)
    daemons(env)
    source = write_wav(tmp_path / "take.wav", seconds=2.0)
    separate = subprocess.Popen([CLI, "separate", str(source), "--sep-type", "40", "--out", str(tmp_path / "out")],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: emulator.stats()["jobs"], what="the job on the server")
        looks_sent = requests(emulator, BELL)
        wait_for(lambda: emulator.stats()["jobs"][0]["status"] == "done", what="the job done on the server")
        looks_done = requests(emulator, BELL)
        _, err = separate.communicate(timeout=60)
    finally:
        separate.kill()
    assert separate.returncode == 0, err

    # while the ~5 s job ran the bell counted the running jobs every max(0.75 s, 1/8 of its run
    # so far): the pace's 10 minutes (BELL_MAX: one look every 10 s) did not put it to sleep
    assert looks_done - looks_sent >= 3
    assert requests(emulator, POLLS) <= 2  # the pace still spared the polls: the bell saw it done
    [[rate, _]] = remembered(data, emulator)["40"]  # what this run saw replaced the stale memory
    assert rate < 300.0 / 10


def test_a_corrupt_pace_file_does_not_stop_the_daemon(emulator, daemons, tmp_path):
    account = emulator.create_account(premium=True)
    data = tmp_path / "data"
    data.mkdir()
    (data / PACE_FILE).write_bytes(b'{"version": 1, "servers": {"mvsep http')  # cut short
    env = daemon_env(data, emulator.base_url, account.token)
    daemons(env)

    separate_batch([write_wav(tmp_path / "take.wav", seconds=2.0)], env, tmp_path / "out")

    log = (tmp_path / "daemon0.log").read_text()
    assert f"ignoring the remembered server pace in {data / PACE_FILE}" in log
    assert len(remembered(data, emulator)["40"]) == 1  # written anew, whole
