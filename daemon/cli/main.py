"""`mvsep-bridge`: one click group; each command lives in its own module, imported on first use
so `mvsep-bridge --help` stays fast and a broken optional part cannot take the others down."""

from __future__ import annotations

import gc
import importlib
import os
import sys

import click

from ..errors import BridgeError

# command name → ("module:attribute" under mvsep_bridge.daemon.cli, the line `--help` shows): the
# listing needs no import (a test checks each line is its command's own short help)
COMMANDS: dict[str, tuple[str, str]] = {
    "account": ("account_cmd:account", "Your MVSEP account: log in (stores the API token), info, history, switches."),
    "algorithms": ("algorithms_cmd:algorithms", "The MVSEP algorithms (sep_type numbers), with group, price and premium flag."),
    "config": ("config_cmd:config", "The settings: flags > environment > config file > defaults."),
    "qc": ("qc_cmd:qc", "The quality checker: score your own separations against MVSEP's datasets."),
    "site": ("site_cmd:site", "MVSEP site information: queue, news, demo separations."),
    "daemon": ("daemon_cmd:daemon_command", "Run the daemon until Ctrl-C / SIGTERM (unfinished jobs resume at the next start)."),
    "separate": ("separate_cmd:separate_command", "Separate FILE… into stems, written to <out>/<source name>/ with a manifest.json."),
    "match": ("match_cmd:match_command", "Master TARGET to sound like --reference REF (Matchering), written to <out>/<target name>/."),
    "generate": ("generate_cmd:generate_command", "Make audio from text (generation, speech), written to <out>/<name>/ with a manifest.json."),
    "jobs": ("jobs_cmd:jobs_command", "List the jobs, newest first."),
    "status": ("jobs_cmd:status_command", "Show one job."),
    "cancel": ("jobs_cmd:cancel_command", "Cancel a job (the server refunds jobs it has not started)."),
    "service": ("service_cmd:service_group", "Install or remove the login service that runs `mvsep-bridge daemon`."),
    "hotfolder": ("hotfolder_cmd:hotfolder", "Folders the daemon watches: drop a file in, get a folder of stems."),
    "preset": ("preset_cmd:preset", "Named settings (sep_type, options, output format) that hot folders use."),
    "emulator": ("emulator_cmd:emulator", "A local MVSEP-compatible server: accounts, credits, jobs, real audio files, faults."),
    "install-reaper": ("reaper_cmd:install_reaper", "Install the ReaScripts into REAPER and register their actions."),
    "uninstall-reaper": ("reaper_cmd:uninstall_reaper", "Remove the ReaScripts and their actions from REAPER."),
    "ui": ("ui_cmd:ui_command", "Open the status page (jobs, stems, budget, hot folders) in the browser."),
    "devices": ("devices_cmd:devices_command", "Audio devices with their channels and default sample rates (for play/record --device)."),
    "play": ("play_cmd:play_command", "Preview a finished job's stems on an output device (several stems are mixed)."),
    "record": ("record_cmd:record_command", "Record an input device into a lossless file, then separate it into stems."),
    "demo": ("demo_cmd:demo_command", "Separate a generated demo clip on the local engine through a real daemon; print the stems."),
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
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name][0].split(":")
        # importing a command makes ~10^5 objects that live as long as the process; collecting
        # while they are made only walks them again and again (~40 ms of a command's start)
        gc.disable()
        try:
            module = importlib.import_module(f"{__package__}.{module_name}")
        finally:
            gc.freeze()
            gc.enable()
        return getattr(module, attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mvsep-bridge")
def cli() -> None:
    """Use MVSEP music source separation from REAPER, hot folders and OSC."""


def main() -> None:
    """Console entry point: our errors become a message and DESIGN.md's exit codes."""
    try:
        _main()
    finally:
        # the interpreter's last collection would walk every object the command made (pydantic's
        # validators, rich's styles): ~70 ms of a command's exit. Frozen, they are skipped; the
        # streams are still flushed and atexit still runs
        gc.freeze()


def _main() -> None:
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
