"""A batch through the daemon process: all done, never more jobs on the server than the plan allows."""

from __future__ import annotations

import pytest

from harness import read_manifest, separate_batch, write_wav
from processes import daemon_env


@pytest.mark.parametrize("premium, allowed", [(False, 1), (True, 10)])
def test_a_batch_of_20_completes_within_the_plans_concurrency(emulator, daemons, tmp_path, premium, allowed):
    # the daemon follows the advertised poll limit; short phases: a fast test
    emulator.configure(rate_limit_slow=1200, waiting_seconds=0.1, processing_seconds=0.1)
    account = emulator.create_account(premium=premium)
    sources = [write_wav(tmp_path / f"take{i:02d}.wav", seconds=1.0, seed=i) for i in range(20)]
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    daemons(env)

    separate_batch(sources, env, tmp_path / "out")
    for source in sources:
        manifest = read_manifest(tmp_path / "out" / source.stem)
        assert manifest["source"]["path"] == str(source) and manifest["backend"] == "mvsep"
    stats = emulator.stats()
    assert stats["creates"]["per_account"][account.email] == 20
    peak = stats["max_concurrent"][account.email]
    assert peak <= allowed
    if premium:
        assert peak > 1  # and it did use the plan's parallelism
