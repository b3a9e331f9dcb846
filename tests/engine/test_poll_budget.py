"""A batch under MVSEP's real limits (the emulator's defaults: 60 separation/get and 120 other
calls a minute per token, sliding windows). The daemon counts the account's running jobs
(app/user) to learn how many are done, so it asks separation/get about each job about once
instead of every fraction of a second, and never runs into a 429."""

from __future__ import annotations

import pytest

from harness import read_manifest

JOBS = 12


def test_a_batch_stays_under_mvseps_limits_asking_about_each_job_about_once(emulator, premium_batch, tmp_path):
    sources = premium_batch(JOBS, waiting_seconds=0.5, processing_seconds=2.0)

    for source in sources:
        assert read_manifest(tmp_path / "out" / source.stem)["source"]["path"] == str(source)
    endpoints = emulator.stats()["endpoints"]
    assert {name: e["status_429"] for name, e in endpoints.items() if e["status_429"]} == {}
    polls = endpoints["/api/separation/get"]
    assert polls["busiest_minute"] <= 60
    assert endpoints["/api/app/user"]["requests"] > 0  # the count of running jobs was read
    # the count said when jobs were done: about one poll each (the regular schedule alone, with
    # no pace known for the first jobs, asks several times a second)
    assert polls["requests"] <= 2 * JOBS


def test_a_long_job_is_asked_about_a_few_times_not_every_two_seconds(emulator, premium_batch):
    premium_batch(2, waiting_seconds=1.0, processing_seconds=20.0)

    # the count of running jobs says when they end; a look every few seconds covers the rest
    # (asked every 2 s, 21 s on the server would be ~10 polls each)
    assert emulator.stats()["endpoints"]["/api/separation/get"]["requests"] <= 2 * 6


@pytest.mark.slow
def test_many_short_jobs_for_over_a_minute_keep_the_bell_and_the_creates_under_app_users_limit(
        emulator, premium_batch):
    # ten at a time, each ~5-17 s on the server (random ends: one of ours may end at any moment,
    # so the bell wants its fastest step throughout), and a create for each one that ends
    premium_batch(60, waiting_seconds=1.0, processing_seconds=4.0, processing_jitter_seconds=12.0)

    stats = emulator.stats()
    span = max(j["done_at"] for j in stats["jobs"]) - min(j["created"] for j in stats["jobs"])
    assert span > 70, "not a minute's worth of jobs: the window below would not be tested"
    assert {name: e["status_429"] for name, e in stats["endpoints"].items() if e["status_429"]} == {}
    # app/user (the bell), separation/create and the history reads share MVSEP's 120 a minute:
    # ours stay within 90 % of it in any 60 s, counting the bell's bursts, the rest left for the
    # user's other tools (a few account and history reads come on top of the bell's budget)
    assert stats["limits"]["default"]["busiest_minute"] <= 0.9 * 120 + 4
    assert stats["limits"]["slow"]["busiest_minute"] <= 60
