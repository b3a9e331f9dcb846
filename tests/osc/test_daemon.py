"""The OSC bridge in a real daemon process, driven by real UDP clients (python-osc, liblo)."""

from __future__ import annotations

import json
import socket
import struct
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from .world import bridges, free_udp_port
from harness import run_cli, store_states, wait_for, write_wav

RATE = 48_000
STATES = {"queued", "preparing", "uploading", "remote", "downloading", "finishing"}


def raw(address: str, *args: tuple[str, object]) -> bytes:
    builder = OscMessageBuilder(address)
    for tag, value in args:
        builder.add_arg(value, tag)
    return builder.build().dgram


def check_stems(done: tuple, frames: int, count: int) -> None:
    """/mvsep/done's stems are on disk, each exactly `frames` long (read by libsndfile)."""
    _job, folder, *stems = done
    assert len(stems) == count
    for stem in stems:
        assert stem.startswith(folder + "/")
        info = sf.info(stem)
        assert (info.frames, info.samplerate) == (frames, RATE)


def on_mvsep(osc, emulator, **knobs):
    """A daemon on the emulator (the MVSEP backend) with a fresh account; `knobs` set first."""
    if knobs:
        emulator.configure(**knobs)
    account = emulator.create_account(credits=100)
    return osc.start(base_url=emulator.base_url, token=account.token)


def remote_job(osc, daemon, name: str, tag: str):
    """A client and the job it started, once the job is on the server."""
    client = daemon.client()
    client.send("/mvsep/separate", str(write_wav(osc.music / name, seconds=1.0)), 40, f"tag={tag}")
    job, *_ = client.expect("/mvsep/accepted")
    client.expect("/mvsep/progress", job, "remote", timeout=60)
    return client, job


def test_python_osc_end_to_end_with_a_section_on_mvsep(osc, emulator):
    daemon = on_mvsep(osc, emulator)
    song = write_wav(osc.music / "song one.wav", seconds=3.0)
    client = daemon.client()

    client.send("/mvsep/separate", str(song), 40, 2, "start=0.5", "length=1.25", "tag=take-1")

    job, path, tag = client.expect("/mvsep/accepted")
    assert (path, tag) == (str(song), "take-1")
    done = client.expect("/mvsep/done", job, timeout=120)
    assert done[-1] == "take-1"
    check_stems(done[:-1], frames=round(1.25 * RATE), count=2)
    # the stems are that section of the song: their sum follows it sample for sample (the signal
    # has noise in it, so any other stretch of the song would not correlate)
    section = sf.read(song, dtype="float64")[0][round(0.5 * RATE):round(1.75 * RATE)]
    total = sum(sf.read(stem, dtype="float64")[0] for stem in done[2:-1])
    assert np.corrcoef(section.ravel(), total.ravel())[0, 1] > 0.9
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
    assert (path, tag) == (str(song), "pad 7")
    done = tablet.expect("/mvsep/done", job)
    assert done[-1] == "pad 7"
    check_stems(done[:-1], frames=round(1.5 * RATE), count=2)
    assert [p.endswith(".wav") for p in done[2:-1]] == [True, True]  # output_format 1.0 is wav

    sender.send("/mvsep/separate", str(song), 40.5, "tag=pad 8")
    _code, message, tag = tablet.expect("/mvsep/error", "bad_arguments")
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


def test_the_mvsep_catalog_one_datagram_per_algorithm(osc, emulator):
    daemon = on_mvsep(osc, emulator)
    listed = run_cli(["algorithms", "--json", "--offline"], env=daemon.process.env)
    expected = {e["sep_type"]: (e["name"], e["group"], e["price_coefficient"]) for e in json.loads(listed.stdout)}
    assert len(expected) > 50  # the real catalog: a listing in one datagram would not fit

    client = daemon.client()
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    client.send("/mvsep/algorithms")
    assert client.expect("/mvsep/algorithms/end") == (len(expected),)
    assert {a[0]: a[1:] for a in client.of("/mvsep/algorithm")} == expected
    assert client.largest <= 8192


def test_cancel_stops_a_job_and_says_so(osc, emulator):
    daemon = on_mvsep(osc, emulator, waiting_seconds=30)  # long enough in MVSEP's queue to cancel
    client, job = remote_job(osc, daemon, "long wait.wav", "stop me")
    other = daemon.client()  # a second control surface cancels it
    other.send("/mvsep/cancel", job)
    assert other.expect("/mvsep/failed", job, timeout=60) == (job, "cancelled", "stop me")
    assert client.expect("/mvsep/failed", job, timeout=60) == (job, "cancelled", "stop me")
    assert store_states(daemon.data_dir) == {job: "cancelled"}
    client.send("/mvsep/cancel", job)
    _code, message, tag = client.expect("/mvsep/error", "not_running", timeout=10)
    assert job in message and tag == "stop me"


def bundle(*datagrams: bytes) -> bytes:
    builder = OscBundleBuilder(IMMEDIATELY)
    for datagram in datagrams:
        builder.add_content(OscMessage(datagram))
    return builder.build().dgram


MALFORMED = [
    # (datagram, error code, words the message must contain)
    (raw("/mvsep/frobnicate"), "unknown_address", "unknown address '/mvsep/frobnicate'"),
    (raw("/mvsep/separate"), "bad_arguments", "first argument must be the audio file's path"),
    (raw("/mvsep/separate", ("i", 40)), "bad_arguments", "first argument must be the audio file's path"),
    (raw("/mvsep/separate", ("s", "/x.wav"), ("s", "sep=40")), "bad_arguments", "'sep=40' is not key=value"),
    (raw("/mvsep/separate", ("s", "/x.wav"), ("f", float("inf"))), "bad_arguments", "whole number"),
    (raw("/mvsep/separate", ("s", "/x.wav"), ("i", 2**31 - 1)), "bad_arguments", "between 0 and"),
    (raw("/mvsep/separate", ("s", "/x.wav"), ("s", "start=-1")), "bad_arguments", "start must be"),
    (raw("/mvsep/status"), "bad_arguments", "/mvsep/status takes s:job"),
    (raw("/mvsep/status", ("i", 5)), "bad_arguments", "job must be a non-empty string"),
    (raw("/mvsep/status", ("s", "0123456789ab")), "unknown_job", "no job '0123456789ab'"),
    (raw("/mvsep/cancel", ("s", "nope")), "unknown_job", "no job 'nope'"),
    (raw("/mvsep/subscribe", ("s", "9000")), "bad_arguments", "port must be a number"),
    (raw("/mvsep/separate", ("b", b"\x00\x01")), "bad_packet", "unsupported argument type(s) b"),
    (b"/mvsep/separate\x00,s\x00\x00/caf\xe9.wav\x00\x00\x00", "bad_packet", "not UTF-8"),
    (raw("/mvsep/separate", ("s", "/" + "x" * 20_000)), "bad_packet", "longer than 4096 bytes"),
    (b"\x00\x01\x02\x03garbage", "bad_packet", "not an OSC message or bundle"),
    (b"#bundle\x00" + bytes(8) + struct.pack(">i", -8) + b"/mvsep/ping\x00", "bad_packet", "does not fit"),
    (b"#bundle\x00" + bytes(8) + struct.pack(">i", 64) + b"/mvsep/ping\x00", "bad_packet", "does not fit"),
    (b"/mvsep/status\x00\x00\x00,s\x00\x00ab", "bad_packet", "malformed OSC message"),
]


def test_every_malformed_request_gets_an_error_and_the_server_goes_on(osc):
    daemon = osc.start()
    client = daemon.client()
    for datagram, code, words in MALFORMED:
        client.send_raw(datagram)
        got = client.next("/mvsep/error")
        assert got[0] == code and words in got[1], (datagram[:40], got)

    # a bundle: each message answered on its own, a bad one does not spoil the others
    client.send_raw(bundle(raw("/mvsep/ping"), raw("/mvsep/nope"), raw("/mvsep/status", ("s", "x1"))))
    client.expect("/mvsep/error", "unknown_job", where=lambda args: "'x1'" in args[1], timeout=10)
    assert client.of("/mvsep/error", "unknown_address", "unknown address '/mvsep/nope'; known: /mvsep/separate, "
                     "/mvsep/status, /mvsep/cancel, /mvsep/jobs, /mvsep/algorithms, /mvsep/play, "
                     "/mvsep/stop, /mvsep/ping, /mvsep/subscribe, /mvsep/unsubscribe")
    assert len(client.of("/mvsep/pong")) == 1
    assert daemon.alive() and "Traceback" not in daemon.log()


def test_refusals_of_the_engine_are_relayed_with_the_fix(osc):
    daemon = osc.start()
    client = daemon.client()
    outside = write_wav(osc.root / "outside.wav", seconds=1.0)  # not under allowed_roots
    client.send("/mvsep/separate", str(outside), "tag=o")
    code, message, tag = client.expect("/mvsep/error", "path_not_allowed", timeout=20)
    assert str(outside) in message and "allowed_roots" in message and tag == "o"

    client.send("/mvsep/separate", str(osc.music / "missing.wav"), "tag=m")
    code, message, tag = client.expect("/mvsep/error", where=lambda args: args[-1] == "m", timeout=20)
    assert code == "refused" and "no such file" in message

    inside = write_wav(osc.music / "in.wav", seconds=1.0)
    client.send("/mvsep/separate", str(inside), 99, "tag=n")
    code, message, tag = client.expect("/mvsep/error", where=lambda args: args[-1] == "n", timeout=20)
    assert code == "invalid" and "99" in message
    assert store_states(daemon.data_dir) == {}

    client.send("/mvsep/play", "some-job", "vocals")  # the audio bridge answers through the engine
    code, message = client.expect("/mvsep/error", "refused", where=lambda args: "some-job" in args[1], timeout=20)
    assert "no job 'some-job'" in message


def test_separating_again_replaces_only_when_asked(osc):
    daemon = osc.start()
    client = daemon.client()
    song = write_wav(osc.music / "again.wav", seconds=1.0)
    client.send("/mvsep/separate", str(song), 44, "tag=1st")
    first = client.expect("/mvsep/done", where=lambda args: args[-1] == "1st")
    client.send("/mvsep/separate", str(song), 44, "tag=2nd")
    code, message, _tag = client.expect("/mvsep/error", where=lambda args: args[-1] == "2nd")
    assert code == "refused" and "earlier job" in message and message.endswith("(in /mvsep/separate: replace=1)")

    client.send("/mvsep/separate", str(song), 44, "replace=1", "tag=3rd")
    third = client.expect("/mvsep/done", where=lambda args: args[-1] == "3rd")
    assert third[1:-1] == first[1:-1] and third[0] != first[0]  # the same folder, a new job
    check_stems(third[:-1], frames=RATE, count=2)


def test_a_sender_outside_allow_from_gets_nothing_and_starts_nothing(osc):
    daemon = osc.start(allow_from=["127.0.0.1"])
    stranger = daemon.client(bind_host="127.0.0.2")
    song = write_wav(osc.music / "nope.wav", seconds=1.0)
    stranger.send("/mvsep/separate", str(song))
    stranger.send("/mvsep/ping")
    stranger.send_raw(b"garbage")

    friend = daemon.client()
    friend.send("/mvsep/ping")
    friend.expect("/mvsep/pong", timeout=10)  # the stranger's datagrams were handled before this one
    wait_for(lambda: "dropped a datagram from 127.0.0.2" in daemon.log(), timeout=10, what="the drop logged")
    assert stranger.of("/mvsep/pong") == [] and stranger.received == []
    assert store_states(daemon.data_dir) == {}
    assert daemon.log().count("dropped a datagram from 127.0.0.2") == 1  # once, not per datagram


def test_listening_beyond_loopback_without_allow_from_is_refused(osc):
    process = osc.launch(host="0.0.0.0")
    assert "osc" not in bridges(process)
    log = process.log_path.read_text()
    assert "osc.host = '0.0.0.0' listens beyond this computer, and osc.allow_from is empty" in log


def test_a_flood_of_5000_messages_leaves_ping_answered_and_loses_no_accepted_job(osc):
    daemon = osc.start()
    songs = [write_wav(osc.music / f"flood {i}.wav", seconds=1.0, seed=10 + i) for i in range(5)]
    flood = daemon.client()
    flood.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)  # keep the replies to count them
    kinds = [raw("/mvsep/status", ("s", "unknown")), raw("/mvsep/jobs"), b"garbage!", raw("/mvsep/ping"),
             raw("/mvsep/separate", ("s", "relative.wav"))]
    for i in range(5000):
        if i % 1000 == 500:
            flood.send("/mvsep/separate", str(songs[i // 1000]), 44, f"tag=flood {i // 1000}")
        else:
            flood.send_raw(kinds[i % len(kinds)])

    prober = daemon.client()
    prober.send("/mvsep/ping")
    prober.expect("/mvsep/pong", timeout=30)  # answered (bench/osc_flood.py measures how fast)

    # the worker may still be busy with the flood: each separate is accepted, or refused as busy
    wait_for(lambda: len(flood.of("/mvsep/accepted")) + len(_tagged_errors(flood, "flood ")) == 5,
             timeout=60, what="an answer to every separate")
    accepted = {args[0]: args[2] for args in flood.of("/mvsep/accepted")}
    refused = _tagged_errors(flood, "flood ")
    assert all(args[0] == "busy" for args in refused)
    for job, tag in accepted.items():
        done = flood.expect("/mvsep/done", job, timeout=120)
        assert done[-1] == tag
        check_stems(done[:-1], frames=RATE, count=2)
    assert store_states(daemon.data_dir) == {job: "done" for job in accepted}
    assert daemon.alive()


def _tagged_errors(inbox, prefix: str) -> list[tuple]:
    return [args for args in inbox.of("/mvsep/error") if len(args) == 3 and args[2].startswith(prefix)]


def test_a_job_started_over_osc_reports_to_its_client_after_a_daemon_crash(osc, emulator):
    daemon = on_mvsep(osc, emulator, waiting_seconds=3)
    client, job = remote_job(osc, daemon, "survivor.wav", "survivor")

    daemon.process.restart()  # kill -9, then the same data dir again (the OSC port may differ)
    done = client.expect("/mvsep/done", job, timeout=120)
    assert done[-1] == "survivor"
    check_stems(done[:-1], frames=RATE, count=2)
    assert store_states(daemon.data_dir) == {job: "done"}


def test_allow_from_follows_the_config_file_and_the_daemon_stops_cleanly(osc):
    daemon = osc.start()
    stranger = daemon.client(bind_host="127.0.0.2")
    stranger.send("/mvsep/ping")
    stranger.expect("/mvsep/pong", timeout=10)  # loopback is allowed by default

    config = Path(daemon.process.env["MVSEP_BRIDGE_CONFIG"])
    config.write_text(config.read_text().replace("port = 0", 'port = 0\nallow_from = ["127.0.0.1"]'))

    def dropped() -> bool:
        stranger.send("/mvsep/ping")
        return "dropped a datagram from 127.0.0.2" in daemon.log()

    wait_for(dropped, timeout=30, interval=0.2, what="the new allow_from to apply")
    friend = daemon.client()
    friend.send("/mvsep/ping")
    friend.expect("/mvsep/pong", timeout=10)  # every earlier datagram was handled before it
    pongs = len(stranger.of("/mvsep/pong"))
    stranger.send("/mvsep/ping")
    friend.send("/mvsep/ping")
    wait_for(lambda: len(friend.of("/mvsep/pong")) == 2, timeout=10, what="the second pong")
    assert len(stranger.of("/mvsep/pong")) == pongs

    daemon.process.stop()  # SIGTERM
    assert daemon.process.process.returncode == 0
    assert "did not stop cleanly" not in daemon.log() and "Traceback" not in daemon.log()


def test_a_busy_port_is_named_and_the_daemon_runs_without_osc(osc):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        process = osc.launch(port=port)
        assert "osc" not in bridges(process)
    log = process.log_path.read_text()
    assert f"cannot listen for OSC on udp 127.0.0.1:{port}: Address already in use" in log
    assert "set osc.port in the config file" in log
    assert process.process.poll() is None


def test_ipv6_loopback(osc):
    process = osc.launch(host="::1")
    where = wait_for(lambda: bridges(process).get("osc"), timeout=30, what="the OSC bridge's announce")
    host, port = where.removeprefix("udp://[").split("]:")
    assert host == "::1"
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as client:
        client.settimeout(10)
        client.sendto(raw("/mvsep/ping"), ("::1", int(port)))
        assert OscMessage(client.recv(65_535)).address == "/mvsep/pong"
        client.sendto(raw("/mvsep/status", ("s", "nope")), ("::1", int(port)))
        assert OscMessage(client.recv(65_535)).params == ["unknown_job", "no job 'nope'; /mvsep/jobs lists them"]


def test_the_daemon_never_answers_its_own_replies(osc):
    """Its own port as a subscriber, or one of its replies sent back to it, must not start a loop."""
    daemon = osc.start()
    monitor = daemon.listener()
    client = daemon.client()
    client.send("/mvsep/subscribe", monitor.port)
    monitor.expect("/mvsep/subscribed")
    client.send("/mvsep/subscribe", daemon.port)
    code, message = client.next("/mvsep/error")
    assert code == "bad_arguments" and "this daemon's own port" in message
    client.send("/mvsep/error", "echo", "of a reply")
    client.send("/mvsep/pong")
    client.send("/mvsep/ping")
    client.expect("/mvsep/pong")  # everything before it was handled
    assert len(monitor.of("/mvsep/error")) == 1 and len(client.of("/mvsep/error")) == 1
