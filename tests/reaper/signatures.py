"""The REAPER API as /work/shared/reaper/api_signatures.json states it: every call a script makes
is checked for its name, argument count, argument types and documented parameter keys."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lupa.lua54 import lua_type

from .model import Item, Project, Source, Take, Track

SIGNATURES = Path(os.environ.get("MVSEP_REAPER_SIGNATURES", "/work/shared/reaper/api_signatures.json"))


class ApiMisuse(Exception):
    """A call REAPER would not accept (unknown name, wrong arity, wrong type, unknown key)."""


class Signatures:
    def __init__(self, path: Path = SIGNATURES):
        data = json.loads(path.read_text())
        self.functions: dict[str, dict] = data["functions"]
        self.param_keys: dict[str, dict] = data["param_keys"]

    def check(self, name: str, args: tuple) -> None:
        signature = self.functions.get(name)
        if signature is None:
            raise ApiMisuse(f"{name} is not a REAPER API function")
        params = signature["params"]
        required = sum(1 for p in params if not _optional(p))
        if not required <= len(args) <= len(params):
            raise ApiMisuse(f"{name} takes {required}..{len(params)} arguments, got {len(args)}: {args!r}")
        for param, value in zip(params, args):
            problem = self._type_problem(param["type"], value)
            if problem:
                raise ApiMisuse(f"{name}: argument {param['name']!r} ({param['type']}) {problem}: {value!r}")

    def _type_problem(self, declared: str, value: Any) -> str | None:
        if declared.endswith("?") and value is None:
            return None
        if declared.endswith("_Param"):
            keys = self.param_keys[declared]
            if not isinstance(value, str):
                return "must be a string key"
            if value in keys or any(k.startswith("P_EXT:") and value.startswith("P_EXT:") for k in keys):
                return None
            return f"is not a documented key of {declared}"
        alternatives = declared.rstrip("?").split("|")
        if any(_is(kind, value) for kind in alternatives):
            return None
        return "has the wrong type"


def _optional(param: dict) -> bool:
    return param["optional"] or param["type"].endswith("?")


_POINTERS = {"MediaItem": Item, "MediaTrack": Track, "MediaItem_Take": Take, "PCM_source": Source,
             "ReaProject": Project}


def _is(kind: str, value: Any) -> bool:
    if kind in _POINTERS:
        return isinstance(value, _POINTERS[kind])
    if kind == "nil":
        return value is None
    if kind == "0":
        return value == 0 and not isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "function":
        return lua_type(value) == "function"
    return value is not None  # userdata, HWND, ...: any object


