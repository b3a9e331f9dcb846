"""`mvsep-bridge algorithms [--search TEXT]` and `algorithms show N`: the catalog."""

from __future__ import annotations

from typing import Any

import click

from ..catalog import Catalog
from ..client.algorithms import Algorithm, AlgorithmField
from ..settings import Settings
from .output import api_options, console, json_option, print_json, print_table


def _load(settings: Settings, refresh: bool, offline: bool) -> Catalog:
    return Catalog.load(settings, refresh=refresh, offline=offline)


def _catalog_options(command: Any) -> Any:
    command = click.option("--refresh", is_flag=True, help="Fetch the list now, even if the cached copy is fresh.")(command)
    return click.option("--offline", is_flag=True, help="Use the cached copy or the bundled snapshot only.")(command)


def summary(algorithm: Algorithm) -> dict[str, Any]:
    return {
        "sep_type": algorithm.render_id,
        "name": algorithm.name,
        "group": algorithm.group,
        "price_coefficient": algorithm.price_coefficient,
        "premium_only": algorithm.premium_only,
        "stems": algorithm.stems,
        "fields": [f.name for f in algorithm.algorithm_fields],
    }


def _conditions(field: AlgorithmField, algorithm: Algorithm) -> list[dict[str, Any]]:
    """Conditions with the field they depend on named by its key (add_opt1…), not its id."""
    names = {f.id: f.name for f in algorithm.algorithm_fields}
    return [{"action": c.action, "field": names.get(c.depends_on_field_id, str(c.depends_on_field_id)),
             "operator": c.operator, "values": c.value_json} for c in field.conditions]


def _field_detail(field: AlgorithmField, algorithm: Algorithm) -> dict[str, Any]:
    return {
        "key": field.name,
        "label": field.text,
        "input_type": field.input_type,
        "default": field.default_key,
        "options": field.options,
        "price_multipliers": {r.option_key: r.value for r in field.price_rules if r.mode == "multiplier"},
        "conditions": _conditions(field, algorithm),
    }


def detail(algorithm: Algorithm) -> dict[str, Any]:
    return {
        **summary(algorithm),
        "description": algorithm.short_description,
        "fields": [_field_detail(f, algorithm) for f in sorted(algorithm.algorithm_fields, key=lambda f: f.name)],
    }


@click.group("algorithms", invoke_without_command=True)
@click.option("--search", "-s", metavar="TEXT", help="Only algorithms whose number, name, group or description contain every word.")
@json_option
@_catalog_options
@api_options
@click.pass_context
def algorithms(ctx: click.Context, search: str | None, as_json: bool, refresh: bool, offline: bool,
               settings: Settings) -> None:
    """The MVSEP algorithms (sep_type numbers), with group, price and premium flag."""
    if ctx.invoked_subcommand:
        return
    catalog = _load(settings, refresh, offline)
    found = catalog.search(search) if search else list(catalog)
    if as_json:
        print_json([summary(a) for a in found])
        return
    print_table(
        f"{len(found)} algorithms ({catalog.source})",
        ("sep_type", "name", "group", "credits/min", "premium", "options"),
        ((a.render_id, a.name, a.group, f"{a.price_coefficient:g}", "yes" if a.premium_only else "",
          " ".join(f.name for f in a.algorithm_fields)) for a in found),
    )


@algorithms.command("show")
@click.argument("sep_type", type=int)
@json_option
@_catalog_options
@api_options
def show(sep_type: int, as_json: bool, refresh: bool, offline: bool, settings: Settings) -> None:
    """One algorithm: its fields, options, defaults, price and premium flag."""
    algorithm = _load(settings, refresh, offline).get(sep_type)
    if as_json:
        print_json(detail(algorithm))
        return
    out = console()
    out.print(f"[bold]{algorithm.render_id}: {algorithm.name}[/bold]  ({algorithm.group})")
    if algorithm.short_description:
        out.print(algorithm.short_description)
    out.print(f"price: {algorithm.price_coefficient:g} credit(s) per minute of audio (at least 1 per job)")
    out.print("premium only: " + ("yes" if algorithm.premium_only else "no"))
    out.print("stems: " + (", ".join(algorithm.stems) or "not listed"))
    for field in sorted(algorithm.algorithm_fields, key=lambda f: f.name):
        multipliers = {r.option_key: r.value for r in field.price_rules if r.mode == "multiplier"}
        condition = "; ".join(
            f"{c['action']} when {c['field']} {c['operator']} {', '.join(c['values'])}"
            for c in _conditions(field, algorithm)
        )
        title = f"{field.name}: {field.text}" + (f"  ({condition})" if condition else "")
        if not field.is_choice:
            out.print(f"{title}  [free {field.input_type}]")
            continue
        print_table(title, ("key", "option", "default", "price"), (
            (key, label, "*" if key == field.default_key else "",
             f"x{multipliers[key]:g}" if key in multipliers else "")
            for key, label in field.options.items()
        ))
