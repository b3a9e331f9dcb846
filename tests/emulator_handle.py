"""Start the MVSEP emulator as a real subprocess (`mvsep-bridge emulator`) and drive its control
surface (/_emulator/…). Used by the `emulator` fixture in conftest.py and by any test that needs
an MVSEP server: point the client's base_url at `handle.base_url`."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests

from processes import start_cli


@dataclass(frozen=True)
class Account:
    token: str
    email: str
    password: str


class EmulatorHandle:
    base_url: str
    state_dir: Path

    def __init__(self, state_dir: Path, port: int, knobs: dict):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.state_dir.with_name(self.state_dir.name + ".log")
        self._config_path = self.state_dir.with_name(self.state_dir.name + ".knobs.json")
        self._config_path.write_text(json.dumps(knobs))
        self._port = port
        self._process: subprocess.Popen | None = None
        self._start()

    def _start(self) -> None:
        self._process, first = start_cli(
            ["emulator", "--host", "127.0.0.1", "--port", str(self._port),
             "--state", str(self.state_dir), "--config", str(self._config_path)],
            env=None, log_path=self.log_path)
        if not first.startswith("listening on http://"):
            self.stop()
            raise RuntimeError(f"the emulator did not start: {first!r}; see {self.log_path}:\n"
                               + self.log_path.read_text(errors="replace")[-3000:])
        self.base_url = first.split()[-1].strip()
        self._port = int(self.base_url.rsplit(":", 1)[1])

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        answer = requests.request(method, f"{self.base_url}/_emulator/{path}", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def create_account(self, *, premium: bool = False, credits: int = 1000,
                       email: str | None = None, password: str = "secret") -> Account:
        body = {"premium": premium, "credits": credits, "password": password}
        if email:
            body["email"] = email
        made = self._call("POST", "accounts", body)
        return Account(token=made["api_token"], email=made["email"], password=made["password"])

    def configure(self, **knobs) -> None:
        self._call("POST", "config", knobs)

    def advance_clock(self, seconds: float) -> None:
        self._call("POST", "clock", {"advance": seconds})

    def stats(self) -> dict:
        return self._call("GET", "stats")

    def restart(self) -> None:
        """kill -9, then start again on the same port with the same state folder.

        Accounts, jobs, results and the clock survive; knobs go back to those of the start
        (what configure() changed is lost, as with any process restart)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._start()

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._process = None


def start_emulator(state_dir: Path, *, port: int = 0, **knobs) -> EmulatorHandle:
    """A real `mvsep-bridge emulator` subprocess on 127.0.0.1; knobs as in its config module."""
    return EmulatorHandle(state_dir, port, knobs)
