"""`hotfolder add|list|remove` and `preset add|list|remove`: the config file, edited for the user."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest

from processes import CLI
from mvsep_bridge.daemon.settings import load_settings


@pytest.fixture
def config(tmp_path, monkeypatch):
    path = tmp_path / "conf" / "config.toml"
    monkeypatch.setenv("MVSEP_BRIDGE_CONFIG", str(path))
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60, env=os.environ)


def test_presets_and_hot_folders_round_trip_through_the_config(config, tmp_path):
    folder = tmp_path / "My Stems ünï" / "vocals"
    assert run("preset", "add", "vocals", "--sep-type", "40", "--opt", "add_opt1=81", "--format", "2").returncode == 0
    added = run("hotfolder", "add", str(folder), "--preset", "vocals", "--settle", "0.5")
    assert added.returncode == 0, added.stderr
    assert folder.is_dir()  # created for the user
    assert stat.S_IMODE(config.stat().st_mode) == 0o600

    settings = load_settings()
    assert settings.presets["vocals"].sep_type == 40
    assert settings.presets["vocals"].options == {"add_opt1": "81"}
    assert settings.presets["vocals"].output_format == 2
    [hot] = settings.hot_folders
    assert (hot.path, hot.preset, hot.destination, hot.settle_seconds) == (folder, "vocals", "", 0.5)

    (folder / "waiting.wav").write_bytes(b"x")
    (folder / "failed").mkdir()
    (folder / "failed" / "bad.wav").write_bytes(b"x")
    (folder / "failed" / "bad.wav.error.txt").write_text("why")
    listed = json.loads(run("hotfolder", "list", "--json").stdout)
    assert listed == [{"path": str(folder), "preset": "vocals", "preset_defined": True,
                       "destination": str(folder / "out"), "settle_seconds": 0.5, "exists": True,
                       "files": {"waiting": 1, "processing": 0, "done": 0, "failed": 1}}]
    presets = json.loads(run("preset", "list", "--json").stdout)
    assert presets[0]["name"] == "vocals" and presets[0]["hot_folders"] == [str(folder)]
    assert "BS Roformer" in presets[0]["algorithm"]

    refused = run("preset", "remove", "vocals")
    assert refused.returncode == 2 and "used by the hot folder" in refused.stderr

    assert run("hotfolder", "remove", str(folder)).returncode == 0
    assert run("preset", "remove", "vocals").returncode == 0
    settings = load_settings()
    assert settings.hot_folders == [] and settings.presets == {}
    assert folder.is_dir()  # files are never touched by remove


def test_a_destination_is_stored_absolute(config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("preset", "add", "drums", "--sep-type", "20")
    assert run("hotfolder", "add", "in", "--preset", "drums", "--destination", "stems").returncode == 0
    [hot] = load_settings().hot_folders
    assert hot.path == tmp_path / "in" and hot.destination == str(tmp_path / "stems")


def test_the_file_keeps_the_users_comments(config):
    config.parent.mkdir(parents=True)
    config.write_text('# my notes\nbackend = "local"  # offline\n')
    assert run("preset", "add", "v", "--sep-type", "40").returncode == 0
    text = config.read_text()
    assert "# my notes" in text and "# offline" in text and "[presets.v]" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("preset", "add", "x", "--sep-type", "9999"), "unknown sep_type 9999"),
        (("preset", "add", "x", "--sep-type", "40", "--opt", "add_opt1=zzz"), "has no option 'zzz'"),
        (("preset", "add", "x", "--sep-type", "40", "--opt", "colour=red"), "bad --opt 'colour=red'"),
        (("preset", "remove", "nothing"), "no preset 'nothing'"),
        (("hotfolder", "add", "/tmp/x", "--preset", "nope"), "unknown preset 'nope'"),
        (("hotfolder", "remove", "/no/such/folder"), "is not a hot folder"),
    ],
)
def test_bad_input_is_a_usage_error_naming_the_problem(config, args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not config.exists() or "x" not in load_settings().presets


def test_nested_folders_and_stems_among_the_inputs_are_refused(config, tmp_path):
    run("preset", "add", "v", "--sep-type", "40")
    assert run("hotfolder", "add", str(tmp_path / "in"), "--preset", "v").returncode == 0
    for args, message in [
        ((str(tmp_path / "in" / "sub"),), "inside one another"),
        ((str(tmp_path),), "inside one another"),
        ((str(tmp_path / "x"), "--destination", str(tmp_path / "x")), "among the folder's own files"),
        ((str(tmp_path / "y"), "--destination", str(tmp_path / "y" / "done")), "among the folder's own files"),
    ]:
        result = run("hotfolder", "add", *args, "--preset", "v")
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
    assert len(load_settings().hot_folders) == 1


def test_the_same_folder_twice_is_refused(config, tmp_path):
    run("preset", "add", "v", "--sep-type", "40")
    assert run("hotfolder", "add", str(tmp_path / "in"), "--preset", "v").returncode == 0
    again = run("hotfolder", "add", str(tmp_path / "in"), "--preset", "v")
    assert again.returncode == 2 and "already a hot folder" in again.stderr
    assert len(load_settings().hot_folders) == 1


def test_a_preset_the_local_engine_cannot_run_is_kept_with_a_note(config):
    result = run("preset", "add", "sw", "--sep-type", "63")  # no token: the local engine runs jobs
    assert result.returncode == 0
    assert "sep_type 63 is not available on the local engine" in result.stderr
    assert "mvsep-bridge account login" in result.stderr
    assert load_settings().presets["sw"].sep_type == 63


def test_add_after_removing_the_last_folder_and_a_hand_written_array(config, tmp_path):
    run("preset", "add", "v", "--sep-type", "40")
    assert run("hotfolder", "add", str(tmp_path / "a"), "--preset", "v").returncode == 0
    assert run("hotfolder", "remove", str(tmp_path / "a")).returncode == 0
    assert run("hotfolder", "add", str(tmp_path / "b"), "--preset", "v").returncode == 0
    assert [f.path for f in load_settings().hot_folders] == [tmp_path / "b"]

    config.write_text(f'hot_folders = [{{ path = "{tmp_path / "c"}", preset = "v" }}]\n'
                      '[presets.v]\nsep_type = 40\n')
    assert run("hotfolder", "add", str(tmp_path / "d"), "--preset", "v").returncode == 0
    assert [f.path for f in load_settings().hot_folders] == [tmp_path / "c", tmp_path / "d"]
    assert run("hotfolder", "remove", str(tmp_path / "c")).returncode == 0
    assert [f.path for f in load_settings().hot_folders] == [tmp_path / "d"]


def test_folders_that_hold_the_users_own_files_are_refused(config, tmp_path):
    assert run("preset", "add", "vocals", "--sep-type", "40").returncode == 0
    for broad in ("/", os.path.expanduser("~"), os.path.dirname(os.path.expanduser("~"))):
        result = run("hotfolder", "add", broad, "--preset", "vocals")
        assert result.returncode == 2, (broad, result.stderr)
        assert "every file under a hot folder is taken as input" in result.stderr
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder\n")
    uncreatable = run("hotfolder", "add", str(blocker / "drops"), "--preset", "vocals")
    assert uncreatable.returncode == 2 and f"cannot create {blocker / 'drops'}" in uncreatable.stderr
    assert "Traceback" not in uncreatable.stderr
    assert load_settings().hot_folders == []
