"""The real actions in lupa against the fake REAPER, the real daemon on the emulator: items in,
stems out on aligned tracks, checked sample by sample from the files and the item properties."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from .model import Source
from .world import EDGE, install, music, run_until

SEPARATE = "mvsep_Separate selected items.lua"
ALGORITHM = 40  # "BS Roformer (vocals, instrumental)" in the bundled catalog


def played(item, take=None) -> tuple[np.ndarray, int]:
    """The frames of its file a take (the active one) plays, in file order, as REAPER reads its
    properties; frames before the file's start are silence."""
    take = take or item.active_take
    source, a, b = take.source.file_map()
    rate = source.sample_rate
    offset, playrate = take.values["D_STARTOFFS"], take.values["D_PLAYRATE"]
    t0, t1 = a + b * offset, a + b * (offset + item.values["D_LENGTH"] * playrate)
    first = int(np.floor(min(t0, t1) * rate + 0.5))
    count = int(np.floor(abs(t1 - t0) * rate + 0.5))
    samples, file_rate = sf.read(source.filename, always_2d=True)
    assert file_rate == rate
    lead = max(0, -first)  # silence before the file's start
    silence = np.zeros((lead, samples.shape[1]))
    return np.concatenate([silence, samples[max(first, 0):first + count]])[:count], rate


@pytest.fixture
def studio(spool_world, fake, tmp_path):
    """Two project tabs; project A has the items of every kind the issue lists."""
    world = spool_world
    a = fake.current
    media = Path(a.media_dir)
    mono48 = Source.from_file(music(media / "drums 48k mono.wav", 4.0, 48_000, 1, seed=1))
    stereo44 = Source.from_file(music(media / "bass 44k stereo.wav", 4.0, 44_100, 2, seed=2))
    long44 = Source.from_file(music(media / "guitar take.wav", 6.0, 44_100, 2, seed=3))
    drums = fake.add_track(a, "Drums")
    bass = fake.add_track(a, "Bass")
    gtr = fake.add_track(a, "Gtr")
    fake.add_track(a, "Below")
    items = {
        "offset": fake.add_item(drums, mono48, position=1.0, length=1.2, offset=0.7, D_FADEINLEN=0.05),
        "half speed": fake.add_item(drums, mono48, position=3.0, length=1.6, offset=0.2, playrate=0.5),
        "1.5x": fake.add_item(bass, stereo44, position=0.5, length=1.5, offset=0.5, playrate=1.5, B_PPITCH=1.0,
                              I_CHANMODE=2.0),
        "section": fake.add_item(gtr, Source.section(long44, 1.5, 3.0), position=2.0, length=1.0, offset=0.4),
        "reversed": fake.add_item(gtr, Source.section(long44, 2.0, 2.5, reverse=True), position=4.0, length=1.0,
                                  offset=0.3),
    }
    fake.add_item(gtr, stereo44, position=8.0, length=1.0, selected=False)  # not selected: left alone
    b = fake.add_project(tmp_path / "other" / "other.rpp", tmp_path / "other" / "Media", activate=False)
    fake.add_track(b, "Elsewhere")
    scripts = install(fake, world.env)
    world.start()
    world.catalog()
    return world, scripts, a, b, items


def algorithm_name(world) -> str:
    catalog = json.loads((world.spool / "catalog.json").read_text())["algorithms"]
    return next(x["name"] for x in catalog if x["sep_type"] == ALGORITHM)


def choose_defaults(fake, spool: Path) -> None:
    """The user picks algorithm 40 and keeps every default, then flac."""
    catalog = json.loads((spool / "catalog.json").read_text())["algorithms"]
    algorithm = next(x for x in catalog if x["sep_type"] == ALGORITHM)
    fake.menu_choices = [algorithm["name"]] + [
        f"{field['text']}: {next(c['label'] for c in field['choices'] if c['key'] == field['default'])}"
        for field in algorithm["fields"]] + ["Output: flac (16 bit)"]


def test_stems_land_aligned_in_the_project_that_asked(studio, fake):
    world, scripts, a, b, items = studio
    choose_defaults(fake, world.spool)
    # the daemon frozen while the action runs: the action must not wait on it
    as_it_was = a.describe()
    os.kill(world.daemon.process.pid, signal.SIGSTOP)
    try:
        fake.run(scripts / SEPARATE)
    finally:
        os.kill(world.daemon.process.pid, signal.SIGCONT)
    estimate = fake.messages[-1][0]
    assert estimate.startswith("Separate 5 items") and "Estimated cost: about" in estimate, fake.messages
    assert json.loads(fake.ext_state[("mvsep_bridge", "last")])["sep_type"] == ALGORITHM
    assert [k for k in a.ext_state if k[1].startswith("batch:")], "the batch is kept in the project"
    reads = count_reads(fake, world.spool)

    fake.current = b  # the user switches tabs while the job runs
    before = len(a.changes)
    run_until(fake, world, lambda: a.undo_points, "the inserts")
    assert fake.console == [], fake.console

    # one undo block, every insert inside it with the UI refresh held; the other tab untouched
    assert a.undo_points == [f"MVSEP: insert stems of 5 items on 3 tracks ({algorithm_name(world)})"]
    inserted = a.changes[before:]
    assert inserted and all(depth == 1 and held for _, depth, held in inserted), inserted
    assert [t.name for t in b.tracks] == ["Elsewhere"] and not b.changes
    assert not [k for k in a.ext_state if k[1].startswith("batch:")]
    assert not list((world.spool / "status").glob("*.json")), "status files are consumed"
    assert max_per_second(list(reads.values())) <= 5, "the follower reads a few spool files a second at most"

    names = [t.name for t in a.tracks]
    assert names == ["Drums", "Drums – vocals", "Drums – instrumental", "Bass", "Bass – vocals",
                     "Bass – instrumental", "Gtr", "Gtr – vocals", "Gtr – instrumental", "Below"]
    for label, original in items.items():
        track = original.track
        stems = [t for t in a.tracks if t.name.startswith(track.name + " – ")]
        expected, rate = played(original)
        total = np.zeros_like(expected)
        for stem_track in stems:
            stem = next(i for i in stem_track.items if i.values["D_POSITION"] == pytest.approx(original.values["D_POSITION"]))
            check_same_playback(original, stem, label)
            # played in the same direction (a reversed section gives a reversed stem)
            assert stem.active_take.source.file_map()[2] == original.active_take.source.file_map()[2], label
            stem_file = stem.active_take.source.file_map()[0].filename
            assert Path(stem_file).is_relative_to(Path(a.media_dir) / "MVSEP"), stem_file
            info = sf.info(stem_file)
            assert (info.samplerate, info.channels) == (rate, expected.shape[1]), label
            samples, _ = played(stem)
            assert samples.shape == expected.shape, (label, samples.shape, expected.shape)
            total += samples
        error = np.abs(total - expected)[EDGE:-EDGE].max()
        shifted = np.abs(total[EDGE:-EDGE] - expected[EDGE - 1:-EDGE - 1]).max()
        assert error < 1e-3 and shifted > 20 * error, f"{label}: off by {error} (one sample off: {shifted})"
    # each source file's stems in a folder of their own: no job replaces what another item plays
    stem_files = {i.active_take.source.file_map()[0].filename for t in a.tracks if " – " in t.name for i in t.items}
    assert len(stem_files) == 2 * len(items)
    # one Ctrl+Z and the project is as it was before the action
    assert fake.undo(a) == f"MVSEP: insert stems of 5 items on 3 tracks ({algorithm_name(world)})"
    assert a.describe() == as_it_was


def check_same_playback(original, stem, label):
    o_item, s_item = original.values, stem.values
    o_take, s_take = original.active_take.values, stem.active_take.values
    for key in ("D_POSITION", "D_LENGTH", "D_VOL", "D_FADEINLEN", "D_FADEOUTLEN"):
        assert s_item[key] == pytest.approx(o_item[key]), (label, key)
    for key in ("D_PLAYRATE", "B_PPITCH", "D_PITCH", "I_CHANMODE", "D_VOL", "D_PAN"):
        assert s_take[key] == pytest.approx(o_take[key]), (label, key)
    assert s_item["B_LOOPSRC"] == 0


def count_reads(fake, spool: Path) -> dict:
    """Instrument the running script's Lua io.open: when it opens a file in the spool."""
    reads = fake.lua.table()
    fake.lua.globals().spool_reads = reads
    fake.lua.execute(f"""
        local open, root = io.open, {json.dumps(str(spool))}
        io.open = function(path, mode)
            if path:sub(1, #root) == root and (mode or 'r'):find('r') then
                spool_reads[#spool_reads + 1] = reaper.time_precise()
            end
            return open(path, mode)
        end
    """)
    return reads


def max_per_second(times: list[float]) -> int:
    return max((sum(1 for u in times if t <= u < t + 1.0) for t in times), default=0)


def test_the_jobs_window_shows_progress_cancels_and_a_deleted_track_is_reported(studio, fake, emulator):
    world, scripts, a, b, items = studio
    emulator.configure(processing_seconds=4.0)
    choose_defaults(fake, world.spool)
    fake.run(scripts / SEPARATE)
    fake.run(scripts / "mvsep_Show separation jobs.lua")
    window_reads = count_reads(fake, world.spool)
    gfx = fake.gfx
    run_until(fake, world, lambda: any(" - remote" in line for line in fake.drawn), "a job on the server")
    rows = [line for line in fake.drawn if line.startswith("item ")]
    assert len(rows) == 5, fake.drawn
    first = items["offset"]
    row = next(n for n, line in enumerate(rows, 1) if line.startswith("item 1 on track 'Drums'"))
    a.tracks.remove(items["1.5x"].track)  # the user deletes the Bass track meanwhile
    fake.menu_choices = [1]  # "Cancel <that item>"
    gfx.mouse_y, gfx.mouse_cap = 10 + row * 20 + 5, 1
    fake.tick()
    gfx.mouse_cap = 0
    assert fake.menus[-1].startswith("Cancel item 1 on track 'Drums'")
    run_until(fake, world, lambda: a.undo_points, "the inserts")
    assert a.undo_points == [f"MVSEP: insert stems of 5 items on 3 tracks ({algorithm_name(world)})"]  # the job's
    assert 0 < max_per_second(list(window_reads.values())) <= 1, "the window draws from memory, not files"
    console = "".join(fake.console)
    assert "item 1 on track 'Drums' at 1.000 s (take 'drums 48k mono'): cancelled" in console
    assert "item 1 on track 'Bass' at 0.500 s (take 'bass 44k stereo'): its track was deleted; the results are in" in console
    drum_stems = [i for t in a.tracks if t.name.startswith("Drums – ") for i in t.items]
    assert [i.values["D_POSITION"] for i in drum_stems] == [3.0, 3.0]  # only the half-speed item's
    assert not [t for t in a.tracks if t.name.startswith("Bass")]
    assert first.track.items[0] is first  # the original stays as it was
    # the window says so when nothing is left, and closes with the window
    run_until(fake, world, lambda: "No separation job is running." in fake.drawn, "the empty list")
    fake.gfx_char = -1
    fake.tick(2)
    assert not fake.deferred


def test_a_project_closed_mid_job_gets_its_stems_when_opened_again(studio, fake):
    world, scripts, a, b, items = studio
    for item in items.values():
        item.values["B_UISEL"] = 0.0
    items["section"].values["B_UISEL"] = 1.0
    choose_defaults(fake, world.spool)
    fake.run(scripts / SEPARATE)
    (batch,) = [json.loads(v) for (_, k), v in a.ext_state.items() if k.startswith("batch:")]
    request = batch["entries"][0]["request"]
    fake.deferred.clear()  # REAPER quits: its defer loops end with it
    a.open = False
    fake.current = b
    assert world.wait_status(request, ("done", "failed"))["state"] == "done"
    fake.clock += 60  # later: REAPER starts again (its startup script runs), the project is opened
    fake.run(fake.resource_path / "Scripts" / "__startup.lua")
    fake.tick(60)
    assert not a.undo_points
    a.open = True
    run_until(fake, world, lambda: a.undo_points, "the inserts after reopening")
    assert a.undo_points == [f"MVSEP: insert stems of item 1 on track 'Gtr' at 2.000 s (take '') ({algorithm_name(world)})"]
    stems = [i for t in a.tracks if t.name.startswith("Gtr – ") for i in t.items]
    assert len(stems) == 2 and all(i.values["D_POSITION"] == 2.0 for i in stems)
    assert not [k for k in a.ext_state if k[1].startswith("batch:")] and fake.console == []
    assert fake.deferred, "the background follower keeps going for projects opened later"


def test_cancel_all_ends_every_job_without_inserting_anything(studio, fake, emulator):
    world, scripts, a, b, items = studio
    emulator.configure(processing_seconds=5.0)
    choose_defaults(fake, world.spool)
    fake.run(scripts / SEPARATE)
    tracks_before = [t.name for t in a.tracks]
    fake.run(scripts / "mvsep_Cancel all separation jobs.lua")
    assert fake.messages[-1] == ("Cancelling 5 requests.", "MVSEP Bridge")
    run_until(fake, world, lambda: not fake.deferred, "the follower to end")
    assert [t.name for t in a.tracks] == tracks_before and a.undo_points == []
    console = "".join(fake.console)
    assert console.count(": cancelled") == 5, console
    assert not [k for k in a.ext_state if k[1].startswith("batch:")]


def test_stems_as_takes_in_a_folder_with_the_originals_muted(studio, fake):
    world, scripts, a, b, items = studio
    for key, value in (("folder", "y"), ("mute_original", "y"), ("as_takes", "y")):
        fake.ext_state[("mvsep_bridge", key)] = value
    for label, item in items.items():
        item.values["B_UISEL"] = float(label in ("offset", "reversed"))
    a.time_selection = (1.2, 5.5)
    fake.ext_state[("mvsep_bridge", "last")] = json.dumps({"sep_type": ALGORITHM, "options": {}, "output_format": 2})
    fake.run(scripts / "mvsep_Separate time selection of selected items.lua")
    run_until(fake, world, lambda: a.undo_points, "the inserts")
    assert fake.console == []
    offset, reversed_ = items["offset"], items["reversed"]
    assert offset.values["B_MUTE"] == 1 and reversed_.values["B_MUTE"] == 1
    # the offset item got its stems as takes (the active take stays the original) ...
    assert [t.name for t in offset.takes] == ["drums 48k mono", "vocals", "instrumental"]
    assert offset.active_take is offset.takes[0]
    expected, _ = played(offset)
    start = round((1.2 - offset.values["D_POSITION"]) * 48_000)  # the time selection cut the item's start
    total = sum(played(offset, take)[0] for take in offset.takes[1:])
    assert np.all(total[:start] == 0)  # before the selection: nothing separated, silence
    error = np.abs(total[start:] - expected[start:])[EDGE:-EDGE].max()
    assert error < 1e-3, error
    # ... a reversed take cannot be a reversed stem take: its stems went to tracks, in a folder
    names = [(t.name, int(t.values["I_FOLDERDEPTH"])) for t in a.tracks]
    assert names[names.index(("Gtr", 1)):] == [("Gtr", 1), ("Gtr – vocals", 0), ("Gtr – instrumental", -1), ("Below", 0)]


def test_the_start_daemon_action_starts_it_and_waiting_requests_go_out(spool_world, fake):
    world = spool_world  # no daemon yet
    scripts = install(fake, world.env)
    config = json.loads((scripts / "mvsep-bridge.json").read_text())
    assert Path(config["daemon"]).name == "mvsep-bridge" and os.access(config["daemon"], os.X_OK)
    track = fake.add_track(fake.current, "Vox")
    fake.add_item(track, Source.from_file(music(Path(fake.current.media_dir) / "v.wav", 2.0, 44_100, 2)),
                  position=0.0, length=1.0)
    fake.ext_state[("mvsep_bridge", "last")] = json.dumps({"sep_type": ALGORITHM, "options": {}, "output_format": 2})
    fake.run(scripts / "mvsep_Separate selected items (last settings).lua")
    assert "Start daemon (MVSEP Bridge)" in fake.messages[-1][0]
    fake.exec_env = world.env  # REAPER runs commands in the user's environment
    fake.run(scripts / "mvsep_Start daemon.lua")
    assert fake.console[-1].startswith("MVSEP Bridge: starting the mvsep-bridge daemon")
    project = fake.current
    run_until(fake, world, lambda: project.undo_points, "stems from the daemon the action started")
    assert [t.name for t in project.tracks] == ["Vox", "Vox – vocals", "Vox – instrumental"]
    fake.run(scripts / "mvsep_Start daemon.lua")
    assert fake.messages[-1][0] == "The mvsep-bridge daemon is running."
    assert len(fake.processes) == 1


def test_takes_with_fx_and_stretch_markers_are_separated_as_heard(spool_world, fake):
    """The default for such takes: REAPER renders them, the render is undone, the stems play what
    the item played (the gain of its FX, the 2x part of its stretch markers) where it played it."""
    world = spool_world
    project = fake.current
    vox_file = music(Path(project.media_dir) / "vox.wav", 4.0, 44_100, 2, seed=4)
    vox = Source.from_file(vox_file)
    track = fake.add_track(project, "Vox")
    fake.add_track(project, "Below")
    louder = fake.add_item(track, vox, position=1.0, length=1.5, offset=0.3, D_FADEINLEN=0.1)
    louder.active_take.fx = [0.5, 3.0]  # two gains in a chain: 1.5 in all
    stretched = fake.add_item(track, vox, position=3.0, length=1.0, offset=0.2)
    stretched.active_take.stretch_markers = [(0.0, 0.2), (0.5, 1.2)]  # 1 s in 0.5 s, then rate 1
    scripts = install(fake, world.env)
    world.start()
    fake.ext_state[("mvsep_bridge", "last")] = json.dumps({"sep_type": ALGORITHM, "name": "BS Roformer",
                                                           "options": {}, "output_format": 2})
    as_it_was = project.describe()
    user_file = vox_file.read_bytes()
    fake.run(scripts / "mvsep_Separate selected items (last settings).lua")
    assert project.describe() == as_it_was and project.undo_points == [], "the render is undone at once"
    run_until(fake, world, lambda: project.undo_points, "the inserts")
    assert fake.console == [], fake.console
    assert [t.name for t in project.tracks] == ["Vox", "Vox – vocals", "Vox – instrumental", "Below"]
    assert vox_file.read_bytes() == user_file and [len(i.takes) for i in (louder, stretched)] == [1, 1]

    samples, rate = sf.read(vox_file, always_2d=True)
    start = round(0.2 * rate)
    heard = {  # what each item plays, computed here from the user's file
        "fx": 1.5 * samples[round(0.3 * rate):round(0.3 * rate) + round(1.5 * rate)],
        "stretch": np.concatenate([samples[start:start + rate:2], samples[start + rate:start + rate + rate // 2]]),
    }
    for label, original in (("fx", louder), ("stretch", stretched)):
        total = 0
        for stem_track in project.tracks[1:3]:
            (stem,) = [i for i in stem_track.items if i.values["D_POSITION"] == original.values["D_POSITION"]]
            check_same_playback(original, stem, label)
            total = total + played(stem)[0]
        expected = heard[label]
        assert total.shape == expected.shape, (label, total.shape, expected.shape)
        error = np.abs(total - expected)[EDGE:-EDGE].max()
        shifted = np.abs(total[EDGE:-EDGE] - expected[EDGE - 1:-EDGE - 1]).max()
        assert error < 1e-3 and shifted > 20 * error, f"{label}: off by {error} (one sample off: {shifted})"
    assert project.undo_points == ["MVSEP: insert stems of 2 items on track 'Vox' (BS Roformer)"]
    fake.undo(project)
    assert project.describe() == as_it_was
