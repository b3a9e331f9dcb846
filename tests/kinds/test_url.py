"""Links instead of uploads: MVSEP (the emulator) fetches the file itself; nothing is uploaded."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import soundfile as sf

from mvsep_bridge.daemon.control.client import ControlClient
from mvsep_bridge.daemon.jobs.model import JobRequest

from .crash import crash_during_create
from harness import read_manifest, run_cli, store_states, wait_for, write_wav
from processes import daemon_env


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _band_limited(path, seconds: float, rate: int = 48_000):
    """Noise below 16 kHz: all of it survives the server's 44.1 kHz, so the stems can sum to it."""
    spectrum = np.fft.rfft(np.random.default_rng(7).standard_normal((int(seconds * rate), 2)), axis=0)
    spectrum[np.fft.rfftfreq(int(seconds * rate), 1 / rate) > 16_000] = 0
    samples = np.fft.irfft(spectrum, n=int(seconds * rate), axis=0)
    sf.write(path, (0.2 * samples / np.abs(samples).max()).astype(np.float32), rate, subtype="PCM_24")
    return path


def test_a_direct_link_is_fetched_by_the_server_and_its_stems_land_in_the_result_folder(emulator, file_server, tmp_path):
    account = emulator.create_account(credits=100)
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    source = _band_limited(file_server.folder / "live take.wav", seconds=3.0)
    link = file_server.url("live%20take.wav")

    result = run_cli(["separate", link, "--sep-type", "40", "--out", str(tmp_path / "out"), "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    assert view["state"] == "done" and view["request"]["url"] == link
    assert view["request"]["remote_type"] == "direct" and view["request"]["source"] is None
    assert file_server.requests == ["/live%20take.wav"]  # fetched once, by the server
    stats = emulator.stats()
    assert stats["creates"]["per_account"][account.email] == 1
    [fetch] = stats["remote"]
    assert fetch["url"] == link and fetch["status"] == "done"
    [job] = stats["jobs"]
    assert job["hash"] == fetch["hash"] == view["remote_hash"]  # followed from the link to the job

    folder = tmp_path / "out" / "live_take"
    assert view["result_dir"] == str(folder)
    manifest = read_manifest(folder)
    assert manifest["source"] == {"url": link, "remote_type": "direct", "sample_rate": 48_000, "channels": 2,
                                  "frames": 3 * 48_000, "sha256": _sha(source)}  # the server's copy of it
    assert [s["name"] for s in manifest["stems"]] == ["vocals", "instrumental"]
    # aligned to the link's audio like any stems to their source: its rate, its frames
    original, _ = sf.read(str(source), dtype="float32")
    total = np.zeros_like(original)
    for stem in manifest["stems"]:
        samples, stem_rate = sf.read(str(folder / stem["file"]), dtype="float32")
        assert (stem_rate, samples.shape, stem["frames"]) == (48_000, original.shape, 3 * 48_000)
        total += samples
    # the emulator's stems sum to its input: so do ours, sample for sample, after alignment
    assert np.sqrt(np.mean((total - original) ** 2)) < 0.01 * np.sqrt(np.mean(original**2))
    assert [p.name for p in folder.iterdir() if p.name.startswith("input")] == []


def test_links_the_server_cannot_reach_fail_with_its_reason(emulator, tmp_path):
    account = emulator.create_account(credits=100)
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)

    result = run_cli(["separate", "https://mega.nz/file/AbCdEf#key", "--sep-type", "40",
                      "--out", str(tmp_path / "out"), "--json"], env)

    assert result.returncode == 1, result.stderr
    [view] = json.loads(result.stdout)
    assert view["state"] == "failed" and view["request"]["remote_type"] == "mega"  # from the host
    assert "remote_type 'mega' cannot be fetched" in view["error"] and "no internet" in view["error"]
    assert emulator.stats()["creates"]["per_account"][account.email] == 0
    assert emulator.stats()["credits"][account.email] == 100
    assert not (tmp_path / "out" / "AbCdEf").exists()


def test_a_link_with_a_section_or_on_the_local_engine_is_refused_before_anything_runs(tmp_path):
    env = daemon_env(tmp_path / "data")  # no token: the local engine

    cut = run_cli(["separate", "http://127.0.0.1:9/song.wav", "--start", "1"], env)
    local = run_cli(["separate", "http://127.0.0.1:9/song.wav", "--sep-type", "40", "--out", str(tmp_path)], env)
    wrong = run_cli(["separate", str(write_wav(tmp_path / "song.wav")), "--remote-type", "drive"], env)

    assert cut.returncode == 2 and "MVSEP fetches a link whole" in cut.stderr
    assert local.returncode == 2, local.stderr
    assert "the local engine separates local files only" in local.stderr
    assert "mvsep-bridge account login" in local.stderr
    assert wrong.returncode == 2 and "--remote-type applies to links only" in wrong.stderr


def test_kill_9_while_a_link_job_is_created_then_restart_creates_it_once(emulator, daemons, file_server, tmp_path):
    emulator.configure(fault_path="/api/separation/create", delay_seconds=2.0)
    account = emulator.create_account(credits=100)
    data = tmp_path / "data"
    daemon = daemons(daemon_env(data, emulator.base_url, account.token))
    write_wav(file_server.folder / "song.wav", seconds=2.0)
    control = ControlClient.discover(data)
    job = control.submit(JobRequest(url=file_server.url("song.wav"), sep_type=40, destination=tmp_path / "out")).id

    crash_during_create(emulator, daemon, data, job)

    stats = emulator.stats()
    assert stats["creates"]["per_account"][account.email] == 1
    assert len(stats["jobs"]) == 1 and file_server.requests == ["/song.wav"]
    assert read_manifest(tmp_path / "out" / "song")["job"] == job


def test_cancelling_a_link_job_before_the_server_fetched_it_cancels_the_job_it_becomes(emulator, daemons, file_server, tmp_path):
    emulator.configure(remote_fetch_seconds=3.0, waiting_seconds=60.0)
    account = emulator.create_account(credits=100)
    data = tmp_path / "data"
    env = daemon_env(data, emulator.base_url, account.token)
    daemons(env)
    write_wav(file_server.folder / "song.wav", seconds=2.0)
    job = ControlClient.discover(data).submit(
        JobRequest(url=file_server.url("song.wav"), sep_type=40, destination=tmp_path / "out")).id
    wait_for(lambda: store_states(data).get(job) == "remote", what="the link sent")
    assert emulator.stats()["remote"][0]["status"] in ("waiting", "fetching")  # not a job yet

    result = run_cli(["cancel", job], env)

    assert result.returncode == 0, result.stderr
    wait_for(lambda: store_states(data).get(job) == "cancelled", what="the job cancelled")
    status = json.loads(run_cli(["status", job, "--json"], env).stdout)
    assert "refunded" in status["message"]
    stats = emulator.stats()
    [server_job] = stats["jobs"]
    assert server_job["status"] == "cancelled" and stats["credits"][account.email] == 100
    assert not (tmp_path / "out" / "song").exists()
