"""The emulator's catalog: the real `/api/app/algorithms` snapshot (daemon/data/algorithms.json,
audio_widget single_upload) plus entries for the no-upload (TTS / generation) and Matchering
algorithms, built from sep_types.json. Their option values are unknown, so those fields are free
text: nothing is invented. Requests are validated here and priced here."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any

from ..client.algorithms import free_text_problem, is_prompt

SCOPES = ("single_upload", "no_upload", "matchering_upload")
#: what the algorithms beyond separation return (the catalog does not say): MIDI, a transcript, or
#: new speech in the voice of the upload; the rest return audio stems of their input
RESULT_KINDS = {80: "midi", 113: "midi", 114: "midi", 39: "transcript", 64: "transcript",
                103: "speech", 120: "speech"}
#: sep_types.json entries missing from the snapshot, and how they take their input
EXTRA_WIDGETS = {62: "no_upload", 104: "no_upload", 115: "no_upload", 118: "no_upload",
                 119: "no_upload", 68: "matchering_upload"}


def _json_value(raw: Any, default: Any) -> Any:
    """The snapshot stores some objects as JSON text, some as objects, some as null."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return default
    return raw


def _same_key(value: str, key: str) -> bool:
    """Keys are strings, but clients send "1" for "1.0" (the reference's own curl example does)."""
    if value == key:
        return True
    try:
        return float(value) == float(key)
    except ValueError:
        return False


@dataclass(frozen=True)
class Field:
    raw: dict

    @property
    def name(self) -> str:
        return self.raw["name"]

    @cached_property
    def options(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in _json_value(self.raw.get("options"), {}).items()}

    @property
    def is_select(self) -> bool:
        kind = self.raw.get("input_type")
        return kind == "select" or (kind is None and bool(self.options))

    def resolve(self, value: str | None) -> str:
        """The option key the server will use for `value` (None: the default)."""
        if value is None or value == "":
            return str(self.raw.get("default_key") or "")
        if not self.is_select:
            return value
        for key in self.options:
            if _same_key(value, key):
                return key
        raise KeyError(value)

    def multiplier(self, key: str) -> float:
        factor = 1.0
        for rule in self.raw.get("price_rules") or []:
            if str(rule.get("option_key")) == key and rule.get("mode") == "multiplier":
                factor *= float(rule["value"])
        return factor


@dataclass(frozen=True)
class Algorithm:
    raw: dict

    @property
    def sep_type(self) -> int:
        return int(self.raw["render_id"])

    @property
    def name(self) -> str:
        return self.raw["name"]

    @property
    def widget(self) -> str:
        return self.raw.get("audio_widget") or "single_upload"

    @property
    def premium_only(self) -> bool:
        return self.raw.get("orientation") == 2

    @property
    def result_kind(self) -> str:
        """stems | midi | transcript | speech (cloned) | generated (no input)"""
        if self.widget == "no_upload":
            return "generated"
        return RESULT_KINDS.get(self.sep_type, "stems")

    @cached_property
    def fields(self) -> dict[str, Field]:
        return {f["name"]: Field(f) for f in self.raw.get("algorithm_fields") or []}

    @cached_property
    def stems(self) -> list[tuple[str, str]]:
        """(file stem, type label) per result file: output_stems, else the outputs' keys."""
        labels = _json_value(self.raw.get("outputs"), {}) or {}
        names = _json_value(self.raw.get("output_stems"), None) or list(labels) or ["result"]
        return [(n, labels.get(n) or n.replace("-", " ").capitalize()) for n in names]

    @property
    def description(self) -> str:
        for entry in self.raw.get("algorithm_descriptions") or []:
            if entry.get("lang") == "en":
                return entry.get("short_description") or ""
        return self.raw.get("description") or ""

    def resolve_options(self, given: dict[str, str | None]) -> dict[str, str]:
        """Every field's key (defaults filled in); ValueError naming a bad key."""
        chosen = {}
        for name, field in self.fields.items():
            label = f"{name} ({field.raw.get('text')}) of sep_type {self.sep_type}"
            try:
                chosen[name] = field.resolve(given.get(name))
                if not field.is_select and chosen[name]:
                    problem = free_text_problem(chosen[name], field.raw.get("input_type") or "text", label)
                    if problem:
                        raise ValueError(problem)
                elif not chosen[name] and is_prompt(field.raw.get("text") or ""):
                    raise ValueError(f"{label} is required")
            except KeyError:
                valid = ", ".join(list(field.options)[:20])
                raise ValueError(
                    f"{name}={given.get(name)!r} is not an option of sep_type {self.sep_type} "
                    f"({self.name}), field '{field.raw.get('text')}'; valid keys: {valid}"
                ) from None
        return chosen

    def credits(self, seconds: float, options: dict[str, str]) -> int:
        coefficient = float(self.raw.get("price_coefficient") or 1)
        for name, key in options.items():
            if name in self.fields:
                coefficient *= self.fields[name].multiplier(key)
        return max(1, math.floor(seconds * coefficient / 60))

    def brief(self) -> dict:
        """The algorithm as demo and history entries show it."""
        keys = ("id", "name", "render_id", "algorithm_group_id", "orientation", "price_coefficient")
        return {k: self.raw.get(k) for k in keys}


def _extra_entry(sep_type: dict, widget: str) -> dict:
    return {
        "id": sep_type["sep_type"],
        "name": sep_type["name"],
        "algorithm_group_id": None,
        "algorithm_group": None,
        "orientation": 0,
        "render_id": sep_type["sep_type"],
        "order_id": 1000 + sep_type["sep_type"],
        "price_coefficient": 1,
        "is_active": 1,
        "audio_upload_disabled": 1 if widget == "no_upload" else 0,
        "audio_widget": widget,
        "allow_resample": 1,
        "output_stems": None,
        "outputs": None,
        "description": sep_type["name"],
        "usage": 0,
        "rating": {"average": "0.0000", "total": 0},
        "algorithm_fields": [
            {"name": f["key"], "text": f["name"], "options": "{}", "default_key": "",
             "input_type": "textarea" if is_prompt(f["name"]) else "text", "price_rules": [], "conditions": []}
            for f in sep_type["fields"]
        ],
        "algorithm_descriptions": [],
    }


class Catalog:
    def __init__(self, entries: list[dict]):
        self.entries = entries
        self.by_type = {int(e["render_id"]): Algorithm(e) for e in entries}

    @classmethod
    def load(cls) -> Catalog:
        snapshot = json.loads(
            resources.files("mvsep_bridge.daemon").joinpath("data/algorithms.json").read_text("utf-8")
        )
        sep_types = json.loads(
            resources.files(__package__).joinpath("sep_types.json").read_text("utf-8")
        )
        known = {int(e["render_id"]) for e in snapshot}
        extras = [
            _extra_entry(t, EXTRA_WIDGETS[t["sep_type"]])
            for t in sep_types
            if t["sep_type"] in EXTRA_WIDGETS and t["sep_type"] not in known
        ]
        return cls(snapshot + extras)

    def listing(self, scopes: list[str]) -> list[dict]:
        return [e for e in self.entries if (e.get("audio_widget") or "single_upload") in scopes]

    def get(self, sep_type: int) -> Algorithm | None:
        return self.by_type.get(sep_type)
