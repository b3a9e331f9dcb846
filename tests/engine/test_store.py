"""The job store file: readable by an older layout, safe under threads."""

from __future__ import annotations

import sqlite3
import threading

from mvsep_bridge.daemon.jobs.model import JobRequest, JobState
from mvsep_bridge.daemon.jobs.store import JobStore


def test_a_store_from_an_older_version_gains_the_new_columns(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, "
                "request TEXT NOT NULL, state TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL)")
    old.execute("INSERT INTO jobs (id, request, state, created_at, updated_at) VALUES (?, ?, ?, 1, 1)",
                ("old1", JobRequest(source=tmp_path / "a.wav").model_dump_json(), "remote"))
    old.commit()
    old.close()

    store = JobStore(path)

    [job] = store.unfinished()
    assert job.id == "old1" and job.state == JobState.REMOTE and job.attempts == 0
    assert store.update("old1", remote_hash="h", reused_from=None).remote_hash == "h"


def test_threads_committing_at_once_lose_nothing(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    jobs = [store.add(JobRequest(source=tmp_path / f"{i}.wav")) for i in range(8)]

    def bump(job_id: str) -> None:
        for n in range(50):
            store.update(job_id, attempts=n + 1, message=f"step {n}")

    threads = [threading.Thread(target=bump, args=(j.id,)) for j in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    reopened = JobStore(tmp_path / "jobs.sqlite3")  # what a restarted daemon reads
    assert [j.attempts for j in reopened.all()] == [50] * 8
