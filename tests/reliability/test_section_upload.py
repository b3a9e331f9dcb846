"""A 30 s section of a 5-minute song uploads as the section, never the whole file: the bytes the
emulator received for the create are at most the section as lossless FLAC at the source's bit
depth (encoded here by libsndfile) plus the multipart form around it; with the default margin
(section_margin_seconds, real audio on both sides for clean edges) the section and its margins."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from . import NO_FIXED_PORT
from harness import DaemonProcess, run_cli, tone_mix
from processes import daemon_env

RATE = 48_000
START, LENGTH = 60.0, 30.0
FORM_OVERHEAD = 4096  # multipart boundaries, the token, sep_type, output_format, the file name


@pytest.mark.parametrize("subtype, margin", [("PCM_16", 0.0), ("PCM_24", 0.0), ("PCM_16", 2.0)])
def test_only_the_section_is_uploaded_at_most_as_lossless_flac(emulator, tmp_path, subtype, margin):
    song = tone_mix(300.0, RATE)
    source = tmp_path / "song.wav"
    sf.write(source, song, RATE, subtype=subtype)
    section = song[int((START - margin) * RATE):int((START + LENGTH + margin) * RATE)]
    sf.write(tmp_path / "section.flac", section, RATE, format="FLAC", subtype=subtype)
    section_flac = (tmp_path / "section.flac").stat().st_size
    sf.write(tmp_path / "whole.flac", song, RATE, format="FLAC", subtype=subtype)
    whole_flac = (tmp_path / "whole.flac").stat().st_size

    emulator.configure(rate_limit_slow=1200)
    account = emulator.create_account(premium=True)
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token, **NO_FIXED_PORT,
                     MVSEP_BRIDGE_SECTION_MARGIN_SECONDS=str(margin))
    daemon = DaemonProcess(env, tmp_path / "daemon.log")
    try:
        result = run_cli(["separate", str(source), "--start", str(START), "--length", str(LENGTH),
                          "--sep-type", "40", "--out", str(tmp_path / "out"), "--json"], env)
    finally:
        daemon.kill()

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["state"] == "done"
    create = emulator.stats()["endpoints"]["/api/separation/create"]
    assert create["requests"] == 1
    assert create["bytes_in"] <= section_flac + FORM_OVERHEAD, (create["bytes_in"], section_flac)
    assert create["bytes_in"] < whole_flac / 5
    stem = next((tmp_path / "out" / "song").glob("*.flac"))
    assert sf.info(str(stem)).frames == int(LENGTH * RATE)
    assert np.isfinite(sf.read(str(stem))[0]).all()
