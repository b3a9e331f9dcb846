"""Start the daemon at login: a systemd user unit (Linux) or a launchd agent (macOS)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from .errors import BridgeError, UsageError

UNIT_NAME = "mvsep-bridge.service"
AGENT_LABEL = "com.mvsep-bridge.daemon"


@dataclass(frozen=True)
class ServiceFile:
    path: Path
    text: str
    enable: list[list[str]]  # commands that load it now (run only when the tool exists)
    disable: list[list[str]]


def command() -> list[str]:
    """The console script of this installation (so the service runs the same version)."""
    script = Path(sys.executable).with_name("mvsep-bridge")
    if not script.exists():
        found = shutil.which("mvsep-bridge")
        if found is None:
            raise UsageError("cannot find the mvsep-bridge command to run at login",
                             hint="install the package (pip install mvsep-bridge) so the command exists")
        script = Path(found)
    return [str(script), "daemon"]


def systemd_unit(home: Path) -> ServiceFile:
    argv = " ".join(_systemd_quote(a) for a in command())
    text = (
        "[Unit]\n"
        "Description=mvsep-bridge daemon (MVSEP separation for REAPER, hot folders and OSC)\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        "Type=simple\n"
        f"ExecStart={argv}\n"
        "Restart=on-failure\n"
        "RestartSec=5\n\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )
    path = home / ".config" / "systemd" / "user" / UNIT_NAME
    return ServiceFile(
        path, text,
        enable=[["systemctl", "--user", "daemon-reload"], ["systemctl", "--user", "enable", "--now", UNIT_NAME]],
        disable=[["systemctl", "--user", "disable", "--now", UNIT_NAME], ["systemctl", "--user", "daemon-reload"]],
    )


def launchd_agent(home: Path) -> ServiceFile:
    args = "".join(f"    <string>{escape(a)}</string>\n" for a in command())
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        '<plist version="1.0">\n<dict>\n'
        f"  <key>Label</key><string>{AGENT_LABEL}</string>\n"
        f"  <key>ProgramArguments</key>\n  <array>\n{args}  </array>\n"
        "  <key>RunAtLoad</key><true/>\n"
        "  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>\n"
        "</dict>\n</plist>\n"
    )
    path = home / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"
    return ServiceFile(path, text, enable=[["launchctl", "load", "-w", str(path)]],
                       disable=[["launchctl", "unload", "-w", str(path)]])


def service_file(platform: str | None = None, home: Path | None = None) -> ServiceFile:
    platform = platform or sys.platform
    home = home or Path.home()
    if platform.startswith("linux"):
        return systemd_unit(home)
    if platform == "darwin":
        return launchd_agent(home)
    raise UsageError(f"no login service for {platform}", hint="run `mvsep-bridge daemon` from your session's autostart")


def install(platform: str | None = None) -> tuple[ServiceFile, list[str]]:
    """Write the service file; load it when the service manager is present. Returns what ran."""
    service = service_file(platform)
    service.path.parent.mkdir(parents=True, exist_ok=True)
    service.path.write_text(service.text)
    return service, _run_if_present(service.enable)


def uninstall(platform: str | None = None) -> tuple[ServiceFile, list[str]]:
    service = service_file(platform)
    try:
        ran = _run_if_present(service.disable) if service.path.exists() else []
    finally:  # removed even when the manager fails: it must not start the daemon at the next login
        service.path.unlink(missing_ok=True)
    return service, ran


def _run_if_present(commands: list[list[str]]) -> list[str]:
    """Run the commands in order while the service manager is there; the first failure is
    ServiceManagerFailed, since the later commands need it (no enable without daemon-reload)."""
    ran = []
    for argv in commands:
        if shutil.which(argv[0]) is None:
            break
        result = subprocess.run(argv, capture_output=True, text=True)
        if result.returncode:
            raise ServiceManagerFailed(
                f"`{' '.join(argv)}` failed (exit {result.returncode}): {result.stderr.strip() or 'no reason given'}",
                hint=f"after fixing that, run `{' '.join(commands[-1])}` (or `mvsep-bridge service install` again)")
        ran.append(" ".join(argv))
    return ran


class ServiceManagerFailed(BridgeError):
    """systemd/launchd refused: the service file is written, but nothing runs it (exit 1)."""


def _systemd_quote(arg: str) -> str:
    return f'"{arg}"' if any(c.isspace() for c in arg) else arg
