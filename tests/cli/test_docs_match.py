"""The README says what exists: what it marks as coming is really not there yet (when it lands,
this test asks for the README to follow)."""

from __future__ import annotations

from pathlib import Path

from .cli_world import run

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
COMING_COMMANDS = ("play", "record", "devices")


def test_commands_the_readme_calls_coming_do_not_exist_yet():
    coming = README[README.index("**Coming**"):README.index("## On a fresh machine")]
    for command in COMING_COMMANDS:
        assert f"`{command}`" in coming
        result = run(command, "--help")
        assert result.code == 2 and "No such command" in result.err, (command, result.text)

