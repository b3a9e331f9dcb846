"""The pure parts of the OSC bridge: arguments, packets, replies, throttling, who may send."""

from __future__ import annotations

import struct
import threading
from datetime import UTC, datetime
from ipaddress import ip_network
from pathlib import Path

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from mvsep_bridge.bridges.osc import commands, replies, wire
from mvsep_bridge.bridges.osc.access import SenderGate, check_listen
from mvsep_bridge.bridges.osc.commands import (
    JobCommand,
    Listing,
    Ping,
    Playback,
    Refusal,
    Separate,
    Subscription,
)
from mvsep_bridge.bridges.osc.routing import format_address, parse_address, reply_target
from mvsep_bridge.bridges.osc.throttle import ProgressThrottle
from mvsep_bridge.bridges.osc.work import Full, WorkQueue
from mvsep_bridge.daemon.engine import (
    ConfigError,
    JobRequest,
    JobState,
    JobView,
    ReplyChannel,
    ResultFile,
    StemInfo,
    UsageError,
)
from mvsep_bridge.daemon.settings import load_settings


def message(address: str, *args: tuple[str, object]) -> bytes:
    builder = OscMessageBuilder(address)
    for tag, value in args:
        builder.add_arg(value, tag)
    return builder.build().dgram


# -- commands -----------------------------------------------------------------------------------

def test_separate_with_floats_section_options_and_tag():
    parsed = commands.parse("/mvsep/separate", (
        "/music/song.wav", 40.0, 2.0, "add_opt1=81", "start=1.5", "length=2", "destination=/out", "replace=yes",
        "tag=t-1"))
    assert parsed == Separate(path=Path("/music/song.wav"), sep_type=40, output_format=2,
                              options={"add_opt1": "81"}, start=1.5, length=2.0,
                              destination=Path("/out"), replace=True, tag="t-1")


def test_separate_with_path_only_leaves_everything_to_the_engine():
    assert commands.parse("/mvsep/separate", ("/a.wav",)) == Separate(path=Path("/a.wav"))


@pytest.mark.parametrize("args, says", [
    (("/a.wav", 40.5), "whole number"),
    (("/a.wav", float("nan")), "whole number"),
    (("/a.wav", float("inf")), "whole number"),
    (("/a.wav", 1e12), "between 0 and"),
    (("/a.wav", -3), "between 0 and"),
    (("/a.wav", 40, 9), "output_format must be between 0 and 5"),
    (("/a.wav", True), "must be a number"),
    (("/a.wav", 40, 2, 3), "at most two numbers"),
    (("song.wav",), "not an absolute path"),
    ((), "first argument must be the audio file"),
    ((40,), "first argument must be the audio file"),
    (("/a.wav", "40"), "not key=value"),
    (("/a.wav", "colour=red"), "not key=value"),
    (("/a.wav", "start=1", "start=2"), "start given twice"),
    (("/a.wav", "start=nan"), "start must be"),
    (("/a.wav", "length=0"), "length must be"),
    (("/a.wav", "length=1e300"), "length must be"),
    (("/a.wav", "start=soon"), "not a number of seconds"),
    (("/a.wav", "add_opt1=1", 40), "numbers go right after the path"),
    (("/a.wav", "destination=out"), "destination 'out' is not an absolute path"),
    (("/a.wav", "replace=maybe"), "write replace=1 or replace=0"),
])
def test_separate_refusals_name_the_problem(args, says):
    with pytest.raises(Refusal) as refused:
        commands.parse("/mvsep/separate", args)
    assert refused.value.code == "bad_arguments"
    assert says in refused.value.message


def test_a_refused_separate_still_echoes_its_tag():
    with pytest.raises(Refusal) as refused:
        commands.parse("/mvsep/separate", ("/a.wav", 40.5, "tag=pad-3"))
    assert refused.value.tag == "pad-3"


@pytest.mark.parametrize("address, args, expected", [
    ("/mvsep/status", ("j1",), JobCommand("status", "j1")),
    ("/mvsep/cancel", ("j1",), JobCommand("cancel", "j1")),
    ("/mvsep/jobs", (), Listing("jobs")),
    ("/mvsep/algorithms", (), Listing("algorithms")),
    ("/mvsep/algorithms", ("roformer",), Listing("algorithms", "roformer")),
    ("/mvsep/subscribe", (9001.0,), Subscription(9001, on=True)),
    ("/mvsep/unsubscribe", (9001,), Subscription(9001, on=False)),
    ("/mvsep/play", ("j1", "vocals"), Playback("play", "j1", "vocals")),
    ("/mvsep/stop", (), Playback("stop")),
    ("/mvsep/ping", (), Ping()),
])
def test_other_addresses(address, args, expected):
    assert commands.parse(address, args) == expected


@pytest.mark.parametrize("address, args, code", [
    ("/mvsep/nope", (), "unknown_address"),
    ("/other/ping", (), "unknown_address"),
    ("/mvsep/status", (), "bad_arguments"),
    ("/mvsep/status", (12,), "bad_arguments"),
    ("/mvsep/cancel", ("a", "b"), "bad_arguments"),
    ("/mvsep/subscribe", (0,), "bad_arguments"),
    ("/mvsep/subscribe", (70000,), "bad_arguments"),
    ("/mvsep/subscribe", ("9000",), "bad_arguments"),
    ("/mvsep/jobs", ("x",), "bad_arguments"),
    ("/mvsep/algorithms", ("a", "b"), "bad_arguments"),
    ("/mvsep/play", ("j1",), "bad_arguments"),
    ("/mvsep/stop", ("now",), "bad_arguments"),
])
def test_other_refusals(address, args, code):
    with pytest.raises(Refusal) as refused:
        commands.parse(address, args)
    assert refused.value.code == code


# -- wire -----------------------------------------------------------------------------------------

def test_bundles_nested_give_their_messages_in_order():
    inner = OscBundleBuilder(IMMEDIATELY)
    inner.add_content(OscMessage(message("/mvsep/status", ("s", "j2"))))
    outer = OscBundleBuilder(IMMEDIATELY)
    outer.add_content(OscMessage(message("/mvsep/ping")))
    outer.add_content(inner.build())
    got = wire.split_packet(outer.build().dgram)
    assert [(m.address, m.args) for m in got] == [("/mvsep/ping", ()), ("/mvsep/status", ("j2",))]


@pytest.mark.parametrize("datagram, says", [
    (b"#bundle\x00" + bytes(8) + struct.pack(">i", -4) + b"/a\x00\x00", "does not fit"),  # python-osc loops here
    (b"#bundle\x00" + bytes(8) + struct.pack(">i", 4000) + b"/a\x00\x00", "does not fit"),
    (b"#bundle\x00\x00\x00", "without a timetag"),
    (b"\xff\xfe garbage", "not an OSC message"),
    (b"", "not an OSC message"),
    (message("/mvsep/separate", ("b", b"\x01\x02")), "unsupported argument type(s) b"),
    (b"/mvsep/separate\x00,s\x00\x00\xff\xfe\x00\x00", "not UTF-8"),
    (b"/mvsep/ping\x00,i\x00\x00\x00", "malformed"),  # an int cut off
    (message("/mvsep/separate", ("s", "/" + "x" * 5000)), "longer than 4096"),
])
def test_bad_packets_are_named(datagram, says):
    with pytest.raises(wire.BadPacket) as bad:
        wire.split_packet(datagram)
    assert says in str(bad.value)


def test_a_bundle_of_too_many_messages_is_refused_whole():
    builder = OscBundleBuilder(IMMEDIATELY)
    for _ in range(wire.MAX_MESSAGES + 1):
        builder.add_content(OscMessage(message("/mvsep/nope")))
    with pytest.raises(wire.BadPacket, match="a bundle of 65 messages; send at most 64"):
        wire.split_packet(builder.build().dgram)


def test_bundles_nested_too_deep_are_refused():
    datagram = message("/mvsep/ping")
    for _ in range(wire.MAX_BUNDLE_DEPTH + 1):
        datagram = b"#bundle\x00" + bytes(8) + struct.pack(">i", len(datagram)) + datagram
    with pytest.raises(wire.BadPacket, match="nested deeper"):
        wire.split_packet(datagram)


def test_replies_have_explicit_type_tags():
    decoded = OscMessage(wire.encode("/mvsep/progress", ("job", "remote", 0.5, 3, "tag")))
    assert decoded.address == "/mvsep/progress"
    assert b",ssfis\x00" in decoded.dgram
    assert decoded.params == ["job", "remote", 0.5, 3, "tag"]


# -- throttle -------------------------------------------------------------------------------------

def test_progress_only_on_change_and_at_most_four_a_second():
    throttle: ProgressThrottle[str] = ProgressThrottle(interval=0.25)
    assert throttle.offer("j", ("remote", 0.1), "a", now=0.0) == "a"
    assert throttle.offer("j", ("remote", 0.1), "same", now=1.0) is None  # nothing changed
    assert throttle.offer("j", ("remote", 0.2), "b", now=1.1) == "b"
    assert throttle.offer("j", ("remote", 0.3), "c", now=1.2) is None  # too soon: held
    assert throttle.offer("j", ("remote", 0.4), "d", now=1.3) is None  # replaces the held one
    assert throttle.next_due() == pytest.approx(1.35)
    assert throttle.due(1.34) == []
    assert throttle.due(1.35) == ["d"]
    assert throttle.due(5.0) == []


def test_a_held_change_that_reverted_is_not_sent():
    throttle: ProgressThrottle[str] = ProgressThrottle(interval=0.25)
    throttle.offer("j", 1, "a", now=0.0)
    assert throttle.offer("j", 2, "b", now=0.1) is None
    assert throttle.offer("j", 1, "a again", now=0.2) is None
    assert throttle.due(1.0) == []


def test_jobs_are_throttled_separately_and_forgotten_when_over():
    throttle: ProgressThrottle[str] = ProgressThrottle(interval=0.25)
    assert throttle.offer("j", 1, "j1", now=0.0) == "j1"
    assert throttle.offer("k", 1, "k1", now=0.0) == "k1"
    assert throttle.offer("j", 2, "j2", now=0.1) is None
    throttle.forget("j")
    assert throttle.due(1.0) == []
    assert throttle.next_due() is None


# -- access and routing ---------------------------------------------------------------------------

def test_loopback_only_by_default():
    gate = SenderGate()
    assert gate.allows("127.0.0.1", []) and gate.allows("127.0.0.2", []) and gate.allows("::1", [])
    assert not gate.allows("192.168.1.20", [])
    assert not gate.allows("not an address", [])


def test_allow_from_is_strict_even_on_loopback():
    allow = [ip_network("127.0.0.1"), ip_network("192.168.1.0/24")]
    gate = SenderGate()
    assert gate.allows("127.0.0.1", allow) and gate.allows("192.168.1.20", allow)
    assert gate.allows("::ffff:192.168.1.7", allow)
    assert not gate.allows("127.0.0.2", allow)
    assert not gate.allows("10.0.0.1", allow)


def test_refused_senders_are_logged_once_a_minute():
    gate = SenderGate()
    assert gate.should_log("10.0.0.1", 0.0)
    assert not gate.should_log("10.0.0.1", 30.0)
    assert gate.should_log("10.0.0.2", 30.0)
    assert gate.should_log("10.0.0.1", 61.0)


def test_listening_beyond_loopback_needs_allow_from():
    with pytest.raises(UsageError) as refused:
        check_listen("0.0.0.0", [])
    assert "osc.allow_from" in refused.value.hint
    check_listen("0.0.0.0", [ip_network("192.168.1.0/24")])
    check_listen("127.0.0.1", [])
    check_listen("::1", [])


def test_reply_targets_and_addresses():
    assert reply_target(("127.0.0.1", 5000), "", 0) == ("127.0.0.1", 5000)
    assert reply_target(("127.0.0.1", 5000), "", 9001) == ("127.0.0.1", 9001)
    assert reply_target(("127.0.0.1", 5000), "10.0.0.9", 9001) == ("10.0.0.9", 9001)
    for target in [("127.0.0.1", 5000), ("::1", 7)]:
        assert parse_address(format_address(target)) == target
    assert parse_address("junk") is None and parse_address(None) is None


# -- replies --------------------------------------------------------------------------------------

def view(state: JobState, **fields) -> JobView:
    now = datetime.now(UTC)
    request = JobRequest(source=Path("/m/song.wav"), reply=ReplyChannel(bridge="osc", address="127.0.0.1:5", tag="t"))
    return JobView(id="j", state=state, request=request, created_at=now, updated_at=now, **fields)


def test_fraction_follows_the_job_and_never_goes_back():
    steps = [view(JobState.QUEUED), view(JobState.PREPARING, progress=0.5), view(JobState.UPLOADING, progress=0.0),
             view(JobState.UPLOADING, progress=1.0), view(JobState.REMOTE, chunks_done=1, chunks_total=4),
             view(JobState.REMOTE, chunks_done=4, chunks_total=4), view(JobState.DOWNLOADING, progress=0.5),
             view(JobState.FINISHING), view(JobState.DONE)]
    fractions = [replies.fraction(v) for v in steps]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0


def test_done_names_the_folder_and_every_stem_by_full_path_with_the_tag():
    done = view(JobState.DONE, result_dir=Path("/m/song"),
                stems=[StemInfo(name="vocals", file="vocals.flac"), StemInfo(name="other", file="other.flac")])
    assert replies.finished(done) == ("/mvsep/done", ("j", "/m/song", "/m/song/vocals.flac", "/m/song/other.flac", "t"))
    assert replies.finished(view(JobState.CANCELLED)) == ("/mvsep/failed", ("j", "cancelled", "t"))
    queued = view(JobState.REMOTE, queue_position=3)
    assert replies.progress(queued) == ("/mvsep/progress", ("j", "remote", 0.25, 3, "t"))


def test_done_names_midi_and_transcripts_after_the_stems():
    done = view(JobState.DONE, result_dir=Path("/m/song"), stems=[StemInfo(name="vocals", file="vocals.flac")],
                other_files=[ResultFile(name="notes", file="notes.mid", kind="midi")])
    assert replies.finished(done) == ("/mvsep/done", ("j", "/m/song", "/m/song/vocals.flac", "/m/song/notes.mid", "t"))


# -- work queue -----------------------------------------------------------------------------------

def test_actions_go_before_questions_and_a_full_lane_refuses():
    work: WorkQueue[str] = WorkQueue(action_limit=2, question_limit=1)
    work.put("status", action=False)
    with pytest.raises(Full, match="1 questions are waiting"):
        work.put("jobs", action=False)
    work.put("separate a", action=True)  # a flood of questions does not keep it out
    work.put("cancel b", action=True)
    with pytest.raises(Full, match="2 requests are waiting"):
        work.put("separate c", action=True)
    assert [work.get(), work.get(), work.get()] == ["separate a", "cancel b", "status"]


def test_closing_hands_back_what_waits_and_ends_the_worker():
    work: WorkQueue[str] = WorkQueue()
    work.put("status", action=False)
    work.put("separate", action=True)
    got: list[str | None] = []
    assert work.close() == ["separate", "status"]
    worker = threading.Thread(target=lambda: got.append(work.get()))
    worker.start()
    worker.join(timeout=5)
    assert got == [None]


def test_what_counts_as_an_action():
    assert commands.is_action(commands.parse("/mvsep/separate", ("/a.wav",)))
    assert commands.is_action(commands.parse("/mvsep/cancel", ("j",)))
    assert commands.is_action(commands.parse("/mvsep/stop", ()))
    assert not commands.is_action(commands.parse("/mvsep/status", ("j",)))
    assert not commands.is_action(commands.parse("/mvsep/jobs", ()))


def test_allow_from_in_the_config_file_is_checked_when_read(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    monkeypatch.setenv("MVSEP_BRIDGE_CONFIG", str(config))
    config.write_text('[osc]\nhost = "0.0.0.0"\nallow_from = ["192.168.1.0/24", "10.0.0.7"]\n')
    assert load_settings().osc.allow_from == [ip_network("192.168.1.0/24"), ip_network("10.0.0.7/32")]
    config.write_text('[osc]\nallow_from = ["192.168.1.7/24"]\n')  # host bits set: a typo, not a network
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert "osc.allow_from" in refused.value.message and str(config) in refused.value.hint
