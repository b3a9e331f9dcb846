"""Fixtures: a hot folder, its config file, and daemons started on it (killed in teardown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from processes import daemon_env

from .world import Daemon, write_config

SETTLE = 0.5


@dataclass
class HotWorld:
    root: Path
    inbox: Path
    config: Path
    daemons: list[Daemon] = field(default_factory=list)

    @property
    def done(self) -> Path:
        return self.inbox / "done"

    @property
    def failed(self) -> Path:
        return self.inbox / "failed"

    @property
    def out(self) -> Path:
        return self.inbox / "out"

    def configure(self, preset: dict, *, destination: str = "", settle: float = SETTLE) -> None:
        write_config(
            self.config,
            presets={"p": preset},
            folders=[{"path": self.inbox, "preset": "p", "destination": destination, "settle_seconds": settle}],
        )

    def daemon(self, name: str = "a", *, token: str | None = None, base_url: str | None = None) -> Daemon:
        """Start a daemon with its own data dir (like another host) and wait until it watches."""
        env = daemon_env(self.root / f"data-{name}", base_url, token, config=self.config)
        started = Daemon(self.root / f"daemon-{name}.log", env).start()
        self.daemons.append(started)
        started.wait_log(f"{self.inbox}: watching")
        return started


@pytest.fixture
def hot(tmp_path):
    inbox = tmp_path / "Hot folder ünï"
    inbox.mkdir()
    world = HotWorld(root=tmp_path, inbox=inbox, config=tmp_path / "config.toml")
    yield world
    for daemon in world.daemons:
        daemon.kill()
