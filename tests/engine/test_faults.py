"""Server faults the daemon rides through: a lost create answer, 429 bursts with Retry-After,
broken downloads. Every job completes, and is created (and paid) once."""

from __future__ import annotations

import json

import pytest

from harness import read_manifest, run_cli, write_wav
from processes import daemon_env

FAULTS = {
    "lost create answer": {"reset_after_create_next": 1},
    "429 burst on polls": {"fault_path": "/api/separation/get", "throttle_next": 4, "throttle_retry_after": 1},
    "truncated download": {"truncate_next": 1},
    "5xx on downloads": {"fault_path": "/results/", "fail_next": 2},
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_faults_do_not_lose_or_double_a_job(emulator, daemons, tmp_path, fault):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    daemons(env)
    emulator.configure(rate_limit_slow=1200, **FAULTS[fault])
    sources = [write_wav(tmp_path / f"take{i}.wav", seconds=1.0, seed=i) for i in range(2)]

    result = run_cli(["separate", *map(str, sources), "--sep-type", "40", "--json"], env)

    assert result.returncode == 0, result.stderr
    assert [v["state"] for v in json.loads(result.stdout)] == ["done", "done"]
    stats = emulator.stats()
    knob = next(k for k in FAULTS[fault] if k.endswith("_next"))
    assert stats["faults_fired"].get(knob) == FAULTS[fault][knob], "the fault never happened"
    assert stats["creates"]["per_account"][account.email] == 2
    for source in sources:
        assert len(read_manifest(tmp_path / source.stem)["stems"]) == 2


def test_a_plan_slot_taken_from_elsewhere_is_waited_for(emulator, daemons, tmp_path):
    from mvsep_bridge.daemon.client import MvsepClient, SeparationInput

    account = emulator.create_account()  # non-premium: one job at a time
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    daemon = daemons(env)
    source = write_wav(tmp_path / "take.wav", seconds=1.0)
    outside = write_wav(tmp_path / "outside.wav", seconds=1.0, seed=9)
    emulator.configure(waiting_seconds=8)  # the outside job holds the slot past our create, even on a loaded machine
    with MvsepClient(emulator.base_url, account.token) as client:  # e.g. the user on the web site
        client.create(SeparationInput(sep_type=40, audiofile=outside))

    result = run_cli(["separate", str(source), "--sep-type", "40", "--json"], env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["state"] == "done"
    assert "waiting for a free slot" in daemon.log_path.read_text()
    stats = emulator.stats()
    assert stats["creates"]["per_account"][account.email] == 2
    assert stats["max_concurrent"][account.email] == 1
