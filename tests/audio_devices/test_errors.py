"""Each device error says what is wrong and what to do, exits 2, and leaves the daemon up."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mvsep_bridge.daemon.control.client import ControlClient
from processes import CLI

from .world import run_cli

PLAY_ERRORS = {
    "no such device": (["--device", "nosuch"], ["no output device 'nosuch'", "preview_out", "mvsep-bridge devices"]),
    "too few channels": (["--device", "mono_out"], ["'mono_out' has 1 channel(s), 2 needed"]),
    "unsupported rate": (["--device", "preview_out", "--rate", "768000"],
                         ["does not take 768000 Hz", "it takes", "44100 Hz", "48000 Hz"]),
    "no such stem": (["--stem", "kazoo", "--device", "preview_out"], ["no stem 'kazoo'", "its stems:"]),
}
RECORD_ERRORS = {
    "no such device": (["--device", "nosuch"], ["no input device 'nosuch'", "capture_in"]),
    "too many channels": (["--device", "mono_out", "--channels", "2"], ["'mono_out' has 1 channel(s), 2 needed",
                                                                         "--channels"]),
    "unsupported rate": (["--device", "capture_in", "--rate", "768000"], ["does not take 768000 Hz", "44100 Hz"]),
    # refused before anything is recorded
    "unknown algorithm": (["--device", "capture_in", "--sep-type", "999"], ["sep_type 999 is not available"]),
}


@pytest.mark.parametrize("case", PLAY_ERRORS)
def test_play_errors_name_the_problem_and_the_daemon_stays_up(alsa, env, finished_job, isolated_home, case):
    flags, said = PLAY_ERRORS[case]

    result = run_cli(["play", finished_job["id"], *flags], env)

    assert result.returncode == 2
    for text in said:
        assert text in result.stderr
    assert not alsa.out.exists() or not alsa.out.stat().st_size  # nothing reached the device
    assert ControlClient.discover(isolated_home / "data") is not None


def test_play_of_an_unknown_job_says_so(alsa, env):
    result = run_cli(["play", "0123456789ab", "--device", "preview_out"], env)

    assert result.returncode == 2
    assert "0123456789ab" in result.stderr and "mvsep-bridge jobs" in result.stderr


@pytest.mark.parametrize("case", RECORD_ERRORS)
def test_record_errors_name_the_problem_and_record_nothing(alsa, env, isolated_home, case):
    flags, said = RECORD_ERRORS[case]
    out = isolated_home / "Recordings"

    result = run_cli(["record", *flags, "--seconds", "1", "--out", str(out)], env)

    assert result.returncode == 2
    for text in said:
        assert text in result.stderr
    assert not out.exists() or not list(out.iterdir())
    assert ControlClient.discover(isolated_home / "data") is not None


def portaudio_file() -> Path:
    """The PortAudio library this Python loads (from this process's own memory map)."""
    importlib.import_module("sounddevice")  # loading it maps the library

    maps = Path("/proc/self/maps").read_text().splitlines()
    return Path(next(line.split()[-1] for line in maps if "libportaudio" in line))


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1) for a private mount namespace")
def test_without_portaudio_devices_and_play_say_how_to_install_it(alsa, env, finished_job, isolated_home):
    # a private mount namespace where the library file is empty: PortAudio is really unloadable
    # for these processes (and the daemon the command starts), nowhere else
    library = portaudio_file()
    ControlClient.discover(isolated_home / "data").shutdown()
    script = f'mount --bind /dev/null "{library}" && "{CLI}" devices; echo "rc=$?"; ' \
             f'"{CLI}" play {finished_job["id"]} --device preview_out; echo "rc=$?"'

    result = subprocess.run(["unshare", "--mount", "sh", "-c", script], env=env, capture_output=True, text=True,
                            timeout=120)

    if "mount:" in result.stderr and "rc=" not in result.stdout:
        pytest.skip(f"no private mount namespace here: {result.stderr.strip()}")
    assert result.stdout.count("rc=2") == 2, result.stdout + result.stderr
    assert result.stderr.count("the PortAudio library cannot be loaded") == 2
    assert result.stderr.count("apt-get install libportaudio2") == 2
    assert os.path.getsize(library) > 0  # outside the namespace nothing changed
