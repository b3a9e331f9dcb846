"""What the CLI commands share: settings from the global flags, a client, secrets read without
argv, and output as --json or as rich tables. Errors are raised as daemon.errors and become
DESIGN.md's exit codes in cli.main (0 ok, 1 failed, 2 usage, 3 unreachable, 4 auth)."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import BaseModel, SecretStr

from ..errors import UsageError
from ..jobs.model import JobView
from ..settings import Settings, load_settings

if TYPE_CHECKING:
    from rich.console import Console

    from ..client import MvsepClient

#: secrets never come from argv (visible in `ps`): a prompt, stdin, or these variables
PASSWORD_ENV = "MVSEP_PASSWORD"


def api_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --base-url and --token-file, and passes the effective `settings` to the command
    (flags > environment > config file > defaults)."""
    return _settings_options(command, token_file=True)


def server_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--base-url only: for `login` and `register`, which get a token rather than use one."""
    return _settings_options(command, token_file=False)


def _settings_options(command: Callable[..., Any], *, token_file: bool) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, base_url: str | None, token_file: Path | None = None, **kwargs: Any) -> Any:
        token = token_file.read_text(encoding="utf-8").strip() if token_file else None
        if token_file and not token:
            raise UsageError(f"the token file {token_file} is empty")
        settings = load_settings(base_url=base_url, api_token=token)
        click.get_current_context().meta["flags"] = {
            k for k, v in (("base_url", base_url), ("api_token", token)) if v
        }
        return command(*args, settings=settings, **kwargs)

    if token_file:
        wrapper = click.option(
            "--token-file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Read the API token from this file (instead of MVSEP_API_TOKEN or the config file).",
        )(wrapper)
    return click.option("--base-url", metavar="URL", help="MVSEP server (default: settings' base_url).")(wrapper)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(command)


def client_for(settings: Settings) -> MvsepClient:
    from ..client import MvsepClient  # requests and the API models: only for commands that call MVSEP

    return MvsepClient.from_settings(settings)


def ask(label: str, given: str | None, flag: str) -> str:
    """`given` (a flag's value), else a prompt; without a terminal to prompt on, bad usage naming
    the flag (click's prompt would read end-of-file and abort with 130)."""
    if given:
        return given
    if not sys.stdin.isatty():
        raise UsageError(f"{flag} is missing and there is no terminal to ask for it", hint=f"give {flag}")
    return click.prompt(label, err=True)


def read_secret(label: str, *, from_stdin: bool, confirm: bool = False) -> str:
    """A password from stdin (--password-stdin), $MVSEP_PASSWORD, or a hidden prompt."""
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get(PASSWORD_ENV):
        value = os.environ[PASSWORD_ENV]
    elif not sys.stdin.isatty():
        raise UsageError(f"no terminal to ask for the {label.lower()}",
                         hint=f"pipe it with --password-stdin, or set {PASSWORD_ENV}")
    else:
        value = click.prompt(label, hide_input=True, confirmation_prompt=confirm, err=True)
    if not value:
        raise UsageError(f"empty {label.lower()}", hint=f"type it at the prompt, pipe it with --password-stdin or set {PASSWORD_ENV}")
    return value


def password_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--password-stdin", is_flag=True,
        help=f"Read the password from the first line of stdin (else ${PASSWORD_ENV}, else a prompt).",
    )(command)


# ------------------------------------------------------------------ output


def jsonable(value: Any) -> Any:
    """Models, secrets and paths as JSON values; a SecretStr is printed masked."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else ""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(jsonable(value), indent=2, ensure_ascii=False))


def console() -> Console:
    # rich (~30 ms of imports) only for the commands that print tables: `jobs` and `status` do not
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # to cli.main, which exits 0 (rich would exit 1)

    # a pipe has no width: wide enough that names are not cut
    return _Console(width=None if sys.stdout.isatty() else 160, highlight=False)


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from rich.table import Table  # see console()

    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console().print(table)


def print_records(title: str | None, records: Any) -> None:
    """Any listing the server sends (list of objects, an object, a scalar) as a table."""
    records = jsonable(records)
    if isinstance(records, Mapping):
        print_table(title, ("key", "value"), ((k, _cell(v)) for k, v in records.items()))
    elif isinstance(records, list) and records and all(isinstance(r, Mapping) for r in records):
        columns = list(dict.fromkeys(k for r in records for k in r))
        print_table(title, columns, ([_cell(r.get(c)) for c in columns] for r in records))
    elif isinstance(records, list):
        print_table(title, ("value",), ([_cell(r)] for r in records))
    else:
        click.echo(f"{title}: {records}" if title else str(records))


def _cell(value: Any) -> str:
    if isinstance(value, (Mapping, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def say(message: str) -> None:
    click.echo(message)

def describe(view: JobView) -> str:
    """One line about where a job is, for progress bars and listings."""
    parts = [view.stage]
    if view.remote_status and str(view.state) == "remote" and view.backend != "local":
        parts = [view.remote_status]
    if view.queue_position is not None and view.remote_status == "waiting" and not view.state.final:
        total = f"/{view.queue_count}" if view.queue_count else ""
        parts.append(f"queue {view.queue_position}{total}")
    if view.chunks_total:
        parts.append(f"chunks {view.chunks_done or 0}/{view.chunks_total}")
    if view.error:
        parts.append(view.error.splitlines()[0])
    return " · ".join(parts)
