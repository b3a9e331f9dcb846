"""The server's pace (seconds on the server per second of audio, per algorithm): learned from
finished jobs, remembered in the data dir for the next start, a bad file ignored, never fatal."""

from __future__ import annotations

import json
import logging
import time

import pytest

from mvsep_bridge.daemon.backends.base import Plan
from mvsep_bridge.daemon.jobs.model import JobRequest, JobState
from mvsep_bridge.daemon.jobs.pace import MAX_AGE, PACE_FILE, ServerPace, server_key
from mvsep_bridge.daemon.jobs.store import Job, Section

SERVER = server_key("mvsep", "https://mvsep.com")
NOW = time.time()


def job(sep_type: int, seconds: float) -> Job:
    """A job of `seconds` of audio with algorithm `sep_type`."""
    return Job(id="j", request=JobRequest(source="/x.wav"), state=JobState.REMOTE, created_at=0, updated_at=0,
               submitted_at=NOW, plan=Plan(sep_type=sep_type, algorithm="a", options={}, credits=1),
               section=Section(start_frame=0, frames=int(seconds * 100), sample_rate=100, channels=2,
                               audio_hash="h", source_sha256="s", upload="u.flac"))


def learn(pace: ServerPace, sep_type: int, seconds: float, took: float) -> None:
    """A job of `seconds` of audio was `took` seconds on the server."""
    pace.learn(job(sep_type, seconds), took, now=NOW)


def expected_in(pace: ServerPace, sep_type: int, seconds: float) -> float | None:
    """How long a job of `seconds` should take on the server (None: no pace)."""
    return pace.duration(job(sep_type, seconds))


def test_the_server_pace_is_learned_per_algorithm_from_finished_jobs():
    pace = ServerPace()
    assert expected_in(pace, 40, 30) is None  # nothing seen yet
    for took in (10.0, 12.0, 50.0):  # one slow job does not stall the rest: the median
        learn(pace, 40, 30, took)
    assert expected_in(pace, 40, 60) == pytest.approx(24.0)  # twice as long: twice the time
    assert expected_in(pace, 20, 30) is None  # another algorithm: not known


def test_a_new_start_knows_the_pace_learned_before_per_server(tmp_path):
    path = tmp_path / PACE_FILE
    first = ServerPace(path, SERVER)
    for took in (10.0, 12.0, 50.0):
        learn(first, 40, 30, took)
    elsewhere = ServerPace(path, server_key("mvsep", "http://127.0.0.1:8090"))
    learn(elsewhere, 40, 30, 3.0)  # another server's pace is kept beside it

    again = ServerPace(path, SERVER)
    assert expected_in(again, 40, 30) == pytest.approx(12.0)
    assert expected_in(again, 20, 30) is None
    assert expected_in(ServerPace(path, server_key("mvsep", "http://127.0.0.1:8090")), 40, 30) == pytest.approx(3.0)
    assert expected_in(ServerPace(path, server_key("local", "https://mvsep.com")), 40, 30) is None
    assert "token" not in path.read_text()


def test_what_this_run_sees_replaces_what_was_remembered(tmp_path):
    path = tmp_path / PACE_FILE
    week_ago = ServerPace(path, SERVER)
    for _ in range(5):
        learn(week_ago, 40, 30, 60.0)  # a busy day: 60 s for 30 s

    today = ServerPace(path, SERVER)
    assert expected_in(today, 40, 30) == pytest.approx(60.0)
    learn(today, 40, 30, 20.0)  # the server is faster now
    assert expected_in(today, 40, 30) == pytest.approx(20.0)  # not the median with the old five
    learn(today, 40, 30, 30.0)  # ... and from then on the median of this run's
    assert expected_in(today, 40, 30) == pytest.approx(25.0)
    assert expected_in(ServerPace(path, SERVER), 40, 30) == pytest.approx(25.0)


def test_a_pace_older_than_a_month_is_forgotten(tmp_path):
    path = tmp_path / PACE_FILE
    old, recent = NOW - MAX_AGE - 60, NOW - MAX_AGE + 3600
    gone = server_key("mvsep", "http://127.0.0.1:40000")  # e.g. an emulator of long ago
    path.write_text(json.dumps({"version": 1, "servers": {SERVER: {"40": [[2.0, old]], "20": [[1.0, recent]]},
                                                          gone: {"40": [[1.0, old]]}}}))
    pace = ServerPace(path, SERVER)
    assert expected_in(pace, 40, 30) is None
    assert expected_in(pace, 20, 30) == pytest.approx(30.0)

    learn(pace, 44, 30, 15.0)  # the file written again keeps only what is recent
    assert json.loads(path.read_text())["servers"] == {SERVER: {"20": [[1.0, recent]], "44": [[0.5, NOW]]}}


@pytest.mark.parametrize("content", [
    b"\x00\xff not json",
    b'{"version": 1, "servers": {"mvsep https://mvsep.com": {"40": [[1.0, ',  # cut short by a crash
    b'{"version": 2, "servers": {}}',  # a newer version's file
    b'[1, 2, 3]',
    b'{"version": 1, "servers": {"mvsep https://mvsep.com": {"forty": [[1.0, 2.0]]}}}',
])
def test_a_bad_pace_file_is_ignored_with_a_log_line_and_written_anew(tmp_path, caplog, content):
    path = tmp_path / PACE_FILE
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="mvsep_bridge.jobs"):
        pace = ServerPace(path, SERVER)
    assert [r.getMessage() for r in caplog.records if str(path) in r.getMessage() and "ignoring" in r.getMessage()]
    assert expected_in(pace, 40, 30) is None

    learn(pace, 40, 30, 15.0)
    assert expected_in(ServerPace(path, SERVER), 40, 30) == pytest.approx(15.0)


def test_a_pace_that_cannot_be_written_still_serves_this_run(tmp_path, caplog):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    pace = ServerPace(blocked / PACE_FILE, SERVER)  # its folder is a file: every write fails
    with caplog.at_level(logging.WARNING, logger="mvsep_bridge.jobs"):
        learn(pace, 40, 30, 15.0)
    assert any("cannot remember the server pace" in r.getMessage() for r in caplog.records)
    assert expected_in(pace, 40, 30) == pytest.approx(15.0)
