"""`mvsep-bridge emulator`: run the local MVSEP-compatible server (daemon/emulator)."""

from __future__ import annotations

import json
import logging
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

import click
from pydantic import ValidationError

from ..errors import validation_problems

DEFAULT_PORT = 8090


def _knobs(config_file: Path | None, settings: tuple[str, ...]) -> dict:
    knobs: dict = {}
    if config_file is not None:
        try:
            knobs.update(json.loads(config_file.read_text("utf-8")))
        except ValueError as exc:
            raise click.BadParameter(f"{config_file} is not JSON: {exc}", param_hint="--config")
    for item in settings:
        name, sep, raw = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: write KNOB=VALUE", param_hint="--set")
        try:
            knobs[name.strip()] = json.loads(raw)
        except ValueError:
            knobs[name.strip()] = raw  # a bare string, e.g. fault_path=/api/separation/get
    return knobs


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="port; 0 picks a free one (the first line says which)")
@click.option("--state", type=click.Path(file_okay=False, path_type=Path),
              help="folder for accounts, jobs and results (kept across restarts); default: a temp folder")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON object of knobs (timings, limits, faults; see --help-knobs)")
@click.option("--set", "settings", multiple=True, metavar="KNOB=VALUE",
              help="one knob, e.g. --set waiting_seconds=0.5 (repeatable; after --config)")
@click.option("--help-knobs", is_flag=True, help="list the knobs and exit")
def emulator(host: str, port: int, state: Path | None, config_file: Path | None,
             settings: tuple[str, ...], help_knobs: bool) -> None:
    """A local MVSEP-compatible server: accounts, credits, jobs, real audio files, faults.

    Prints `listening on http://HOST:PORT` as its first line. Point a client's base URL at it.
    """
    from ..emulator import config as config_module
    from ..emulator.config import EmulatorConfig

    if help_knobs:
        click.echo(config_module.__doc__)
        return
    try:
        config = EmulatorConfig.model_validate(_knobs(config_file, settings))
    except ValidationError as exc:
        raise click.BadParameter(validation_problems(exc), param_hint="--config/--set")
    state_dir = state or Path(tempfile.mkdtemp(prefix="mvsep-emulator-"))
    try:
        _serve(host, port, state_dir, config)
    finally:
        if state is None:  # a temp folder of ours: nothing in it outlives the run (Ctrl-C, SIGTERM)
            shutil.rmtree(state_dir, ignore_errors=True)


def _serve(host: str, port: int, state_dir: Path, config) -> None:
    from ..emulator.server import CannotListen, make_emulator

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # our handler logs requests, redacted
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.BadParameter(f"cannot create {state_dir}: {exc.strerror or exc}", param_hint="--state")
    try:  # werkzeug would print a bare "Name or service not known" and exit 1
        socket.getaddrinfo(host, port)
    except OSError as exc:
        raise click.BadParameter(f"cannot listen on {host}: {exc.strerror or exc}", param_hint="--host")
    try:
        server = make_emulator(host, port, state_dir, config)
    except CannotListen as exc:
        raise click.BadParameter(f"cannot listen on {host}:{port}: {exc.reason}; "
                                 "pick another port, or --port 0 for a free one", param_hint="--port") from None
    # SIGTERM (systemd, kill, a test's teardown) ends the run as Ctrl-C does: through the finally
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"listening on http://{shown}:{server.server_port}")
        sys.stdout.flush()
        click.echo(f"state in {state_dir}", err=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.world.stop()
        server.server_close()
