"""Results that are not audio stems: MIDI (80, 113, 114) and transcripts (39, 64) land in the
result folder, the manifest and JobView.other_files with their kind; read back with mido and srt."""

from __future__ import annotations

import json

import mido
import numpy as np
import soundfile as sf
import srt

from harness import read_manifest, run_cli
from processes import daemon_env

RATE = 48_000


def _tone(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return 0.3 * np.sin(2 * np.pi * freq * t)


def _write(path, *parts: np.ndarray):
    mono = np.concatenate(parts).astype(np.float32)
    sf.write(path, np.stack([mono, mono], axis=1), RATE, subtype="PCM_24")
    return path


def _played(path) -> list[tuple[int, float, float]]:
    """(note, start s, end s) as mido reads the file."""
    now, started, played = 0.0, {}, []
    for message in mido.MidiFile(str(path)):  # iterating a MidiFile yields times in seconds
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            started[message.note] = now
        elif message.type in ("note_off", "note_on"):
            played.append((message.note, started.pop(message.note), now))
    return played


def test_midi_extraction_writes_a_midi_file_of_the_notes_played(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    source = _write(tmp_path / "melody.wav", _tone(440.0, 1.0), _tone(659.255, 1.0), np.zeros(RATE // 2))

    result = run_cli(["separate", str(source), "--sep-type", "114", "--out", str(tmp_path / "out"), "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    folder = tmp_path / "out" / "melody"
    assert view["stems"] == []
    assert view["other_files"] == [{"name": "midi", "file": "midi.mid", "kind": "midi"}]
    assert read_manifest(folder)["other_files"] == view["other_files"]
    played = _played(folder / "midi.mid")
    assert [note for note, _, _ in played] == [69, 76]  # A4, then E5
    (_, a_start, a_end), (_, e_start, e_end) = played
    assert abs(a_start) < 0.06 and abs(a_end - 1.0) < 0.06
    assert abs(e_start - 1.0) < 0.06 and abs(e_end - 2.0) < 0.06
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "midi.mid"]


def test_a_transcript_comes_as_text_and_with_timestamps(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    silence = np.zeros(RATE // 2)
    source = _write(tmp_path / "talk.wav", silence, _tone(200.0, 1.0), silence, silence, _tone(300.0, 0.5), silence)

    result = run_cli(["separate", str(source), "--sep-type", "39", "--out", str(tmp_path / "out"), "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    folder = tmp_path / "out" / "talk"
    assert view["other_files"] == [
        {"name": "transcript", "file": "transcript.txt", "kind": "text"},
        {"name": "transcript_timestamps", "file": "transcript_timestamps.srt", "kind": "text"},
    ]
    assert read_manifest(folder)["other_files"] == view["other_files"]
    subtitles = list(srt.parse((folder / "transcript_timestamps.srt").read_text()))
    spans = [(s.start.total_seconds(), s.end.total_seconds()) for s in subtitles]
    assert len(spans) == 2
    for (start, end), (want_start, want_end) in zip(spans, [(0.5, 1.5), (2.5, 3.0)]):
        assert abs(start - want_start) < 0.05 and abs(end - want_end) < 0.05
    lines = (folder / "transcript.txt").read_text().splitlines()
    assert lines == [s.content for s in subtitles]
    listed = run_cli(["status", view["id"]], env).stdout
    assert "transcript_timestamps (text): transcript_timestamps.srt" in listed


def test_the_local_engine_refuses_midi_and_transcripts_and_says_how_to_use_mvsep(tmp_path):
    env = daemon_env(tmp_path / "data")
    source = _write(tmp_path / "melody.wav", _tone(440.0, 1.0))

    for sep_type, made in (("114", "MIDI"), ("39", "a transcript")):
        result = run_cli(["separate", str(source), "--sep-type", sep_type], env)

        assert result.returncode == 2, result.stderr
        assert f"sep_type {sep_type} makes {made}, which only MVSEP's servers do" in result.stderr
        assert "mvsep-bridge account login" in result.stderr
    assert not (tmp_path / "melody").exists()
