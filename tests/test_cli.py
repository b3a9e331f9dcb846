"""The installed console script runs and every command answers --help."""

import subprocess

from processes import CLI


def test_help_lists_commands_and_exits_zero():
    result = subprocess.run([CLI, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "MVSEP" in result.stdout


def test_unknown_command_is_a_usage_error():
    result = subprocess.run([CLI, "no-such-command"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no-such-command" in result.stderr


def test_the_command_listing_is_each_commands_own_short_help():
    # `--help` lists commands from a table (importing every command costs seconds): it must say
    # what each command's own --help says
    import click

    from mvsep_bridge.daemon.cli.main import COMMANDS, cli

    context = click.Context(cli)
    for name, (_, line) in COMMANDS.items():
        assert cli.get_command(context, name).get_short_help_str(limit=200) == line, name


def test_help_imports_no_command_module():
    code = ("import sys; from mvsep_bridge.daemon.cli.main import cli; cli.main(['--help'], standalone_mode=False); "
            "print(sorted(m for m in sys.modules if m.endswith('_cmd')), 'scipy' in sys.modules)")
    result = subprocess.run([CLI.replace("mvsep-bridge", "python"), "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[] False", result.stdout + result.stderr
