"""Running the real console script against the emulator, as a user would."""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from processes import CLI


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def run(*args: str, base_url: str | None = None, token: str | None = None, config: Path | None = None,
        stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
    environment = dict(os.environ)  # the test's isolated HOME / XDG dirs
    environment["COLUMNS"] = "200"
    if base_url:
        environment["MVSEP_BRIDGE_BASE_URL"] = base_url
    if token:
        environment["MVSEP_API_TOKEN"] = token
    if config:
        environment["MVSEP_BRIDGE_CONFIG"] = str(config)
    environment.update(env or {})
    done = subprocess.run(
        [CLI, *args], input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True, text=True, timeout=timeout, env=environment,
        start_new_session=True,  # no controlling terminal: a prompt cannot hang the test
    )
    return Result(done.returncode, done.stdout, done.stderr)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"
