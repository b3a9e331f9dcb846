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



def test_a_tablet_sends_floats_and_listens_on_its_own_port(osc):
    """TouchOSC: every number is a float; replies go to the port it listens on (osc.reply_port)."""
    port = free_udp_port()
    daemon = osc.start(reply_port=port)
    tablet = daemon.listener(port)
    sender = daemon.client()
    song = write_wav(osc.music / "pad.wav", seconds=2.0)

    sender.send("/mvsep/separate", str(song), 41.0, 1.0, "length=1.5", "tag=pad 7")
    job, path, tag = tablet.expect("/mvsep/accepted")
    done = tablet.expect("/mvsep/done", job)
    assert done[-1] == "pad 7"
    check_stems(done[:-1], frames=round(1.5 * RATE), count=2)
    assert [p.endswith(".wav") for p in done[2:-1]] == [True, True]  # output_format 1.0 is wav

    sender.send("/mvsep/separate", str(song), 40.5, "tag=pad 8")
    code, message, tag = tablet.expect("/mvsep/error", "bad_arguments")
    assert "sep_type must be a whole number, got 40.5" in message and tag == "pad 8"
    assert sender.of("/mvsep/accepted") == [] and sender.of("/mvsep/error") == []


def test_subscribers_see_every_job_and_every_error_until_they_unsubscribe(osc):
    daemon = osc.start()
    monitor = daemon.listener()
    subscriber = daemon.client()  # subscribes the monitor's port from its own address
    subscriber.send("/mvsep/subscribe", monitor.port)
    monitor.expect("/mvsep/subscribed", monitor.port)

    client = daemon.client()
    first = write_wav(osc.music / "first.wav", seconds=1.0, seed=1)
    client.send("/mvsep/separate", str(first), 44, "tag=a")
    job, *_ = client.expect("/mvsep/accepted")
    done = client.expect("/mvsep/done", job)
    assert monitor.expect("/mvsep/accepted", job) == (job, str(first), "a")
    assert monitor.expect("/mvsep/done", job) == done
    client.send("/mvsep/status", "no-such-job")
    assert monitor.expect("/mvsep/error", "unknown_job")[1] == client.expect("/mvsep/error", "unknown_job")[1]

    subscriber.send("/mvsep/unsubscribe", monitor.port)
    monitor.expect("/mvsep/unsubscribed", monitor.port)
    second = write_wav(osc.music / "second.wav", seconds=1.0, seed=2)
    client.send("/mvsep/separate", str(second), 44)
    job2, *_ = client.expect("/mvsep/accepted", where=lambda args: args[1] == str(second))
    client.expect("/mvsep/done", job2)
    client.send("/mvsep/nothing")
    client.expect("/mvsep/error", "unknown_address")
    # the monitor would have had them by now: the same send goes to every target at once
    assert [m for m in monitor.received if job2 in m[1] or m[1][:1] == ("unknown_address",)] == []
    assert len(monitor.of("/mvsep/error")) == 1


def test_listings_fit_a_datagram_each_and_end_with_a_count(osc):
    daemon = osc.start()
    client = daemon.client()
    song = write_wav(osc.music / "listed.wav", seconds=1.0)
    client.send("/mvsep/separate", str(song), "tag=listed")
    job, *_ = client.expect("/mvsep/accepted")
    client.expect("/mvsep/done", job)

    client.send("/mvsep/jobs")
    assert client.expect("/mvsep/jobs/end") == (1, 1)
    assert client.of("/mvsep/job") == [(job, "done", 1.0, 0, str(song), "listed")]

    client.send("/mvsep/algorithms")
    (count,) = client.expect("/mvsep/algorithms/end")
    entries = client.of("/mvsep/algorithm")
    assert count == len(entries) == 5  # the local engine's models (README "The local engine")
    assert {e[0] for e in entries} == {20, 40, 41, 44, 55}
    client.send("/mvsep/algorithms", "phantom")
    assert client.expect("/mvsep/algorithms/end", 1, timeout=10) == (1,)
    assert len(client.of("/mvsep/algorithm", 55)) == 2  # once in each listing


def test_cancel_stops_a_job_and_says_so(osc, emulator):
    emulator.configure(waiting_seconds=30)  # the job waits in MVSEP's queue long enough to cancel
    account = emulator.create_account(credits=100)
    daemon = osc.start(base_url=emulator.base_url, token=account.token)
    client = daemon.client()
    song = write_wav(osc.music / "long wait.wav", seconds=1.0)
    client.send("/mvsep/separate", str(song), 40, "tag=stop me")
    job, *_ = client.expect("/mvsep/accepted")
    client.expect("/mvsep/progress", job, "remote", timeout=60)
    client.send("/mvsep/cancel", job)
    assert client.expect("/mvsep/failed", job, timeout=60) == (job, "cancelled", "stop me")
    assert store_states(daemon.data_dir) == {job: "cancelled"}
    client.send("/mvsep/cancel", job)
    code, message, tag = client.expect("/mvsep/error", "not_running", timeout=10)
    assert job in message and tag == "stop me"
