"""`mvsep-bridge match TARGET --reference REF`: Matchering (two inputs), through the daemon."""

from __future__ import annotations

from pathlib import Path

import click

from ..settings import load_settings
from .params import parse_options
from .separate_cmd import job_options, make_request, run_through_daemon

MATCHERING = 68


@click.command("match")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reference", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the track whose sound (loudness, tone) TARGET should get")
@click.option("--sep-type", type=int, default=MATCHERING, show_default=True, help="the matchering algorithm")
@job_options("folder for <target name>/ (default: beside TARGET)")
def match_command(target, reference, sep_type, opts, output_format, out, replace, as_json) -> int:
    """Master TARGET to sound like --reference REF (Matchering), written to <out>/<target name>/."""
    request = make_request(str(target), source=target, reference=reference, sep_type=sep_type,
                           options=parse_options(opts), destination=out, replace=replace, output_format=output_format)
    return run_through_daemon(load_settings(), [request], as_json)
