"""The actions in lupa against the fake REAPER, without a daemon: what they write into the spool,
what they tell the user, and that they return at once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mvsep_bridge.bridges.reaper.catalog import catalog_entries
from mvsep_bridge.daemon.catalog import Catalog

from .model import Source
from .world import install, music
from processes import daemon_env

LAST = {"sep_type": 40, "name": "BS Roformer", "options": {"add_opt1": "81"}, "output_format": 1}


@pytest.fixture
def setup(fake, tmp_path):
    scripts = install(fake, daemon_env(tmp_path / "data"))
    spool = tmp_path / "data" / "reaper-spool"
    media = Path(fake.current.media_dir)
    track = fake.add_track(fake.current, "Vox")
    source = Source.from_file(music(media / "vox.wav", 4.0, 44_100, 2))
    return fake, scripts, spool, track, source


def requests(spool: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((spool / "requests").glob("*.json"))]


def test_refused_items_are_named_and_the_others_sent(setup, tmp_path):
    fake, scripts, spool, track, source = setup
    fake.ext_state[("mvsep_bridge", "last")] = json.dumps(LAST)
    fake.add_item(track, Source(kind="MIDI"), position=0.0, length=1.0)
    fake.add_item(track, source, position=2.0, length=1.0, offset=0.5)
    fake.add_item(track, Source.from_file(tmp_path / "lost.wav"), position=4.0, length=1.0)
    fake.run(scripts / "mvsep_Separate selected items (last settings).lua")
    refused = fake.messages[0][0]
    assert "item 1 on track 'Vox' at 0.000 s (take ''): a MIDI item has no audio to separate" in refused
    assert "item 3 on track 'Vox' at 4.000 s (take 'lost'): the source is offline" in refused
    assert "The other selected items are separated." in refused
    sent = requests(spool)
    assert len(sent) == 1
    request = sent[0]
    assert request["kind"] == "separate" and request["source"] == source.filename
    assert request["start"] == 0.5 and request["length"] == 1.0
    assert (request["sep_type"], request["options"], request["output_format"]) == (40, {"add_opt1": "81"}, 1)
    assert request["destination"] == f"{fake.current.media_dir}/MVSEP/{request['id']}"
    assert request["label"] == "item 2 on track 'Vox' at 2.000 s (take 'vox')"
    assert not list((spool / "requests").glob("*.tmp"))  # renamed into place, nothing half-written


def test_without_a_daemon_the_request_waits_and_the_user_is_told_how_to_start_it(setup):
    fake, scripts, spool, track, source = setup
    fake.ext_state[("mvsep_bridge", "last")] = json.dumps(LAST)
    fake.add_item(track, source, position=0.0, length=1.0)
    fake.run(scripts / "mvsep_Separate selected items (last settings).lua")
    assert "daemon is not running" in fake.messages[-1][0] and "mvsep-bridge daemon" in fake.messages[-1][0]
    assert len(requests(spool)) == 1
    batch = [v for (ext, key), v in fake.current.ext_state.items() if key.startswith("batch:")]
    assert len(batch) == 1 and json.loads(batch[0])["entries"][0]["request"] == requests(spool)[0]["id"]
    assert fake.deferred, "a defer loop follows the job"
    fake.advance(3.0)  # the loop keeps going without an answer, and never raises
    assert fake.deferred and not fake.current.undo_points


def test_scripts_not_set_up_say_what_to_run(fake, tmp_path):
    scripts = install(fake, daemon_env(tmp_path / "data"))
    (scripts / "mvsep-bridge.json").unlink()
    fake.run(scripts / "mvsep_Separate selected items.lua")
    assert "run `mvsep-bridge install-reaper`" in fake.messages[0][0]


def test_time_selection_sends_only_the_selected_part(setup):
    fake, scripts, spool, track, source = setup
    fake.ext_state[("mvsep_bridge", "last")] = json.dumps(LAST)
    fake.add_item(track, source, position=10.0, length=3.0, offset=0.25, playrate=1.5)
    fake.run(scripts / "mvsep_Separate time selection of selected items.lua")
    assert fake.messages == [("Make a time selection first.", "MVSEP Bridge")]
    fake.current.time_selection = (11.0, 12.0)
    fake.messages.clear()
    fake.run(scripts / "mvsep_Separate time selection of selected items.lua")
    (request,) = requests(spool)
    assert request["start"] == pytest.approx(1.75) and request["length"] == pytest.approx(1.5)


def test_the_menu_offers_the_catalog_grouped_remembers_and_estimates(setup):
    fake, scripts, spool, track, source = setup
    catalog = catalog_entries(Catalog.snapshot())
    (spool / "catalog.json").write_text(json.dumps({"protocol": 1, "algorithms": catalog}))
    fake.add_item(track, source, position=0.0, length=2.0)
    fake.add_item(track, source, position=3.0, length=1.5)
    algorithm = next(a for a in catalog if a["sep_type"] == 40)
    fields = algorithm["fields"]
    picks = [f"{f['text']}: {f['choices'][-1]['label']}" for f in fields]
    fake.menu_choices = [algorithm["name"], *picks, "Output: wav (16 bit)"]
    fake.run(scripts / "mvsep_Separate selected items.lua")
    top = fake.menus[0]
    assert f">{algorithm['group']}" in top.split("|")  # grouped as MVSEP groups them
    assert len([p for p in top.split("|") if p.startswith(">")]) == len({a["group"] for a in catalog})
    estimate = fake.messages[-2][0]  # then: the daemon is not running
    coefficient = algorithm["price_coefficient"]
    for field in fields:
        coefficient *= field["price"].get(field["choices"][-1]["key"], 1.0)
    credits = max(1, int(2.0 * coefficient / 60)) + max(1, int(1.5 * coefficient / 60))
    assert estimate.startswith("Separate 2 items (3.5 s of audio) with " + algorithm["name"])
    assert f"about {credits} credit" in estimate
    sent = requests(spool)
    assert [r["options"] for r in sent] == [{f["name"]: f["choices"][-1]["key"] for f in fields}] * 2
    assert {r["output_format"] for r in sent} == {1}
    remembered = json.loads(fake.ext_state[("mvsep_bridge", "last")])
    assert remembered["sep_type"] == 40 and remembered["output_format"] == 1
    # next time the last choice is checked in the menu, and cancelling the menu sends nothing
    fake.menu_choices = []
    fake.run(scripts / "mvsep_Separate selected items.lua")
    assert f"!{algorithm['name']}" in fake.menus[-1].split("|") or f"<!{algorithm['name']}" in fake.menus[-1].split("|")
    assert len(requests(spool)) == 2


def test_cancelling_the_estimate_sends_nothing(setup):
    fake, scripts, spool, track, source = setup
    catalog = catalog_entries(Catalog.snapshot())
    (spool / "catalog.json").write_text(json.dumps({"protocol": 1, "algorithms": catalog}))
    fake.add_item(track, source, position=0.0, length=2.0)
    algorithm = next(a for a in catalog if a["sep_type"] == 40)
    fake.menu_choices = [algorithm["name"]] + [1] * len(algorithm["fields"]) + ["Output: flac (16 bit)"]
    fake.answers = [2]  # Cancel
    fake.run(scripts / "mvsep_Separate selected items.lua")
    assert not (spool / "requests").exists() or not requests(spool)
    assert ("mvsep_bridge", "last") not in fake.ext_state


def test_takes_with_fx_or_stretch_markers_go_as_heard_raw_or_not_at_all_as_the_user_chooses(setup):
    fake, scripts, spool, track, source = setup
    project = fake.current
    fake.ext_state[("mvsep_bridge", "last")] = json.dumps(LAST)
    with_fx = fake.add_item(track, source, position=0.0, length=1.0, offset=0.25)
    with_fx.active_take.fx = [0.5]
    stretched = fake.add_item(track, source, position=2.0, length=1.0)
    stretched.active_take.stretch_markers = [(0.0, 0.0), (0.5, 1.0)]  # the first half plays 1 s at 2x
    user_file = Path(source.filename).read_bytes()
    as_it_was = project.describe()

    # the default: as heard, from files REAPER rendered; the project and its undo history as they were
    fake.run(scripts / "mvsep_Separate selected items (last settings).lua")
    assert "Not separated" not in "".join(m for m, _ in fake.messages)
    sent = requests(spool)
    assert len(sent) == 2
    assert project.describe() == as_it_was and project.undo_points == []
    assert [len(i.takes) for i in (with_fx, stretched)] == [1, 1] and with_fx.active_take.fx == [0.5]
    assert Path(source.filename).read_bytes() == user_file
    vox, rate = sf.read(source.filename, always_2d=True)
    for request in sent:
        assert request["source"] != source.filename and Path(request["source"]).parent == Path(project.media_dir)
        assert (request["start"], request["length"]) == (0.0, 1.0)  # the whole rendered take
    by_label = {r["label"]: sf.read(r["source"], always_2d=True)[0] for r in sent}
    heard_fx = by_label["item 1 on track 'Vox' at 0.000 s (take 'vox')"]
    assert np.array_equal(heard_fx, (0.5 * vox[rate // 4:rate // 4 + rate]).astype(np.float32))
    heard_stretch = by_label["item 2 on track 'Vox' at 2.000 s (take 'vox')"]
    half = rate // 2
    assert np.allclose(heard_stretch[:half], vox[0:rate:2], atol=1e-6)  # 2x: every other frame
    assert np.allclose(heard_stretch[half:], vox[rate:rate + half], atol=1e-6)

    # refused by name when the user says so
    for path in (spool / "requests").glob("*.json"):
        path.unlink()
    fake.inputs = ["n,n,n,refuse"]
    fake.run(scripts / "mvsep_Settings.lua")
    assert fake.ext_state[("mvsep_bridge", "processed")] == "refuse"
    fake.messages.clear()
    fake.run(scripts / "mvsep_Separate selected items (last settings).lua")
    refused = fake.messages[0][0]
    assert "item 1 on track 'Vox' at 0.000 s (take 'vox'): the take has take FX" in refused
    assert "item 2 on track 'Vox' at 2.000 s (take 'vox'): the take has stretch markers" in refused
    assert not requests(spool)

    # the raw source, when chosen; an answer that fits two choices changes nothing and says why
    fake.inputs = ["n,n,n,r"]
    fake.run(scripts / "mvsep_Settings.lua")
    assert '"r" for "Takes with FX/stretch markers' in fake.messages[-1][0] and "heard, raw, refuse" in fake.messages[-1][0]
    assert fake.ext_state[("mvsep_bridge", "processed")] == "refuse"
    fake.inputs = ["n,n,n,raw"]
    fake.run(scripts / "mvsep_Settings.lua")
    fake.messages.clear()
    fake.run(scripts / "mvsep_Separate selected items (last settings).lua")
    assert [(r["source"], r["start"]) for r in requests(spool)] == [(source.filename, 0.25), (source.filename, 0.0)]
    assert "Not separated" not in "".join(m for m, _ in fake.messages)


def test_a_speech_model_whose_language_is_a_choice_offers_the_catalogs_options(setup):
    """Where the catalog gives a field its options (Qwen3-TTS (Voice Cloning)'s Language does in
    MVSEP's catalog), "Generate audio at edit cursor…" offers them in a menu and sends the key."""
    fake, scripts, spool, track, source = setup
    cloning = next(a for a in catalog_entries(Catalog.snapshot()) if a["sep_type"] == 120)
    (language,) = [f for f in cloning["fields"] if f["text"] == "Language"]
    speech = {"sep_type": 118, "name": "Qwen3-TTS (Custom Voice)", "group": "Speech", "order": 1,
              "price_coefficient": 1, "input": "none", "fields": [{**language, "name": "add_opt3"}],
              "text_fields": [{"name": "add_opt1", "text": "Text prompt", "default": None},
                              {"name": "add_opt2", "text": "Speaker", "default": None}]}
    (spool / "catalog.json").write_text(json.dumps({"protocol": 1, "algorithms": [speech]}))
    fake.current.cursor = 2.5
    fake.menu_choices = ["Qwen3-TTS (Custom Voice)", "Language: German", "Output: flac (16 bit)"]
    fake.inputs = [["Guten Tag", "Vivian"]]
    fake.run(scripts / "mvsep_Generate audio at edit cursor.lua")
    offered = [part.lstrip("!") for part in fake.menus[1].split("|")]
    assert offered == [f"Language: {c['label']}" for c in language["choices"]] and len(offered) > 5
    (request,) = requests(spool)
    assert (request["kind"], request["sep_type"]) == ("generate", 118) and "source" not in request
    assert request["options"] == {"add_opt1": "Guten Tag", "add_opt2": "Vivian", "add_opt3": "german"}
    assert request["label"] == "Qwen3-TTS (Custom Voice): Guten Tag"
    # the choice is remembered: checked in the menu next time
    fake.menu_choices = []
    fake.run(scripts / "mvsep_Generate audio at edit cursor.lua")
    fake.menu_choices = ["Qwen3-TTS (Custom Voice)"]
    fake.run(scripts / "mvsep_Generate audio at edit cursor.lua")
    assert "!Language: German" in fake.menus[-1].split("|")


def test_a_take_with_fx_sent_as_heard_is_cut_to_the_time_selection(setup):
    fake, scripts, spool, track, source = setup
    fake.ext_state[("mvsep_bridge", "last")] = json.dumps(LAST)
    item = fake.add_item(track, source, position=10.0, length=3.0, offset=0.5)
    item.active_take.fx = [2.0]
    fake.current.time_selection = (11.0, 12.5)
    fake.run(scripts / "mvsep_Separate time selection of selected items.lua")
    (request,) = requests(spool)
    assert (request["start"], request["length"]) == (1.0, 1.5)  # of the render, which starts at the item's start
    rendered, rate = sf.read(request["source"], always_2d=True)
    vox, _ = sf.read(source.filename, always_2d=True)
    assert len(rendered) == 3 * rate and np.array_equal(rendered, (2.0 * vox[rate // 2:rate // 2 + 3 * rate]).astype(np.float32))
    assert [len(i.takes) for i in track.items] == [1] and fake.current.undo_points == []


def test_a_user_who_allowed_the_raw_source_in_0_2_keeps_that_choice(setup):
    fake, scripts, spool, track, source = setup
    fake.ext_state[("mvsep_bridge", "last")] = json.dumps(LAST)
    fake.ext_state[("mvsep_bridge", "raw_source")] = "y"  # what 0.2.0's settings wrote
    fake.add_item(track, source, position=0.0, length=1.0).active_take.fx = [0.5]
    fake.run(scripts / "mvsep_Separate selected items (last settings).lua")
    assert [r["source"] for r in requests(spool)] == [source.filename]
    fake.run(scripts / "mvsep_Settings.lua")  # the dialog shows it as the new setting
    assert fake.dialogs[-1][2].split(",")[3] == "raw"
