"""Hot folders end to end: the real daemon process, real files, the MVSEP emulator."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

import soundfile as sf

from .world import RATE, listing, manifest, tone, wait_for
from processes import CLI

PRESET = {"sep_type": 40}  # BS Roformer: vocals + instrumental


def _stems_ok(stems_dir: Path, frames: int) -> bool:
    """A finished result: a manifest and stems of exactly the source's length."""
    if not (stems_dir / "manifest.json").is_file():
        return False
    stems = manifest(stems_dir)["stems"]
    return bool(stems) and all(sf.info(str(stems_dir / s["file"])).frames == frames for s in stems)


def test_a_slow_copy_is_taken_once_and_complete(hot, emulator, tmp_path):
    account = emulator.create_account()
    hot.configure(PRESET, settle=1.5)  # 5x the pause between chunks: a busy machine must not split the copy
    daemon = hot.daemon(token=account.token, base_url=emulator.base_url)
    data = tone(tmp_path / "source.wav", seconds=2.0, seed=1).read_bytes()

    target = hot.inbox / "slow copy.wav"
    step = len(data) // 10 + 1
    with open(target, "wb") as copy:  # 10 chunks over 3 s, like a slow network copy
        for start in range(0, len(data), step):
            copy.write(data[start:start + step])
            copy.flush()
            time.sleep(0.3)

    wait_for(lambda: (hot.done / "slow copy.wav").exists(), 90, what="the slow copy in done/", logs=daemon.log)
    assert (hot.done / "slow copy.wav").read_bytes() == data
    result = hot.out / "slow copy"
    assert _stems_ok(result, 2 * RATE)
    assert manifest(result)["source"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert emulator.stats()["creates"]["total"] == 1
    assert daemon.log().count("slow copy.wav is complete (") == 1
    assert listing(hot.inbox / "processing") == [] and listing(hot.failed) == []


def test_fifty_files_dropped_at_once_finish_within_the_plans_concurrency(hot, emulator, tmp_path):
    account = emulator.create_account(premium=False)  # the plan: one job at a time
    # a server with higher rate limits (the daemon follows X-RateLimit-Limit and Retry-After), so
    # the batch is bound by the plan's concurrency, not by MVSEP's request limits
    emulator.configure(rate_limit=1200, rate_limit_slow=1200, waiting_seconds=0.05, processing_seconds=0.05)
    hot.configure(PRESET)
    daemon = hot.daemon(token=account.token, base_url=emulator.base_url)
    staging = tmp_path / "staging"
    names = [f"take {i:02}.wav" for i in range(50)]
    for i, name in enumerate(names):
        tone(staging / name, seconds=0.5, seed=100 + i)
    for name in names:  # a drop: every file appears at once, complete
        os.rename(staging / name, hot.inbox / name)

    wait_for(lambda: listing(hot.done) == names, 300, 0.5, what="50 files in done/", logs=daemon.log)
    for name in names:
        assert _stems_ok(hot.out / Path(name).stem, RATE // 2), name
    stats = emulator.stats()
    assert stats["creates"]["per_account"][account.email] == 50
    assert stats["max_concurrent"][account.email] == 1
    assert listing(hot.failed) == []


def test_two_daemons_on_one_folder_create_every_file_exactly_once(hot, emulator, tmp_path):
    first, second = emulator.create_account(), emulator.create_account()  # two hosts, two users
    emulator.configure(rate_limit=1200, rate_limit_slow=1200, waiting_seconds=0.05, processing_seconds=0.05)
    hot.configure(PRESET)
    daemons = [hot.daemon("host-a", token=first.token, base_url=emulator.base_url),
               hot.daemon("host-b", token=second.token, base_url=emulator.base_url)]
    staging = tmp_path / "staging"
    names = [f"song {i:02}.wav" for i in range(12)]
    for i, name in enumerate(names):
        tone(staging / name, seconds=0.5, seed=200 + i)
    for name in names:
        os.rename(staging / name, hot.inbox / name)

    wait_for(lambda: listing(hot.done) == names, 180, 0.5, what="12 files in done/", logs=lambda: daemons[0].log() + daemons[1].log())
    stats = emulator.stats()
    assert stats["creates"]["total"] == len(names)
    uploaded = sorted(job["files"][0] for job in stats["jobs"] if job["files"])
    assert len(uploaded) == len(set(uploaded))  # no file sent twice, by either daemon
    for name in names:
        assert _stems_ok(hot.out / Path(name).stem, RATE // 2), name
    took = [d.log().count(": claimed as processing/") for d in daemons]
    assert sum(took) == len(names)


def test_a_restart_resumes_claims_and_never_creates_twice(hot, emulator, tmp_path):
    account = emulator.create_account()
    emulator.configure(processing_seconds=2.0)  # time to kill it while the job is remote
    hot.configure(PRESET)
    daemon = hot.daemon(token=account.token, base_url=emulator.base_url)
    os.rename(tone(tmp_path / "first.wav", seconds=1.0, seed=300), hot.inbox / "first.wav")
    daemon.wait_log("first.wav submitted as job", 30)
    wait_for(lambda: emulator.stats()["creates"]["total"] == 1, 30, what="the remote job", logs=daemon.log)
    daemon.kill()

    # a file claimed just before the crash, never submitted: it must not be lost
    [claims] = [p for p in (hot.inbox / "processing").iterdir() if p.is_dir()]
    tone(claims / "second.wav", seconds=1.0, seed=301)

    restarted = hot.daemon(token=account.token, base_url=emulator.base_url)
    restarted.wait_log("first.wav resumes as job")
    restarted.wait_log("second.wav was claimed but never submitted")
    wait_for(lambda: listing(hot.done) == ["first.wav", "second.wav"], 90, what="both in done/", logs=restarted.log)
    assert emulator.stats()["creates"]["total"] == 2
    assert _stems_ok(hot.out / "first", RATE) and _stems_ok(hot.out / "second", RATE)


def test_sidecars_are_validated_like_any_request_and_reach_the_server(hot, emulator, tmp_path):
    account = emulator.create_account(premium=False)
    hot.configure({"sep_type": 40, "options": {"add_opt1": 81}, "output_format": 2})
    daemon = hot.daemon(token=account.token, base_url=emulator.base_url)
    sidecars = {
        "drums.wav": {"sep_type": 20, "output_format": 1},  # another algorithm, wav out
        "bad option.wav": {"options": {"add_opt1": 12345}},
        "premium format.wav": {"output_format": 5},
    }
    for i, (name, sidecar) in enumerate(sidecars.items()):
        (tmp_path / f"{name}.json").write_text(json.dumps(sidecar))
        tone(tmp_path / name, seed=400 + i)
        os.rename(tmp_path / f"{name}.json", hot.inbox / f"{name}.json")
        os.rename(tmp_path / name, hot.inbox / name)

    wait_for(lambda: (hot.done / "drums.wav").exists(), 60, what="the sidecar override done", logs=daemon.log)
    wait_for(lambda: len([p for p in hot.failed.glob("*.error.txt")]) == 2, 60, what="two refusals", logs=daemon.log)
    assert "has no option '12345'" in (hot.failed / "bad option.wav.error.txt").read_text()
    assert "premium" in (hot.failed / "premium format.wav.error.txt").read_text()
    [job] = emulator.stats()["jobs"]  # the refused ones never reached the server
    assert (job["sep_type"], job["output_format"]) == (20, 1)
    # the preset's add_opt1=81 belongs to sep_type 40: not carried over (20 only has 0, 1, 2)
    assert {k: str(v) for k, v in job["options"].items()}.get("add_opt1") == "1"
    assert all(s["file"].endswith(".wav") for s in manifest(hot.out / "drums")["stems"])
    assert (hot.done / "drums.wav.json").exists()


def test_a_job_cancelled_by_the_user_files_its_source_in_failed(hot, emulator, tmp_path):
    account = emulator.create_account()
    emulator.configure(waiting_seconds=30.0)  # still waiting on the server when cancelled
    hot.configure(PRESET)
    daemon = hot.daemon(token=account.token, base_url=emulator.base_url)
    os.rename(tone(tmp_path / "keep.wav", seed=500), hot.inbox / "keep.wav")
    daemon.wait_log("keep.wav submitted as job")
    job = re.search(r"keep\.wav submitted as job (\w+)", daemon.log()).group(1)
    wait_for(lambda: emulator.stats()["creates"]["total"] == 1, 30, what="the remote job", logs=daemon.log)

    cancelled = subprocess.run([CLI, "cancel", job], env=daemon.env, capture_output=True, text=True, timeout=60)
    assert cancelled.returncode == 0, cancelled.stderr
    wait_for(lambda: (hot.failed / "keep.wav.error.txt").exists(), 60, what="the note", logs=daemon.log)
    assert f"job {job} was cancelled" in (hot.failed / "keep.wav.error.txt").read_text()
    assert (hot.failed / "keep.wav").exists() and not (hot.out / "keep").exists()
