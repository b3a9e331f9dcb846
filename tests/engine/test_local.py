"""No token: the local engine runs the same jobs, same states, same manifest shape."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from mvsep_bridge.daemon.audio import codecs

from harness import read_manifest, run_cli, write_wav
from processes import daemon_env

# the keys DESIGN.md "Output" shows
MANIFEST_KEYS = {"job", "source", "algorithm", "output_format", "remote_hash", "credits", "backend", "stems",
                 "other_files"}
SOURCE_KEYS = {"path", "start", "length", "sample_rate", "channels", "frames", "sha256"}
STEM_KEYS = {"name", "file", "sample_rate", "frames", "shift"}


def test_without_a_token_separate_runs_locally_end_to_end(tmp_path):
    source = write_wav(tmp_path / "song.wav", seconds=3.0)
    env = daemon_env(tmp_path / "data")

    result = run_cli(["separate", str(source), "--format", "4", "--start", "0.5", "--length", "2", "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    assert view["state"] == "done" and view["backend"] == "local"
    folder = tmp_path / "song"  # default destination: beside the source
    manifest = read_manifest(folder)
    assert set(manifest) == MANIFEST_KEYS and set(manifest["source"]) == SOURCE_KEYS
    assert manifest["backend"] == "local" and manifest["credits"] == 0
    assert manifest["source"]["frames"] == 96_000 and manifest["source"]["start"] == 0.5
    original, _ = sf.read(source, dtype="float32", always_2d=True)
    section = original[24_000:120_000]
    total = np.zeros_like(section)
    assert len(manifest["stems"]) >= 2
    for stem in manifest["stems"]:
        assert set(stem) == STEM_KEYS
        samples, rate = codecs.decode(folder / stem["file"])
        assert rate == 48_000 and samples.shape == section.shape
        total += samples
    assert np.max(np.abs(total - section)) < 1e-3  # the local stems add up to the section


def test_the_local_engine_refuses_what_it_cannot_do_and_says_what_it_can(tmp_path):
    source = write_wav(tmp_path / "song.wav", seconds=1.0)

    result = run_cli(["separate", str(source), "--sep-type", "999"], daemon_env(tmp_path / "data"))

    assert result.returncode == 2
    assert "999" in result.stderr and "40" in result.stderr  # names a sep_type it can do
    assert not (tmp_path / "song").exists()


def test_the_daemon_without_a_token_serves_the_local_engine(daemons, tmp_path):
    env = daemon_env(tmp_path / "data")
    daemons(env)
    source = write_wav(tmp_path / "take.wav", seconds=1.0)

    result = run_cli(["separate", str(source), "--sep-type", "40", "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    assert view["backend"] == "local" and {s["name"] for s in view["stems"]} == {"vocals", "instrumental"}
    assert read_manifest(tmp_path / "take")["job"] == view["id"]


def test_the_manifest_reads_as_design_md_shows_it(tmp_path):
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    result = run_cli(["separate", str(source), "--sep-type", "40", "--opt", "add_opt1=81", "--json"],
                     daemon_env(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(tmp_path / "song")
    assert manifest["algorithm"]["sep_type"] == 40 and manifest["algorithm"]["options"] == {"add_opt1": 81}
    assert manifest["credits"] == 0 and isinstance(manifest["credits"], int)
    assert manifest["source"]["path"] == str(source) and manifest["source"]["start"] == 0
    assert all("/" not in s["file"] for s in manifest["stems"])  # relative to the manifest's folder


def test_a_source_name_near_the_filesystem_limit_still_gets_its_stems(tmp_path):
    # 246 bytes + ".wav" = 250: the result folder (246 bytes) fits NAME_MAX (255); a temp name
    # built from it plus the job id would not
    name = "take " + "é" * 60 + "x" * (246 - 5 - 120)
    assert len(name.encode()) == 246
    source = write_wav(tmp_path / f"{name}.wav", seconds=1.0)

    result = run_cli(["separate", str(source), "--sep-type", "40", "--json"], daemon_env(tmp_path / "data"))

    assert result.returncode == 0, result.stderr
    manifest = read_manifest(tmp_path / name)
    assert manifest["source"]["path"] == str(source)
    assert all((tmp_path / name / s["file"]).is_file() for s in manifest["stems"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{name}.wav", name, "data"])  # no temp left


def test_the_local_engine_checks_options_as_mvsep_would(tmp_path):
    # a preset or command that works locally must not be refused once a token is set
    source = write_wav(tmp_path / "song.wav", seconds=1.0)

    result = run_cli(["separate", str(source), "--sep-type", "40", "--opt", "add_opt1=abc"],
                     daemon_env(tmp_path / "data"))

    assert result.returncode == 2
    assert "add_opt1" in result.stderr and "'abc'" in result.stderr and "81" in result.stderr
    assert not (tmp_path / "song").exists()


def test_a_folder_of_the_users_where_the_stems_would_go_is_never_replaced(tmp_path):
    source = write_wav(tmp_path / "take.wav", seconds=1.0)
    own = tmp_path / "take"  # e.g. the user's project folder of the same name
    own.mkdir()
    (own / "lyrics.txt").write_text("my lyrics\n")
    env = daemon_env(tmp_path / "data")

    result = run_cli(["separate", str(source), "--sep-type", "40"], env)

    assert result.returncode == 2, result.stderr
    assert f"{own} exists and is not a result of mvsep-bridge" in result.stderr and "--out" in result.stderr
    assert sorted(p.name for p in own.iterdir()) == ["lyrics.txt"]
    # an earlier result is ours to replace, when asked
    again = run_cli(["separate", str(source), "--sep-type", "40", "--out", str(tmp_path / "stems")], env)
    assert again.returncode == 0, again.stderr
    assert run_cli(["separate", str(source), "--sep-type", "20", "--out", str(tmp_path / "stems"), "--replace"],
                   env).returncode == 0
    assert read_manifest(tmp_path / "stems" / "take")["algorithm"]["sep_type"] == 20


def test_the_local_engine_keeps_no_second_copy_of_the_stems(tmp_path):
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    data = tmp_path / "data"

    result = run_cli(["separate", str(source), "--sep-type", "40"], daemon_env(data))

    assert result.returncode == 0, result.stderr
    assert len(read_manifest(tmp_path / "song")["stems"]) == 2
    left = [p.name for p in data.rglob("*") if p.is_file() and p.suffix in (".wav", ".flac")]
    assert left == []  # the data dir does not grow by a job's audio each time


def test_without_a_terminal_separate_reports_each_change_as_a_line(tmp_path):
    """A pipe or a log gets no progress bars: it gets one line per change, and the stems at the end."""
    source = write_wav(tmp_path / "take.wav", seconds=1.0)
    result = run_cli(["separate", str(source), "--sep-type", "40"], daemon_env(tmp_path / "data"))

    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "take.wav: done" in lines
    assert lines.index("take.wav: done") == len(lines) - 1  # nothing after the end
    assert f"take.wav: {tmp_path / 'take'}" in result.stdout.splitlines()
