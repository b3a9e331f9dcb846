"""`mvsep-bridge config show|path|init`: the effective settings and where each comes from."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from .. import config_file
from ..settings import Settings, config_path
from .output import api_options, json_option, jsonable, print_json, print_table, say

TOKEN_ENV = ("MVSEP_API_TOKEN", "MVSEP_BRIDGE_API_TOKEN")


@click.group("config")
def config() -> None:
    """The settings: flags > environment > config file > defaults."""


def _source(field: str, flags: set[str], in_file: set[str]) -> str:
    if field in flags:
        return "flag"
    env = f"MVSEP_BRIDGE_{field.upper()}"
    names = [n for n in os.environ if n == env or n.startswith(env + "__")]
    if field == "api_token":
        names += [n for n in TOKEN_ENV if n in os.environ]
    if names:
        return "env " + ", ".join(sorted(set(names)))
    if field in in_file:
        return "file"
    if field == "allowed_roots":
        return "default (home and removable media; bridges other than the CLI and hot folders)"
    return "default"


def effective(settings: Settings) -> list[dict[str, Any]]:
    """Each top-level setting with its value (token masked) and its source."""
    flags = click.get_current_context().meta.get("flags", set())
    in_file = set(config_file.read_document().keys())
    rows = []
    for field in type(settings).model_fields:
        value = jsonable(getattr(settings, field))
        if field == "api_token":
            value = "********" if settings.token else None
        if field == "allowed_roots" and not settings.allowed_roots:  # unset: the defaults hold
            value = [str(p) for p in settings.roots]
        rows.append({"key": field, "value": value, "source": _source(field, flags, in_file)})
    return rows


@config.command("show")
@json_option
@api_options
def show(as_json: bool, settings: Settings) -> None:
    """The effective settings, where each comes from; the API token is masked."""
    rows = effective(settings)
    if as_json:
        print_json({"config_file": str(config_path()), "settings": rows})
        return
    say(f"config file: {config_path()}" + ("" if config_path().exists() else " (does not exist)"))
    print_table(None, ("key", "value", "source"), (
        (r["key"], "(not set)" if r["value"] is None else _text(r["value"]), r["source"]) for r in rows
    ))


@config.command("path")
def path() -> None:
    """Where the config file is read from ($MVSEP_BRIDGE_CONFIG, else the user config dir)."""
    say(str(config_path()))


@config.command("init")
@click.option("--force", is_flag=True, help="Replace an existing config file.")
def init(force: bool) -> None:
    """Write a commented config file to start from."""
    written = config_file.init_config(force=force)
    say(f"wrote {written}")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
