"""`mvsep-bridge`: one click group; each command lives in its own module, imported on first use
so `mvsep-bridge --help` stays fast and a broken optional part cannot take the others down."""

from __future__ import annotations

import importlib
import os
import sys

import click

from ..errors import BridgeError

# command name → "module:attribute" under mvsep_bridge.daemon.cli
COMMANDS: dict[str, str] = {
    "account": "account_cmd:account",
    "algorithms": "algorithms_cmd:algorithms",
    "config": "config_cmd:config",
    "qc": "qc_cmd:qc",
    "site": "site_cmd:site",
    "daemon": "daemon_cmd:daemon_command",
    "separate": "separate_cmd:separate_command",
    "jobs": "jobs_cmd:jobs_command",
    "status": "jobs_cmd:status_command",
    "cancel": "jobs_cmd:cancel_command",
    "service": "service_cmd:service_group",
    "hotfolder": "hotfolder_cmd:hotfolder",
    "preset": "preset_cmd:preset",
    "emulator": "emulator_cmd:emulator",
    "demo": "demo_cmd:demo_command",
}


class ReaderGone(Exception):
    """stdout's reader closed the pipe. Not an OSError, which click would turn into exit 1."""


class LazyGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a broken pipe shows here, not in the interpreter's last flush
            return result
        except BrokenPipeError:
            raise ReaderGone() from None


    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        module = importlib.import_module(f"{__package__}.{module_name}")
        return getattr(module, attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mvsep-bridge")
def cli() -> None:
    """Use MVSEP music source separation from REAPER, hot folders and OSC."""


def main() -> None:
    """Console entry point: our errors become a message and DESIGN.md's exit codes."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except BridgeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except ReaderGone:
        # the reader stopped reading (`jobs | head`): it got what it wanted, so not a failure;
        # stdout goes to /dev/null so the interpreter's last flush cannot fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    # a command may return an int: its exit code (e.g. 1 when a job failed)
    sys.exit(code if isinstance(code, int) else 0)
