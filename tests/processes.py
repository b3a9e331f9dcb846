"""Real processes for tests: the installed console script, started as a user starts it."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

#: the console script of the venv running the tests
CLI = str(Path(sys.executable).with_name("mvsep-bridge"))


def start_cli(args: list[str], *, env: dict | None, log_path: Path,
              timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """`mvsep-bridge ARGS` with stderr appended to `log_path`; returns the process and its first
    stdout line ("" if none came within `timeout`). The rest of stdout is drained so the pipe
    never fills up."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen([CLI, *args], env=env, stdout=subprocess.PIPE, stderr=log,
                                   stdin=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def drain() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=drain, daemon=True).start()
    try:
        return process, lines.get(timeout=timeout)
    except queue.Empty:
        return process, ""


def daemon_env(data_dir: Path, base_url: str | None = None, token: str | None = None, *,
               config: Path | None = None, home: Path | None = None, **extra: str) -> dict:
    """The environment of a daemon/CLI process; `home` isolates HOME and XDG dirs (module-scoped
    fixtures run before the per-test isolation of conftest.py)."""
    env = dict(os.environ)
    if home is not None:
        env["HOME"] = str(home)
        for name, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                          ("XDG_STATE_HOME", ".local/state"), ("XDG_CACHE_HOME", ".cache"),
                          ("XDG_RUNTIME_DIR", ".run")):
            env[name] = str(home / sub)
        env = {k: v for k, v in env.items() if not k.startswith("MVSEP_")}
    env["MVSEP_BRIDGE_DATA_DIR"] = str(data_dir)
    # a test's daemon never takes the fixed OSC port another test (or the developer's daemon) has
    env["MVSEP_BRIDGE_OSC__PORT"] = "0"
    if config is not None:
        env["MVSEP_BRIDGE_CONFIG"] = str(config)
    if base_url:
        env["MVSEP_BRIDGE_BASE_URL"] = base_url
    if token:
        env["MVSEP_API_TOKEN"] = token
    env.update(extra)
    return env
