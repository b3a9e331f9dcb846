"""Fixtures: the OSC world (daemons and sockets closed at teardown)."""

from __future__ import annotations

import pytest

from .world import OscWorld


@pytest.fixture
def osc(tmp_path):
    world = OscWorld(tmp_path)
    yield world
    world.close()
