"""`mvsep-bridge site queue|news|demo`: public information from the MVSEP site."""

from __future__ import annotations

import click

from ..settings import Settings
from .output import api_options, client_for, json_option, print_json, print_records, print_table

PAGE = click.IntRange(1, 20)


@click.group("site")
def site() -> None:
    """MVSEP site information: queue, news, demo separations."""


@site.command("queue")
@json_option
@api_options
def queue(as_json: bool, settings: Settings) -> None:
    """Jobs waiting per plan, and your plan's queue when a token is set."""
    with client_for(settings) as client:
        info = client.queue()
    if as_json:
        print_json(info)
        return
    print_records("queue per plan", info.queue)
    print_records("your plan", info.plan)


@site.command("news")
@click.option("--lang", default="en", show_default=True, help="Two-letter language code.")
@click.option("--start", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--limit", type=PAGE, default=10, show_default=True)
@json_option
@api_options
def news(lang: str, start: int, limit: int, as_json: bool, settings: Settings) -> None:
    """MVSEP news, newest first."""
    with client_for(settings) as client:
        items = client.news(lang=lang, start=start, limit=limit)
    if as_json:
        print_json(items)
        return
    print_table("news", ("date", "title"), ((n.created_at, n.title) for n in items))


@site.command("demo")
@click.option("--start", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--limit", type=PAGE, default=10, show_default=True)
@json_option
@api_options
def demo(start: int, limit: int, as_json: bool, settings: Settings) -> None:
    """Separations published on the demo page."""
    with client_for(settings) as client:
        items = client.demo(start=start, limit=limit)
    if as_json:
        print_json(items)
        return
    print_table("demo separations", ("date", "hash", "algorithm", "size"), (
        (d.date, d.hash, d.algorithm.get("name") if isinstance(d.algorithm, dict) else d.algorithm, d.size)
        for d in items
    ))
