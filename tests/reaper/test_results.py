"""Results that are not audio stems, end to end (real actions in lupa, the real daemon on the
emulator): MIDI becomes MIDI items on a track of its own (read back with mido), a transcript
becomes regions (checked against its SRT file with the srt library)."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf
import srt

from .model import Source
from .world import install, run_until

LAST = "mvsep_Separate selected items (last settings).lua"
RATE = 44_100
KEYS_UNDO = "MVSEP: insert stems of item 1 on track 'Keys' at 2.000 s (take 'keys') (sep_type {})"


def phrase(path: Path) -> Path:
    """1 s of A4 (MIDI 69), 1 s of silence, 1 s of C5 (72): notes and pauses whose times a
    transcription or pitch tracker must give back."""
    t = np.arange(RATE) / RATE
    tone = lambda hz: 0.3 * np.sin(2 * np.pi * hz * t)
    samples = np.concatenate([tone(440.0), np.zeros(RATE), tone(523.25)])
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.stack([samples, samples], axis=1).astype(np.float32), RATE, subtype="PCM_24")
    return path


@pytest.fixture
def keys(spool_world, fake):
    """Track "Keys" with one item at 2.0 s playing the phrase from 0.5 s on, and "Below" under it."""
    world = spool_world
    project = fake.current
    source = Source.from_file(phrase(Path(project.media_dir) / "keys.wav"))
    track = fake.add_track(project, "Keys")
    item = fake.add_item(track, source, position=2.0, length=2.5, offset=0.5)
    fake.add_track(project, "Below")
    scripts = install(fake, world.env)
    world.start()
    return world, scripts, project, item


def run_with(fake, world, scripts, project, sep_type: int) -> None:
    fake.ext_state[("mvsep_bridge", "last")] = json.dumps({"sep_type": sep_type, "options": {}, "output_format": 2})
    fake.run(scripts / LAST)
    run_until(fake, world, lambda: project.undo_points, "the inserts")


def note_times(item) -> list[tuple[int, float, float]]:
    """(note, project start, project end) of what a MIDI item plays, from its file (mido) and
    the item's properties as REAPER applies them."""
    take = item.active_take
    offset, playrate = take.values["D_STARTOFFS"], take.values["D_PLAYRATE"]
    position = item.values["D_POSITION"]
    now, started, found = 0.0, {}, []
    for message in mido.MidiFile(take.source.filename):  # iterating gives delta times in seconds
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            started[message.note] = now
        elif message.type in ("note_off", "note_on"):
            begin = started.pop(message.note)
            found.append((message.note, position + (begin - offset) / playrate, position + (now - offset) / playrate))
    return found


def test_basic_pitch_midi_lands_as_a_midi_item_on_its_own_track(keys, fake):
    world, scripts, project, original = keys
    as_it_was = project.describe()
    run_with(fake, world, scripts, project, 114)
    assert fake.console == [], fake.console
    assert project.undo_points == [KEYS_UNDO.format(114)]
    assert [t.name for t in project.tracks] == ["Keys", "Keys – midi", "Below"]
    (midi,) = project.tracks[1].items
    take = midi.active_take
    assert take.source.kind == "MIDI" and take.source.online
    path = Path(take.source.filename)
    assert path.suffix == ".mid" and path.is_relative_to(Path(project.media_dir) / "MVSEP"), path
    assert midi.values["D_POSITION"] == original.values["D_POSITION"]
    assert midi.values["D_LENGTH"] == pytest.approx(original.values["D_LENGTH"])
    # what it plays, where: A4 from the item's start for 0.5 s, C5 from 1.5 s later to its end (50 ms frames)
    notes = note_times(midi)
    assert [n for n, _, _ in notes] == [69, 72], notes
    assert notes[0][1] == pytest.approx(2.0, abs=0.06) and notes[0][2] == pytest.approx(2.5, abs=0.06)
    assert notes[1][1] == pytest.approx(3.5, abs=0.06) and notes[1][2] == pytest.approx(4.5, abs=0.06)
    assert [t.name for t in project.tracks if t.items and t is not original.track] == ["Keys – midi"]
    # one Ctrl+Z takes it all back
    assert fake.undo(project) == KEYS_UNDO.format(114)
    assert project.describe() == as_it_was


@pytest.mark.parametrize("sep_type", [39, 64])  # Whisper, Parakeet
def test_a_transcript_becomes_regions_where_its_words_are_heard(keys, fake, sep_type):
    world, scripts, project, _ = keys
    as_it_was = project.describe()
    run_with(fake, world, scripts, project, sep_type)
    assert fake.console == [], fake.console
    assert project.undo_points == [KEYS_UNDO.format(sep_type)]
    (srt_file,) = (Path(project.media_dir) / "MVSEP").rglob("*.srt")
    segments = list(srt.parse(srt_file.read_text()))  # the job's own file, read with the srt library
    assert len(segments) == 2
    # a region per segment, at the item's position + the segment's time, named with its text
    regions = [(m.position, m.end, m.name) for m in project.markers if m.is_region]
    assert regions == [(pytest.approx(2.0 + s.start.total_seconds(), abs=1e-6),
                        pytest.approx(2.0 + s.end.total_seconds(), abs=1e-6), s.content) for s in segments]
    # the sounds are where the phrase has them: from the item's start, and 1.5 s later (20 ms frames)
    assert regions[0][0] == pytest.approx(2.0, abs=0.03) and regions[0][1] == pytest.approx(2.5, abs=0.03)
    assert regions[1][0] == pytest.approx(3.5, abs=0.03) and regions[1][1] == pytest.approx(4.5, abs=0.03)
    assert [t.name for t in project.tracks] == ["Keys", "Below"]  # a transcript adds no track
    assert fake.undo(project) == KEYS_UNDO.format(sep_type)
    assert project.describe() == as_it_was and project.markers == []


def test_generated_audio_lands_at_the_edit_cursor_on_a_new_track(spool_world, fake, emulator, tmp_path):
    world = spool_world
    project = fake.current
    fake.add_track(project, "Keys")
    project.cursor = 3.25
    scripts = install(fake, world.env)
    world.start()
    catalog = world.catalog()
    makers = sorted(a["sep_type"] for a in catalog if a["input"] == "none")
    assert {62, 104, 115, 118, 119} <= set(makers), makers
    # quotes, a comma, shell syntax and letters beyond ASCII: data, never a command
    prompt = 'a "calm" piano, by the sea; $(touch PWNED) `id` – ünïcode'
    as_it_was = project.describe()
    # the estimate comes before anything is sent: cancelling it sends nothing
    fake.menu_choices = ["Stable Audio Open Gen", "Output: flac (16 bit)"]
    fake.inputs = [[prompt, "4"]]
    fake.answers = [2]
    fake.run(scripts / "mvsep_Generate audio at edit cursor.lua")
    assert fake.messages[-1][0] == ("Generate audio with Stable Audio Open Gen at 3.250 s?\n\n"
                                    "Estimated cost: about 1 credit.")
    assert not list((world.spool / "requests").glob("*.json")) and ("mvsep_bridge", "last_generate") not in fake.ext_state
    fake.menu_choices = ["Stable Audio Open Gen", "Output: flac (16 bit)"]
    fake.inputs = [[prompt, "4"]]
    fake.run(scripts / "mvsep_Generate audio at edit cursor.lua")
    assert "Stable Audio Open Gen" in fake.menus[0] and "BS Roformer" not in fake.menus[0]  # no-upload ones only
    assert fake.dialogs[0][1].split(",")[:2] == ["Text prompt", "Length (in seconds)"]
    run_until(fake, world, lambda: project.undo_points, "the inserts")
    assert fake.console == [], fake.console
    assert project.undo_points == ["MVSEP: insert generated audio at 3.250 s (Stable Audio Open Gen)"]
    assert [t.name for t in project.tracks] == ["Keys", "Stable Audio Open Gen: " + prompt[:40]]
    (item,) = project.tracks[1].items
    assert item.values["D_POSITION"] == 3.25 and item.values["D_LENGTH"] == pytest.approx(4.0)
    path = Path(item.active_take.source.filename)
    assert path.is_relative_to(Path(project.media_dir) / "MVSEP"), path
    info = sf.info(str(path))  # libsndfile's reading of what the item plays
    assert (info.format, info.frames, info.samplerate) == ("FLAC", 4 * 44_100, 44_100)
    # the server got the prompt exactly as typed, from one create; nothing was run
    (job,) = emulator.stats()["jobs"]
    assert (job["sep_type"], job["options"]["add_opt1"]) == (62, prompt)
    assert job["credits"] == 1  # what the estimate said
    assert not fake.processes and not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists()
    assert fake.undo(project) == "MVSEP: insert generated audio at 3.250 s (Stable Audio Open Gen)"
    assert project.describe() == as_it_was


TYPED = {"Text prompt": "Hello there, how are you today", "Speaker": "Vivian", "Language": "English",
         "Voice description": "warm, slow; a \"radio\" voice", "Model type": "1"}


def test_text_to_speech_runs_with_what_the_catalog_asks_for(spool_world, fake, emulator):
    """VibeVoice, Bark and both Qwen3-TTS through "Generate audio at edit cursor…": each asks the
    fields the catalog gives it (the emulator's catalog, like MVSEP's published field list, knows
    no speaker or language values, so they are typed), the values reach the server as typed, the
    speech lands at the cursor."""
    world = spool_world
    project = fake.current
    scripts = install(fake, world.env)
    world.start()
    catalog = {a["sep_type"]: a for a in world.catalog()}
    words = len(TYPED["Text prompt"].split())
    for n, sep_type in enumerate((104, 115, 118, 119)):
        algorithm = catalog[sep_type]
        project.cursor = 10.0 * n
        fake.menu_choices = [algorithm["name"]] + [
            f"{f['text']}: {next(c['label'] for c in f['choices'] if c['key'] == f['default'])}"
            for f in algorithm["fields"]] + ["Output: wav (16 bit)"]
        fake.inputs = [[TYPED[f["text"]] for f in algorithm["text_fields"]]]
        fake.run(scripts / "mvsep_Generate audio at edit cursor.lua")
        assert fake.dialogs[-1][1].split(",")[:len(algorithm["text_fields"])] == [f["text"] for f in algorithm["text_fields"]]
        run_until(fake, world, lambda: len(project.undo_points) == n + 1, f"the speech of {sep_type}")
        assert fake.console == [], fake.console
        assert project.undo_points[-1] == f"MVSEP: insert generated audio at {10.0 * n:.3f} s ({algorithm['name']})"
        track = project.tracks[-1]
        assert track.name == f"{algorithm['name']}: {TYPED['Text prompt'][:40]}"
        (item,) = track.items
        info = sf.info(item.active_take.source.filename)
        assert (info.format, info.frames) == ("WAV", round(words * 0.4 * 44_100))  # the emulator's 0.4 s a word
        assert item.values["D_POSITION"] == 10.0 * n and item.values["D_LENGTH"] == pytest.approx(info.duration)
        (job,) = [j for j in emulator.stats()["jobs"] if j["sep_type"] == sep_type]  # one create each
        assert job["options"] == {f["name"]: TYPED[f["text"]] for f in algorithm["text_fields"]}
    assert len(project.tracks) == 4
