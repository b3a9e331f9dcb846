"""The fake REAPER refuses what REAPER would refuse: the gate the real scripts run behind."""

from __future__ import annotations

import re
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf
from lupa.lua54 import LuaError

from .model import Source
from .signatures import ApiMisuse


def run(fake, code: str):
    return fake.lua.execute(code)


@pytest.mark.parametrize("code, problem", [
    ("reaper.NoSuchFunction()", "not part of the REAPER API"),
    ("return gfx.no_such_variable", "not part of the REAPER API"),
    ("reaper.CountTracks()", "takes 1..1 arguments, got 0"),
    ("reaper.CountTracks(0, 1)", "takes 1..1 arguments, got 2"),
    ("reaper.CountTracks('x')", "'proj' (ReaProject|nil|0) has the wrong type"),
    ("reaper.GetTrack(0, 0.5)", "has the wrong type"),
    ("local it = reaper.GetSelectedMediaItem(0, 0); reaper.GetMediaItemInfo_Value(it, 'D_POSITON')",
     "not a documented key of GetMediaItemInfo_Value_Param"),
    ("local it = reaper.GetSelectedMediaItem(0, 0); reaper.SetMediaItemInfo_Value(it, 'P_TRACK', 1)",
     "not a documented key of SetMediaItemInfo_Value_Param"),
    ("local tk = reaper.GetActiveTake(reaper.GetSelectedMediaItem(0, 0)); "
     "reaper.SetMediaItemTakeInfo_Value(tk, 'D_PLAYRATE')", "takes 3..3 arguments"),
    ("reaper.GetActiveTake(reaper.GetTrack(0, 0))", "'item' (MediaItem) has the wrong type"),
    ("reaper.CountProjectMarkers(0)", "this fake does not implement it"),
    ("reaper.ExecProcess('ls', 0)", "would block REAPER"),
    ("reaper.Undo_EndBlock2(0, 'x', -1)", "without Undo_BeginBlock2"),
])
def test_calls_reaper_would_refuse_raise(fake, tmp_path, code, problem):
    track = fake.add_track(fake.current, "Drums")
    fake.add_item(track, Source(filename="x.wav", sample_rate=48000, channels=2, length=4), position=0, length=1)
    with pytest.raises((LuaError, ApiMisuse), match=re.escape(problem)):
        run(fake, code)
    fake.misuse.clear()


def test_sources_are_measured_from_the_file_and_sections_nest(fake, tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, np.zeros((48_000 * 3, 1), dtype=np.float32), 48_000)
    track = fake.add_track(fake.current, "Bass")
    parent = Source.from_file(path)
    fake.add_item(track, Source.section(parent, 1.0, 1.5, reverse=True), position=2, length=1)
    got = run(fake, """
        local take = reaper.GetActiveTake(reaper.GetSelectedMediaItem(0, 0))
        local src = reaper.GetMediaItemTake_Source(take)
        local ok, offs, len, rev = reaper.PCM_Source_GetSectionInfo(src)
        local parent = reaper.GetMediaSourceParent(src)
        return reaper.GetMediaSourceType(src), ok, offs, len, rev, reaper.GetMediaSourceFileName(parent),
               reaper.GetMediaSourceSampleRate(parent), reaper.GetMediaSourceNumChannels(parent),
               reaper.GetMediaSourceParent(parent)
    """)
    assert got == ("SECTION", True, 1.0, 1.5, True, str(path), 48_000, 1, None)
    offline = run(fake, f"return reaper.GetMediaSourceSampleRate(reaper.PCM_Source_CreateFromFile('{tmp_path}/none.wav'))")
    assert offline == 0  # how a script sees an offline file in plain REAPER


def test_a_midi_file_becomes_a_midi_source_as_long_as_its_notes(fake, tmp_path):
    path = tmp_path / "notes.mid"
    song = mido.MidiFile(ticks_per_beat=480)  # a file written by mido, not by the emulator
    song.tracks.append(mido.MidiTrack([mido.Message("note_on", note=60, velocity=90, time=0),
                                       mido.Message("note_off", note=60, velocity=0, time=1440)]))
    song.save(path)
    track = fake.add_track(fake.current, "Keys")
    got = run(fake, f"""
        local item = reaper.AddMediaItemToTrack(reaper.GetTrack(0, 0))
        local take = reaper.AddTakeToMediaItem(item)
        local src = reaper.PCM_Source_CreateFromFile({str(path)!r})
        reaper.SetMediaItemTake_Source(take, src)
        return reaper.GetMediaSourceType(src), reaper.TakeIsMIDI(take), reaper.GetMediaSourceFileName(src),
               reaper.GetMediaSourceLength(src)
    """)
    assert got == ("MIDI", True, str(path), 1.5, False)  # 1440 ticks at 120 bpm, in seconds (not beats)
    assert track.items[0].active_take.source.kind == "MIDI"


def test_pointers_keep_identity_and_validate_per_project(fake, tmp_path):
    track = fake.add_track(fake.current, "Keys")
    fake.add_item(track, Source(filename="x.wav", sample_rate=44_100, channels=2, length=4), position=0, length=1)
    first = fake.current
    other = fake.add_project(tmp_path / "b.rpp", tmp_path / "b")  # a second tab, now active
    got = run(fake, """
        local proj = reaper.EnumProjects(0)
        local item = reaper.GetSelectedMediaItem(proj, 0)
        return reaper.GetMediaItem_Track(item) == reaper.GetTrack(proj, 0),
               reaper.ValidatePtr2(proj, item, 'MediaItem*'), reaper.ValidatePtr2(0, item, 'MediaItem*'),
               reaper.EnumProjects(-1) == reaper.EnumProjects(1)
    """)
    assert got == (True, True, False, True)
    assert fake.current is other and first is not other


def test_the_defer_loop_runs_when_the_test_ticks_and_the_clock_moves(fake):
    run(fake, """
        seen = {}
        local function loop() seen[#seen + 1] = reaper.time_precise(); if #seen < 3 then reaper.defer(loop) end end
        reaper.defer(loop)
    """)
    assert len(fake.lua.globals().seen) == 0  # nothing runs inside the action itself
    fake.tick(5)
    times = list(fake.lua.globals().seen.values())
    assert len(times) == 3 and times[0] < times[1] < times[2]


def test_changes_are_recorded_with_their_undo_block_and_refresh_state(fake):
    project = fake.current
    run(fake, """
        reaper.PreventUIRefresh(1); reaper.Undo_BeginBlock2(0)
        reaper.InsertTrackInProject(0, 0, 0)
        reaper.Undo_EndBlock2(0, 'one', -1); reaper.PreventUIRefresh(-1)
        reaper.InsertTrackInProject(0, 0, 0)
    """)
    assert project.undo_points == ["one"]
    assert project.changes == [("insert track", 1, True), ("insert track", 0, False)]
    assert fake.undo(project) == "one" and len(project.tracks) == 0  # back to before the block


def test_rendering_a_take_as_reaper_does_and_undoing_it(fake, tmp_path):
    """"Item: Render items to new take" on a reversed section with a gain FX: a new active take
    playing a new file of what the item played, the old take kept; as an action run on its own it
    is an undo point, and undoing it gives the item back as it was (the file stays on disk)."""
    path = tmp_path / "ramp.wav"
    ramp = np.linspace(-0.5, 0.5, 48_000, dtype=np.float32)[:, None]
    sf.write(path, ramp, 48_000, subtype="FLOAT")
    track = fake.add_track(fake.current, "Ramp")
    item = fake.add_item(track, Source.section(Source.from_file(path), 0.25, 0.5, reverse=True), position=3.0,
                         length=0.25, offset=0.1)
    item.active_take.fx = [2.0]
    as_it_was = fake.current.describe()
    got = run(fake, """
        local item = reaper.GetSelectedMediaItem(0, 0)
        reaper.Main_OnCommandEx(40601, 0, 0)
        local take = reaper.GetActiveTake(item)
        local src = reaper.GetMediaItemTake_Source(take)
        return reaper.CountTakes(item), reaper.GetMediaSourceFileName(src), reaper.TakeFX_GetCount(take),
               reaper.GetMediaItemTakeInfo_Value(take, 'D_STARTOFFS'), reaper.Undo_CanUndo2(0)
    """)
    count, rendered, fx, offset, undo = got
    assert (count, fx, offset, undo) == (2, 0, 0.0, "Render items to new take")
    samples, rate = sf.read(rendered, always_2d=True)
    # the section plays file time 0.75 - t backwards from its 0.1 s offset: 0.65 s down to 0.40 s, doubled
    expected = 2 * ramp[round(0.40 * rate) + 1:round(0.65 * rate) + 1][::-1]
    assert rate == 48_000 and samples.shape == expected.shape and np.allclose(samples, expected, atol=1e-6)
    assert item.takes[0].fx == [2.0]  # the old take keeps its FX
    assert run(fake, "return reaper.Undo_DoUndo2(0)") == 1
    assert fake.current.describe() == as_it_was and fake.current.redo_points == ["Render items to new take"]
    assert Path(rendered).is_file()
