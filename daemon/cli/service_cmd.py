"""`mvsep-bridge service install|uninstall`: start the daemon at login."""

from __future__ import annotations

import click

from .. import service


@click.group("service")
def service_group() -> None:
    """Install or remove the login service that runs `mvsep-bridge daemon`."""


@service_group.command("install")
def install_command() -> None:
    """Write the systemd user unit (Linux) or launchd agent (macOS) and load it if possible."""
    click.echo(f"writing {service.service_file().path}")
    written, ran = service.install()
    for line in ran:
        click.echo(f"ran {line}")
    if not ran:
        click.echo(f"{written.enable[-1][0]} is not available here; load it yourself: {' '.join(written.enable[-1])}")


@service_group.command("uninstall")
def uninstall_command() -> None:
    """Stop and remove the login service."""
    removed, ran = service.uninstall()
    for line in ran:
        click.echo(f"ran {line}")
    click.echo(f"removed {removed.path}")
