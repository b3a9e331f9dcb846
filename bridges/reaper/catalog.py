"""The catalog as the scripts' menu needs it: algorithms grouped as MVSEP groups them, what
input each takes (audio, none, ...), the choice fields (without conditions: those stay at the
server's defaults) with price multipliers, and the free-text fields (a prompt, a length)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mvsep_bridge.daemon.engine import Algorithm, input_kind


def catalog_entries(algorithms: Iterable[Algorithm]) -> list[dict[str, Any]]:
    entries = []
    for algorithm in algorithms:
        fields, text_fields = [], []
        for field in algorithm.algorithm_fields:
            if field.conditions:
                continue
            if not field.options:
                text_fields.append({"name": field.name, "text": field.text or field.name, "default": field.default_key})
                continue
            fields.append({
                "name": field.name, "text": field.text or field.name,
                "choices": [{"key": key, "label": label} for key, label in field.options.items()],
                "default": field.default_key,
                "price": {rule.option_key: rule.value for rule in field.price_rules if rule.mode == "multiplier"},
            })
        group = algorithm.algorithm_group.name if algorithm.algorithm_group else ""
        entries.append({"sep_type": algorithm.render_id, "name": algorithm.name, "group": group or "Other",
                        "order": algorithm.order_id or 0, "price_coefficient": algorithm.price_coefficient,
                        "input": input_kind(algorithm), "fields": fields, "text_fields": text_fields})
    return entries
