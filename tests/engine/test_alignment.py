"""Every output format: stems at the source's rate, exactly the section's frames, aligned to the
sample, with the emulator returning 44.1 kHz for a 48 kHz source and real codec delay."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.control.client import ControlClient
from mvsep_bridge.daemon.emulator.config import FAST_TIMINGS
from mvsep_bridge.daemon.jobs.model import JobRequest

from emulator_handle import start_emulator
from harness import DaemonProcess, read_manifest, run_cli, store_states, wait_for, write_wav
from processes import daemon_env

START, LENGTH, RATE = 0.25, 1.5, 48_000
FORMATS = [0, 1, 2, 3, 4, 5]


@pytest.fixture(scope="module")
def separated(tmp_path_factory):
    """One daemon, one job per output format (premium: 4 and 5 are premium-only)."""
    root = tmp_path_factory.mktemp("formats")
    emulator = start_emulator(root / "emulator", rate_limit_slow=1200, **FAST_TIMINGS)
    daemon = None
    try:
        account = emulator.create_account(premium=True)
        source = write_wav(root / "song.wav", seconds=2.5, rate=RATE)
        env = daemon_env(root / "data", emulator.base_url, account.token, home=root / "home")
        daemon = DaemonProcess(env, root / "daemon.log")
        control = ControlClient.discover(root / "data")
        jobs = {fmt: control.submit(JobRequest(source=source, sep_type=40, output_format=fmt, start=START,
                                               length=LENGTH, destination=root / f"out{fmt}")).id
                for fmt in FORMATS}
        wait_for(lambda: all(store_states(root / "data").get(j) in ("done", "failed") for j in jobs.values()),
                 timeout=120, what="every format's job")
        yield {fmt: control.get(job) for fmt, job in jobs.items()}, source, root
    finally:
        if daemon:
            daemon.kill()
        emulator.stop()


@pytest.mark.parametrize("output_format", FORMATS)
def test_stems_line_up_with_the_section_in_every_format(separated, output_format):
    views, source, root = separated
    view = views[output_format]
    assert str(view.state) == "done", view.error
    _assert_lined_up(root / f"out{output_format}" / "song", source, output_format)


@pytest.mark.parametrize("output_format", [2, 0])
def test_stems_that_arrive_slowly_and_break_midway_still_line_up(emulator, daemons, tmp_path, output_format):
    """The lag is measured while the stems download (jobs/arriving.py): a slow link, and a
    download that breaks and resumes, change nothing in what is written."""
    account = emulator.create_account(premium=True)
    env = daemon_env(tmp_path / "data", emulator.base_url, account.token)
    daemons(env)
    emulator.configure(rate_limit_slow=1200, download_bandwidth=100_000, truncate_next=1)
    source = write_wav(tmp_path / "song.wav", seconds=2.5, rate=RATE)

    result = run_cli(["separate", str(source), "--sep-type", "40", "--format", str(output_format),
                      "--start", str(START), "--length", str(LENGTH), "--json"], env)

    assert result.returncode == 0, result.stderr
    assert emulator.stats()["faults_fired"].get("truncate_next") == 1, "no download broke"
    _assert_lined_up(tmp_path / "song", source, output_format)


def _assert_lined_up(folder, source, output_format: int) -> None:
    """The stems hold exactly the section's frames at its rate, and their sum lines up with it."""
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
    # measured, not assumed (plain numpy, not our lag finder): the stems' sum against the section
    lag = _lag(section.mean(axis=1), total.mean(axis=1), max_lag=RATE // 10)
    assert abs(lag) <= 1, f"format {output_format}: stems are {lag} samples off"
    # and it is the music, not silence lined up by chance
    assert np.corrcoef(section.mean(axis=1), total.mean(axis=1))[0, 1] > 0.9


def _lag(reference: np.ndarray, candidate: np.ndarray, max_lag: int) -> int:
    """L in ±max_lag maximising sum(reference[n] * candidate[n + L]), by a zero-padded FFT."""
    n = 1 << (2 * max(len(reference), len(candidate))).bit_length()
    circular = np.fft.irfft(np.fft.rfft(candidate, n) * np.conj(np.fft.rfft(reference, n)), n)
    lags = np.r_[0:max_lag + 1, -max_lag:0]
    return int(lags[np.argmax(np.r_[circular[:max_lag + 1], circular[-max_lag:]])])
