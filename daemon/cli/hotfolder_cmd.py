"""`mvsep-bridge hotfolder add|list|remove`: the watched folders, without editing TOML."""

from __future__ import annotations

from pathlib import Path

import click
import tomlkit
from tomlkit.items import AoT

from ...bridges.hotfolder.layout import FolderLayout, is_companion, is_temporary
from ..config_file import read_document, write_document
from ..errors import UsageError, ValidationError
from ..numbers import MAX_SETTLE_SECONDS
from ..settings import HotFolder, Settings, config_path, load_settings
from .output import print_json, print_table
from .params import FiniteFloat

APPLIES = "a running daemon picks this up within 2 s"


def _absolute(path: str) -> Path:
    return Path(path).expanduser().absolute()


def _destination(folder: HotFolder) -> Path:
    return FolderLayout.of(folder.path, folder.destination, owner="").destination


def _counts(folder: HotFolder) -> dict[str, int]:
    """Files waiting in the folder, being processed (by any daemon), done and failed."""
    layout = FolderLayout.of(folder.path, folder.destination, owner="")

    def files(under: Path, skip: tuple[Path, ...] = ()) -> int:
        if not under.is_dir():
            return 0
        return sum(
            1 for p in under.rglob("*")
            if p.is_file() and not is_companion(p.name) and not is_temporary(p.name)
            and not any(s == p or s in p.parents for s in skip)
        )

    return {
        "waiting": files(layout.root, layout.reserved()),
        "processing": files(layout.processing),
        "done": files(layout.done),
        "failed": files(layout.failed),
    }


def _find(settings: Settings, path: Path) -> int | None:
    for index, folder in enumerate(settings.hot_folders):
        if folder.path.absolute() == path:
            return index
    return None


@click.group("hotfolder")
def hotfolder() -> None:
    """Folders the daemon watches: drop a file in, get a folder of stems."""


@hotfolder.command("add")
@click.argument("path")
@click.option("--preset", "preset_name", required=True, help="the preset its files are separated with")
@click.option("--destination", default="", help="where the stems go (default: PATH/out)")
@click.option("--settle", type=FiniteFloat(0, MAX_SETTLE_SECONDS), default=None,
              help="seconds a file must stay unchanged before it is taken (default 2)")
def add(path: str, preset_name: str, destination: str, settle: float | None) -> None:
    """Watch PATH (created if missing); its files use the preset NAME."""
    settings = load_settings()
    folder = _absolute(path)
    if preset_name not in settings.presets:
        known = ", ".join(sorted(settings.presets)) or "none yet"
        raise ValidationError(
            f"unknown preset {preset_name!r} (presets: {known})",
            hint=f"add it first: `mvsep-bridge preset add {preset_name} --sep-type N`",
        )
    if _find(settings, folder) is not None:
        raise UsageError(f"{folder} is already a hot folder",
                         hint=f"`mvsep-bridge hotfolder remove {folder}` first to change it")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder", hint="give a folder path")
    for other in settings.hot_folders:  # one would take the other's files (or stems) as input
        if other.path in folder.parents or folder in other.path.parents:
            raise UsageError(f"{folder} and the hot folder {other.path} are inside one another",
                             hint="use folders side by side")
    destination = str(_absolute(destination)) if destination else ""
    layout = FolderLayout.of(folder, destination, owner="")
    if layout.stems_among_inputs():
        raise UsageError(f"--destination {layout.destination} would put stems among the folder's own files",
                         hint="leave it empty (PATH/out) or give a folder outside PATH")
    if layout.too_broad():
        raise UsageError(f"{folder} holds your own files: every file under a hot folder is taken as input",
                         hint="make a folder just for drops, e.g. ~/Stems/vocals")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {folder}: {exc.strerror or exc}", hint="give a folder you can write to") from None
    entry = {"path": str(folder), "preset": preset_name, "destination": destination}
    if settle is not None:
        entry["settle_seconds"] = settle
    document = read_document()
    folders = document.get("hot_folders")
    if isinstance(folders, AoT):
        folders.append(tomlkit.item(entry))
    elif folders:  # written by hand as `hot_folders = [{ path = … }, …]`: keep that style
        inline = tomlkit.inline_table()
        inline.update(entry)
        folders.append(inline)
    else:  # absent, or `hot_folders = []` (left by removing the last one)
        document["hot_folders"] = tomlkit.aot()
        document["hot_folders"].append(tomlkit.item(entry))
    write_document(document)
    click.echo(f"hot folder {folder} added (preset {preset_name}, stems to {layout.destination}); {APPLIES}")


@hotfolder.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def list_(as_json: bool) -> None:
    """The hot folders, their presets and where their stems go."""
    settings = load_settings()
    rows = [
        {
            "path": str(f.path),
            "preset": f.preset,
            "preset_defined": f.preset in settings.presets,
            "destination": str(_destination(f)),
            "settle_seconds": f.settle_seconds,
            "exists": f.path.is_dir(),
            "files": _counts(f),
        }
        for f in settings.hot_folders
    ]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no hot folders; add one with `mvsep-bridge hotfolder add PATH --preset NAME`")
        return
    print_table(None, ("path", "preset", "stems to", "settle s", "waiting", "processing", "done", "failed"), (
        (row["path"] + ("" if row["exists"] else "  (missing)"),
         row["preset"] + ("" if row["preset_defined"] else "  (undefined!)"),
         row["destination"], f"{row['settle_seconds']:g}",
         *(row["files"][k] for k in ("waiting", "processing", "done", "failed")))
        for row in rows))


@hotfolder.command("remove")
@click.argument("path")
def remove(path: str) -> None:
    """Stop watching PATH (its files stay where they are)."""
    folder = _absolute(path)
    document = read_document()
    entries = document.get("hot_folders", [])
    matches = [i for i, entry in enumerate(entries) if HotFolder(**entry.unwrap()).path.absolute() == folder]
    if not matches:
        known = ", ".join(str(HotFolder(**e.unwrap()).path) for e in entries) or "none"
        raise UsageError(f"{folder} is not a hot folder in {config_path()} (hot folders: {known})")
    for index in reversed(matches):
        del entries[index]
    write_document(document)
    click.echo(f"hot folder {folder} removed from {config_path()}; its files were left in place; {APPLIES}")
