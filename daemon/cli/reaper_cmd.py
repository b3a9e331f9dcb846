"""`mvsep-bridge install-reaper` / `uninstall-reaper`: the ReaScripts into REAPER's resource folder,
their actions in reaper-kb.ini, and the spool's path where the scripts look for it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import click

from mvsep_bridge import reaper_scripts
from mvsep_bridge.bridges.reaper.protocol import Layout, spool_dir

from ..errors import UsageError
from ..settings import load_settings
from .output import say

FOLDER = "MVSEP Bridge"  # under <resource>/Scripts/
CONFIG = "mvsep-bridge.json"  # read by reaper_scripts/lib/spool.lua
SCRIPTS = Path(reaper_scripts.__file__).parent
KEYMAP = "reaper-kb.ini"
STARTUP = "__startup.lua"  # REAPER runs <resource>/Scripts/__startup.lua when it starts
FOLLOWER = "mvsep_Follow separation jobs (background).lua"
BEGIN, END = "-- begin MVSEP Bridge (mvsep-bridge install-reaper)", "-- end MVSEP Bridge"


def default_resource_path() -> Path:
    """Where REAPER keeps its settings, per OS (REAPER's own defaults)."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "REAPER"
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "REAPER"
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "REAPER"


def _resource(given: Path | None) -> Path:
    path = (given or default_resource_path()).expanduser()
    if not path.is_dir():
        raise UsageError(f"REAPER's resource folder {path} does not exist",
                         hint="start REAPER once, or pass --resource-path (REAPER: Options > Show REAPER "
                              "resource path in explorer/finder)")
    return path


def actions() -> list[Path]:
    """The action scripts (lib/ holds modules, not actions)."""
    return sorted(SCRIPTS.glob("*.lua"))


def command_id(relative: str) -> str:
    """A stable id per script path, so installing again replaces rather than duplicates."""
    return "RS" + hashlib.sha1(relative.encode()).hexdigest()


def keymap_line(script: Path) -> str:
    relative = f"{FOLDER}/{script.name}"
    return f'SCR 4 0 {command_id(relative)} "Custom: {script.name}" "{relative}"'


def reaper_running() -> bool:
    """REAPER rewrites reaper-kb.ini when it quits: never edit it under a running REAPER."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        return any((p.info["name"] or "").lower() in ("reaper", "reaper.exe") for p in psutil.process_iter(["name"]))
    proc = Path("/proc")
    for comm in proc.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip().lower() == "reaper":
                return True
        except OSError:
            continue
    return False


def _without_ours(lines: list[str]) -> list[str]:
    return [line for line in lines if f'"{FOLDER}/' not in line]


def _startup_block() -> list[str]:
    """Follow jobs from REAPER's start: a project opened again gets the stems it waits for."""
    return [BEGIN, f"dofile(reaper.GetResourcePath() .. '/Scripts/{FOLDER}/{FOLLOWER}')", END]


def _edit_startup(resource: Path, add: list[str]) -> None:
    """Our block in __startup.lua replaced by `add`; the user's own lines stay as they are."""
    startup = resource / "Scripts" / STARTUP
    lines = startup.read_text(encoding="utf-8").splitlines() if startup.exists() else []
    if BEGIN in lines and END in lines[lines.index(BEGIN):]:
        end = lines.index(END, lines.index(BEGIN))
        lines = lines[: lines.index(BEGIN)] + lines[end + 1:]
    _write_lines(startup, lines + add)


def _write_lines(path: Path, lines: list[str]) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text("\n".join(lines) + "\n" if lines else "", encoding="utf-8")
    os.replace(temp, path)


def _edit_keymap(resource: Path, add: list[str]) -> None:
    keymap = resource / KEYMAP
    lines = keymap.read_text(encoding="utf-8").splitlines() if keymap.exists() else []
    _write_lines(keymap, _without_ours(lines) + add)


@click.command("install-reaper")
@click.option("--resource-path", type=click.Path(path_type=Path), help="REAPER's resource folder (default: REAPER's own for this OS).")
def install_reaper(resource_path: Path | None) -> None:
    """Install the ReaScripts into REAPER and register their actions."""
    resource = _resource(resource_path)
    spool = spool_dir(load_settings().data_dir)
    Layout(spool).ensure()
    target = resource / "Scripts" / FOLDER
    (target / "lib").mkdir(parents=True, exist_ok=True)
    for script in actions():
        shutil.copy2(script, target / script.name)
    for module in sorted((SCRIPTS / "lib").glob("*.lua")):
        shutil.copy2(module, target / "lib" / module.name)
    # the console script itself, for the "Start daemon" action: the only command line the scripts run
    config = {"spool": str(spool), "daemon": str(Path(sys.argv[0]).absolute())}
    (target / CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    _edit_startup(resource, _startup_block())
    say(f"scripts installed in {target}")
    say(f"spool: {spool}")
    if reaper_running():
        say("REAPER is running, so its action list was left alone (REAPER rewrites reaper-kb.ini when it "
            "quits). Either quit REAPER and run `mvsep-bridge install-reaper` again, or in REAPER: Actions > "
            f"Show action list > New action > Load ReaScript…, and pick the scripts in {target}")
        return
    _edit_keymap(resource, [keymap_line(script) for script in actions()])
    say(f"{len(actions())} actions registered in {resource / KEYMAP} (they show up as 'Custom: mvsep_…')")


@click.command("uninstall-reaper")
@click.option("--resource-path", type=click.Path(path_type=Path), help="REAPER's resource folder (default: REAPER's own for this OS).")
def uninstall_reaper(resource_path: Path | None) -> None:
    """Remove the ReaScripts and their actions from REAPER."""
    resource = _resource(resource_path)
    if reaper_running():
        raise UsageError("REAPER is running: it would write the actions back into reaper-kb.ini when it quits",
                         hint="quit REAPER, then run `mvsep-bridge uninstall-reaper` again")
    shutil.rmtree(resource / "Scripts" / FOLDER, ignore_errors=True)
    if (resource / "Scripts" / STARTUP).exists():
        _edit_startup(resource, [])
    if (resource / KEYMAP).exists():
        _edit_keymap(resource, [])
    say(f"MVSEP Bridge scripts and actions removed from {resource}")
