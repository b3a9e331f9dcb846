"""The README and `config show` say what exists: what is coming is marked as coming, and what is
marked coming is really not there yet (when it lands, this test asks for the docs to follow)."""

from __future__ import annotations

import json
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
    assert "OSC" in coming


def test_config_show_marks_the_osc_settings_as_doing_nothing_yet(tmp_path):
    result = run("config", "show", "--json", config=tmp_path / "config.toml")
    assert result.code == 0, result.err
    rows = {row["key"]: row for row in json.loads(result.out)["settings"]}
    assert rows["osc"]["note"] == "does nothing yet: the OSC bridge is coming"
    assert "note" not in rows["hot_folders"] and "note" not in rows["budget"]
    table = run("config", "show", config=tmp_path / "config.toml").out
    assert "the OSC bridge is coming" in " ".join(table.split())
    assert run("config", "init", config=tmp_path / "config.toml").code == 0
    assert "[osc]                           # coming" in (tmp_path / "config.toml").read_text()
