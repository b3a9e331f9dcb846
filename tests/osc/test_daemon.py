"""The OSC bridge in a real daemon process, driven by real UDP clients (python-osc, liblo)."""

from __future__ import annotations

import struct
import subprocess

import soundfile as sf
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from daemon.helpers import store_states, wait_for, write_wav

from .world import free_udp_port

RATE = 48_000
STATES = {"queued", "preparing", "uploading", "remote", "downloading", "finishing"}


def raw(address: str, *args: tuple[str, object]) -> bytes:
    builder = OscMessageBuilder(address)
    for tag, value in args:
        builder.add_arg(value, tag)
    return builder.build().dgram


def check_stems(done: tuple, frames: int, count: int) -> None:
    """/mvsep/done's stems are on disk, each exactly `frames` long (read by libsndfile)."""
    job, folder, *stems = done
    assert len(stems) == count
    for stem in stems:
        assert stem.startswith(folder + "/")
        info = sf.info(stem)
        assert (info.frames, info.samplerate) == (frames, RATE)


def test_python_osc_end_to_end_with_a_section_on_mvsep(osc, emulator):
    account = emulator.create_account(credits=100)
    daemon = osc.start(base_url=emulator.base_url, token=account.token)
    song = write_wav(osc.music / "song one.wav", seconds=3.0)
    client = daemon.client()

    client.send("/mvsep/separate", str(song), 40, 2, "start=0.5", "length=1.25", "tag=take-1")

    job, path, tag = client.expect("/mvsep/accepted")
    assert (path, tag) == (str(song), "take-1")
    done = client.expect("/mvsep/done", job, timeout=120)
    assert done[-1] == "take-1"
    check_stems(done[:-1], frames=round(1.25 * RATE), count=2)
    progress = client.of("/mvsep/progress", job)
    assert progress, "no progress before done"
    for _, state, fraction, place, tag in progress:
        assert state in STATES and 0.0 <= fraction <= 1.0 and place >= 0 and tag == "take-1"
    assert "remote" in {p[1] for p in progress}
    fractions = [p[2] for p in progress]
    assert fractions == sorted(fractions)
    assert len(set(progress)) == len(progress), "a progress message repeated what was already shown"

    client.send("/mvsep/status", job)
    assert client.expect("/mvsep/done", job, timeout=10) == done


def test_oscsend_starts_a_job_and_oscdump_hears_its_events(osc):
    reply_port = free_udp_port()
    daemon = osc.start(reply_port=reply_port)
    song = write_wav(osc.music / "liblo.wav", seconds=1.0)
    dump = subprocess.Popen(["oscdump", "-L", str(reply_port)], stdout=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        # oscdump is ready once it hears a pong (sent to the reply port, as everything is)
        wait_for(lambda: _pinged(daemon.port, dump, lines), timeout=20, what="oscdump to hear a pong")
        subprocess.run(["oscsend", "127.0.0.1", str(daemon.port), "/mvsep/separate", "sis",
                        str(song), "40", "tag=from-liblo"], check=True, timeout=10)
        wait_for(lambda: _read_until(dump, lines, "/mvsep/done"), timeout=60, what="/mvsep/done in oscdump")
    finally:
        dump.kill()
        dump.wait()
    kinds = [line.split()[1] for line in lines]  # oscdump: "<timetag> <address> <types> <args…>"
    assert kinds[0] == "/mvsep/pong"
    assert "/mvsep/accepted" in kinds and kinds[-1] == "/mvsep/done"
    done = next(line for line in lines if "/mvsep/done" in line)
    assert '"from-liblo"' in done and "vocals.flac" in done and "instrumental.flac" in done
    assert (osc.music / "liblo" / "vocals.flac").is_file()


def _pinged(port: int, dump: subprocess.Popen, lines: list[str]) -> bool:
    subprocess.run(["oscsend", "127.0.0.1", str(port), "/mvsep/ping"], check=True, timeout=10)
    return _read_until(dump, lines, "/mvsep/pong", timeout=0.3)


def _read_until(dump: subprocess.Popen, lines: list[str], address: str, timeout: float = 1.0) -> bool:
    import select

    while select.select([dump.stdout], [], [], timeout)[0]:
        line = dump.stdout.readline()
        if not line:
            return False
        lines.append(line.strip())
        if address in line:
            return True
    return False
