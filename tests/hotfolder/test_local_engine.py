"""Hot folders without a token (the local engine): names, dropped folders, bad files, sidecars,
a folder that disappears. Real daemon process, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import soundfile as sf

from .world import RATE, Daemon, listing, manifest, tone, wait_for, write_config
from processes import CLI, daemon_env

LONG = "Ünïcødé café — a very long title with spaces, (live) [remastered] " * 2  # ~140 chars, 160 bytes


def _drop(staged: Path, inbox: Path) -> Path:
    """Move a staged file or folder in, as a file manager does: it appears complete, at once."""
    target = inbox / staged.name
    os.rename(staged, target)
    return target


def test_a_drop_of_odd_names_and_a_folder_keeps_its_structure(hot, tmp_path):
    hot.configure({})  # the local engine's default algorithm
    daemon = hot.daemon()
    staging = tmp_path / "staging"
    long_name = f"{LONG.strip()}.wav"
    tone(staging / long_name, seconds=1.0, seed=1)
    album = staging / "Album ß"
    tone(album / "CD 1" / "01 intro.wav", seconds=1.0, seed=2)
    tone(album / "02 outro.wav", seconds=1.0, seed=3)
    _drop(staging / long_name, hot.inbox)
    _drop(album, hot.inbox)

    expected = ["Album ß/02 outro.wav", "Album ß/CD 1/01 intro.wav", long_name]
    wait_for(lambda: listing(hot.done) == expected, 120, what="three files in done/", logs=daemon.log)
    for relative in expected:
        stems_dir = hot.out / Path(relative).with_suffix("")
        result = manifest(stems_dir)
        assert result["backend"] == "local"
        assert result["stems"], relative
        for stem in result["stems"]:
            assert sf.info(str(stems_dir / stem["file"])).frames == RATE
    wait_for(lambda: not (hot.inbox / "Album ß").exists(), 30, what="the emptied album folder to go", logs=daemon.log)
    assert listing(hot.failed) == [] and listing(hot.inbox / "processing") == []


def test_bad_files_go_to_failed_with_the_reason_and_temporary_names_stay(hot, tmp_path):
    hot.configure({})
    daemon = hot.daemon()
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "notes.txt").write_text("these are my notes, not audio\n")
    (staging / "fake.wav").write_bytes(b"RIFF....WAVEfmt nonsense" * 10)
    (staging / "empty.wav").write_bytes(b"")
    tone(staging / "broken sidecar.wav", seed=4)
    (staging / "broken sidecar.wav.json").write_text("{sep_type: 40")
    tone(staging / "typo sidecar.wav", seed=5)
    (staging / "typo sidecar.wav.json").write_text(json.dumps({"sep_typ": 40}))
    tone(staging / "unknown algorithm.wav", seed=6)
    (staging / "unknown algorithm.wav.json").write_text(json.dumps({"sep_type": 99999}))
    tone(staging / "as wav.wav", seed=7)
    (staging / "as wav.wav.json").write_text(json.dumps({"output_format": 1}))
    temporary = ["song.wav.part", "song.wav.crdownload", "x.tmp", "~$lock.wav", ".hidden.wav"]
    for name in temporary:
        tone(staging / name, seed=8)
    for path in sorted(staging.iterdir(), key=lambda p: p.suffix == ".json", reverse=True):
        _drop(path, hot.inbox)  # sidecars first, as a careful user would

    bad = ["broken sidecar.wav", "empty.wav", "fake.wav", "notes.txt", "typo sidecar.wav", "unknown algorithm.wav"]
    wait_for(lambda: all((hot.failed / f"{n}.error.txt").exists() for n in bad), 120, what="six failures", logs=daemon.log)
    wait_for(lambda: (hot.done / "as wav.wav").exists(), 120, what="the good file", logs=daemon.log)

    def why(name: str) -> str:
        assert (hot.failed / name).exists(), name  # the file itself is kept, never lost
        return (hot.failed / f"{name}.error.txt").read_text()

    assert "the file is empty (0 bytes)" in why("empty.wav")
    for name in ("notes.txt", "fake.wav"):
        assert "cannot decode" in why(name) or "not audio" in why(name), why(name)
    assert "broken sidecar.wav.json is not valid JSON" in why("broken sidecar.wav")
    assert "sep_typ: Extra inputs are not permitted" in why("typo sidecar.wav")
    assert "valid keys: sep_type, options, output_format" in why("typo sidecar.wav")
    assert "99999" in why("unknown algorithm.wav")
    for name in bad:
        note = why(name)
        assert f"back into {hot.inbox}" in note and "To retry" in note
    for name in ("broken sidecar.wav", "typo sidecar.wav", "unknown algorithm.wav"):
        assert (hot.failed / f"{name}.json").exists()  # the sidecar travels with its file
    stems = manifest(hot.out / "as wav")["stems"]
    assert stems and all(s["file"].endswith(".wav") for s in stems)  # the sidecar's format won
    assert sorted(p.name for p in hot.inbox.iterdir() if p.is_file()) == sorted(temporary)
    assert daemon.alive()


def test_a_failed_file_moved_back_is_retried(hot, tmp_path):
    hot.configure({})
    daemon = hot.daemon()
    tone(tmp_path / "song.wav", seed=9)
    (tmp_path / "song.wav.json").write_text(json.dumps({"output_format": 42}))
    _drop(tmp_path / "song.wav.json", hot.inbox)
    _drop(tmp_path / "song.wav", hot.inbox)
    wait_for(lambda: (hot.failed / "song.wav.error.txt").exists(), 60, what="the failure", logs=daemon.log)
    assert "unknown output_format 42" in (hot.failed / "song.wav.error.txt").read_text()

    # the user fixes the sidecar and moves both back, as the note says (no result exists yet:
    # the name is kept)
    (hot.failed / "song.wav.json").write_text(json.dumps({"output_format": 2}))
    os.rename(hot.failed / "song.wav.json", hot.inbox / "song.wav.json")
    os.rename(hot.failed / "song.wav", hot.inbox / "song.wav")
    wait_for(lambda: (hot.done / "song.wav").exists(), 60, what="the retry in done/", logs=daemon.log)
    assert manifest(hot.out / "song")["stems"]


def test_the_watched_folder_deleted_or_renamed_keeps_the_daemon_up(hot, tmp_path):
    hot.configure({})
    daemon = hot.daemon()
    shutil.rmtree(hot.inbox)
    daemon.wait_log("hot folder is gone")
    hot.inbox.mkdir()
    daemon.wait_log("back, watching again")
    _drop(tone(tmp_path / "after delete.wav", seed=10), hot.inbox)
    wait_for(lambda: (hot.done / "after delete.wav").exists(), 60, what="the file in the recreated folder", logs=daemon.log)

    moved = hot.root / "renamed away"
    os.rename(hot.inbox, moved)
    daemon.wait_log("hot folder is gone", count=2)
    _drop(tone(tmp_path / "while away.wav", seed=11), moved)  # dropped while it had another name
    os.rename(moved, hot.inbox)
    daemon.wait_log("back, watching again", count=2)
    wait_for(lambda: (hot.done / "while away.wav").exists(), 60, what="the file dropped while it was away", logs=daemon.log)
    assert daemon.alive()


def test_a_name_at_the_filesystem_limit_is_handled_not_stuck(hot, tmp_path):
    hot.configure({})
    daemon = hot.daemon()
    name = "é" * 125 + ".wav"  # 254 bytes: the sidecar and note names must be cut to fit
    os.rename(tone(tmp_path / name, seed=12), hot.inbox / name)
    wait_for(lambda: listing(hot.done) or listing(hot.failed), 60, what="done/ or failed/", logs=daemon.log)
    assert listing(hot.failed) == [] and listing(hot.done) == [name]
    stems = hot.out / name[:-4]
    # filed: the manifest names done/ (rewritten just after the move, atomically)
    wait_for(lambda: manifest(stems)["source"]["path"] == str(hot.done / name), 30, what="the filed manifest")
    assert sorted(p.name for p in stems.iterdir()) == [
        "bass.flac", "drums.flac", "manifest.json", "other.flac", "vocals.flac"]
    assert listing(hot.inbox / "processing") == [] and daemon.alive()


def test_a_folder_filled_in_place_a_late_sidecar_and_a_link(hot, tmp_path):
    hot.configure({}, settle=2.0)  # margin over the test's own 0.3-0.5 s pauses on a busy machine
    daemon = hot.daemon()
    live = hot.inbox / "Live set"
    live.mkdir()
    for i in range(3):  # like `cp -r`: the folder first, then its files one by one
        shutil.copyfile(tone(tmp_path / f"{i}.wav", seed=20 + i), live / f"part {i}.wav")
        time.sleep(0.3)
    shutil.copyfile(tone(tmp_path / "late.wav", seed=30), hot.inbox / "late.wav")
    time.sleep(0.5)
    (hot.inbox / "late.wav.json").write_text(json.dumps({"output_format": 1}))
    os.symlink(tone(tmp_path / "elsewhere" / "linked.wav", seed=31), hot.inbox / "linked.wav")

    expected = ["Live set/part 0.wav", "Live set/part 1.wav", "Live set/part 2.wav", "late.wav",
                "late.wav.json", "linked.wav"]
    wait_for(lambda: listing(hot.done) == expected, 60, what="all in done/", logs=daemon.log)
    assert all(s["file"].endswith(".wav") for s in manifest(hot.out / "late")["stems"])
    for stems_dir in [hot.out / "Live set" / f"part {i}" for i in range(3)] + [hot.out / "linked"]:
        assert manifest(stems_dir)["stems"], stems_dir
    assert (tmp_path / "elsewhere" / "linked.wav").exists()  # a link's target is never moved


def test_misconfigured_folders_are_skipped_with_the_reason_and_the_others_run(hot, tmp_path):
    orphan, loop = tmp_path / "orphan folder", tmp_path / "loop folder"
    orphan.mkdir()
    write_config(hot.config, presets={"p": {}}, folders=[
        {"path": orphan, "preset": "nope", "settle_seconds": 0.5},
        {"path": loop, "preset": "p", "destination": loop},  # stems would be taken as input
        {"path": hot.inbox, "preset": "p", "settle_seconds": 0.5},
    ])
    daemon = hot.daemon()
    assert "unknown preset 'nope' (presets: p); folder not watched" in daemon.log()
    assert f"{loop}: destination {loop} would mix stems with the folder's own files" in daemon.log()
    os.rename(tone(tmp_path / "a.wav", seed=40), hot.inbox / "a.wav")
    tone(orphan / "b.wav", seed=41)
    wait_for(lambda: (hot.done / "a.wav").exists(), 60, what="the watched folder's file", logs=daemon.log)
    assert (orphan / "b.wav").exists() and not (orphan / "processing").exists()


def test_hotfolder_add_and_remove_apply_to_a_running_daemon(hot, tmp_path):
    write_config(hot.config, presets={}, folders=[])  # a daemon started without any hot folder
    daemon = Daemon(tmp_path / "daemon.log", daemon_env(tmp_path / "data", config=hot.config)).start()
    hot.daemons.append(daemon)
    daemon.wait_log("bridge hotfolder started")
    second = tmp_path / "second folder"

    def cli(*args: str) -> None:
        result = subprocess.run([CLI, *args], env=daemon.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr

    cli("preset", "add", "live", "--sep-type", "40")
    cli("hotfolder", "add", str(second), "--preset", "live", "--settle", "0.5")
    daemon.wait_log(f"{second}: watching")
    os.rename(tone(tmp_path / "one.wav", seed=50), second / "one.wav")
    wait_for(lambda: (second / "done" / "one.wav").exists(), 60, what="the new folder's file", logs=daemon.log)
    assert [s["name"] for s in manifest(second / "out" / "one")["stems"]] == ["vocals", "instrumental"]

    cli("hotfolder", "add", str(hot.inbox), "--preset", "live", "--settle", "0.5")
    cli("hotfolder", "remove", str(second))
    daemon.wait_log(f"{second}: no longer watched")
    tone(second / "two.wav", seed=51)
    os.rename(tone(tmp_path / "three.wav", seed=52), hot.inbox / "three.wav")
    wait_for(lambda: (hot.done / "three.wav").exists(), 60, what="the still-watched folder's file", logs=daemon.log)
    assert (second / "two.wav").exists()  # the removed folder is left alone


def test_a_file_dropped_again_gets_its_own_result_and_the_first_stays(hot, tmp_path):
    hot.configure({})
    daemon = hot.daemon()
    os.rename(tone(tmp_path / "song.wav", seed=60), hot.inbox / "song.wav")
    wait_for(lambda: (hot.done / "song.wav").exists() and
             manifest(hot.out / "song")["source"]["path"] == str(hot.done / "song.wav"), 60, what="the first, filed", logs=daemon.log)
    first = manifest(hot.out / "song")
    os.rename(tone(tmp_path / "song.wav", seed=61), hot.inbox / "song.wav")  # another take, same name
    wait_for(lambda: (hot.done / "song (2).wav").exists(), 60, what="the second", logs=daemon.log)
    assert manifest(hot.out / "song") == first  # untouched
    second = manifest(hot.out / "song (2)")
    assert second["source"]["sha256"] != first["source"]["sha256"]
    assert listing(hot.done) == ["song (2).wav", "song.wav"]


def test_the_manifest_names_the_source_where_it_was_filed(hot, tmp_path):
    hot.configure({})
    daemon = hot.daemon()
    staging = tmp_path / "staging"
    tone(staging / "set" / "take one.wav", seconds=1.0, seed=7)
    _drop(staging / "set", hot.inbox)

    filed = hot.done / "set" / "take one.wav"

    def recorded() -> Path | None:
        try:
            return Path(manifest(hot.out / "set" / "take one")["source"]["path"])
        except FileNotFoundError:
            return None  # no stems yet

    wait_for(lambda: recorded() == filed, 120, what="the manifest to name the filed source", logs=daemon.log)
    assert filed.is_file() and listing(hot.done) == ["set/take one.wav"]
