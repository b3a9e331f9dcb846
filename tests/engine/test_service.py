"""`service install|uninstall` writes and removes the login service (systemctl is not run here)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mvsep_bridge.daemon import service

from harness import run_cli


def _env_without_service_managers(home: Path) -> dict:
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    env["PATH"] = str(Path(sys.executable).parent)  # no systemctl/launchctl on PATH: nothing is loaded
    return env


def test_install_writes_a_systemd_user_unit_and_uninstall_removes_it(tmp_path):
    env = _env_without_service_managers(tmp_path)
    unit = tmp_path / ".config" / "systemd" / "user" / "mvsep-bridge.service"

    installed = run_cli(["service", "install"], env)

    assert installed.returncode == 0, installed.stderr
    text = unit.read_text()
    exec_line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert exec_line == f"ExecStart={Path(sys.executable).with_name('mvsep-bridge')} daemon"
    assert "WantedBy=default.target" in text and "Restart=on-failure" in text
    assert "systemctl --user enable --now mvsep-bridge.service" in installed.stdout  # told what to run

    removed = run_cli(["service", "uninstall"], env)

    assert removed.returncode == 0, removed.stderr
    assert not unit.exists()


def test_the_macos_agent_runs_the_daemon_at_login(tmp_path):
    agent = service.service_file("darwin", home=tmp_path)
    assert agent.path == tmp_path / "Library/LaunchAgents/com.mvsep-bridge.daemon.plist"
    assert "<key>RunAtLoad</key><true/>" in agent.text
    assert f"<string>{Path(sys.executable).with_name('mvsep-bridge')}</string>\n    <string>daemon</string>" in agent.text


def test_install_fails_when_the_service_manager_cannot_load_the_unit(tmp_path):
    import shutil

    import pytest

    systemctl = shutil.which("systemctl")
    if systemctl is None:
        pytest.skip("needs systemctl (Debian's systemd), which fails without a user session bus")
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"),
               XDG_RUNTIME_DIR=str(tmp_path / "run"))  # no user bus there: systemctl --user fails
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    env["PATH"] = f"{Path(sys.executable).parent}:{Path(systemctl).parent}"

    installed = run_cli(["service", "install"], env)

    assert installed.returncode == 1, (installed.stdout, installed.stderr)
    assert "`systemctl --user daemon-reload` failed (exit 1)" in installed.stderr
    assert "systemctl --user enable --now mvsep-bridge.service" in installed.stderr  # how to finish
    assert (tmp_path / ".config" / "systemd" / "user" / "mvsep-bridge.service").exists()
