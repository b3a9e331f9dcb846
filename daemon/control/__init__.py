"""The daemon's control channel: server.py (in the daemon), client.py (the CLI's side).

Both find each other through one file in the data dir (address, secret, pid; mode 0600)."""

from pathlib import Path

DAEMON_FILE = "daemon.json"


def daemon_file(data_dir: Path) -> Path:
    return data_dir / DAEMON_FILE
