"""The test contract other parts of the project use: the `emulator` fixture and its handle."""

from __future__ import annotations

import requests

from .helpers import create, tone, wait_for, wav_bytes


def test_fixture_gives_a_working_emulator_with_accounts_stats_and_clock(emulator):
    account = emulator.create_account(credits=50)
    assert emulator.base_url.startswith("http://127.0.0.1:")
    user = requests.get(f"{emulator.base_url}/api/app/user", params={"api_token": account.token},
                        timeout=10).json()
    assert user["data"]["email"] == account.email and user["data"]["premium_minutes"] == 50

    answer = create(emulator.base_url, account.token, wav_bytes(tone(1.0), 44100), sep_type=40)
    assert answer.status_code == 200, answer.text
    job_hash = answer.json()["data"]["hash"]
    assert wait_for(emulator.base_url, job_hash)["status"] == "done"

    stats = emulator.stats()
    assert stats["creates"]["total"] == 1
    assert stats["creates"]["per_account"][account.email] == 1
    assert stats["max_concurrent"][account.email] == 1
    assert [j["hash"] for j in stats["jobs"]] == [job_hash]

    emulator.configure(result_ttl_hours=1)
    emulator.advance_clock(2 * 3600)
    gone = requests.get(f"{emulator.base_url}/api/separation/get", params={"hash": job_hash},
                        timeout=10).json()
    assert gone["success"] is False and gone["status"] == "not_found"


def test_restart_keeps_accounts_jobs_results_and_clock(emulator):
    account = emulator.create_account(credits=20)
    answer = create(emulator.base_url, account.token, wav_bytes(tone(1.0), 44100), sep_type=40)
    job_hash = answer.json()["data"]["hash"]
    done = wait_for(emulator.base_url, job_hash)
    before = {f["download"]: requests.get(f["url"], timeout=10).content for f in done["data"]["files"]}
    emulator.advance_clock(3600)
    clock_before = emulator.stats()["clock"]
    base_before = emulator.base_url

    emulator.restart()

    assert emulator.base_url == base_before
    assert emulator.stats()["clock"] >= clock_before  # the offset survived
    again = requests.get(f"{emulator.base_url}/api/separation/get", params={"hash": job_hash},
                         timeout=10).json()
    assert again["status"] == "done"
    after = {f["download"]: requests.get(f["url"], timeout=10).content for f in again["data"]["files"]}
    assert after == before
    user = requests.get(f"{emulator.base_url}/api/app/user", params={"api_token": account.token},
                        timeout=10).json()
    assert user["data"]["premium_minutes"] == 19


def test_restart_during_processing_finishes_the_job(emulator):
    emulator.configure(waiting_seconds=0.5, processing_seconds=1.0)
    account = emulator.create_account()
    job_hash = create(emulator.base_url, account.token, wav_bytes(tone(1.0), 44100),
                      sep_type=40).json()["data"]["hash"]
    emulator.restart()  # knobs from the start command again: fast timings
    assert wait_for(emulator.base_url, job_hash)["status"] == "done"
