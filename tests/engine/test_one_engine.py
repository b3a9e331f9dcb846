"""One engine per data dir: commands share one daemon, started on demand; read-only commands
create nothing; the daemon follows the config file; a command never runs on other settings."""

from __future__ import annotations

import json
import subprocess

import psutil

from harness import read_manifest, run_cli, store_states, wait_for, write_wav
from processes import CLI, daemon_env


def _daemon_pid(data):
    return json.loads((data / "daemon.json").read_text())["pid"]


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_two_separates_at_once_share_one_daemon_started_on_demand(emulator, tmp_path):
    account = emulator.create_account()
    data = tmp_path / "data"
    env = daemon_env(data, emulator.base_url, account.token)
    sources = [write_wav(tmp_path / f"song{i}.wav", seconds=1.0, seed=i) for i in range(2)]

    both = [subprocess.Popen([CLI, "separate", str(s), "--sep-type", "40"], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for s in sources]
    results = [(p.wait(120), *p.communicate()) for p in both]

    for code, _, err in results:
        assert code == 0, err
    starts = sum(err.count("started a daemon in the background") for _, _, err in results)
    assert starts == 1
    assert emulator.stats()["creates"]["per_account"][account.email] == 2
    assert all(read_manifest(tmp_path / f"song{i}")["stems"] for i in range(2))
    daemon = psutil.Process(_daemon_pid(data))
    assert daemon.is_running() and "--on-demand" in daemon.cmdline()


def test_a_daemon_started_while_an_on_demand_one_runs_takes_over(emulator, daemons, tmp_path):
    account = emulator.create_account()
    data = tmp_path / "data"
    env = daemon_env(data, emulator.base_url, account.token)
    emulator.configure(waiting_seconds=2.0)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    separate = subprocess.Popen([CLI, "separate", str(source), "--sep-type", "40"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: "remote" in store_states(data).values(), what="the job on the server")
    on_demand = _daemon_pid(data)

    foreground = daemons(env)  # `mvsep-bridge daemon`, as the login service starts it

    assert foreground.process.poll() is None
    wait_for(lambda: _gone(on_demand), timeout=15, what="the on-demand daemon handing over and exiting")
    code = separate.wait(120)
    assert code == 0, separate.stderr.read()
    assert list(store_states(data).values()) == ["done"]
    assert emulator.stats()["creates"]["per_account"][account.email] == 1
    status = run_cli(["daemon", "status", "--json"], env)
    assert json.loads(status.stdout)["on_demand"] is False


def test_an_on_demand_daemon_exits_when_idle(tmp_path):
    data = tmp_path / "data"
    env = daemon_env(data, MVSEP_BRIDGE_DAEMON__IDLE_EXIT_MINUTES="0.05")  # 3 s
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    assert run_cli(["separate", str(source), "--sep-type", "40"], env).returncode == 0
    pid = _daemon_pid(data)

    wait_for(lambda: _gone(pid), timeout=30, what="the idle daemon gone")
    assert not (data / "daemon.json").exists()
    assert run_cli(["daemon", "status"], env).returncode == 3


def test_jobs_and_status_without_a_daemon_create_nothing(tmp_path):
    data = tmp_path / "fresh" / "data"
    env = daemon_env(data, home=tmp_path / "fresh-home")

    listing = run_cli(["jobs", "--json"], env)
    status = run_cli(["status", "0123456789ab"], env)

    assert listing.returncode == 0 and json.loads(listing.stdout) == []
    assert status.returncode == 2 and "no job '0123456789ab'" in status.stderr
    assert not data.exists() and not (tmp_path / "fresh-home").exists()


def test_the_same_file_twice_in_one_command_is_one_job(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    (tmp_path / "link.wav").symlink_to(source)

    result = run_cli(["separate", str(source), str(source), str(tmp_path / "link.wav"), "--sep-type", "40",
                      "--json"], env)

    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 1
    assert result.stderr.count("separating it once") == 2
    assert emulator.stats()["creates"]["per_account"][account.email] == 1


def test_a_rerun_into_the_same_folder_keeps_the_earlier_result_unless_asked(tmp_path):
    env = daemon_env(tmp_path / "data")
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    out = tmp_path / "stems"
    first = run_cli(["separate", str(source), "--sep-type", "40", "--out", str(out)], env)
    assert first.returncode == 0, first.stderr
    earlier = read_manifest(out / "song")

    again = run_cli(["separate", str(source), "--sep-type", "55", "--out", str(out)], env)

    assert again.returncode == 2
    assert f"{out / 'song'} holds the stems of an earlier run (job {earlier['job']}" in again.stderr
    assert "--replace" in again.stderr
    assert read_manifest(out / "song") == earlier and (out / "song" / "vocals.flac").is_file()

    replaced = run_cli(["separate", str(source), "--sep-type", "55", "--out", str(out), "--replace"], env)
    assert replaced.returncode == 0, replaced.stderr
    assert [s["name"] for s in read_manifest(out / "song")["stems"]] == ["center", "wide"]


def _write_config(path, token, base_url, **budget):
    lines = [f'api_token = "{token}"', f'base_url = "{base_url}"']
    if budget:
        lines.append("[budget]")
        lines += [f"{k} = {v}" for k, v in budget.items()]
    path.write_text("\n".join(lines) + "\n")


def test_the_daemon_follows_the_config_file_token_and_budget(emulator, daemons, tmp_path):
    first, second = emulator.create_account(), emulator.create_account()
    config = tmp_path / "config.toml"
    _write_config(config, first.token, emulator.base_url, max_credits_per_job=0)
    env = daemon_env(tmp_path / "data", config=config)
    daemons(env)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)

    refused = run_cli(["separate", str(source), "--sep-type", "40"], env)
    assert refused.returncode == 2 and "per-job budget of 0" in refused.stderr

    # another account and a raised budget, written while the daemon runs (as `account login` does)
    _write_config(config, second.token, emulator.base_url, max_credits_per_job=50)
    result = run_cli(["separate", str(source), "--sep-type", "40"], env)

    assert result.returncode == 0, result.stderr
    creates = emulator.stats()["creates"]["per_account"]
    assert creates.get(second.email) == 1 and not creates.get(first.email)


def test_a_command_whose_environment_differs_from_the_daemon_is_refused_naming_it(emulator, daemons, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    daemons(env)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)

    local = run_cli(["separate", str(source), "--sep-type", "40"], {**env, "MVSEP_BRIDGE_BACKEND": "local"})
    other = run_cli(["separate", str(source), "--sep-type", "40"], {**env, "MVSEP_API_TOKEN": "another-token"})

    assert local.returncode == 2 and "backend local here, mvsep in the daemon" in local.stderr
    assert "MVSEP_BRIDGE_BACKEND" in local.stderr and "daemon stop" in local.stderr
    assert other.returncode == 2 and "another API token" in other.stderr
    assert "another-token" not in other.stderr
    assert store_states(tmp_path / "data") == {}
    assert emulator.stats()["creates"]["per_account"].get(account.email, 0) == 0


def test_a_missing_file_is_refused_before_any_daemon_is_asked_or_started(tmp_path):
    data = tmp_path / "data"
    env = daemon_env(data)

    result = run_cli(["separate", str(tmp_path / "nope.wav")], env)

    assert result.returncode == 2 and "nope.wav: no such file or directory" in result.stderr
    assert "started a daemon" not in result.stderr and not data.exists()
