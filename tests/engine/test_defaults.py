"""A job without --sep-type: the default is an algorithm MVSEP's catalog has, gives the same stems
on both backends, and is named in `separate --help` and the README."""

from __future__ import annotations

import json
from pathlib import Path

from mvsep_bridge.daemon.jobs.model import DEFAULT_SEP_TYPE

from harness import read_manifest, run_cli, write_wav
from processes import daemon_env

README = Path(__file__).resolve().parents[2] / "README.md"
CATALOG = Path(__file__).resolve().parents[2] / "daemon" / "data" / "algorithms.json"


def test_separate_without_sep_type_gives_the_same_stems_on_mvsep_and_on_the_local_engine(emulator, tmp_path):
    account = emulator.create_account()
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    remote_env = daemon_env(tmp_path / "data-mvsep", emulator.base_url, account.token)
    local_env = daemon_env(tmp_path / "data-local")

    remote = run_cli(["separate", str(source), "--out", str(tmp_path / "mvsep")], remote_env)
    local = run_cli(["separate", str(source), "--out", str(tmp_path / "local")], local_env)

    assert remote.returncode == 0, remote.stderr
    assert local.returncode == 0, local.stderr
    on_mvsep, on_local = read_manifest(tmp_path / "mvsep" / "song"), read_manifest(tmp_path / "local" / "song")
    assert on_mvsep["algorithm"]["sep_type"] == on_local["algorithm"]["sep_type"] == 20
    stems = {s["name"] for s in on_mvsep["stems"]}
    assert stems == {s["name"] for s in on_local["stems"]} == {"vocals", "drums", "bass", "other"}
    assert on_mvsep["credits"] >= 1  # a real job on the (emulated) server, paid, not refused


def test_the_default_is_in_the_real_catalog_and_named_where_users_look(tmp_path):
    entries = {a["render_id"]: a for a in json.loads(CATALOG.read_text())}
    assert DEFAULT_SEP_TYPE in entries and entries[DEFAULT_SEP_TYPE]["is_active"] == 1
    assert "Demucs4 HT" in entries[DEFAULT_SEP_TYPE]["name"]
    help_text = run_cli(["separate", "--help"], daemon_env(tmp_path / "data")).stdout
    assert "default 20" in " ".join(help_text.split()) and "Demucs4 HT" in help_text
    assert "# sep_type 20 (Demucs4 HT): vocals, drums, bass, other" in README.read_text()
