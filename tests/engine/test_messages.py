"""Exit codes and messages a new user meets (README: 0 ok, 1 job failed, 2 bad usage or input,
3 unreachable, 4 auth): bad files refused before any job, config mistakes as usage errors,
messages that name the problem once and in the backend's own words."""

from __future__ import annotations

import os
import subprocess

import pytest

from harness import run_cli, store_states, write_wav
from processes import CLI, daemon_env


def _no_terminal(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, start_new_session=True)


@pytest.mark.parametrize("through_daemon", [False, True])
def test_files_that_are_not_audio_are_refused_before_any_job(daemons, tmp_path, through_daemon):
    data = tmp_path / "data"
    env = daemon_env(data)
    if through_daemon:
        daemons(env)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    notes = tmp_path / "notes.wav"
    notes.write_text("these are my notes, not audio\n" * 20)
    fifo = tmp_path / "stream.wav"
    os.mkfifo(fifo)
    expected = {empty: f"{empty}: the file is empty (0 bytes)", notes: f"{notes} is not audio",
                fifo: f"{fifo} is not a regular file", "/dev/null": "/dev/null is not a regular file"}

    for path, message in expected.items():
        result = run_cli(["separate", str(path)], env, timeout=60)
        assert result.returncode == 2, (path, result.stderr)
        assert message in result.stderr and "no such file" not in result.stderr, result.stderr
    assert store_states(data) == {}  # not one job, so nothing to fail, retry or pay for


def test_a_base_url_that_is_no_url_is_a_config_error(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('base_url = "not a url"\n')
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    env = daemon_env(tmp_path / "data", config=config, MVSEP_API_TOKEN="some-token")
    for command in (["separate", str(source)], ["account", "info"], ["config", "show"]):
        result = run_cli(command, env)
        assert result.returncode == 2, (command, result.stderr)
        assert "base_url: 'not a url' is not an http(s) URL" in result.stderr


def test_login_and_register_without_a_terminal_say_which_flag_is_missing(tmp_path):
    env = daemon_env(tmp_path / "data", config=tmp_path / "config.toml")
    login = _no_terminal(["account", "login"], env)
    assert login.returncode == 2 and "--email is missing and there is no terminal to ask for it" in login.stderr
    password = _no_terminal(["account", "register", "--name", "n", "--email", "n@example.org"], env)
    assert password.returncode == 2 and "no terminal to ask for the password" in password.stderr
    assert "--password-stdin" in password.stderr
    for command in ("login", "register"):  # they get a token; they have no use for one
        assert "--token-file" not in run_cli(["account", command, "--help"], env).stdout


def test_a_listing_cut_short_by_its_reader_is_not_a_failure(tmp_path):
    env = daemon_env(tmp_path / "data")
    for command in (["config", "show"], ["algorithms"], ["jobs"]):
        read, write = os.pipe()
        os.close(read)  # as `| head` does once it has its lines
        process = subprocess.Popen([CLI, *command], env=env, stdout=write, stderr=subprocess.PIPE, text=True)
        os.close(write)
        err = process.stderr.read()
        assert process.wait(timeout=60) == 0, (command, err)
        assert "Traceback" not in err and "Exception ignored" not in err


def test_a_huge_option_value_is_named_not_echoed(tmp_path):
    env = daemon_env(tmp_path / "data")
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    result = run_cli(["separate", str(source), "--sep-type", "40", "--opt", "add_opt1=" + "9" * 100_000], env)
    assert result.returncode == 2, result.stderr[:500]
    assert "(100000 characters)" in result.stderr and len(result.stderr) < 2000


def test_a_path_is_not_a_job_id(tmp_path):
    env = daemon_env(tmp_path / "data")
    for command in ("status", "cancel"):
        result = run_cli([command, "../../etc/passwd"], env)
        assert result.returncode == 2, result.stderr
        assert "'../../etc/passwd' is not a job id" in result.stderr and "endpoint" not in result.stderr


def test_the_local_engine_speaks_of_its_own_steps_once_each(tmp_path):
    env = daemon_env(tmp_path / "data")
    source = write_wav(tmp_path / "song.wav", seconds=1.0)

    result = run_cli(["separate", str(source), "--out", str(tmp_path / "out")], env)  # a pipe: a line per change

    assert result.returncode == 0, result.stderr
    steps = [line.split(": ", 1)[1] for line in result.stderr.splitlines() if line.startswith("song.wav: ")]
    order = ["queued", "preparing", "ready, waiting for its turn", "starting", "separating",
             "collecting the stems", "finishing", "done"]
    # a fast job may skip a step between two looks; none comes twice or out of order, none is
    # the upload or download the local engine does not do
    assert steps == sorted(set(steps), key=order.index), steps
    assert "separating" in steps and steps[-1] == "done", steps


def test_a_cancelled_job_says_what_it_cost_not_cancelled_twice(held_job):
    held = held_job()
    job = held.id

    cancelled = run_cli(["cancel", job], held.env)
    _, err = held.outcome()

    assert cancelled.returncode == 0, cancelled.stderr
    assert f"{job}: cancelled (the server dropped it; its credits are refunded)" in cancelled.stdout
    assert "song.wav: cancelled: the server dropped it; its credits are refunded" in err
    assert "cancelled: cancelled" not in err + cancelled.stdout
