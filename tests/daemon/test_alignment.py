"""Every output format: stems at the source's rate, exactly the section's frames, aligned to the
sample, with the emulator returning 44.1 kHz for a 48 kHz source and real codec delay."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.audio.align import find_lag

from .helpers import daemon_env, read_manifest, run_cli, write_wav

START, LENGTH, RATE = 0.25, 1.5, 48_000


@pytest.mark.parametrize("output_format", [0, 1, 2, 3, 4, 5])
def test_stems_line_up_with_the_section_in_every_format(emulator, tmp_path, output_format):
    account = emulator.create_account(premium=True)  # formats 4 and 5 are premium-only
    source = write_wav(tmp_path / "song.wav", seconds=2.5, rate=RATE)
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)

    result = run_cli(["separate", str(source), "--sep-type", "40", "--format", str(output_format),
                      "--out", str(tmp_path / "out"), "--start", str(START), "--length", str(LENGTH),
                      "--json"], env)

    assert result.returncode == 0, result.stderr
    [view] = json.loads(result.stdout)
    assert view["state"] == "done"
    folder = tmp_path / "out" / "song"
    manifest = read_manifest(folder)
    original, _ = sf.read(source, dtype="float32", always_2d=True)
    first, frames = round(START * RATE), round(LENGTH * RATE)
    section = original[first:first + frames]
    assert manifest["source"]["frames"] == frames and manifest["source"]["sample_rate"] == RATE
    assert manifest["output_format"] == output_format
    ext = codecs.extension(output_format)
    total = np.zeros_like(section, dtype=np.float64)
    assert {s["name"] for s in manifest["stems"]} == {"vocals", "instrumental"}
    for stem in manifest["stems"]:
        assert stem["file"].endswith(f".{ext}")
        samples, rate = codecs.decode(folder / stem["file"])
        assert rate == RATE and samples.shape == section.shape, (stem, rate, samples.shape)
        total += samples
    # measured, not assumed: the stems' sum against the section, ±1 sample
    lag = find_lag(section, total, max_lag=RATE // 10)
    assert abs(lag) <= 1, f"format {output_format}: stems are {lag} samples off"
    # and it is the music, not silence lined up by chance
    assert np.corrcoef(section.mean(axis=1), total.mean(axis=1))[0, 1] > 0.9
