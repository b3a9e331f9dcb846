"""`mvsep-bridge emulator` as a newcomer uses it: the first line, the reference's curl examples
with the real curl binary, and a log that never shows a token."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import pytest

from processes import CLI

from .helpers import tone, wav_bytes


def _curl(*args: str) -> dict:
    result = subprocess.run(["curl", "--silent", "--show-error", "--location", *args],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl binary")
def test_reference_curl_examples_work_against_the_emulator(emulator, tmp_path):
    base = emulator.base_url
    # register as the reference shows it (GET with a form body), then log in for the token
    registered = _curl("--request", "GET", f"{base}/api/app/register", "--form", 'name="user"',
                       "--form", 'email="asdf@example.com"', "--form", 'password="ASDFQWEr123"',
                       "--form", 'password_confirmation="ASDFQWEr123"')
    assert registered["success"] is True
    login = _curl("--request", "POST", f"{base}/api/app/login", "--form", 'email="asdf@example.com"',
                  "--form", 'password="ASDFQWEr123"')
    token = login["data"]["api_token"]
    song = tmp_path / "file.wav"
    song.write_bytes(wav_bytes(tone(1.0), 44100))
    # the reference's create example, minus is_demo (never publish without consent)
    created = _curl("--request", "POST", f"{base}/api/separation/create",
                    "--form", f'audiofile=@"{song}"', "--form", f'api_token="{token}"',
                    "--form", 'sep_type="9"', "--form", 'add_opt1="0"', "--form", 'add_opt2="1"',
                    "--form", 'output_format="1"')
    assert created["success"] is True
    job_hash = created["data"]["hash"]
    for _ in range(100):
        got = _curl("--request", "GET", f"{base}/api/separation/get?hash={job_hash}")
        if got["status"] == "done":
            break
        time.sleep(0.1)
    assert got["status"] == "done"
    assert [f["download"] for f in got["data"]["files"]] == ["file_vocals.wav", "file_music.wav"]
    user = _curl(f"{base}/api/app/user?api_token={token}")
    assert user["data"]["premium_minutes"] == 99

    # a malformed request line is logged by http.server itself: masked too
    host, port = base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(f"GET /api/app/user?api_token={token} HTTP/1.1 junk\r\n\r\n".encode())
        assert b"400" in raw.recv(1024)
    log = emulator.log_path.read_text()
    assert "/api/app/user?api_token=***" in log and "Bad request" in log and token not in log


def test_port_zero_prints_the_real_port_first_and_bad_knobs_exit_2(tmp_path):
    process = subprocess.Popen([CLI, "emulator", "--port", "0", "--state", str(tmp_path / "s")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("listening on http://127.0.0.1:") and not first.rstrip().endswith(":0")
    finally:
        process.kill()
        process.wait(timeout=10)
    bad = subprocess.run([CLI, "emulator", "--set", "no_such_knob=1"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "no_such_knob" in bad.stderr
    knobs = subprocess.run([CLI, "emulator", "--help-knobs"], capture_output=True, text=True, timeout=60)
    assert knobs.returncode == 0 and "reset_after_create_next" in knobs.stdout


def test_a_state_folder_or_address_it_cannot_use_is_a_usage_error(tmp_path):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder\n")
    for args, named in ((["--state", str(blocker / "state")], "--state"),
                        (["--host", "no-such-host.invalid"], "--host")):
        result = subprocess.run([CLI, "emulator", "--port", "0", *args], capture_output=True, text=True,
                                timeout=60, stdin=subprocess.DEVNULL)
        assert result.returncode == 2, result.stderr
        assert named in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_the_emulator_without_state_leaves_no_temp_folder(tmp_path, stop):
    import os
    import signal

    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    process = subprocess.Popen([CLI, "emulator", "--port", "0"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert process.stdout.readline().startswith("listening on http://")
        [state] = list(temp.iterdir())  # its state folder, while it runs
        assert state.name.startswith("mvsep-emulator-")
        process.send_signal(getattr(signal, stop))
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert list(temp.iterdir()) == []


def test_an_impossible_or_taken_port_is_bad_usage_naming_the_port():
    impossible = subprocess.run([CLI, "emulator", "--port", "99999"], capture_output=True, text=True, timeout=30)
    assert impossible.returncode == 2 and "99999 is not in the range 0<=x<=65535" in impossible.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([CLI, "emulator", "--port", str(port)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "--port 0" in result.stderr
