"""The planning module (reaper_scripts/lib/plan.lua, place.lua, json.lua) in real Lua against the
fake REAPER: which part of which file an item plays, and where its stems go."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
import soundfile as sf
import srt

from .lua import require, table, to_python
from .model import Source

RATE = 48_000


@pytest.fixture
def wav(tmp_path):
    def make(name="song.wav", seconds=10.0, rate=RATE, channels=2):
        path = tmp_path / name
        sf.write(path, np.zeros((int(seconds * rate), channels), dtype=np.float32), rate)
        return Source.from_file(path)
    return make


def window(fake, item, selection=None):
    plan = require(fake, "plan")
    result, problem = fake.lua.eval("function(plan, item, sel) local w, p = plan.window(reaper, item, sel); return w, p end")(
        plan, item, table(fake, selection) if selection else None)
    return (to_python(result) if result is not None else None), problem


@pytest.mark.parametrize("offset, playrate, length, start, played", [
    (1.0, 1.0, 2.0, 1.0, 2.0),
    (1.0, 0.5, 2.0, 1.0, 1.0),  # half speed: two seconds of item play one of the source
    (0.5, 1.5, 2.0, 0.5, 3.0),
])
def test_the_window_is_what_the_take_plays(fake, wav, offset, playrate, length, start, played):
    track = fake.add_track(fake.current, "Vox")
    item = fake.add_item(track, wav(), position=4.0, length=length, offset=offset, playrate=playrate)
    got, problem = window(fake, item)
    assert problem is None
    assert got["file"] == wav().filename and got["rate"] == RATE and got["channels"] == 2
    assert got["start"] == pytest.approx(start) and got["length"] == pytest.approx(played)
    assert got["frames"] == round(played * RATE)
    assert got["position"] == 4.0 and got["item_length"] == pytest.approx(length)
    assert got["reverse"] is False and got["stem_offset"] == pytest.approx(0, abs=1e-12)


def test_the_time_selection_clips_the_window_and_its_position(fake, wav):
    track = fake.add_track(fake.current, "Vox")
    item = fake.add_item(track, wav(), position=10.0, length=4.0, offset=2.0, playrate=0.5)
    got, _ = window(fake, item, [11.0, 12.5])
    assert got["position"] == 11.0 and got["item_length"] == pytest.approx(1.5)
    assert got["start"] == pytest.approx(2.5) and got["length"] == pytest.approx(0.75)
    assert got["clipped_start"] and got["clipped_end"]
    assert window(fake, item, [20.0, 21.0])[1].endswith("the item is outside the time selection")


def test_frames_are_whole_and_the_stem_offset_keeps_the_sub_frame_part(fake, wav):
    track = fake.add_track(fake.current, "Vox")
    item = fake.add_item(track, wav(), position=0.0, length=1.0, offset=1.00001)
    got, _ = window(fake, item)
    first = int(np.floor(1.00001 * RATE + 0.5))
    assert got["start"] * RATE == pytest.approx(first)
    assert got["stem_offset"] == pytest.approx(1.00001 - first / RATE)


def test_sections_nest_and_reversed_sections_mirror(fake, wav):
    track = fake.add_track(fake.current, "Gtr")
    parent = wav()
    nested = Source.section(Source.section(parent, 1.0, 8.0), 2.0, 3.0)
    got, _ = window(fake, fake.add_item(track, nested, position=0.0, length=1.0, offset=0.5))
    assert got["start"] == pytest.approx(3.5) and got["length"] == pytest.approx(1.0) and not got["reverse"]
    reversed_ = Source.section(parent, 2.0, 5.0, reverse=True)
    got, _ = window(fake, fake.add_item(track, reversed_, position=3.0, length=2.0, offset=1.0))
    # the section's time 1..3 runs backwards from 7: the file's 4..6, played from 6 down to 4
    assert got["start"] == pytest.approx(4.0) and got["length"] == pytest.approx(2.0) and got["reverse"]


def test_an_item_longer_than_its_source_sends_only_what_exists(fake, wav):
    track = fake.add_track(fake.current, "Pad")
    item = fake.add_item(track, wav(seconds=3.0), position=5.0, length=4.0, offset=-1.0)
    got, _ = window(fake, item)
    assert got["start"] == 0 and got["length"] == pytest.approx(3.0)
    assert got["position"] == pytest.approx(6.0) and got["item_length"] == pytest.approx(3.0)


def test_midi_empty_and_offline_items_are_refused_naming_the_item(fake, wav, tmp_path):
    track = fake.add_track(fake.current, "Keys")
    midi = fake.add_item(track, Source(kind="MIDI", filename=""), position=1.0, length=1.0)
    empty = fake.add_item(track, None, position=2.0, length=1.0)
    empty.takes.clear()
    offline = fake.add_item(track, Source.from_file(tmp_path / "gone.wav"), position=3.0, length=1.0)
    assert window(fake, midi)[1] == "item 1 on track 'Keys' at 1.000 s (take ''): a MIDI item has no audio to separate"
    assert window(fake, empty)[1] == "item 2 on track 'Keys' at 2.000 s: the item is empty (no take)"
    assert "item 3 on track 'Keys' at 3.000 s (take 'gone'): the source is offline" in window(fake, offline)[1]


def test_stem_item_values_copy_what_shapes_the_sound(fake, wav):
    track = fake.add_track(fake.current, "Vox")
    item = fake.add_item(track, wav(), position=1.0, length=2.0, offset=0.5, playrate=1.5, B_PPITCH=1.0,
                         D_PITCH=-2.0, I_CHANMODE=3.0, D_FADEINLEN=0.1, D_FADEOUTLEN=0.2)
    item.values["D_VOL"], item.active_take.values["D_VOL"] = 0.5, 0.7
    plan = require(fake, "plan")
    item_values, take_values = fake.lua.eval(
        "function(plan, item) local w = plan.window(reaper, item); return plan.stem_item(reaper, item, w) end")(plan, item)
    item_values, take_values = to_python(item_values), to_python(take_values)
    assert item_values["D_POSITION"] == 1.0 and item_values["D_LENGTH"] == 2.0 and item_values["B_LOOPSRC"] == 0
    assert item_values["D_FADEINLEN"] == 0.1 and item_values["D_FADEOUTLEN"] == 0.2 and item_values["D_VOL"] == 0.5
    assert take_values["D_PLAYRATE"] == 1.5 and take_values["B_PPITCH"] == 1 and take_values["D_PITCH"] == -2
    assert take_values["I_CHANMODE"] == 3 and take_values["D_VOL"] == 0.7 and take_values["D_STARTOFFS"] == 0


def tracks(*specs):
    return [{"name": n, "depth": d, "guid": n, "stem_of": of, "stem": stem} for n, d, of, stem in specs]


@pytest.mark.parametrize("layout, source, as_folder, expected", [
    # a plain track: two new tracks right under it
    (tracks(("A", 0, "", ""), ("B", 0, "", "")), 0, False,
     ({"vocals": [1, True, 0], "other": [2, True, 0]}, {})),
    # the last child of a folder: the stems stay inside, the last stem closes the folder
    (tracks(("F", 1, "", ""), ("A", -1, "", ""), ("B", 0, "", "")), 1, False,
     ({"vocals": [2, True, 0], "other": [3, True, -1]}, {1: 0})),
    # earlier stems of the track are shared; a missing one goes after them
    (tracks(("A", 0, "", ""), ("A – vocals", 0, "A", "vocals"), ("B", 0, "", "")), 0, False,
     ({"vocals": [1, None, None], "other": [2, True, 0]}, {})),
    # asked as a folder: the source track opens it, the last stem closes it (and what A closed)
    (tracks(("F", 1, "", ""), ("A", -1, "", "")), 1, True,
     ({"vocals": [2, True, 0], "other": [3, True, -2]}, {1: 1})),
])
def test_stem_tracks_sit_under_the_source_without_breaking_folders(fake, layout, source, as_folder, expected):
    plan = require(fake, "plan")
    got = to_python(plan.stem_tracks(table(fake, layout), source, table(fake, ["vocals", "other"]), as_folder))
    placed = {stem: [spec["index"], spec.get("new"), spec.get("depth")] for stem, spec in got["tracks"].items()}
    depths = got["depths"] if isinstance(got["depths"], dict) else dict(enumerate(got["depths"], 1))
    assert (placed, depths) == expected
    assert all(spec["name"] == f"{layout[source]['name']} – {stem}" for stem, spec in got["tracks"].items() if spec.get("new"))


def test_place_shares_stem_tracks_between_items_of_one_track(fake, wav, tmp_path):
    project = fake.current
    folder = fake.add_track(project, "Band", 1)
    drums = fake.add_track(project, "Drums", -1)
    fake.add_track(project, "After")
    place = require(fake, "place")
    make = fake.lua.eval("function(place, track) return place.stem_tracks(reaper, 0, track, {'vocals', 'other'}, false) end")
    first, second = to_python(make(place, drums)), to_python(make(place, drums))
    assert first["vocals"] is second["vocals"] and first["other"] is second["other"]
    names = [(t.name, int(t.values["I_FOLDERDEPTH"])) for t in project.tracks]
    assert names == [("Band", 1), ("Drums", 0), ("Drums – vocals", 0), ("Drums – other", -1), ("After", 0)]
    assert folder is project.tracks[0]


def test_json_round_trips_and_reports_damage(fake):
    codec = require(fake, "json")
    value = {"id": "r1", "n": 3, "x": 0.1, "s": "a\"b\\c\n\u00e9\U0001F600", "list": [1, 2, {"k": False}], "e": {}}
    text = codec.encode(table(fake, value))
    assert json.loads(text) == value  # an empty table is written as an object
    back = to_python(codec.decode(json.dumps(value)))
    assert back == value | {"e": {}}
    for broken in ['{"a": 1', '{"a": 1}x', '[1,]', '{"a" 1}', '"\\q"', '']:
        result, problem = codec.decode(broken)
        assert result is None and problem.startswith("json: "), broken


def test_srt_segments_read_as_the_srt_library_writes_them_and_land_on_the_item(fake):
    subtitles = [srt.Subtitle(1, timedelta(seconds=0.25), timedelta(seconds=1.5), "first line\nsecond line"),
                 srt.Subtitle(2, timedelta(minutes=1, seconds=2, milliseconds=5), timedelta(minutes=1, seconds=3), "late")]
    text = "\ufeff" + srt.compose(subtitles).replace("\n", "\r\n")  # a BOM and Windows line ends
    transcript = require(fake, "transcript")
    segments = to_python(transcript.parse_srt(text))
    assert segments == [{"start": 0.25, "stop": 1.5, "text": "first line second line"},
                        {"start": 62.005, "stop": 63.0, "text": "late"}]
    # at half speed from 0.1 s of the section, 10 s long at 4 s: the late segment is past the item's end
    regions = to_python(transcript.regions(table(fake, segments), table(fake, {"D_POSITION": 4.0, "D_LENGTH": 10.0}),
                                           table(fake, {"D_STARTOFFS": 0.1, "D_PLAYRATE": 0.5})))
    assert regions == [{"start": pytest.approx(4.3), "stop": pytest.approx(6.8), "name": "first line second line"}]
