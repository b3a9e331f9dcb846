"""How often a job on the server is asked about: often when it may be done soon, in proportion
to how long it has run, and rarely far back in the queue (the PollRate bounds the total)."""

from __future__ import annotations

import pytest

from mvsep_bridge.daemon.jobs.model import JobRequest, JobState
from mvsep_bridge.daemon.jobs.scheduler import poll_interval
from mvsep_bridge.daemon.jobs.store import Job


def _job(status: str, position: int | None, submitted_ago: float, now: float = 10_000.0) -> Job:
    return Job(id="j", request=JobRequest(source="/x.wav"), state=JobState.REMOTE, created_at=0, updated_at=0,
               remote_status=status, queue_position=position, submitted_at=now - submitted_ago)


@pytest.mark.parametrize("status, position, ago, expected", [
    ("processing", None, 1.0, 0.25),  # a short job is seen done at once
    ("processing", None, 8.0, 1.0),  # an eighth of its run so far
    ("processing", None, 600.0, 2.0),  # a long one: ~1 s late on average, 30 polls a minute
    ("merging", None, 600.0, 2.0),
    ("waiting", 1, 600.0, 2.0),  # next in line: as if running
    ("waiting", 10, 5.0, 16.0),  # far back: rarely
    ("waiting", 100, 5.0, 30.0),
])
def test_poll_interval(status, position, ago, expected):
    assert poll_interval(_job(status, position, ago), now=10_000.0) == pytest.approx(expected)


@pytest.mark.parametrize("expected_in, interval", [
    (20.0, 19.5),  # not before its expected end (half a second ahead)
    (100.0, 30.0),  # and never longer than 30 s between two looks
    (0.5, 0.25),  # due: often
    (-8.0, 2.0),  # overdue: the server is slower than before; still asked every 2 s
])
def test_a_job_is_not_asked_about_before_jobs_like_it_were_done(expected_in, interval):
    job = _job("processing", None, 3.0)
    assert poll_interval(job, now=10_000.0, expected=10_000.0 + expected_in) == pytest.approx(interval)


def test_the_server_pace_is_learned_per_algorithm_from_finished_jobs():
    from mvsep_bridge.daemon.backends.base import Plan
    from mvsep_bridge.daemon.jobs.pace import ServerPace
    from mvsep_bridge.daemon.jobs.store import Section

    def finished(sep_type, seconds, took):
        job = _job("processing", None, took)
        job.plan = Plan(sep_type=sep_type, algorithm="a", options={}, credits=1)
        job.section = Section(start_frame=0, frames=int(seconds * 100), sample_rate=100, channels=2,
                              audio_hash="h", source_sha256="s", upload="u.flac")
        return job

    pace = ServerPace()
    assert pace.expected(finished(40, 30, 0)) is None  # nothing seen yet
    for took in (10.0, 12.0, 50.0):  # one slow job does not stall the rest: the median
        pace.learn(finished(40, 30, took), now=10_000.0)
    fresh = finished(40, 60, 0)  # twice as long: twice the time
    assert pace.expected(fresh) == pytest.approx(fresh.submitted_at + 24.0)
    assert pace.expected(finished(20, 30, 0)) is None  # another algorithm: not known
