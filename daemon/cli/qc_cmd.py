"""`mvsep-bridge qc queue|leaderboard|add|entry|delete`: MVSEP's quality checker."""

from __future__ import annotations

from pathlib import Path

import click

from ..client.models import QcEntry
from ..settings import Settings
from .output import (
    api_options,
    client_for,
    json_option,
    password_option,
    print_json,
    print_records,
    print_table,
    read_secret,
    say,
)

PAGE = click.IntRange(1, 20)


@click.group("qc")
def qc() -> None:
    """The quality checker: score your own separations against MVSEP's datasets."""


def _entries_table(title: str, entries: list[QcEntry]) -> None:
    print_table(title, ("id", "date", "dataset", "algorithm", "status", "SDR"), (
        (e.id, e.date, e.dataset_name or e.dataset_type, e.algo_name, e.msg or e.proc,
         " ".join(f"{stem}={value}" for stem, value in e.sdr.items()))
        for e in entries
    ))


@qc.command("queue")
@click.option("--start", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--limit", type=PAGE, default=10, show_default=True)
@json_option
@api_options
def queue(start: int, limit: int, as_json: bool, settings: Settings) -> None:
    """Entries waiting for or done with scoring, newest first."""
    with client_for(settings) as client:
        entries = client.qc_queue(start=start, limit=limit)
    if as_json:
        print_json(entries)
        return
    _entries_table("quality checker queue", entries)


@qc.command("leaderboard")
@click.option("--dataset-type", metavar="N", help="Leaderboard (dataset type); server default 0.")
@click.option("--start", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--limit", type=PAGE, default=10, show_default=True)
@click.option("--filter", "algo_name_filter", metavar="TEXT", help="Only algorithm names containing TEXT.")
@click.option("--sort", metavar="KEY", help="Sort by this stem's SDR (one of the `sortables`).")
@json_option
@api_options
def leaderboard(dataset_type: str | None, start: int, limit: int, algo_name_filter: str | None,
                sort: str | None, as_json: bool, settings: Settings) -> None:
    """A leaderboard of the quality checker."""
    with client_for(settings) as client:
        board = client.qc_leaderboard(dataset_type=dataset_type, start=start, limit=limit,
                                      algo_name_filter=algo_name_filter, sort=sort)
    if as_json:
        print_json(board)
        return
    _entries_table(f"leaderboard {board.dataset_type or ''} (sorted by {board.sort or 'default'})", board.data)
    if board.sortables:
        sortables = board.sortables if isinstance(board.sortables, list) else list(board.sortables)
        say("sortable by (--sort): " + ", ".join(str(key) for key in sortables))


@qc.command("add")
@click.argument("zipfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--algo-name", required=True, help="Name of your algorithm.")
@click.option("--main-text", required=True, help="Its description.")
@click.option("--dataset-type", default="0", show_default=True, help="Dataset / leaderboard type.")
@click.option("--ensemble/--no-ensemble", default=False, show_default=True)
@password_option
@json_option
@api_options
def add(zipfile: Path, algo_name: str, main_text: str, dataset_type: str, ensemble: bool,
        password_stdin: bool, as_json: bool, settings: Settings) -> None:
    """Upload ZIPFILE (your separated stems) for scoring; the password lets you delete it later."""
    password = read_secret("Password for deleting the entry", from_stdin=password_stdin, confirm=True)
    with client_for(settings) as client:
        created = client.qc_add(zipfile, algo_name=algo_name, main_text=main_text, password=password,
                                dataset_type=dataset_type, ensemble=ensemble)
    if as_json:
        print_json(created)
        return
    say(f"added entry {created.id}" + (f": {created.link}" if created.link else ""))


@qc.command("entry")
@click.argument("entry_id", type=int)
@json_option
@api_options
def entry(entry_id: int, as_json: bool, settings: Settings) -> None:
    """One quality checker entry with its metrics."""
    with client_for(settings) as client:
        found = client.qc_entry(entry_id)
    if as_json:
        print_json(found)
        return
    print_records(f"entry {found.id}", found)


@qc.command("delete")
@click.argument("entry_id", type=int)
@password_option
@api_options
def delete(entry_id: int, password_stdin: bool, settings: Settings) -> None:
    """Delete your entry (with the password given when adding it)."""
    password = read_secret("Password of the entry", from_stdin=password_stdin)
    with client_for(settings) as client:
        result = client.qc_delete(entry_id, password)
    say(result.message or f"deleted entry {entry_id}")
