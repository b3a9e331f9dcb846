"""Result audio: every output format decodes to the right rate and length, and the stems sum back
to the input (lossless within 1e-4; lossy after cross-correlation alignment)."""

from __future__ import annotations

import numpy as np
import pytest
import requests
import soxr
from scipy import signal

from .helpers import create, download_decode, tone, wait_for, wav_bytes

RATE = 44100


def _aligned_residual(mix: np.ndarray, reference: np.ndarray) -> float:
    """RMS of (mix - reference) after shifting mix by the lag of best correlation, relative to
    the reference's RMS: lossy codecs add delay and padding."""
    a, b = mix[:, 0].astype(np.float64), reference[:, 0].astype(np.float64)
    lag = int(np.argmax(signal.correlate(a, b, mode="full", method="fft"))) - (len(b) - 1)
    assert 0 <= lag < 5000, lag
    shifted = mix[lag:lag + len(reference)]
    n = min(len(shifted), len(reference))
    body = slice(2048, n - 2048)  # codec edges ring
    residual = shifted[body] - reference[body]
    return float(np.sqrt(np.mean(residual**2)) / np.sqrt(np.mean(reference[body] ** 2)))


@pytest.mark.parametrize("output_format", [0, 1, 2, 3, 4, 5])
def test_every_format_decodes_and_stems_sum_to_the_input(mvsep, tmp_path, output_format):
    account = mvsep.create_account(premium=True)
    source = tone(1.5, RATE)
    answer = create(mvsep.base_url, account.token, wav_bytes(source, RATE), sep_type=20,
                    output_format=output_format)
    assert answer.status_code == 200, answer.text
    done = wait_for(mvsep.base_url, answer.json()["data"]["hash"])
    assert done["status"] == "done", done
    files = done["data"]["files"]
    assert [f["type"] for f in files] == ["Vocals", "Drums", "Bass", "Other"]
    ext = {0: "mp3", 1: "wav", 2: "flac", 3: "m4a", 4: "wav", 5: "flac"}[output_format]
    assert all(f["download"] == f"song_{s}.{ext}" for f, s in zip(files, ["vocals", "drums", "bass", "other"]))
    stems = []
    for f in files:
        samples, rate = download_decode(f["url"], tmp_path, f["download"])
        assert rate == RATE and samples.shape[1] == 2
        assert f["bytes"] == len(requests.get(f["url"], timeout=10).content)
        stems.append(samples)
        if output_format in (0, 3):
            assert len(samples) >= len(source)  # encoder delay and padding are real
        else:
            assert len(samples) == len(source)
    total = np.sum([s[: min(map(len, stems))] for s in stems], axis=0)
    if output_format in (0, 3):
        assert _aligned_residual(total, source) < 0.05
    else:
        # 1e-4, except that each 16-bit stem may be off by one LSB (rounding and 32767 scaling)
        tolerance = len(stems) * 2.0**-15 if output_format in (1, 2) else 1e-4
        assert np.max(np.abs(total - source)) < tolerance
    assert all(np.sqrt(np.mean(s**2)) > 1e-3 for s in stems)  # every band carries signal


def test_other_input_rates_come_back_at_44k1(mvsep, tmp_path):
    account = mvsep.create_account()
    source = tone(1.0, 48000)
    answer = create(mvsep.base_url, account.token, wav_bytes(source, 48000), sep_type=40,
                    output_format=2)
    done = wait_for(mvsep.base_url, answer.json()["data"]["hash"])
    stems = [download_decode(f["url"], tmp_path, f["download"]) for f in done["data"]["files"]]
    expected = soxr.resample(source, 48000, RATE)
    for samples, rate in stems:
        assert rate == RATE and len(samples) == len(expected)
    assert np.max(np.abs(sum(s for s, _ in stems) - expected)) < len(stems) * 2.0**-15


def test_resampling_can_be_switched_off(mvsep, tmp_path):
    mvsep.configure(resample_44k=False)
    account = mvsep.create_account()
    source = tone(1.0, 48000)
    answer = create(mvsep.base_url, account.token, wav_bytes(source, 48000), sep_type=40,
                    output_format=1)
    done = wait_for(mvsep.base_url, answer.json()["data"]["hash"])
    for f in done["data"]["files"]:
        samples, rate = download_decode(f["url"], tmp_path, f["download"])
        assert rate == 48000 and len(samples) == len(source)


def test_downloads_support_range_requests(mvsep):
    account = mvsep.create_account()
    answer = create(mvsep.base_url, account.token, wav_bytes(tone(1.0), RATE), sep_type=40,
                    output_format=1)
    url = wait_for(mvsep.base_url, answer.json()["data"]["hash"])["data"]["files"][0]["url"]
    whole = requests.get(url, timeout=10).content
    head = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
    assert head.status_code == 206 and head.content == whole[:100]
    assert head.headers["Content-Range"] == f"bytes 0-99/{len(whole)}"
    tail = requests.get(url, headers={"Range": "bytes=100-"}, timeout=10)
    assert tail.status_code == 206 and head.content + tail.content == whole


def test_long_filenames_change_the_result_names(mvsep):
    account = mvsep.create_account()
    audio = wav_bytes(tone(0.5), RATE)
    requests.post(f"{mvsep.base_url}/api/app/enable_long_filenames",
                  data={"api_token": account.token}, timeout=10)
    long = wait_for(mvsep.base_url, create(mvsep.base_url, account.token, audio, sep_type=40,
                                           add_opt1=81).json()["data"]["hash"])
    requests.post(f"{mvsep.base_url}/api/app/disable_long_filenames",
                  data={"api_token": account.token}, timeout=10)
    short = wait_for(mvsep.base_url, create(mvsep.base_url, account.token, audio, sep_type=40,
                                            add_opt1=81).json()["data"]["hash"])
    long_names = [f["download"] for f in long["data"]["files"]]
    assert [f["download"] for f in short["data"]["files"]] == ["song_vocals.mp3", "song_instrumental.mp3"]
    assert all(n.startswith("song_") and "BS-Roformer" in n and "1-81" in n for n in long_names)
    for f in long["data"]["files"]:
        assert requests.get(f["url"], timeout=10).status_code == 200
