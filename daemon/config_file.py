"""Edits of the TOML config file (settings.config_path()) that keep the user's comments and layout
(tomlkit), written atomically with mode 0600 because the file may hold the API token.

    set_value("api_token", token)
    set_value("presets.vocals.sep_type", 40)
    remove_value("presets.vocals")
    append_to_array_of_tables("hot_folders", {"path": "~/Stems/vocals", "preset": "vocals"})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.toml_document import TOMLDocument

from .errors import ConfigError
from .files import write_text
from .settings import config_path

Key = str | Sequence[str]

TEMPLATE = """\
# mvsep-bridge configuration. Every key is optional; the environment (MVSEP_BRIDGE_<KEY>,
# MVSEP_API_TOKEN) and command-line flags override what is set here.

# api_token = "…"               # or `mvsep-bridge account login`, which stores it here (mode 0600)
# base_url = "https://mvsep.com"
backend = "auto"                # auto (mvsep with a token, else local) | mvsep | local
# data_dir = "~/.local/share/mvsep-bridge"
allowed_roots = []              # where OSC, REAPER and other bridges may read and write, e.g.
                                # ["~/Music", "~/Projects"]; empty: home and removable media
# section_margin_seconds = 2    # source audio sent around a --start/--length section (0..30)

[daemon]
# idle_exit_minutes = 10        # a daemon a command started exits when idle this long; 0 = never

[budget]
# max_credits_per_job = 50
# max_credits_per_day = 500

[osc]
host = "127.0.0.1"
port = 9045
reply_host = ""                 # empty: reply to the sender
reply_port = 0
allow_from = []                 # with host beyond loopback: who may send (e.g. "192.168.1.0/24")

# [presets.vocals]
# sep_type = 40
# options = { add_opt1 = 81 }
# output_format = 2

# [[hot_folders]]
# path = "~/Stems/vocals"
# preset = "vocals"
# destination = ""              # empty: <path>/out
"""


def _parts(key: Key) -> list[str]:
    parts = key.split(".") if isinstance(key, str) else list(key)
    if not parts or not all(parts):
        raise ConfigError(f"bad config key {key!r}")
    return parts


def read_document(path: Path | None = None) -> TOMLDocument:
    """The config file as an editable document (empty when the file does not exist)."""
    path = path or config_path()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except (OSError, TOMLKitError) as exc:
        raise ConfigError(
            f"cannot read the config file {path}: {exc}",
            hint="fix its TOML syntax, or move it away and run `mvsep-bridge config init`",
        ) from exc


def write_document(document: TOMLDocument | str, path: Path | None = None) -> Path:
    """Replace the file atomically; readable by its owner only."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = document if isinstance(document, str) else tomlkit.dumps(document)
    write_text(path, text, mode=0o600)  # it may hold the API token
    return path


def get_value(key: Key, path: Path | None = None) -> Any:
    """The value at a dotted key, or None."""
    node: Any = read_document(path)
    for part in _parts(key):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node.unwrap() if hasattr(node, "unwrap") else node


def _parent_table(document: Any, key: Key) -> tuple[Any, str]:
    """The table that holds a dotted key's last part (tables created as needed), and that part."""
    *parents, last = _parts(key)
    node: Any = document
    for part in parents:
        if part not in node:
            node[part] = tomlkit.table()
        node = node[part]
        if not isinstance(node, Mapping):
            raise ConfigError(f"cannot set {key!r}: {part!r} is not a table in the config file")
    return node, last


def set_value(key: Key, value: Any, path: Path | None = None) -> Path:
    """Set a dotted key (tables are created as needed), keeping everything else as it was."""
    document = read_document(path)
    node, last = _parent_table(document, key)
    if isinstance(value, Mapping):  # `options = { add_opt1 = "81" }`, as DESIGN.md writes presets
        inline = tomlkit.inline_table()
        inline.update(dict(value))
        value = inline
    node[last] = value
    return write_document(document, path)


def remove_value(key: Key, path: Path | None = None) -> bool:
    """Remove a dotted key; False if it was not there."""
    document = read_document(path)
    *parents, last = _parts(key)
    node: Any = document
    for part in parents:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    if not isinstance(node, Mapping) or last not in node:
        return False
    del node[last]
    write_document(document, path)
    return True


def append_to_array_of_tables(key: Key, table: Mapping[str, Any], path: Path | None = None) -> Path:
    """Append `[[key]]` with the given values (e.g. a hot folder)."""
    document = read_document(path)
    node, last = _parent_table(document, key)
    if last not in node:
        node[last] = tomlkit.aot()
    array = node[last]
    if not isinstance(array, list):
        raise ConfigError(f"cannot append to {key!r}: it is not an array of tables in the config file")
    item = tomlkit.table()
    item.update(dict(table))
    array.append(item)
    return write_document(document, path)


def init_config(path: Path | None = None, *, force: bool = False) -> Path:
    """Write the commented starter config; refuses to overwrite unless `force`."""
    path = path or config_path()
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists", hint="use --force to replace it")
    return write_document(TEMPLATE, path)
