"""kill -9 of the daemon at seeded random moments over a batch, with the server misbehaving all
along (30 % 5xx, 429 bursts, connection resets, a lost create answer, truncated downloads):
every job ends done, each created on the server exactly once, and every stem decodes (libsndfile)
to the section's frame count."""

from __future__ import annotations

import random
import time

import pytest
import soundfile as sf

from mvsep_bridge.daemon.control.client import ControlClient
from mvsep_bridge.daemon.jobs.model import JobRequest

from . import NO_FIXED_PORT
from emulator_handle import start_emulator
from harness import DaemonProcess, read_manifest, store_states, wait_for, write_wav
from processes import daemon_env

KILLS = 50  # kill -9s over the batch (issue 20); each life of the daemon is short, so the batch spans them
JOBS = 10
SECONDS = 2.0
SEED = 20

#: armed again after every restart, so every life of the daemon meets each of them
BURSTS = {"throttle_next": 3, "throttle_retry_after": 1, "reset_next": 1, "truncate_next": 1}
ALWAYS = {"fail_rate": 0.3, "fail_status": 503, "fault_seed": SEED, "reset_after_create_next": 2,
          "waiting_seconds": 0.6, "processing_seconds": 0.6, "rate_limit_slow": 1200}


@pytest.mark.slow
def test_kill_9_at_random_moments_under_faults_loses_and_doubles_nothing(tmp_path):
    emulator = start_emulator(tmp_path / "emulator", **ALWAYS, **BURSTS)
    daemon = None
    try:
        account = emulator.create_account(premium=True)
        data = tmp_path / "data"
        env = daemon_env(data, emulator.base_url, account.token, **NO_FIXED_PORT)
        daemon = DaemonProcess(env, tmp_path / "daemon.log")
        sources = [write_wav(tmp_path / f"take{i}.wav", seconds=SECONDS, seed=i) for i in range(JOBS)]
        control = ControlClient.discover(data)
        ids = [control.submit(JobRequest(source=s, sep_type=40, output_format=1,
                                         destination=tmp_path / "out")).id for s in sources]

        moments = random.Random(SEED)
        seen_states: set[str] = set()
        for _ in range(KILLS):
            deadline = time.monotonic() + moments.uniform(0.05, 1.5)
            while time.monotonic() < deadline:  # note which phases the kills fall into
                seen_states.update(store_states(data).values())
                time.sleep(0.05)
            daemon.kill()
            emulator.configure(**BURSTS)
            daemon.start()

        wait_for(lambda: all(store_states(data).get(i) == "done" for i in ids), timeout=90,
                 what=lambda: f"every job done; states {store_states(data)}")
        stats = emulator.stats()
    finally:
        if daemon is not None:
            daemon.kill()
        emulator.stop()

    fired = stats["faults_fired"]
    for knob in ("fail_rate", "throttle_next", "reset_next", "truncate_next", "reset_after_create_next"):
        assert fired.get(knob, 0) > 0, f"{knob} never fired: {fired}"
    assert len(seen_states - {"done"}) >= 2, f"the kills all fell in one phase: {seen_states}"
    assert stats["creates"]["per_account"][account.email] == JOBS
    server_jobs = [j for j in stats["jobs"] if j["email"] == account.email]
    assert len(server_jobs) == JOBS and {j["status"] for j in server_jobs} == {"done"}

    for source in sources:
        folder = tmp_path / "out" / source.stem
        manifest = read_manifest(folder)
        assert manifest["job"] in ids
        assert manifest["source"]["frames"] == int(SECONDS * 48_000)
        assert len(manifest["stems"]) == 2
        for stem in manifest["stems"]:
            info = sf.info(str(folder / stem["file"]))
            assert (info.frames, info.samplerate) == (manifest["source"]["frames"], 48_000)
            audio, _ = sf.read(str(folder / stem["file"]))
            assert abs(audio).max() > 0.01
    assert [p.name for p in (tmp_path / "out").rglob(".*")] == []  # no partial file left
