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
