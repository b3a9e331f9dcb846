"""One emulator process shared by the tests of this folder (starting one costs about a second);
each test gets fresh accounts, and the knobs go back to the fast defaults after every test."""

from __future__ import annotations

import pytest

from emulator_handle import start_emulator
from mvsep_bridge.daemon.emulator.config import FAST_TIMINGS, EmulatorConfig

# polling fast jobs from one IP would trip the real 60/min; the rate-limit tests lower these
KNOBS = {**FAST_TIMINGS, "rate_limit": 100_000, "rate_limit_slow": 100_000}


@pytest.fixture(scope="session")
def shared_emulator(tmp_path_factory):
    handle = start_emulator(tmp_path_factory.mktemp("shared") / "emulator", **KNOBS)
    yield handle
    handle.stop()


@pytest.fixture
def mvsep(shared_emulator):
    """The shared emulator, with its knobs reset to the fast defaults afterwards."""
    yield shared_emulator
    shared_emulator.configure(**{**EmulatorConfig().model_dump(), **KNOBS})
