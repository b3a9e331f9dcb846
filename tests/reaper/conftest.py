"""Fixtures for the REAPER tests: a fake REAPER with one open project, real audio sources."""

from __future__ import annotations

import pytest

from .fake_reaper import FakeReaper


@pytest.fixture
def fake(tmp_path):
    reaper = FakeReaper(tmp_path / "reaper-resources")
    reaper.add_project(tmp_path / "song" / "song.rpp", tmp_path / "song" / "Media")
    yield reaper
    for process in reaper.processes:
        process.kill()
        process.wait()
    assert not reaper.misuse, f"the scripts misused the REAPER API: {reaper.misuse}"


@pytest.fixture
def spool_world(tmp_path, emulator):
    from .world import SpoolWorld

    account = emulator.create_account(credits=10_000)
    world = SpoolWorld(tmp_path, emulator.base_url, account.token)
    yield world
    if world.daemon:
        world.daemon.kill()
