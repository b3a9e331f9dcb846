"""`mvsep-bridge ui`: open the status page of this data dir's daemon (started on demand).

The daemon mints a one-time link through the control channel (which needs the 0600 secret); the
browser trades it for a session cookie on first use, so the link is worth nothing afterwards."""

from __future__ import annotations

import time
import webbrowser

import click

from ..control.client import ControlClient
from ..errors import Unreachable
from ..settings import load_settings
from .connect import connect

BRIDGE = "ui"
BRIDGE_WAIT_SECONDS = 10.0  # a daemon just started answers before its bridges have started


@click.command("ui")
@click.option("--print", "print_only", is_flag=True,
              help="print the one-time link instead of opening a browser (it works once, for 2 minutes)")
def ui_command(print_only: bool) -> None:
    """Open the status page (jobs, stems, budget, hot folders) in the browser."""
    client = connect(load_settings())
    _wait_for_the_page(client)
    url = client.call(BRIDGE, "link")["url"]
    if print_only:
        click.echo(url)
    elif webbrowser.open(url):
        click.echo("opened the status page in the browser", err=True)
    else:
        click.echo(f"no browser to open; open this one-time link yourself:\n{url}")


def _wait_for_the_page(client: ControlClient) -> None:
    deadline = time.monotonic() + BRIDGE_WAIT_SECONDS
    while BRIDGE not in client.ping().get("bridges", {}):
        if time.monotonic() > deadline:
            raise Unreachable("the daemon runs without its status page",
                              hint="its log says why: `mvsep-bridge daemon` in the foreground prints it")
        time.sleep(0.05)
