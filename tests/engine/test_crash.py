"""kill -9 the daemon in each phase, start it again: every job completes, each created once."""

from __future__ import annotations

import numpy as np
import pytest

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.control.client import ControlClient
from mvsep_bridge.daemon.jobs.model import JobRequest

from harness import read_manifest, store_states, wait_for, write_wav
from processes import daemon_env

FAST = {"delay_seconds": 0.0, "fault_path": "", "waiting_seconds": 0.2}

# phase -> (emulator knobs that hold the jobs in it, the store state that shows it, audio seconds)
PHASES = {
    "upload": ({"fault_path": "/api/separation/create", "delay_seconds": 2.0}, "uploading", 2.0),
    "remote": ({"waiting_seconds": 30.0}, "remote", 2.0),
    "download": ({"fault_path": "/results/", "delay_seconds": 2.0}, "downloading", 2.0),
    "write": ({}, "finishing", 12.0),  # longer stems: aligning and encoding them takes a while
}


@pytest.mark.parametrize("phase", list(PHASES))
def test_kill_9_then_restart_finishes_every_job_with_one_create_each(emulator, daemons, tmp_path, phase):
    knobs, state, seconds = PHASES[phase]
    emulator.configure(rate_limit_slow=1200, **knobs)
    account = emulator.create_account(premium=True)
    data = tmp_path / "data"
    env = daemon_env(data, emulator.base_url, account.token)
    daemon = daemons(env)
    sources = [write_wav(tmp_path / f"take{i}.wav", seconds=seconds, seed=i) for i in range(2)]
    control = ControlClient.discover(data)
    ids = [control.submit(JobRequest(source=s, sep_type=40, output_format=0, destination=tmp_path / "out")).id
           for s in sources]

    wait_for(lambda: state in store_states(data).values(), timeout=60, interval=0.005, what=f"a job {state}")
    daemon.kill()
    emulator.configure(**FAST)
    daemon.start()

    wait_for(lambda: all(store_states(data).get(i) == "done" for i in ids), timeout=120,
             what=lambda: f"every job done; states {store_states(data)}")
    stats = emulator.stats()
    assert stats["creates"]["per_account"][account.email] == len(sources)
    for source in sources:
        folder = tmp_path / "out" / source.stem
        manifest = read_manifest(folder)
        assert manifest["job"] in ids
        for stem in manifest["stems"]:
            samples, rate = codecs.decode(folder / stem["file"])
            assert samples.shape[0] == manifest["source"]["frames"] == int(seconds * 48_000)
            assert np.abs(samples).max() > 0.01
    leftovers = [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    assert leftovers == []
