"""`mvsep-bridge account login|register|info|history|premium on/off|long-filenames on/off`."""

from __future__ import annotations

import os

import click

from .. import config_file
from ..errors import ApiError
from ..settings import Settings, config_path, load_settings
from .output import (
    api_options,
    ask,
    client_for,
    json_option,
    password_option,
    print_json,
    print_table,
    read_secret,
    say,
    server_options,
)

ON_OFF = click.Choice(["on", "off"])


@click.group("account")
def account() -> None:
    """Your MVSEP account: log in (stores the API token), info, history, switches."""


@account.command("login")
@click.option("--email", help="The account's e-mail (else asked).")
@password_option
@server_options
def login(email: str | None, password_stdin: bool, settings: Settings) -> None:
    """Log in and store the account's API token in the config file (mode 0600)."""
    email = ask("Email", email, "--email")
    password = read_secret("Password", from_stdin=password_stdin)
    with client_for(settings) as client:
        user = client.login(email, password)
    if user.api_token is None or not user.api_token.get_secret_value():
        raise ApiError("the server accepted the login but sent no API token")
    path = config_file.set_value("api_token", user.api_token.get_secret_value())
    if settings.base_url != load_settings().base_url:  # --base-url: the token is only good there
        config_file.set_value("base_url", settings.base_url)
        say(f"base_url {settings.base_url} saved too: later commands use that server")
    say(f"logged in as {user.name or email} <{user.email or email}>; credits: {_num(user.credits)}")
    say(f"API token saved to {path} (readable by you only)")
    if os.environ.get("MVSEP_API_TOKEN") or os.environ.get("MVSEP_BRIDGE_API_TOKEN"):
        say("note: MVSEP_API_TOKEN is set in the environment and takes precedence over the file")


@account.command("register")
@click.option("--name", help="User name (else asked).")
@click.option("--email", help="E-mail (else asked).")
@password_option
@server_options
def register(name: str | None, email: str | None, password_stdin: bool, settings: Settings) -> None:
    """Create an MVSEP account (then `account login`)."""
    name, email = ask("Name", name, "--name"), ask("Email", email, "--email")
    password = read_secret("Password", from_stdin=password_stdin, confirm=True)
    with client_for(settings) as client:
        result = client.register(name, email, password)
    say(result.message or f"registered {email}")
    say("next: `mvsep-bridge account login`")


@account.command("info")
@json_option
@api_options
def info(as_json: bool, settings: Settings) -> None:
    """Name, credits, premium and long-file-name switches, jobs running now."""
    with client_for(settings) as client:
        user = client.user()
    if as_json:
        print_json(user)
        return
    print_table("account", ("key", "value"), [
        ("name", user.name), ("email", user.email), ("credits", _num(user.credits)),
        ("premium enabled", _yes(user.premium_enabled)),
        ("long file names", _yes(user.long_filenames_enabled)),
        ("jobs running", user.running_jobs),
        ("token", f"set ({config_source(settings)})"),
    ])


@account.command("history")
@click.option("--start", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--limit", type=click.IntRange(1, 20), default=10, show_default=True)
@json_option
@api_options
def history(start: int, limit: int, as_json: bool, settings: Settings) -> None:
    """Your recent separations, newest first."""
    with client_for(settings) as client:
        entries = client.separation_history(start=start, limit=limit)
    if as_json:
        print_json(entries)
        return
    print_table("separation history", ("hash", "algorithm", "credits", "hours left", "result kept"), (
        (e.hash, e.algorithm_name, _num(e.credits), _num(e.time_left), _yes(e.job_exists)) for e in entries
    ))


@account.command("premium")
@click.argument("state", type=ON_OFF)
@api_options
def premium(state: str, settings: Settings) -> None:
    """Allow (on) or forbid (off) spending credits on premium algorithms and formats."""
    with client_for(settings) as client:
        result = client.enable_premium() if state == "on" else client.disable_premium()
    say(result.message or f"premium {state}")


@account.command("long-filenames")
@click.argument("state", type=ON_OFF)
@api_options
def long_filenames(state: str, settings: Settings) -> None:
    """Add (on) or leave out (off) algorithm details in result file names."""
    with client_for(settings) as client:
        result = client.enable_long_filenames() if state == "on" else client.disable_long_filenames()
    say(result.message or f"long file names {state}")


def config_source(settings: Settings) -> str:
    if os.environ.get("MVSEP_API_TOKEN") or os.environ.get("MVSEP_BRIDGE_API_TOKEN"):
        return "from the environment"
    if "api_token" in click.get_current_context().meta.get("flags", ()):
        return "from --token-file"
    return f"from {config_path()}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _yes(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")
