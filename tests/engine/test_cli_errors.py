"""`separate` exit codes and messages: 2 bad input, 3 unreachable, 4 auth; a dead daemon's
leftover address is not trusted."""

from __future__ import annotations

import json

from harness import run_cli, write_wav
from processes import daemon_env


def test_a_bad_token_exits_4_and_says_how_to_log_in(emulator, tmp_path):
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    env = daemon_env(tmp_path / "data", emulator.base_url, "not-a-real-token")

    result = run_cli(["separate", str(source), "--sep-type", "40"], env)

    assert result.returncode == 4
    assert "account login" in result.stderr and "not-a-real-token" not in result.stderr


def test_an_unreachable_server_exits_3(tmp_path):
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    env = daemon_env(tmp_path / "data", "http://127.0.0.1:9", "some-token")

    result = run_cli(["separate", str(source), "--sep-type", "40"], env)

    assert result.returncode == 3, result.stderr
    assert "some-token" not in result.stderr


def test_bad_input_exits_2_naming_the_problem(tmp_path):
    env = daemon_env(tmp_path / "data")
    missing = run_cli(["separate", str(tmp_path / "nope.wav")], env)
    assert missing.returncode == 2 and "nope.wav: no such file" in missing.stderr
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    bad_option = run_cli(["separate", str(source), "--opt", "colour=blue"], env)
    assert bad_option.returncode == 2 and "add_opt1" in bad_option.stderr
    bad_section = run_cli(["separate", str(source), "--start", "5"], env)
    assert bad_section.returncode == 2 and "after the source's end" in bad_section.stderr


def test_a_dead_daemons_address_is_ignored(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "daemon.json").write_text(json.dumps({"url": "http://127.0.0.1:9", "secret": "x", "pid": 1}))
    source = write_wav(tmp_path / "song.wav", seconds=1.0)

    result = run_cli(["separate", str(source), "--sep-type", "40", "--json"], daemon_env(data))

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["state"] == "done"


def test_a_folder_or_a_negative_section_is_named_as_such(tmp_path):
    env = daemon_env(tmp_path / "data")
    (tmp_path / "album").mkdir()
    folder = run_cli(["separate", str(tmp_path / "album")], env)
    assert folder.returncode == 2 and "album is a folder" in folder.stderr, folder.stderr
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    negative = run_cli(["separate", str(source), "--start", "-1"], env)
    assert negative.returncode == 2 and "--start" in negative.stderr, negative.stderr
    empty = run_cli(["separate", str(source), "--length", "0"], env)
    assert empty.returncode == 2 and "--length" in empty.stderr, empty.stderr


def test_ctrl_c_of_separate_says_where_the_job_is_and_how_to_cancel_it(held_job):
    import signal

    from harness import store_states

    # as from a terminal: a shell running this suite in the background hands its children SIGINT
    # ignored, and Python then never turns Ctrl-C into KeyboardInterrupt
    held = held_job(preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    job = held.id

    held.separate.send_signal(signal.SIGINT)
    code, err = held.outcome()

    assert code == 130, err
    assert f"job {job} goes on in the daemon" in err and f"mvsep-bridge cancel {job}" in err
    assert "Traceback" not in err and held.token not in err
    assert store_states(held.data)[job] == "remote"  # Ctrl-C stops the watching, not the job


def test_an_out_folder_that_cannot_be_made_is_refused_before_any_work(tmp_path):
    env = daemon_env(tmp_path / "data")
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file where a folder should go\n")

    result = run_cli(["separate", str(source), "--sep-type", "40", "--out", str(blocker / "stems")], env)

    assert result.returncode == 2, result.stderr
    assert f"cannot write the stems to {blocker / 'stems'}" in result.stderr and "--out" in result.stderr
    assert run_cli(["jobs", "--json"], env).stdout.strip() == "[]"  # refused before a job (or credits)


def test_a_daemon_dying_under_separate_is_reported_with_the_job_that_will_resume(held_job):
    held = held_job()

    held.daemon.kill()
    code, err = held.outcome()

    assert code == 3, err
    assert f"job {held.id} resumes when `mvsep-bridge daemon` runs again" in err and "Traceback" not in err


def test_two_sources_that_would_share_a_result_folder_are_refused(tmp_path):
    env = daemon_env(tmp_path / "data")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_wav(tmp_path / "a" / "song.wav", seconds=1.0, seed=1)
    second = write_wav(tmp_path / "b" / "song.wav", seconds=1.0, seed=2)

    result = run_cli(["separate", str(first), str(second), "--sep-type", "40", "--out", str(tmp_path / "out")], env)

    assert result.returncode == 2, result.stderr
    assert f"{first} and {second} would both write {tmp_path / 'out' / 'song'}" in result.stderr
    assert not (tmp_path / "out" / "song").exists()  # nothing run: neither result silently replaced
