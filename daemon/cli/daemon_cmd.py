"""`mvsep-bridge daemon`: run the engine, its control channel and the bridges in the foreground;
`daemon status` and `daemon stop` for the one that runs."""

from __future__ import annotations

import time

import click

from ..errors import EngineBusy, Unreachable
from ..settings import load_settings
from .output import print_json

TAKEOVER_SECONDS = 30.0


@click.group("daemon", invoke_without_command=True)
@click.option("--backend", type=click.Choice(["auto", "mvsep", "local"]), help="override the backend setting")
@click.option("--on-demand", is_flag=True, hidden=True, help="started by a command: exit when idle")
@click.pass_context
def daemon_command(ctx: click.Context, backend: str | None, on_demand: bool) -> int | None:
    """Run the daemon until Ctrl-C / SIGTERM (unfinished jobs resume at the next start).

    Commands that need it start one in the background when none runs; that one exits after
    `daemon.idle_exit_minutes`. Starting `mvsep-bridge daemon` (or the service) while such a one
    runs takes over from it."""
    if ctx.invoked_subcommand is not None:
        return None
    from .. import logs

    overrides = {"backend": backend}
    settings = load_settings(**overrides)
    log_file = logs.setup(settings, stderr=not on_demand)
    daemon = _take_the_engine(settings, overrides, on_demand)
    if daemon is None:
        return 0  # on demand, and a daemon runs already: nothing to do

    def ready(server) -> None:
        click.echo(f"daemon listening on {server.url} (backend {daemon.settings.effective_backend}, log {log_file})")

    daemon.run(ready=ready)
    return 0


def _take_the_engine(settings, overrides: dict, on_demand: bool):
    """The Daemon holding this data dir's engine; an on-demand one that runs is asked to hand over."""
    from ..control.client import ControlClient
    from ..runtime import Daemon

    deadline = time.monotonic() + TAKEOVER_SECONDS
    asked = False
    while True:
        try:
            return Daemon(settings, overrides={k: v for k, v in overrides.items() if v}, on_demand=on_demand)
        except EngineBusy:
            if on_demand:
                return None
            running = ControlClient.discover(settings.data_dir)
            info = _ping_quietly(running) if running is not None else None
            if info is not None and not info.get("on_demand"):
                raise EngineBusy(f"a daemon already runs for {settings.data_dir}, at {running.url}",
                                 hint="use that one (`mvsep-bridge jobs`), or stop it first; a second "
                                      "daemon needs its own data_dir (MVSEP_BRIDGE_DATA_DIR)") from None
            if info is not None and not asked:
                click.echo(f"taking over from the daemon started on demand at {running.url}", err=True)
                try:
                    running.shutdown()
                except Unreachable:  # it may exit before its answer is out: it is going either way
                    pass
                asked = True
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _ping_quietly(client) -> dict | None:
    """The daemon's ping, or None while it exits (its address file outlives its answers briefly)."""
    try:
        return client.ping()
    except Unreachable:
        return None


@daemon_command.command("status")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def status_command(as_json: bool) -> int:
    """Whether a daemon runs for the data dir, and where its bridges listen (exit 3: none)."""
    from ..control.client import ControlClient

    settings = load_settings()
    client = ControlClient.discover(settings.data_dir)
    if client is None:
        raise Unreachable(f"no daemon runs for {settings.data_dir}",
                          hint="`mvsep-bridge daemon` runs one; commands that need one start it")
    info = {**client.info, "url": client.url}  # discover's ping
    if as_json:
        print_json(info)
        return 0
    kind = "started on demand" if info.get("on_demand") else "started by `daemon` or the service"
    click.echo(f"daemon pid {info['pid']} at {client.url} ({kind}), backend {info['backend']}, "
               f"data {info['data_dir']}")
    for name, where in sorted(info.get("bridges", {}).items()):
        click.echo(f"  {name}: {where}")
    return 0


@daemon_command.command("stop")
def stop_command() -> int:
    """Stop the running daemon (unfinished jobs resume when one runs again)."""
    from ..control.client import ControlClient

    settings = load_settings()
    client = ControlClient.discover(settings.data_dir)
    if client is None:
        click.echo(f"no daemon runs for {settings.data_dir}", err=True)
        return 0
    pid = client.ping()["pid"]
    try:
        client.shutdown()
    except Unreachable:  # it may exit before its answer is out
        pass
    deadline = time.monotonic() + TAKEOVER_SECONDS
    while ControlClient.discover(settings.data_dir) is not None:
        if time.monotonic() > deadline:
            raise Unreachable(f"the daemon (pid {pid}) was asked to stop but still runs after {TAKEOVER_SECONDS:g} s",
                              hint=f"it may be finishing a download; `kill {pid}` stops it (jobs resume later)")
        time.sleep(0.1)
    click.echo(f"stopped the daemon (pid {pid})", err=True)
    return 0
