"""`mvsep-bridge daemon`: run the engine, its control channel and the bridges in the foreground."""

from __future__ import annotations

import click

from ..settings import load_settings


@click.command("daemon")
@click.option("--backend", type=click.Choice(["auto", "mvsep", "local"]), help="override the backend setting")
def daemon_command(backend: str | None) -> None:
    """Run the daemon until Ctrl-C / SIGTERM (unfinished jobs resume at the next start)."""
    from .. import logs, runtime

    settings = load_settings(backend=backend)
    log_file = logs.setup(settings)

    def ready(server) -> None:
        click.echo(f"daemon listening on {server.url} (backend {settings.effective_backend}, log {log_file})")

    from ..control.client import ControlClient
    from ..jobs.engine import EngineBusy

    try:
        runtime.run(settings, ready=ready)
    except EngineBusy as exc:
        running = ControlClient.discover(settings.data_dir)
        if running is None:
            raise
        raise EngineBusy(f"a daemon already runs for {settings.data_dir}, at {running.url}",
                         hint="use that one (`mvsep-bridge jobs`), or stop it first; "
                              "a second daemon needs its own data_dir (MVSEP_BRIDGE_DATA_DIR)") from exc
