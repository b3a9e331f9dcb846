"""The pure parts of hot folders on real files: names, stability, claim, sidecar, filing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mvsep_bridge.bridges.hotfolder.claim import Busy, claim, claimed_files, foreign_claims, owner_id
from mvsep_bridge.bridges.hotfolder.filing import file_done, file_failed
from mvsep_bridge.bridges.hotfolder.layout import FolderLayout, is_companion, is_temporary
from mvsep_bridge.bridges.hotfolder.sidecar import merge, read_sidecar
from mvsep_bridge.bridges.hotfolder.stability import StabilityTracker, openable
from mvsep_bridge.daemon.errors import ValidationError
from mvsep_bridge.daemon.settings import Preset


@pytest.fixture
def layout(tmp_path) -> FolderLayout:
    folder = FolderLayout.of(tmp_path / "Stems inbox", "", "hostA-1234abcd")
    folder.ensure()
    return folder


@pytest.mark.parametrize(
    "name",
    ["song.wav.part", "song.WAV.crdownload", "x.tmp", "~$project.wav", ".song.wav", ".DS_Store", "a.partial",
     "Thumbs.db", "desktop.ini"],
)
def test_temporary_and_system_names_are_ignored(name):
    assert is_temporary(name)


@pytest.mark.parametrize("name", ["song.wav", "Ünïcode — naïve.flac", "a b c.mp3", "part.wav", "tmp.flac"])
def test_ordinary_names_are_taken(name):
    assert not is_temporary(name)
    assert not is_companion(name)


def test_sidecars_and_error_notes_are_companions():
    assert is_companion("song.wav.json") and is_companion("song.wav.error.txt")


def test_inbox_excludes_our_folders_and_temporary_parts(layout):
    root = layout.root
    assert layout.inbox_relative(root / "album" / "01 intro.wav") == Path("album/01 intro.wav")
    for ours in ("processing/x/a.wav", "done/a.wav", "failed/a.wav", "out/a/vocals.flac"):
        assert layout.inbox_relative(root / ours) is None
    assert layout.inbox_relative(root / ".hidden" / "a.wav") is None
    assert layout.inbox_relative(root) is None
    assert layout.inbox_relative(root.parent / "elsewhere.wav") is None


def test_destination_defaults_to_out_and_keeps_dropped_structure(tmp_path):
    default = FolderLayout.of(tmp_path / "in", "", "o")
    assert default.destination == tmp_path / "in" / "out"
    custom = FolderLayout.of(tmp_path / "in", str(tmp_path / "stems"), "o")
    assert custom.stems_destination(Path("album/cd1/track.wav")) == tmp_path / "stems" / "album" / "cd1"
    assert custom.inbox_relative(tmp_path / "in" / "out" / "a.wav") == Path("out/a.wav")


def test_a_growing_file_is_stable_only_after_the_settle_time(tmp_path):
    path = tmp_path / "copy.wav"
    path.write_bytes(b"x" * 10)
    tracker = StabilityTracker(settle=1.0)
    assert not tracker.observe(path, path.stat(), now=0.0)  # first look: never
    assert not tracker.observe(path, path.stat(), now=0.9)
    with open(path, "ab") as handle:  # the copy goes on
        handle.write(b"y" * 10)
    assert not tracker.observe(path, path.stat(), now=1.5)
    assert not tracker.observe(path, path.stat(), now=2.4)
    assert tracker.observe(path, path.stat(), now=2.5)


def test_a_touched_file_restarts_the_clock(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(b"abc")
    tracker = StabilityTracker(settle=0.5)
    tracker.observe(path, path.stat(), now=0.0)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    assert not tracker.observe(path, path.stat(), now=0.6)
    assert tracker.observe(path, path.stat(), now=1.1)


def test_openable(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(b"abc")
    assert openable(path)
    path.chmod(0o000)
    try:
        assert openable(path) == (os.geteuid() == 0)  # root reads anything; others see a lock
    finally:
        path.chmod(0o644)
    with pytest.raises(FileNotFoundError):
        openable(tmp_path / "missing.wav")


def test_owner_id_is_stable_per_state_dir(tmp_path):
    first = owner_id(tmp_path / "a")
    assert first == owner_id(tmp_path / "a")
    assert first != owner_id(tmp_path / "b")
    assert "/" not in first


def test_claim_moves_the_file_and_its_sidecar_and_drops_a_stale_note(layout):
    source = layout.root / "album" / "Ünïcode song — take 2.wav"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"RIFF")
    Path(f"{source}.json").write_text('{"sep_type": 40}')
    Path(f"{source}.error.txt").write_text("old failure")

    claimed = claim(layout, source)

    assert claimed == layout.claims / "album" / source.name
    assert claimed.read_bytes() == b"RIFF"
    assert Path(f"{claimed}.json").read_text() == '{"sep_type": 40}'
    assert not source.exists() and not Path(f"{source}.json").exists()
    assert not Path(f"{source}.error.txt").exists()
    assert claimed_files(layout) == [claimed]


def test_claim_of_a_vanished_file_is_lost_and_a_busy_name_waits(layout):
    assert claim(layout, layout.root / "gone.wav") is None
    first = layout.root / "same.wav"
    first.write_bytes(b"1")
    claim(layout, first)
    first.write_bytes(b"2")
    with pytest.raises(Busy):
        claim(layout, first)
    assert first.read_bytes() == b"2"


RACER = """
import sys
from pathlib import Path
from mvsep_bridge.bridges.hotfolder.claim import claim
from mvsep_bridge.bridges.hotfolder.layout import FolderLayout
layout = FolderLayout.of(Path(sys.argv[1]), "", sys.argv[2])
layout.ensure()
sys.stdin.readline()  # start together
names = sorted(p for p in layout.root.iterdir() if p.is_file())
won = [p.name for p in names if claim(layout, p) is not None]
print("\\n".join(won))
"""


def test_two_processes_racing_claim_each_file_exactly_once(tmp_path):
    root = tmp_path / "shared"
    root.mkdir()
    for i in range(300):
        (root / f"f{i:03}.wav").write_bytes(b"x")
    racers = [
        subprocess.Popen([sys.executable, "-c", RACER, str(root), owner], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
        for owner in ("hostA-1", "hostB-2")
    ]
    try:
        for racer in racers:
            racer.stdin.write("go\n")
            racer.stdin.flush()
        wins = [racer.communicate(timeout=60)[0].split() for racer in racers]
    finally:
        for racer in racers:
            racer.kill()
    assert sorted(wins[0] + wins[1]) == [f"f{i:03}.wav" for i in range(300)]
    on_disk = sorted(p.name for p in (root / "processing").rglob("*.wav"))
    assert on_disk == [f"f{i:03}.wav" for i in range(300)]
    a = FolderLayout.of(root, "", "hostA-1")
    assert foreign_claims(a) == [root / "processing" / "hostB-2"]


def test_sidecar_overrides_the_preset(tmp_path):
    audio = tmp_path / "a.wav"
    preset = Preset(sep_type=40, options={"add_opt1": "81"}, output_format=2)
    assert merge(preset, read_sidecar(audio)) == preset  # no sidecar

    Path(f"{audio}.json").write_text(json.dumps({"output_format": 5, "options": {"add_opt2": 1}}))
    assert merge(preset, read_sidecar(audio)) == Preset(
        sep_type=40, options={"add_opt1": "81", "add_opt2": "1"}, output_format=5
    )

    Path(f"{audio}.json").write_text(json.dumps({"sep_type": 20, "options": {"add_opt1": 3}}))
    assert merge(preset, read_sidecar(audio)) == Preset(sep_type=20, options={"add_opt1": "3"}, output_format=2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"sep_typ": 40}', "sep_typ: Extra inputs are not permitted"),
        ('{"sep_type": "forty"}', "sep_type: Input should be a valid integer"),
        ('{"sep_type": 40, "sep_type": 20}', "sets 'sep_type' twice"),
        ('{"options": {"add_opt1": 1, "add_opt1": 2}}', "sets 'add_opt1' twice"),
    ],
)
def test_bad_sidecars_name_the_problem(tmp_path, text, expected):
    audio = tmp_path / "a.wav"
    Path(f"{audio}.json").write_text(text)
    with pytest.raises(ValidationError) as info:
        read_sidecar(audio)
    assert expected in str(info.value)
    assert "a.wav.json" in str(info.value)


def _claimed(layout: FolderLayout, relative: str, body: bytes = b"audio") -> Path:
    source = layout.root / relative
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(body)
    Path(f"{source}.json").write_text("{}")
    return claim(layout, source)


def test_done_keeps_structure_never_overwrites_and_prunes_claim_folders(layout):
    first = file_done(layout, _claimed(layout, "album/song.wav", b"one"))
    second = file_done(layout, _claimed(layout, "album/song.wav", b"two"))
    assert first == layout.done / "album" / "song.wav" and first.read_bytes() == b"one"
    assert second == layout.done / "album" / "song (2).wav" and second.read_bytes() == b"two"
    assert Path(f"{second}.json").exists()
    assert not (layout.claims / "album").exists() and layout.claims.is_dir()


def test_failed_gets_a_note_with_the_reason_and_how_to_retry(layout):
    name = "long name " * 10 + ".wav"
    filed = file_failed(layout, _claimed(layout, name), "cannot decode: not audio")
    note = Path(f"{filed}.error.txt").read_text()
    assert filed == layout.failed / name and filed.read_bytes() == b"audio"
    assert "Why: cannot decode: not audio" in note
    assert f"back into {layout.root}" in note and "To retry" in note
    assert Path(f"{filed}.json").exists()


def test_a_second_failure_of_the_same_name_keeps_both_with_their_notes(layout):
    first = file_failed(layout, _claimed(layout, "a.wav", b"1"), "reason one")
    second = file_failed(layout, _claimed(layout, "a.wav", b"2"), "reason two")
    assert (first, second) == (layout.failed / "a.wav", layout.failed / "a (2).wav")
    assert "reason one" in Path(f"{first}.error.txt").read_text()
    assert "reason two" in Path(f"{second}.error.txt").read_text()
    assert second.read_bytes() == b"2"


def test_companion_names_are_cut_to_fit_the_filesystem(tmp_path):
    from mvsep_bridge.bridges.hotfolder.layout import error_note_of, sidecar_of

    audio = tmp_path / ("é" * 125 + ".wav")  # 254 bytes
    audio.write_bytes(b"x")
    for companion in (error_note_of(audio), sidecar_of(audio)):
        assert len(os.fsencode(companion.name)) <= 255
        companion.write_text("fits")  # the filesystem accepts it
        assert is_companion(companion.name)
    assert error_note_of(tmp_path / "a.wav").name == "a.wav.error.txt"


def test_filing_a_file_whose_folder_was_deleted_recreates_nothing(layout):
    import shutil

    claimed = _claimed(layout, "a.wav")
    shutil.rmtree(layout.root)
    with pytest.raises(FileNotFoundError):
        file_failed(layout, claimed, "the job failed")
    with pytest.raises(FileNotFoundError):
        file_done(layout, claimed)
    assert not layout.root.exists()


def test_a_name_whose_stems_exist_is_claimed_under_the_next_free_name(layout):
    (layout.destination / "album" / "song").mkdir(parents=True)  # an earlier result
    (layout.destination / "album" / "song (2)").mkdir()
    source = layout.root / "album" / "song.wav"
    source.parent.mkdir()
    source.write_bytes(b"again")
    Path(f"{source}.json").write_text("{}")
    claimed = claim(layout, source)
    assert claimed == layout.claims / "album" / "song (3).wav"
    assert Path(f"{claimed}.json").exists()
    assert file_done(layout, claimed) == layout.done / "album" / "song (3).wav"


def test_the_root_and_the_home_folder_are_too_broad_for_a_hot_folder(tmp_path):
    home = Path.home().absolute()
    for broad in (Path("/"), home, home.parent):
        assert FolderLayout.of(broad, "", owner="x").too_broad(), broad
    assert not FolderLayout.of(home / "Stems" / "vocals", "", owner="x").too_broad()
    assert not FolderLayout.of(tmp_path / "drops", "", owner="x").too_broad()
