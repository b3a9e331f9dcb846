"""Non-finite and absurd numbers are refused with exit 2 and the range, wherever a number
enters: flags, the config file, sidecars (tests/hotfolder), the daemon's control channel."""

from __future__ import annotations

import json

import pytest
import requests

from harness import run_cli, store_states, write_wav
from processes import daemon_env


@pytest.mark.parametrize("flag,value", [("--start", "1e308"), ("--start", "inf"), ("--start", "nan"),
                                        ("--start", "-1"), ("--length", "1e308"), ("--length", "inf"),
                                        ("--length", "nan"), ("--length", "-3")])
def test_separate_refuses_absurd_section_numbers(tmp_path, flag, value):
    env = daemon_env(tmp_path / "data")
    source = write_wav(tmp_path / "song.wav", seconds=1.0)

    result = run_cli(["separate", str(source), flag, value], env)

    assert result.returncode == 2, result.stderr
    assert f"Invalid value for '{flag}'" in result.stderr and "Traceback" not in result.stderr
    assert store_states(tmp_path / "data") == {}  # refused before any job


def test_the_control_channel_refuses_absurd_numbers_and_the_daemon_stays_up(daemons, tmp_path):
    data = tmp_path / "data"
    env = daemon_env(data)
    daemon = daemons(env)
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    secret = json.loads((data / "daemon.json").read_text())["secret"]
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    for body in ('{"source": "%s", "start": 1e308}', '{"source": "%s", "length": 1e999}',
                 '{"source": "%s", "length": NaN}', '{"source": "%s", "sep_type": 1e40}'):
        answer = requests.post(f"{daemon.url}/v1/jobs", data=body % source, headers=headers, timeout=30)
        assert answer.status_code == 400, answer.text
        error = answer.json()
        assert error["exit_code"] == 2 and "errors.pydantic.dev" not in error["error"], error
    assert store_states(data) == {}
    assert requests.get(f"{daemon.url}/v1/ping", headers=headers, timeout=30).ok


@pytest.mark.parametrize("line,named", [("settle_seconds = inf", "hot_folders.0.settle_seconds"),
                                        ("settle_seconds = nan", "hot_folders.0.settle_seconds")])
def test_the_config_file_refuses_non_finite_numbers(tmp_path, line, named):
    config = tmp_path / "config.toml"
    config.write_text(f'[[hot_folders]]\npath = "{tmp_path / "in"}"\npreset = "p"\n{line}\n')
    result = run_cli(["config", "show"], daemon_env(tmp_path / "data", config=config))
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and "For further information" not in result.stderr


@pytest.mark.parametrize("table", ["[budget]\nmax_credits_per_job = -5", "[budget]\nmax_credits_per_day = inf",
                                   "[osc]\nport = 99999"])
def test_the_config_file_refuses_negative_budgets_and_impossible_ports(tmp_path, table):
    config = tmp_path / "config.toml"
    config.write_text(table + "\n")
    env = daemon_env(tmp_path / "data", config=config)
    del env["MVSEP_BRIDGE_OSC__PORT"]  # the file's port is the one under test
    result = run_cli(["config", "show"], env)
    assert result.returncode == 2, result.stderr
    assert table.split("\n")[1].split(" =")[0] in result.stderr


def test_hotfolder_add_refuses_a_non_finite_settle_time(tmp_path):
    env = daemon_env(tmp_path / "data", config=tmp_path / "config.toml")
    assert run_cli(["preset", "add", "p", "--sep-type", "40"], env).returncode == 0
    result = run_cli(["hotfolder", "add", str(tmp_path / "in"), "--preset", "p", "--settle", "nan"], env)
    assert result.returncode == 2 and "not a finite number" in result.stderr, result.stderr
    assert run_cli(["config", "show"], env).returncode == 0  # nothing bad was written
