"""The control channel is the user's alone; logs tell each state change and never the token."""

from __future__ import annotations

import json
import stat

import requests

from harness import run_cli, store_states, wait_for, write_wav
from processes import daemon_env


def test_the_control_channel_needs_the_secret_from_a_private_file(daemons, tmp_path):
    data = tmp_path / "data"
    daemon = daemons(daemon_env(data))
    info_file = data / "daemon.json"
    assert stat.S_IMODE(info_file.stat().st_mode) == 0o600
    info = json.loads(info_file.read_text())
    assert info["url"] == daemon.url and info["url"].startswith("http://127.0.0.1:")

    anonymous = requests.get(f"{daemon.url}/v1/jobs", timeout=10)
    wrong = requests.get(f"{daemon.url}/v1/jobs", headers={"Authorization": "Bearer guess"}, timeout=10)
    right = requests.get(f"{daemon.url}/v1/jobs", headers={"Authorization": f"Bearer {info['secret']}"}, timeout=10)

    assert anonymous.status_code == wrong.status_code == 401
    assert right.status_code == 200 and right.json() == []


def test_logs_have_a_line_per_state_change_and_never_the_token(emulator, daemons, tmp_path, isolated_home):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    daemon = daemons(env)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    result = run_cli(["separate", str(source), "--sep-type", "40", "--json"], env)
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)[0]["id"]
    daemon.stop()

    log_file = isolated_home / ".local/state/mvsep-bridge/log/mvsep-bridge.log"
    for text in (log_file.read_text(), daemon.log_path.read_text()):
        assert account.token not in text
        for change in ("queued -> preparing", "uploading -> remote", "finishing -> done"):
            assert f"job {job}: {change}" in text


def test_sigterm_stops_the_daemon_cleanly_and_unfinished_jobs_wait_for_the_next_start(emulator, daemons, tmp_path):
    from mvsep_bridge.daemon.control.client import ControlClient
    from mvsep_bridge.daemon.jobs.model import JobRequest

    emulator.configure(waiting_seconds=60.0)
    account = emulator.create_account()
    data = tmp_path / "data"
    env = daemon_env(data, emulator.base_url, account.token)
    daemon = daemons(env)
    job = ControlClient.discover(data).submit(JobRequest(source=write_wav(tmp_path / "s.wav", 1.0), sep_type=40)).id
    wait_for(lambda: store_states(data).get(job) == "remote", what="the job on the server")

    daemon.stop()

    assert daemon.process.returncode == 0
    assert not (data / "daemon.json").exists()
    assert ControlClient.discover(data) is None
    emulator.configure(waiting_seconds=0.2)
    daemon.start()
    wait_for(lambda: store_states(data).get(job) == "done", what="the job done after the restart")
    assert emulator.stats()["creates"]["per_account"][account.email] == 1


def test_a_second_daemon_on_the_same_data_dir_names_the_running_one(daemons, tmp_path):
    env = daemon_env(tmp_path / "data")
    first = daemons(env)

    second = run_cli(["daemon"], env, timeout=60)

    assert second.returncode == 3, second.stderr
    assert f"a daemon already runs for {tmp_path / 'data'}, at {first.url}" in second.stderr
    assert "MVSEP_BRIDGE_DATA_DIR" in second.stderr and "Traceback" not in second.stderr
