"""`mvsep-bridge preset add|list|remove`: named request settings for hot folders, without editing TOML."""

from __future__ import annotations

import click
import tomlkit

from ..catalog import Catalog
from ..config_file import read_document, remove_value, write_document
from ..errors import UsageError, ValidationError
from ..jobs.model import OUTPUT_FORMATS
from ..settings import config_path, load_settings
from .output import print_json, print_table
from .params import parse_options


def toml_options(pairs: tuple[str, ...]) -> dict[str, int | str]:
    """`add_opt1=81` pairs → {"add_opt1": 81} (numbers stay numbers, as DESIGN.md writes them)."""
    return {key: int(value) if value.lstrip("-").isdigit() else value
            for key, value in parse_options(pairs).items()}


@click.group("preset")
def preset() -> None:
    """Named settings (sep_type, options, output format) that hot folders use."""


@preset.command("add")
@click.argument("name")
@click.option("--sep-type", type=int, required=True, help="the algorithm (see `mvsep-bridge algorithms`)")
@click.option("--opt", "opts", multiple=True, metavar="add_optN=V", help="an algorithm option; repeatable")
@click.option("--format", "output_format", type=click.IntRange(0, 5), default=None,
              help="output format: " + ", ".join(f"{k} {v[0]}" for k, v in OUTPUT_FORMATS.items()))
def add(name: str, sep_type: int, opts: tuple[str, ...], output_format: int | None) -> None:
    """Add or replace the preset NAME, checked against the algorithm catalog."""
    if not name.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"bad preset name {name!r}", hint="use letters, digits, - and _")
    options = toml_options(opts)
    settings = load_settings()
    # premium=True: whether the account is premium is the daemon's check at submit time
    Catalog.load(settings, offline=True).validate(sep_type, options, output_format, premium=True)
    existed = name in settings.presets
    document = read_document()
    if "presets" not in document:
        document["presets"] = tomlkit.table(is_super_table=True)
    document["presets"][name] = _preset_table(sep_type, options, output_format)
    write_document(document)
    click.echo(f"preset {name} {'replaced' if existed else 'added'} in {config_path()}")
    if settings.effective_backend == "local":
        from ..localsep import MODELS, refuse  # here: the local engine's package loads scipy

        if sep_type not in MODELS:
            click.echo(f"note: {refuse(sep_type)}", err=True)  # usable once there is a token


def _preset_table(sep_type: int, options: dict, output_format: int | None) -> tomlkit.items.Table:
    """`[presets.NAME]` laid out as DESIGN.md writes it."""
    table = tomlkit.table()
    table["sep_type"] = sep_type
    if options:
        inline = tomlkit.inline_table()
        inline.update(options)
        table["options"] = inline
    if output_format is not None:
        table["output_format"] = output_format
    return table


@preset.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def list_(as_json: bool) -> None:
    """The presets and the hot folders using each."""
    settings = load_settings()
    catalog = Catalog.load(settings, offline=True)
    rows = []
    for name, value in sorted(settings.presets.items()):
        algorithm = catalog.get(value.sep_type).name if value.sep_type in catalog else None
        rows.append({
            "name": name,
            "sep_type": value.sep_type,
            "algorithm": algorithm,
            "options": value.options,
            "output_format": value.output_format,
            "hot_folders": [str(f.path) for f in settings.hot_folders if f.preset == name],
        })
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("no presets; add one with `mvsep-bridge preset add NAME --sep-type N`")
        return
    print_table(None, ("name", "sep_type", "algorithm", "options", "format", "hot folders"), (
        (row["name"], row["sep_type"], row["algorithm"] or "?",
         " ".join(f"{k}={v}" for k, v in row["options"].items()),
         "default" if row["output_format"] is None
         else f"{row['output_format']} {OUTPUT_FORMATS[row['output_format']][0]}",
         "\n".join(row["hot_folders"]))
        for row in rows))


@preset.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove the preset NAME (refused while a hot folder uses it)."""
    settings = load_settings()
    users = [str(f.path) for f in settings.hot_folders if f.preset == name]
    if users:
        raise ValidationError(
            f"preset {name} is used by the hot folder(s) {', '.join(users)}",
            hint="remove them first with `mvsep-bridge hotfolder remove PATH`",
        )
    if not remove_value(("presets", name)):
        known = ", ".join(sorted(settings.presets)) or "none"
        raise UsageError(f"no preset {name!r} in {config_path()} (presets: {known})")
    click.echo(f"preset {name} removed from {config_path()}")
