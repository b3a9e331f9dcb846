"""Wire model of /api/app/algorithms entries (a bare JSON array; see daemon/data/algorithms.json).

Several values arrive JSON-encoded inside strings (`options`, `output_stems`, `outputs`,
`value_json`); they are decoded here so the catalog works with plain Python values.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import Field, field_validator

from .models import Wire

#: orientation values seen: 0 everyone, 1 registered users, 2 premium (paying) users only
PREMIUM_ONLY = 2
#: longest free text MVSEP's form fields take: a one-line `text` input, a `textarea` (prompts)
TEXT_LIMITS = {"text": 500, "textarea": 5000}
#: control characters a form field never carries (tab and line breaks are text)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def free_text_problem(value: str, input_type: str, label: str) -> str | None:
    """What the server would refuse in a free-text option (a prompt, a speaker name), or None.
    Checked before anything is sent; the value itself is only ever sent as a form field."""
    limit = TEXT_LIMITS.get(input_type, TEXT_LIMITS["text"])
    if not value.strip():
        return f"{label} is empty"
    if len(value) > limit:
        return f"{label} is {len(value)} characters long; at most {limit} are taken"
    if _CONTROL.search(value):
        return f"{label} contains control characters (only text, tabs and line breaks are taken)"
    return None


def is_prompt(label: str) -> bool:
    """The text an algorithm speaks or generates from: without it there is nothing to make."""
    return label.strip().lower() == "text prompt"


def _json_value(value: Any) -> Any:
    """A value that may be JSON-encoded text or already decoded; '' and null mean absent."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return value
    return value


class PriceRule(Wire):
    """Choosing `option_key` in its field changes the price: `multiplier` scales price_coefficient."""

    option_key: str
    mode: str = "multiplier"
    value: float = 1.0


class Condition(Wire):
    """Show (action=show) or hide (action=hide) this field when the field with id
    `depends_on_field_id` has a value `operator` `value_json` (operator: in / not_in)."""

    depends_on_field_id: int
    operator: str = "in"
    value_json: list[str] = Field(default_factory=list)
    action: str = "show"

    @field_validator("value_json", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> Any:
        value = _json_value(value)
        if value is None:
            return []
        return [str(v) for v in (value if isinstance(value, list) else [value])]


class AlgorithmField(Wire):
    """One option field: `name` is the form key (add_opt1..4), `options` key → label."""

    id: int | None = None
    name: str
    text: str = ""
    options: dict[str, str] = Field(default_factory=dict)
    default_key: str | None = None
    input_type: str = "select"
    required: bool = False
    price_rules: list[PriceRule] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)

    @field_validator("options", mode="before")
    @classmethod
    def _decode_options(cls, value: Any) -> Any:
        value = _json_value(value)
        if value is None:
            return {}
        if isinstance(value, list):  # a JSON array means keys 0..n-1
            return {str(i): str(label) for i, label in enumerate(value)}
        if isinstance(value, dict):
            return {str(k): str(label) for k, label in value.items()}
        return {}

    @field_validator("input_type", mode="before")
    @classmethod
    def _input_type(cls, value: Any) -> Any:
        return value or "select"

    @field_validator("required", mode="before")
    @classmethod
    def _required(cls, value: Any) -> Any:
        return bool(int(value)) if isinstance(value, (int, str)) and str(value).isdigit() else bool(value)

    @field_validator("price_rules", "conditions", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        value = _json_value(value)
        return value if isinstance(value, list) else []

    @property
    def is_choice(self) -> bool:
        """A select with a fixed set of keys (text/textarea fields take free text)."""
        return self.input_type == "select" and bool(self.options)


class AlgorithmGroup(Wire):
    name: str = ""


class AlgorithmDescription(Wire):
    short_description: str | None = None
    long_description: str | None = None
    lang: str | None = None


class Algorithm(Wire):
    render_id: int  # the sep_type to send (`id` is an internal number)
    name: str
    algorithm_group_id: int | None = None
    algorithm_group: AlgorithmGroup | None = None
    audio_widget: str | None = None
    orientation: int = 0
    order_id: int | None = None
    price_coefficient: float = 1.0
    usage: int | None = None
    rating: Any = None
    description: str | None = None
    output_stems: list[str] = Field(default_factory=list)
    outputs: dict[str, str] = Field(default_factory=dict)  # stem key → label
    algorithm_fields: list[AlgorithmField] = Field(default_factory=list)
    algorithm_descriptions: list[AlgorithmDescription] = Field(default_factory=list)

    @field_validator("output_stems", mode="before")
    @classmethod
    def _stems(cls, value: Any) -> Any:
        value = _json_value(value)
        if isinstance(value, dict):
            return [str(k) for k in value]
        return [str(v) for v in value] if isinstance(value, list) else []

    @field_validator("outputs", mode="before")
    @classmethod
    def _outputs(cls, value: Any) -> Any:
        value = _json_value(value)
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    @field_validator("algorithm_fields", "algorithm_descriptions", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return value if isinstance(value, list) else []

    @field_validator("price_coefficient", mode="before")
    @classmethod
    def _coefficient(cls, value: Any) -> Any:
        return 1.0 if value in (None, "") else value

    @property
    def sep_type(self) -> int:
        return self.render_id

    @property
    def stems(self) -> list[str]:
        """The stems it writes: `output_stems`, else the keys of `outputs` (some entries have only one)."""
        return self.output_stems or list(self.outputs)

    @property
    def premium_only(self) -> bool:
        return self.orientation == PREMIUM_ONLY

    @property
    def group(self) -> str:
        return self.algorithm_group.name if self.algorithm_group else ""

    @property
    def short_description(self) -> str:
        """The English short description, else any, else the plain `description`."""
        by_lang = {d.lang: d.short_description for d in self.algorithm_descriptions if d.short_description}
        return by_lang.get("en") or next(iter(by_lang.values()), None) or self.description or ""

    def field(self, key: str) -> AlgorithmField | None:
        return next((f for f in self.algorithm_fields if f.name == key), None)
