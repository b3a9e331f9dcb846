"""How a command reaches the engine: the running daemon of the data dir, or one it starts in the
background when none runs (DESIGN.md "One engine"). Two commands starting at once start one
daemon: the start is serialised by a lock file beside the store.

A command whose own settings (environment, flags) would run a job elsewhere than the daemon does
(another backend, server, account or budget) is refused with the difference named, after the
daemon has been asked to re-read the config file: never silently another account.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click

from ..control.client import ControlClient
from ..errors import SettingsMismatch, Unreachable
from ..settings import Settings

START_TIMEOUT = 30.0
SPAWN_LOCK = "spawn.lock"
START_LOG = "daemon-start.log"  # the on-demand daemon's stdout/stderr (its log is the usual one)


def connect(settings: Settings, *, start: bool = True) -> ControlClient:
    """A client of this data dir's daemon, started on demand when `start`."""
    client = ControlClient.discover(settings.data_dir)
    if client is None:
        if not start:
            raise Unreachable(f"no daemon runs for {settings.data_dir}",
                              hint="`mvsep-bridge separate` starts one when needed; `mvsep-bridge daemon` runs one")
        client = _start_on_demand(settings)
    check_same_settings(client, settings)
    return client


@contextmanager
def _spawn_lock(data_dir: Path):
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / SPAWN_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _start_on_demand(settings: Settings) -> ControlClient:
    with _spawn_lock(settings.data_dir):
        client = ControlClient.discover(settings.data_dir)
        if client is not None:  # another command started it while we waited for the lock
            return client
        log_path = settings.data_dir / START_LOG
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "mvsep_bridge.daemon.cli", "daemon", "--on-demand"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, close_fds=True,  # survives this command and its terminal
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            client = ControlClient.discover(settings.data_dir)
            if client is not None:
                break
            if process.poll() is not None:
                client = ControlClient.discover(settings.data_dir)  # lost a race to a `daemon`
                if client is not None:
                    break
                tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
                raise Unreachable(f"the daemon did not start: {' / '.join(tail) or 'no output'}",
                                  hint=f"its output is in {log_path}; `mvsep-bridge daemon` shows it directly")
            time.sleep(0.05)
        else:
            raise Unreachable(f"the daemon did not answer within {START_TIMEOUT:.0f} s",
                              hint=f"see {log_path}")
    minutes = settings.daemon.idle_exit_minutes
    idle = f"; it exits after {minutes:g} idle minutes" if minutes else ""
    click.echo(f"started a daemon in the background (pid {process.pid}{idle})", err=True)
    return client


def check_same_settings(client: ControlClient, settings: Settings) -> None:
    mine = settings.identity()
    theirs = (client.info or client.ping()).get("identity")  # discover's ping: no second round trip
    if theirs == mine:
        return
    info = client.reload()  # the config file may have changed a moment ago (`account login`)
    if info.get("identity") == mine:
        return
    differences = "; ".join(_differences(mine, info.get("identity") or {}))
    from_env = sorted(n for n in os.environ if n.startswith(("MVSEP_BRIDGE_", "MVSEP_API_TOKEN")))
    cause = f" (this command's environment sets {', '.join(from_env)})" if from_env else ""
    raise SettingsMismatch(
        f"the running daemon (pid {info.get('pid')}) would run this job differently from what this "
        f"command's settings say{cause}: {differences}",
        hint="the daemon follows the config file: put the setting there (`mvsep-bridge config path`), "
             "or stop the daemon (`mvsep-bridge daemon stop`) so that the next command starts one "
             "with this environment",
    )


def _differences(mine: dict, theirs: dict) -> list[str]:
    labels = {"backend": "backend", "base_url": "server", "account": "account (API token)"}
    found = []
    for key, label in labels.items():
        if mine.get(key) != theirs.get(key):
            if key == "account":
                found.append("another API token" if mine.get(key) and theirs.get(key) else
                             f"API token {'set' if mine.get(key) else 'not set'} here, "
                             f"{'set' if theirs.get(key) else 'not set'} in the daemon")
            else:
                found.append(f"{label} {mine.get(key)} here, {theirs.get(key)} in the daemon")
    for key, value in (mine.get("budget") or {}).items():
        other = (theirs.get("budget") or {}).get(key)
        if value != other:
            found.append(f"budget.{key} {value} here, {other} in the daemon")
    return found
