"""No audio in: generation and speech from text options alone; voice cloning from a reference voice."""

from __future__ import annotations

import json

import requests
import soundfile as sf

from mvsep_bridge.daemon.control.client import ControlClient
from mvsep_bridge.daemon.jobs.model import JobRequest

from .crash import crash_during_create
from harness import read_manifest, run_cli, write_wav
from processes import daemon_env


def test_generate_makes_audio_of_the_requested_length_from_a_prompt(emulator, tmp_path):
    account = emulator.create_account(credits=100)
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)

    result = run_cli(["generate", "--sep-type", "62", "--prompt", "a calm piano by the sea", "--length", "10",
                      "--out", str(tmp_path / "out"), "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    folder = tmp_path / "out" / "a_calm_piano_by_the_sea"
    assert view["state"] == "done" and view["result_dir"] == str(folder)
    assert view["request"]["options"] == {"add_opt1": "a calm piano by the sea", "add_opt2": "10"}
    [stem] = view["stems"]
    info = sf.info(str(folder / stem["file"]))
    assert (info.samplerate, info.frames, info.format) == (44_100, 10 * 44_100, "FLAC")
    assert (stem["sample_rate"], stem["frames"]) == (44_100, 10 * 44_100)
    manifest = read_manifest(folder)
    assert manifest["source"] is None and manifest["credits"] == 1
    assert manifest["algorithm"]["options"] == {"add_opt1": "a calm piano by the sea", "add_opt2": 10}
    stats = emulator.stats()
    [job] = stats["jobs"]
    assert (job["sep_type"], job["credits"], stats["credits"][account.email]) == (62, 1, 99)
    assert stats["creates"]["per_account"][account.email] == 1


def test_speech_takes_its_speaker_and_language_by_name(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)

    result = run_cli(["generate", "--sep-type", "118", "--prompt", "Hello there, how are you today",
                      "--speaker", "Vivian", "--language", "English", "--voice-description", "warm",
                      "--format", "1", "--out", str(tmp_path / "out"), "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    assert view["request"]["options"] == {"add_opt1": "Hello there, how are you today", "add_opt2": "Vivian",
                                          "add_opt3": "English", "add_opt4": "warm"}
    [stem] = view["stems"]
    info = sf.info(str(tmp_path / "out" / "Hello_there_how_are_you_today" / stem["file"]))
    assert info.format == "WAV" and info.frames == round(6 * 0.4 * 44_100)  # the emulator's 0.4 s a word
    [job] = emulator.stats()["jobs"]
    assert job["options"]["add_opt2"] == "Vivian"


def test_voice_cloning_speaks_in_the_reference_voice(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    voice = write_wav(tmp_path / "my voice.wav", seconds=2.0)

    result = run_cli(["generate", "--sep-type", "120", "--reference", str(voice), "--prompt", "say these four words",
                      "--language", "English", "--out", str(tmp_path / "out"), "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    assert view["request"]["options"]["add_opt3"] == "english"  # the choice's label given, its key sent
    folder = tmp_path / "out" / "say_these_four_words"
    manifest = read_manifest(folder)
    assert manifest["source"] is None and manifest["reference"]["path"] == str(voice)
    assert manifest["reference"]["frames"] == 2 * 48_000
    [stem] = manifest["stems"]
    assert sf.info(str(folder / stem["file"])).frames == round(4 * 0.4 * 44_100)  # new speech, not the voice cut
    [job] = emulator.stats()["jobs"]
    assert job["sep_type"] == 120 and job["input_seconds"] == 2.0


def test_free_text_is_checked_as_the_server_would_and_kept_literally(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    out = tmp_path / "out"

    too_long = run_cli(["generate", "--sep-type", "62", "--prompt", "la " * 2000, "--out", str(out)], env)
    control = run_cli(["generate", "--sep-type", "62", "--prompt", "ring \x07 bell", "--out", str(out)], env)
    empty = run_cli(["generate", "--sep-type", "104", "--out", str(out)], env)
    no_field = run_cli(["generate", "--sep-type", "104", "--prompt", "hi", "--length", "3", "--out", str(out)], env)
    tricky = '"; rm -rf ~ $(id) `id` ../../escape [bold]red[/bold] <b>&amp;'
    kept = run_cli(["generate", "--sep-type", "62", "--prompt", tricky, "--length", "1", "--out", str(out),
                    "--json"], env)

    assert too_long.returncode == 2 and "6000 characters long; at most 5000" in too_long.stderr
    assert control.returncode == 2 and "control characters" in control.stderr
    assert empty.returncode == 2 and "needs add_opt2 (Text prompt)" in empty.stderr
    assert no_field.returncode == 2 and "has no length field for --length" in no_field.stderr
    assert kept.returncode == 0, kept.stderr
    [view] = json.loads(kept.stdout)
    folder = out / "rm_-rf_id_id"  # the first six words, letters and digits only
    assert view["result_dir"] == str(folder)
    assert read_manifest(folder)["algorithm"]["options"]["add_opt1"] == tricky
    assert [p.name for p in out.iterdir()] == [folder.name] and not (tmp_path / "escape").exists()
    [job] = emulator.stats()["jobs"]  # only the good one was sent; the server got the text as is
    assert job["options"]["add_opt1"] == tricky


def test_an_audio_input_to_a_text_model_and_the_local_engine_are_refused(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    song = write_wav(tmp_path / "song.wav")

    with_file = run_cli(["separate", str(song), "--sep-type", "62"], env)
    local = run_cli(["generate", "--sep-type", "62", "--prompt", "rain", "--out", str(tmp_path)],
                    daemon_env(tmp_path / "local-data"))

    assert with_file.returncode == 2
    assert "sep_type 62 (Stable Audio Open Gen) makes generated audio from text and takes no audio input" in with_file.stderr
    assert "mvsep-bridge generate --sep-type 62 --prompt TEXT" in with_file.stderr
    assert local.returncode == 2 and "sep_type 62 makes generated audio, which only MVSEP's servers do" in local.stderr
    assert "mvsep-bridge account login" in local.stderr
    assert emulator.stats()["creates"]["per_account"][account.email] == 0


def test_kill_9_while_a_generation_is_created_then_restart_creates_it_once(emulator, daemons, tmp_path):
    emulator.configure(fault_path="/api/separation/create", delay_seconds=2.0)
    account = emulator.create_account()
    data = tmp_path / "data"
    daemon = daemons(daemon_env(data, emulator.base_url, account.token))
    control = ControlClient.discover(data)
    control.check()
    job = control.submit(JobRequest(sep_type=62, options={"add_opt1": "rain on a roof", "add_opt2": "2"},
                                    destination=tmp_path / "out", name="rain")).id

    crash_during_create(emulator, daemon, data, job)

    assert emulator.stats()["creates"]["per_account"][account.email] == 1
    manifest = read_manifest(tmp_path / "out" / "rain")
    assert manifest["job"] == job
    assert sf.info(str(tmp_path / "out" / "rain" / manifest["stems"][0]["file"])).frames == 2 * 44_100


def test_a_long_prompt_with_long_filenames_on_still_gives_a_result(emulator, tmp_path):
    # MVSEP puts the options into result names when long filenames are on: a 5000-character
    # prompt must not make a name the file system refuses
    account = emulator.create_account()
    assert requests.post(f"{emulator.base_url}/api/app/enable_long_filenames", data={"api_token": account.token},
                         timeout=10).json()["success"]
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    prompt = ("a slow string quartet " * 250)[:5000]

    result = run_cli(["generate", "--sep-type", "62", "--prompt", prompt, "--length", "1", "--out", str(tmp_path / "out"),
                      "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    assert view["state"] == "done" and view["request"]["options"]["add_opt1"] == prompt
    [job] = emulator.stats()["jobs"]
    [name] = job["files"]
    assert "[mvsep]" in name and len(name.encode()) < 255
    assert sf.info(str(tmp_path / "out" / "a_slow_string_quartet_a_slow" / view["stems"][0]["file"])).frames == 44_100
