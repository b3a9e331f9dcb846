"""Loading the real ReaScript modules into a fake REAPER's Lua."""

from __future__ import annotations

from pathlib import Path

import mvsep_bridge.reaper_scripts as scripts_package

SCRIPTS = Path(scripts_package.__file__).parent
LIB = SCRIPTS / "lib"


def require(fake, name: str):
    """`require(name)` from reaper_scripts/lib, as the actions load it."""
    return fake.lua.execute(f"package.path = {str(LIB / '?.lua')!r} .. ';' .. package.path; return (require({name!r}))")


def table(fake, mapping) -> object:
    """A Python dict/list as a Lua table (nested)."""
    if isinstance(mapping, dict):
        return fake.lua.table_from({k: table(fake, v) for k, v in mapping.items()})
    if isinstance(mapping, (list, tuple)):
        return fake.lua.table_from([table(fake, v) for v in mapping])
    return mapping


def to_python(value):
    """A Lua table as dict (or list when it is a sequence), recursively."""
    if type(value).__name__ != "_LuaTable":
        return value
    items = {k: to_python(v) for k, v in value.items()}
    if items and all(isinstance(k, int) for k in items) and sorted(items) == list(range(1, len(items) + 1)):
        return [items[i] for i in range(1, len(items) + 1)]
    return items
