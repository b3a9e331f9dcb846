"""Older stores and requests read unchanged: a row written before links, references and
text-only jobs existed decodes, lists and finishes as before."""

from __future__ import annotations

import json
import sqlite3
import time

from mvsep_bridge.daemon.control.client import ControlClient
from mvsep_bridge.daemon.jobs.model import JobRequest
from mvsep_bridge.daemon.jobs.store import SCHEMA

from harness import run_cli, write_wav
from processes import daemon_env

#: a request as the version before job kinds wrote it (no url, remote_type, reference, name)
OLD_REQUEST = {"source": "{source}", "start": None, "length": None, "sep_type": 40, "options": {},
               "output_format": 2, "destination": None, "replace": False, "is_demo": False,
               "reply": {"bridge": "cli", "address": None, "tag": None}}


def _old_store(path, source) -> None:
    """jobs.sqlite3 as the earlier version made it: its schema lacks the `reference` column."""
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA.replace("    reference TEXT,\n", ""))
    request = json.dumps({**OLD_REQUEST, "source": str(source)})
    now = time.time()
    conn.execute("INSERT INTO jobs (id, request, state, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?)",
                 ("0123456789ab", request, now, now))
    conn.commit()
    conn.close()


def test_an_old_store_lists_read_only_and_its_queued_job_runs(emulator, tmp_path):
    account = emulator.create_account()
    data = tmp_path / "data"
    source = write_wav(tmp_path / "song.wav", seconds=1.0)
    _old_store(data / "jobs.sqlite3", source)
    env = daemon_env(data, emulator.base_url, account.token)

    listed = run_cli(["jobs", "--json"], env)  # no daemon: the store read-only, columns missing

    assert listed.returncode == 0, listed.stderr
    [view] = json.loads(listed.stdout)
    assert view["request"]["source"] == str(source) and view["request"]["url"] is None
    assert view["request"]["reference"] is None and view["request"]["remote_type"] is None

    finished = run_cli(["separate", str(write_wav(tmp_path / "other.wav", seconds=1.0, seed=3)),
                        "--sep-type", "40", "--json"], env)  # starts a daemon: it picks the old job up

    assert finished.returncode == 0, finished.stderr
    control = ControlClient.discover(data)
    old = control.get("0123456789ab")
    for _ in range(300):
        if old.state.final:
            break
        time.sleep(0.1)
        old = control.get("0123456789ab")
    assert old.state == "done" and old.result_dir == tmp_path / "song"
    assert [s.name for s in old.stems] == ["vocals", "instrumental"]


def test_the_estimate_of_a_text_only_job_is_the_catalogs_minimum(emulator, daemons, tmp_path):
    account = emulator.create_account()
    data = tmp_path / "data"
    daemons(daemon_env(data, emulator.base_url, account.token))
    control = ControlClient.discover(data)
    control.check()

    text_only = control.estimate(JobRequest(sep_type=62, options={"add_opt1": "rain", "add_opt2": "30"},
                                            destination=tmp_path))
    link = control.estimate(JobRequest(url="http://127.0.0.1:9/a.wav", sep_type=40, destination=tmp_path))

    assert (text_only.algorithm, text_only.credits) == ("Stable Audio Open Gen", 1)
    assert link.credits is None  # its length is known only once the server has fetched it
