"""Two inputs: Matchering masters a target to sound like a reference; the result is aligned to
the target like any stem (its rate, its frames, no shift left)."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from harness import read_manifest, run_cli, tone_mix
from processes import daemon_env


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_match_masters_the_target_to_the_references_loudness_aligned_to_the_target(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    target = tmp_path / "demo mix.wav"
    sf.write(target, 0.2 * tone_mix(3.0, 48_000, seed=1), 48_000, subtype="PCM_24")
    reference = tmp_path / "reference.flac"
    sf.write(reference, tone_mix(2.0, 44_100, seed=2), 44_100)

    result = run_cli(["match", str(target), "--reference", str(reference), "--out", str(tmp_path / "out"),
                      "--format", "1", "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    folder = tmp_path / "out" / "demo mix"
    manifest = read_manifest(folder)
    assert manifest["algorithm"]["sep_type"] == 68
    assert manifest["source"]["path"] == str(target) and manifest["source"]["frames"] == 3 * 48_000
    assert manifest["reference"]["path"] == str(reference) and manifest["reference"]["sample_rate"] == 44_100
    [stem] = view["stems"]
    mastered, rate = sf.read(str(folder / stem["file"]))
    original, _ = sf.read(str(target))
    assert rate == 48_000 and mastered.shape == original.shape  # the target's rate and frames
    assert abs(_rms(mastered) - _rms(tone_mix(2.0, 44_100, seed=2))) < 0.02  # the reference's loudness
    # same timing as the target: the best match is at lag 0
    a, b = original[:, 0], mastered[:, 0]
    lags = range(-200, 201)
    best = max(lags, key=lambda lag: float(np.dot(a[1000:-1000], np.roll(b, -lag)[1000:-1000])))
    assert best == 0
    [job] = emulator.stats()["jobs"]
    assert job["sep_type"] == 68 and job["input_seconds"] == 3.0  # priced on the target


def test_matchering_needs_both_files_and_the_local_engine_says_to_use_mvsep(emulator, tmp_path):
    account = emulator.create_account()
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    song = tmp_path / "song.wav"
    sf.write(song, tone_mix(1.0), 48_000)

    alone = run_cli(["separate", str(song), "--sep-type", "68"], env)
    missing = run_cli(["match", str(song), "--reference", str(tmp_path / "nope.wav")], env)
    local = run_cli(["match", str(song), "--reference", str(song)], daemon_env(tmp_path / "local-data"))

    assert alone.returncode == 2 and "it takes two local files" in alone.stderr
    assert "mvsep-bridge match TARGET --reference REF" in alone.stderr
    assert missing.returncode == 2 and "nope.wav: no such file" in missing.stderr
    assert local.returncode == 2 and "sep_type 68 makes a mastered track, which only MVSEP's servers do" in local.stderr
    assert emulator.stats()["creates"]["per_account"][account.email] == 0
