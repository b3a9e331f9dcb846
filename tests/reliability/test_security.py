"""What must never leak or escape, checked on the real daemon and emulator processes: the API
token (logs, manifests, the data dir, process arguments, any host but the API host), listeners
beyond loopback, server file names that climb out of the output folder, is_demo not asked for."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import psutil
import pytest
import soundfile as sf

from mvsep_bridge.daemon.control.client import ControlClient
from mvsep_bridge.daemon.emulator.config import FAST_TIMINGS
from mvsep_bridge.daemon.jobs.model import JobRequest

from . import NO_FIXED_PORT
from emulator_handle import start_emulator
from harness import DaemonProcess, read_manifest, run_cli, store_states, wait_for, write_wav
from processes import daemon_env

FILES_HOST = "127.0.0.2"  # result links point here: another host than the API's, as on MVSEP


@pytest.fixture
def world(tmp_path):
    """(emulator handle, account, env, daemon) with result files served from FILES_HOST."""
    emulator = start_emulator(tmp_path / "emulator", files_host=FILES_HOST, rate_limit_slow=1200,
                              **FAST_TIMINGS)
    daemon = None
    try:
        account = emulator.create_account(premium=True)
        env = daemon_env(tmp_path / "data", emulator.base_url, account.token, **NO_FIXED_PORT)
        daemon = DaemonProcess(env, tmp_path / "daemon.log")
        yield emulator, account, env, daemon
    finally:
        if daemon is not None:
            daemon.kill()
        emulator.stop()


def _is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address.split("%")[0]).is_loopback


def test_the_token_reaches_only_the_api_host_and_is_written_nowhere(world, tmp_path):
    emulator, account, env, daemon = world
    sources = [write_wav(tmp_path / f"take{i}.wav", seconds=1.0, seed=i) for i in range(2)]
    processes = [psutil.Process(daemon.process.pid)]
    processes += processes[0].children(recursive=True)
    cmdlines = {p.pid: " ".join(p.cmdline()) for p in processes}

    result = run_cli(["separate", *map(str, sources), "--sep-type", "40", "--out", str(tmp_path / "out"),
                      "--json"], env)

    assert result.returncode == 0, result.stderr
    assert [v["state"] for v in json.loads(result.stdout)] == ["done", "done"]
    for process in [psutil.Process(daemon.process.pid), *psutil.Process(daemon.process.pid).children(recursive=True)]:
        cmdlines[process.pid] = " ".join(process.cmdline())
    leaks = [pid for pid, line in cmdlines.items() if account.token in line]
    assert leaks == [], f"the token is on the command line of {leaks}"
    assert account.token not in result.stdout + result.stderr

    written = [p for root in (tmp_path / "data", tmp_path / "out") for p in root.rglob("*") if p.is_file()]
    written += [daemon.log_path, emulator.log_path]
    assert any(p.name == "manifest.json" for p in written) and any(p.suffix == ".log" for p in written)
    holding = [str(p) for p in written if account.token.encode() in p.read_bytes()]
    assert holding == [], f"the token is written in {holding}"

    listeners = emulator.stats()["listeners"]
    files = {k: v for k, v in listeners.items() if k.startswith(FILES_HOST + ":")}
    assert len(files) == 1, listeners
    (counts,) = files.values()
    assert counts["requests"] >= 4  # two stems per job came from the files host...
    assert counts["with_token"] == 0  # ...and not one request there carried the token


def test_every_listener_of_the_daemon_is_on_loopback(world):
    _, _, _, daemon = world
    process = psutil.Process(daemon.process.pid)
    sockets = [c for p in [process, *process.children(recursive=True)] for c in p.net_connections("inet")]
    listening = [c for c in sockets if c.status == psutil.CONN_LISTEN or (c.status == psutil.CONN_NONE and c.laddr)]
    assert listening, "the daemon listens on its control channel at least"
    outside = [f"{c.laddr.ip}:{c.laddr.port}" for c in listening if not _is_loopback(c.laddr.ip)]
    assert outside == []


def test_server_file_names_with_dot_dot_or_absolute_paths_stay_in_the_output_folder(world, tmp_path):
    emulator, _, env, _ = world
    emulator.configure(hostile_file_names=True)
    source = write_wav(tmp_path / f"escape-{tmp_path.name}.wav", seconds=1.0)

    result = run_cli(["separate", str(source), "--sep-type", "40", "--out", str(tmp_path / "out"), "--json"], env)

    assert result.returncode == 0, result.stderr
    folder = tmp_path / "out" / source.stem
    manifest = read_manifest(folder)
    assert len(manifest["stems"]) == 2
    for stem in manifest["stems"]:
        assert (folder / stem["file"]).resolve().parent == folder.resolve()
        assert sf.info(str(folder / stem["file"])).frames == 48_000
    served = [f for j in emulator.stats()["jobs"] for f in j["files"]]
    assert served
    for name in served:
        assert not Path("/tmp", name).exists(), f"/tmp/{name} was written"
        for parent in (tmp_path.parent, tmp_path.parent.parent):
            assert not (parent / name).exists(), f"{parent / name} was written"
    ours = [p for p in tmp_path.rglob(f"*{source.stem}*") if p.is_file()  # not the server's copies
            and (tmp_path / "emulator") not in p.parents and p != source]
    strays = [p for p in ours if folder.resolve() not in p.resolve().parents]
    assert strays == []


def test_is_demo_is_sent_only_when_asked(world, tmp_path):
    emulator, account, _, _ = world
    control = ControlClient.discover(tmp_path / "data")
    plain = control.submit(JobRequest(source=write_wav(tmp_path / "plain.wav", seconds=1.0),
                                      sep_type=40, destination=tmp_path / "out")).id
    wait_for(lambda: store_states(tmp_path / "data").get(plain) == "done", timeout=60, what="the plain job")
    asked = control.submit(JobRequest(source=write_wav(tmp_path / "asked.wav", seconds=1.0, seed=1),
                                      sep_type=40, destination=tmp_path / "out", is_demo=True)).id
    wait_for(lambda: store_states(tmp_path / "data").get(asked) == "done", timeout=60, what="the asked job")

    jobs = sorted((j for j in emulator.stats()["jobs"] if j["email"] == account.email), key=lambda j: j["created"])
    assert [j["is_demo"] for j in jobs] == [False, True]  # the second shows the check can fail
