"""A sidecar `<file>.json` overrides the folder's preset for that one file (keys as a preset).

Merge rule: every key the sidecar sets replaces the preset's value. `options` merge key by key
with the preset's, unless the sidecar picks another sep_type: options belong to an algorithm, so
then only the sidecar's own options count.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ConfigDict
from pydantic import ValidationError as PydanticValidationError

from mvsep_bridge.daemon.engine import Preset, ValidationError

from .layout import sidecar_of

KEYS = ("sep_type", "options", "output_format")


class Sidecar(Preset):
    model_config = ConfigDict(extra="forbid")


def read_sidecar(audio: Path) -> Sidecar | None:
    """The sidecar of `audio`, if there is one; ValidationError naming the problem otherwise."""
    path = sidecar_of(audio)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"sidecar {path.name} cannot be read: {exc}") from exc
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except DuplicateKey as exc:
        raise ValidationError(f"sidecar {path.name} sets {exc.key!r} twice",
                              hint="keep one: which of the two was meant cannot be guessed") from exc
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"sidecar {path.name} is not valid JSON ({exc})",
            hint='write an object such as {"sep_type": 40, "options": {"add_opt1": 81}, "output_format": 2}',
        ) from exc
    if not isinstance(data, dict):
        raise ValidationError(f"sidecar {path.name} must hold a JSON object, not {type(data).__name__}")
    try:
        return Sidecar.model_validate(data)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'sidecar'}: {err['msg']}" for err in exc.errors()
        )
        raise ValidationError(
            f"sidecar {path.name} is invalid: {problems}", hint=f"valid keys: {', '.join(KEYS)}"
        ) from exc


class DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object whose keys are all different (json's default keeps the last of a pair silently)."""
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


def merge(preset: Preset, sidecar: Sidecar | None) -> Preset:
    """The settings for one file: the preset, overridden by its sidecar."""
    if sidecar is None:
        return preset
    given = sidecar.model_fields_set
    sep_type = sidecar.sep_type if "sep_type" in given else preset.sep_type
    keep_preset_options = sep_type == preset.sep_type
    options = dict(preset.options) if keep_preset_options else {}
    options.update(sidecar.options)
    output_format = sidecar.output_format if "output_format" in given else preset.output_format
    return Preset(sep_type=sep_type, options=options, output_format=output_format)
