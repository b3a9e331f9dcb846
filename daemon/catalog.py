"""The algorithm catalog: what each sep_type is, which options it takes, what it costs.

Source, in order: the on-disk cache of /api/app/algorithms (`<data_dir>/cache/`, fresh for
CACHE_TTL), the live endpoint (then cached), a stale cache, and last the snapshot bundled in
daemon/data/algorithms.json, so validation works offline and before anything is spent.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .audio.formats import DEFAULT_OUTPUT_FORMAT, OUTPUT_FORMATS, PREMIUM_FORMATS
from .client import MvsepClient
from .client.algorithms import Algorithm, AlgorithmField, free_text_problem, is_prompt
from .errors import ApiError, Unreachable, ValidationError, shown
from .files import write_text
from .settings import Settings

log = logging.getLogger(__name__)

CACHE_TTL = 24 * 3600.0
SNAPSHOT = Path(__file__).with_name("data") / "algorithms.json"
LIST_HINT = "run `mvsep-bridge algorithms` (or `algorithms show N`) to see them"


@dataclass(frozen=True)
class ValidatedRequest:
    """A request the catalog accepts: every visible field filled (given or default)."""

    algorithm: Algorithm
    options: dict[str, str]
    output_format: int

    @property
    def sep_type(self) -> int:
        return self.algorithm.render_id


class Catalog:
    def __init__(self, algorithms: Iterable[Algorithm], *, source: str = "snapshot"):
        self._by_type: dict[int, Algorithm] = {a.render_id: a for a in algorithms}
        self.source = source

    # ------------------------------------------------------------ loading

    @classmethod
    def from_payload(cls, payload: Any, *, source: str) -> Catalog:
        entries = payload.get("data", []) if isinstance(payload, dict) else payload
        return cls((Algorithm.model_validate(e) for e in entries if isinstance(e, dict)), source=source)

    @classmethod
    def snapshot(cls) -> Catalog:
        return cls.from_payload(json.loads(SNAPSHOT.read_text(encoding="utf-8")), source="bundled snapshot")

    @classmethod
    def load(
        cls,
        settings: Settings,
        *,
        client: MvsepClient | None = None,
        refresh: bool = False,
        offline: bool = False,
        ttl: float = CACHE_TTL,
    ) -> Catalog:
        """The catalog for settings.base_url. `refresh` fetches even when the cache is fresh (and
        lets a failed fetch raise); `offline` never touches the network."""
        cache = cache_path(settings)
        if not refresh:
            cached = _read_cache(cache, max_age=ttl)
            if cached is not None:
                return cached
        if not offline:
            own = client is None
            client = client or MvsepClient(settings.base_url, settings.token, attempts=2)
            try:
                payload = client.algorithms_payload()
                catalog = cls.from_payload(payload, source=f"{settings.base_url} (fetched now)")
                _write_cache(cache, payload)
                return catalog
            except (Unreachable, ApiError) as exc:
                if refresh:
                    raise
                log.warning("cannot fetch the algorithm list, using a local copy: %s", exc.message)
            finally:
                if own:
                    client.close()
        stale = _read_cache(cache, max_age=None)
        return stale if stale is not None else cls.snapshot()

    # ------------------------------------------------------------ lookup

    def __iter__(self) -> Iterator[Algorithm]:
        return iter(self._by_type.values())

    def __len__(self) -> int:
        return len(self._by_type)

    def __contains__(self, sep_type: object) -> bool:
        return sep_type in self._by_type

    def get(self, sep_type: int) -> Algorithm:
        try:
            return self._by_type[int(sep_type)]
        except (KeyError, ValueError, TypeError):
            valid = ", ".join(str(n) for n in sorted(self._by_type))
            raise ValidationError(
                f"unknown sep_type {sep_type!r}; valid: {valid}", hint=LIST_HINT
            ) from None

    def search(self, text: str) -> list[Algorithm]:
        """Algorithms whose number, name, group or description contain every word of `text`."""
        words = text.lower().split()
        return [a for a in self if all(w in _haystack(a) for w in words)]

    # ------------------------------------------------------------ validation and price

    def validate(
        self,
        sep_type: int,
        options: Mapping[str, Any] | None = None,
        output_format: int | None = None,
        *,
        premium: bool = False,
    ) -> ValidatedRequest:
        """Check a request against the catalog before anything is uploaded or paid; fill defaults.
        Raises ValidationError naming the valid choices."""
        algorithm = self.get(sep_type)
        if algorithm.premium_only and not premium:
            raise ValidationError(
                f"sep_type {algorithm.render_id} ({algorithm.name}) is for premium users only",
                hint="enable premium (`mvsep-bridge account premium on`, needs credits) or pick another algorithm",
            )
        fmt = DEFAULT_OUTPUT_FORMAT if output_format is None else output_format
        if fmt not in OUTPUT_FORMATS:
            choices = ", ".join(f"{k} ({label})" for k, (label, _) in OUTPUT_FORMATS.items())
            raise ValidationError(f"unknown output_format {fmt!r}; valid: {choices}")
        if fmt in PREMIUM_FORMATS and not premium:
            free = ", ".join(f"{k} ({label})" for k, (label, _) in OUTPUT_FORMATS.items() if k not in PREMIUM_FORMATS)
            raise ValidationError(
                f"output_format {fmt} ({OUTPUT_FORMATS[fmt][0]}) is for premium users only; valid: {free}",
                hint="enable premium (`mvsep-bridge account premium on`) or pick another format",
            )
        return ValidatedRequest(algorithm, resolve_options(algorithm, options or {}), fmt)

    def estimate_credits(self, seconds: float, sep_type: int, options: Mapping[str, Any] | None = None) -> int:
        """MVSEP's price: max(1, floor(seconds * coefficient / 60)), where the coefficient is the
        algorithm's price_coefficient times the multipliers of the chosen options' price rules."""
        algorithm = self.get(sep_type)
        return estimate(seconds, algorithm, resolve_options(algorithm, options or {}))


def estimate(seconds: float, algorithm: Algorithm, resolved: Mapping[str, str]) -> int:
    coefficient = algorithm.price_coefficient
    for field in algorithm.algorithm_fields:
        for rule in field.price_rules:
            if rule.mode == "multiplier" and resolved.get(field.name) == rule.option_key:
                coefficient *= rule.value
    return max(1, math.floor(seconds * coefficient / 60))


def resolve_options(algorithm: Algorithm, options: Mapping[str, Any]) -> dict[str, str]:
    """Given options checked against the algorithm's fields, plus defaults for the rest; fields
    hidden by their conditions are left out (and refused when given)."""
    given = {k: str(v) for k, v in options.items()}
    fields = {f.name: f for f in algorithm.algorithm_fields}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise ValidationError(
            f"sep_type {algorithm.render_id} ({algorithm.name}) has no option {', '.join(unknown)}; "
            + (f"its fields: {_field_list(fields.values())}" if fields else "it takes no options"),
            hint=f"see `mvsep-bridge algorithms show {algorithm.render_id}`",
        )
    raw = {f.id: given.get(f.name, f.default_key) for f in fields.values() if f.id is not None}
    resolved: dict[str, str] = {}
    for name in sorted(fields):
        field = fields[name]
        if not _visible(field, raw):
            if name in given:
                raise ValidationError(
                    f"{name} ({field.text}) of sep_type {algorithm.render_id} does not apply "
                    f"with the other options chosen ({_condition_text(field, algorithm)})"
                )
            continue
        value = given.get(name, field.default_key)
        if not value and is_prompt(field.text):
            raise ValidationError(f"sep_type {algorithm.render_id} ({algorithm.name}) needs {name} ({field.text})",
                                  hint="give the text to speak or to generate from", field="options")
        if value is None:
            if field.required and field.is_choice:
                raise ValidationError(f"sep_type {algorithm.render_id} needs {name} ({field.text}); "
                                      f"valid: {_choices(field)}")
            continue
        if not field.is_choice and name in given:
            problem = free_text_problem(value, field.input_type, f"{name} ({field.text})")
            if problem:
                raise ValidationError(f"sep_type {algorithm.render_id}: {problem}",
                                      hint="shorten or clean the text", field="options")
        if field.is_choice and value not in field.options:
            raise ValidationError(
                f"{name} ({field.text}) of sep_type {algorithm.render_id} has no option {shown(value)}; "
                f"valid: {_choices(field)}",
                hint=f"see `mvsep-bridge algorithms show {algorithm.render_id}`",
            )
        resolved[name] = value
    return resolved


def _visible(field: AlgorithmField, raw: Mapping[int, str | None]) -> bool:
    for condition in field.conditions:
        matches = raw.get(condition.depends_on_field_id) in condition.value_json
        if condition.operator in ("not_in", "!=", "not in"):
            matches = not matches
        shown = matches if condition.action == "show" else not matches
        if not shown:
            return False
    return True


def _condition_text(field: AlgorithmField, algorithm: Algorithm) -> str:
    by_id = {f.id: f for f in algorithm.algorithm_fields}
    parts = []
    for c in field.conditions:
        other = by_id.get(c.depends_on_field_id)
        name = other.name if other else f"field {c.depends_on_field_id}"
        verb = "only when" if c.action == "show" else "not when"
        parts.append(f"{verb} {name} {c.operator} {', '.join(c.value_json)}")
    return "; ".join(parts)


def _choices(field: AlgorithmField) -> str:
    return ", ".join(f"{key} ({label})" for key, label in field.options.items())


def _field_list(fields: Iterable[AlgorithmField]) -> str:
    return ", ".join(f"{f.name} ({f.text})" for f in sorted(fields, key=lambda f: f.name))


def _haystack(algorithm: Algorithm) -> str:
    return " ".join([str(algorithm.render_id), algorithm.name, algorithm.group,
                     algorithm.short_description]).lower()


# ------------------------------------------------------------ cache files


def cache_path(settings: Settings) -> Path:
    """One cache per server (the emulator and mvsep.com may differ)."""
    host = re.sub(r"[^A-Za-z0-9.-]", "_", urlparse(settings.base_url).netloc or "default")
    return settings.data_dir / "cache" / f"algorithms-{host}.json"


def _read_cache(path: Path, *, max_age: float | None) -> Catalog | None:
    try:
        age = time.time() - path.stat().st_mtime
        if max_age is not None and age > max_age:
            return None
        payload = json.loads(path.read_text(encoding="utf-8"))
        catalog = Catalog.from_payload(payload, source=f"cache {path} ({age / 3600:.1f} h old)")
    except (OSError, ValueError) as exc:
        if path.exists():
            log.warning("ignoring unreadable algorithm cache %s: %s", path, exc)
        return None
    return catalog if len(catalog) else None


def _write_cache(path: Path, payload: Any) -> None:
    write_text(path, json.dumps(payload))
