"""How often a job on the server is asked about: often when it may be done soon, in proportion
to how long it has run, and rarely far back in the queue (the PollRate bounds the total)."""

from __future__ import annotations

import threading
import time

import pytest

from mvsep_bridge.daemon.jobs.model import JobRequest, JobState
from mvsep_bridge.daemon.jobs.pollrate import BURST, HEADROOM, PollRate
from mvsep_bridge.daemon.jobs.scheduler import BELL_MAX, BELL_SECONDS, bell_interval, poll_interval
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


def test_without_a_pace_the_bell_counts_twice_as_often_as_the_job_would_be_polled_up_to_2_s():
    now = 10_000.0
    assert [bell_interval([(_job("processing", None, ago), None)], now) for ago in (1.0, 8.0, 600.0)] == \
        pytest.approx([BELL_SECONDS, 0.5, 2.0])


def test_a_pace_that_is_far_too_slow_lets_the_bell_wait_an_eighth_of_the_run_at_most():
    now = 10_000.0
    job = _job("processing", None, 30.0)  # 30 s on the server; the pace says it ends in 9.5 minutes
    wait = bell_interval([(job, now + 570.0)], now)
    assert wait == pytest.approx(30.0 / 8)
    assert bell_interval([(_job("processing", None, 300.0), now + 570.0)], now) == BELL_MAX


def test_the_bell_counts_as_soon_as_any_of_its_jobs_may_be_done():
    now = 10_000.0
    far = (_job("processing", None, 300.0), now + 570.0)  # surely running for minutes
    assert bell_interval([far], now) == BELL_MAX
    assert bell_interval([far, (_job("processing", None, 1.0), None)], now) == BELL_SECONDS  # no pace: any moment


def test_a_poll_whose_turn_would_come_after_the_bell_gives_way_without_spending_a_turn():
    rate = PollRate(limit=(60 + BURST) / (1 - HEADROOM), burst=1)  # one poll a second, no burst
    stop = threading.Event()
    assert rate.acquire(stop)
    assert not rate.acquire(stop, until=time.monotonic() + 0.1)  # the next turn is ~1 s away
    assert rate.acquire(stop)  # and it still comes: giving way took nothing
    stop.set()
    assert not rate.acquire(stop)
