"""The README says what is there: every command it names in "What is in this version" exists
(answers --help), so the README never advertises what is not built."""

from __future__ import annotations

import re
from pathlib import Path

from .cli_world import run

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_command_the_readme_says_is_in_this_version_exists():
    summary = README[README.index("What is in this version"):README.index("## On a fresh machine")]
    commands = re.findall(r"`([a-z][a-z-]*)`", summary)
    assert {"separate", "play", "record", "devices", "ui", "match", "generate"} <= set(commands)
    for command in commands:
        result = run(command, "--help")
        assert result.code == 0 and "Usage:" in result.out, (command, result.text)
