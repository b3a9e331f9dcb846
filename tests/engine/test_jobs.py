"""Jobs through the daemon process: cancel refunds, a bad file fails alone, status and listings."""

from __future__ import annotations

import json

from mvsep_bridge.daemon.control.client import ControlClient
from mvsep_bridge.daemon.jobs.model import JobRequest

from harness import run_cli, store_states, wait_for, write_wav
from processes import daemon_env


def test_cancel_refunds_the_credits(emulator, daemons, tmp_path):
    emulator.configure(waiting_seconds=60.0)  # the job stays waiting: cancellable
    account = emulator.create_account(credits=100)
    data = tmp_path / "data"
    env = daemon_env(data, emulator.base_url, account.token)
    daemons(env)
    source = write_wav(tmp_path / "song.wav", seconds=90.0)  # 1.5 min: a price above the minimum
    control = ControlClient.discover(data)
    job = control.submit(JobRequest(source=source, sep_type=40, destination=tmp_path / "out")).id
    wait_for(lambda: store_states(data).get(job) == "remote", what="the job on the server")
    charged = emulator.stats()["credits"][account.email]
    assert charged < 100

    result = run_cli(["cancel", job], env)

    assert result.returncode == 0, result.stderr
    assert "cancelled" in result.stdout
    assert emulator.stats()["credits"][account.email] == 100
    status = json.loads(run_cli(["status", job, "--json"], env).stdout)
    assert status["state"] == "cancelled" and "refunded" in status["message"]
    assert not (tmp_path / "out" / "song").exists()
    assert not (data / "work" / job).exists()  # its upload copy is not kept forever
    [line] = [l for l in run_cli(["jobs"], env).stdout.splitlines() if l.startswith(job)]
    assert "cancelled" in line and "queue" not in line  # no stale queue place on a job that is over


def test_a_bad_file_is_refused_with_the_decoders_reason_and_the_others_go_on(emulator, daemons, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    daemons(env)
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" + bytes(range(256)) * 4)
    good = write_wav(tmp_path / "good.wav", seconds=1.0)

    result = run_cli(["separate", str(bad), str(good), "--sep-type", "40", "--out", str(tmp_path / "out"),
                      "--json"], env)

    assert result.returncode == 2, result.stderr  # bad input: refused before it became a job
    assert f"{bad} is not audio" in result.stderr
    [done] = json.loads(result.stdout)
    assert done["request"]["source"] == str(good) and done["state"] == "done"
    assert (tmp_path / "out" / "good" / "manifest.json").exists()
    assert emulator.stats()["creates"]["per_account"][account.email] == 1  # nothing sent for the bad one


def test_jobs_and_status_list_what_the_daemon_knows(emulator, daemons, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    daemons(env)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    assert run_cli(["separate", str(source), "--sep-type", "40"], env).returncode == 0

    listing = json.loads(run_cli(["jobs", "--json"], env).stdout)
    assert [v["request"]["source"] for v in listing] == [str(source)]
    text = run_cli(["status", listing[0]["id"]], env)
    assert text.returncode == 0 and "done" in text.stdout and str(tmp_path / "song") in text.stdout
    unknown = run_cli(["status", "0123456789ab"], env)
    assert unknown.returncode == 2 and "no job '0123456789ab'" in unknown.stderr


def test_cancel_without_a_daemon_cancels_a_left_over_job_cleanly(emulator, tmp_path):
    # a job left unfinished (e.g. a `separate` stopped with Ctrl-C), no daemon running: `cancel`
    # starts one, which takes the job up again (on the server for a while) and cancels it
    from mvsep_bridge.daemon.jobs.store import JobStore

    emulator.configure(waiting_seconds=60.0)
    account = emulator.create_account()
    data = tmp_path / "data"
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    store = JobStore(data / "jobs.sqlite3")
    job = store.add(JobRequest(source=source, sep_type=40), backend="mvsep").id
    store.close()

    result = run_cli(["cancel", job], daemon_env(data, emulator.base_url, account.token))

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "cancelled" in result.stdout
    assert store_states(data)[job] == "cancelled"


def test_cancelling_a_finished_job_says_there_is_nothing_to_cancel(tmp_path):
    env = daemon_env(tmp_path / "data")
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    [done] = json.loads(run_cli(["separate", str(source), "--sep-type", "40", "--json"], env).stdout)

    result = run_cli(["cancel", done["id"]], env)

    assert result.returncode == 2
    assert f"job {done['id']} is already done; nothing to cancel" in result.stderr
    assert store_states(tmp_path / "data")[done["id"]] == "done"


def test_each_state_starts_without_the_progress_of_the_one_before(emulator, daemons, tmp_path):
    # `progress` is 0..1 within the current state: the upload's 100 % must not read as "the
    # server is done" (a bridge maps it onto one bar, which would jump back)
    from mvsep_bridge.daemon.control.client import ControlClient

    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    daemons(env)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    assert run_cli(["separate", str(source), "--sep-type", "40"], env).returncode == 0

    events, _ = ControlClient.discover(tmp_path / "data").events(since=0, timeout=0)
    views = [e.job for e in events]
    firsts = [b for a, b in zip(views, views[1:]) if a.state != b.state and not b.state.final]
    assert [v.state.value for v in firsts][:3] == ["preparing", "queued", "uploading"]
    assert "remote" in [v.state.value for v in firsts]
    assert all(v.progress in (None, 0.0) for v in firsts), [(v.state.value, v.progress) for v in firsts]
