"""separation/create, get, get-remote, cancel: every status path, validation, credits, concurrency."""

from __future__ import annotations

import functools
import http.server
import threading

import numpy as np
import pytest
import requests


from .helpers import create, download_decode, tone, wait_for, wav_bytes

RATE = 44100


def _get(base, **query):
    return requests.get(f"{base}/api/separation/get", params=query, timeout=10)


def _credits(mvsep, account) -> int:
    return requests.get(f"{mvsep.base_url}/api/app/user", params={"api_token": account.token},
                        timeout=10).json()["data"]["premium_minutes"]


def test_waiting_shows_queue_position_then_processing_then_done(mvsep):
    mvsep.configure(waiting_seconds=1.0)
    account = mvsep.create_account(premium=True)
    audio = wav_bytes(tone(0.3), RATE)
    hashes = [create(mvsep.base_url, account.token, audio, sep_type=40).json()["data"]["hash"]
              for _ in range(3)]
    waiting = [_get(mvsep.base_url, hash=h).json() for h in hashes]
    assert [w["status"] for w in waiting] == ["waiting"] * 3
    orders = [w["data"]["current_order"] for w in waiting]
    assert orders == sorted(orders) and len(set(orders)) == 3
    assert all(w["data"]["queue_count"] >= 3 for w in waiting)
    done = wait_for(mvsep.base_url, hashes[0])
    statuses = [body["status"] for body in done["seen"]]
    assert statuses.index("waiting") < statuses.index("processing") < statuses.index("done")
    assert done["data"]["algorithm"] == "BS Roformer (vocals, instrumental)"
    assert done["data"]["output_format"] == "mp3 (320 kbps)"
    assert done["data"]["input_file"]["download"] == "song.wav"
    assert requests.get(done["data"]["input_file"]["url"], timeout=10).content == audio


def _jittered_jobs(mvsep, account, count: int) -> list[dict]:
    """`count` jobs created one after the other and run to done: their stats rows, in order."""
    audio = wav_bytes(tone(0.2), RATE)
    hashes = [create(mvsep.base_url, account.token, audio, sep_type=40).json()["data"]["hash"]
              for _ in range(count)]
    for job_hash in hashes:
        wait_for(mvsep.base_url, job_hash)
    jobs = {j["hash"]: j for j in mvsep.stats()["jobs"]}
    return [jobs[h] for h in hashes]


def test_processing_jitter_gives_each_job_its_own_seeded_time_within_the_bounds(mvsep):
    mvsep.configure(waiting_seconds=0.1, processing_seconds=0.2, processing_jitter_seconds=2.0,
                    jitter_seed=7)
    account = mvsep.create_account(premium=True)
    first = _jittered_jobs(mvsep, account, 5)
    extras = [j["processing_extra"] for j in first]
    assert all(0.0 <= extra <= 2.0 for extra in extras)
    assert max(extras) - min(extras) > 0.5  # five uniform draws on [0, 2]: not one value
    # each job is held for waiting + processing + its own extra at least (a loaded machine adds more)
    for job in first:
        assert job["done_at"] - job["created"] >= 0.3 + job["processing_extra"]
    mvsep.configure(jitter_seed=7)  # the same seed again: the same times, job for job
    assert [j["processing_extra"] for j in _jittered_jobs(mvsep, account, 5)] == extras


def test_long_inputs_are_distributed_in_chunks_then_merged(mvsep):
    mvsep.configure(distribute_threshold=1.0, chunk_length=0.5)
    account = mvsep.create_account()
    job_hash = create(mvsep.base_url, account.token, wav_bytes(tone(2.0), RATE),
                      sep_type=40).json()["data"]["hash"]
    done = wait_for(mvsep.base_url, job_hash)
    statuses = [b["status"] for b in done["seen"]]
    assert "processing" not in statuses
    assert statuses.index("distributing") < statuses.index("merging") < statuses.index("done")
    chunks = [b["data"] for b in done["seen"] if b["status"] == "distributing"]
    assert all(c["all_chunks"] == 4 and {"queue_count", "current_order"} <= set(c) for c in chunks)
    assert [c["finished_chunks"] for c in chunks] == sorted(c["finished_chunks"] for c in chunks)


def test_undecodable_audio_fails_with_the_decoders_message_and_is_refunded(mvsep):
    account = mvsep.create_account(credits=10)
    answer = create(mvsep.base_url, account.token, b"this is not audio at all" * 50, name="junk.wav",
                    sep_type=40)
    assert answer.status_code == 200
    failed = wait_for(mvsep.base_url, answer.json()["data"]["hash"])
    assert failed["status"] == "failed" and failed["success"] is True
    assert "cannot decode junk.wav" in failed["data"]["message"]
    assert _credits(mvsep, account) == 10


def test_unknown_hash_is_not_found(mvsep):
    body = _get(mvsep.base_url, hash="20250101000000-0000000000-nothing.wav").json()
    assert body == {"success": False, "status": "not_found", "data": {"message": "Separation not found"}}
    assert _get(mvsep.base_url).status_code == 400


def test_credits_follow_duration_coefficient_and_price_rules_and_cancel_refunds(mvsep):
    mvsep.configure(waiting_seconds=30)
    account = mvsep.create_account(premium=True, credits=100)
    long_audio = wav_bytes(tone(61.0, 8000, channels=1), 8000, subtype="PCM_16")
    cases = [({"sep_type": 40}, 1),                 # floor(61 * 1 / 60)
             ({"sep_type": 40, "add_opt2": 8}, 2),  # price rule: multiplier 2 on model type 8
             ({"sep_type": 30}, 6)]                 # price_coefficient 6
    for fields, expected in cases:
        before = _credits(mvsep, account)
        job_hash = create(mvsep.base_url, account.token, long_audio, **fields).json()["data"]["hash"]
        assert _credits(mvsep, account) == before - expected
        job = next(j for j in mvsep.stats()["jobs"] if j["hash"] == job_hash)
        assert job["credits"] == expected
        cancel = requests.post(f"{mvsep.base_url}/api/separation/cancel",
                               data={"api_token": account.token, "hash": job_hash}, timeout=10)
        assert cancel.json()["success"] is True
        assert _credits(mvsep, account) == before
        assert _get(mvsep.base_url, hash=job_hash).json()["status"] == "not_found"


def test_not_enough_credits_is_a_400_with_a_message(mvsep):
    account = mvsep.create_account(premium=True, credits=1)
    answer = create(mvsep.base_url, account.token, wav_bytes(tone(61.0, 8000, 1), 8000, "PCM_16"),
                    sep_type=30)
    assert answer.status_code == 400
    assert "not enough credits" in answer.json()["data"]["message"]
    assert _credits(mvsep, account) == 1 and mvsep.stats()["creates"]["per_account"][account.email] == 0


def test_cancel_is_refused_once_processing(mvsep):
    mvsep.configure(waiting_seconds=0, processing_seconds=30)
    account = mvsep.create_account(credits=5)
    job_hash = create(mvsep.base_url, account.token, wav_bytes(tone(0.3), RATE),
                      sep_type=40).json()["data"]["hash"]
    wait_for(mvsep.base_url, job_hash, until=("processing",))
    answer = requests.post(f"{mvsep.base_url}/api/separation/cancel",
                           data={"api_token": account.token, "hash": job_hash}, timeout=10)
    assert answer.status_code == 400 and answer.json()["success"] is False
    assert "processing" in answer.json()["data"]["message"]
    assert _credits(mvsep, account) == 4
    stranger = mvsep.create_account()
    other = requests.post(f"{mvsep.base_url}/api/separation/cancel",
                          data={"api_token": stranger.token, "hash": job_hash}, timeout=10)
    assert other.status_code == 400


def test_non_premium_runs_one_job_premium_ten(mvsep):
    mvsep.configure(waiting_seconds=30)
    audio = wav_bytes(tone(0.2), RATE)
    free = mvsep.create_account()
    assert create(mvsep.base_url, free.token, audio, sep_type=40).status_code == 200
    second = create(mvsep.base_url, free.token, audio, sep_type=40)
    assert second.status_code == 400 and "1 at a time" in second.json()["data"]["message"]
    premium = mvsep.create_account(premium=True)
    codes = [create(mvsep.base_url, premium.token, audio, sep_type=40).status_code for _ in range(11)]
    assert codes == [200] * 10 + [400]
    stats = mvsep.stats()
    assert stats["max_concurrent"] == {**stats["max_concurrent"], free.email: 1, premium.email: 10}
    assert stats["creates"]["per_account"][free.email] == 1
    assert stats["creates"]["per_account"][premium.email] == 10
    for job in stats["jobs"]:
        if job["email"] in (free.email, premium.email):
            token = free.token if job["email"] == free.email else premium.token
            requests.post(f"{mvsep.base_url}/api/separation/cancel",
                          data={"api_token": token, "hash": job["hash"]}, timeout=10)


@pytest.mark.parametrize("fields, needle", [
    ({"sep_type": 9999}, "sep_type 9999 is not in the catalog"),
    ({"sep_type": "abc"}, "sep_type must be an integer"),
    ({}, "default 11 is not in the catalog"),
    ({"sep_type": 40, "add_opt1": 99999}, "add_opt1='99999' is not an option of sep_type 40"),
    ({"sep_type": 40, "output_format": 9}, "output_format must be 0..5"),
])
def test_create_validation_errors_are_400_naming_the_problem(mvsep, fields, needle):
    account = mvsep.create_account()
    answer = create(mvsep.base_url, account.token, wav_bytes(tone(0.2), RATE), **fields)
    assert answer.status_code == 400
    body = answer.json()
    assert body["success"] is False and needle in body["errors"][0]


@pytest.mark.parametrize("fields, needle", [
    ({"sep_type": 40, "output_format": 4}, "premium accounts only"),
    ({"sep_type": 40, "output_format": 5}, "premium accounts only"),
    ({"sep_type": 26}, "premium accounts only"),  # orientation 2
])
def test_premium_only_formats_and_algorithms(mvsep, fields, needle):
    free = mvsep.create_account()
    answer = create(mvsep.base_url, free.token, wav_bytes(tone(0.2), RATE), **fields)
    assert answer.status_code == 400 and needle in answer.json()["data"]["message"]
    requests.post(f"{mvsep.base_url}/api/app/enable_premium", data={"api_token": free.token}, timeout=10)
    answer = create(mvsep.base_url, free.token, wav_bytes(tone(0.2), RATE), **fields)
    assert answer.status_code == 200, answer.text
    wait_for(mvsep.base_url, answer.json()["data"]["hash"])


def test_option_keys_match_numerically_like_the_reference_example(mvsep):
    account = mvsep.create_account()
    answer = create(mvsep.base_url, account.token, wav_bytes(tone(0.2), RATE),
                    sep_type=9, add_opt1=0, add_opt2=1, output_format=1)  # key "1.0"
    assert answer.status_code == 200, answer.text
    job = next(j for j in mvsep.stats()["jobs"] if j["hash"] == answer.json()["data"]["hash"])
    assert job["options"] == {"add_opt1": "0", "add_opt2": "1.0"}
    wait_for(mvsep.base_url, job["hash"])


def test_missing_audiofile_and_tokens(mvsep):
    account = mvsep.create_account()
    missing = create(mvsep.base_url, account.token, None, sep_type=40)
    assert missing.status_code == 400 and "audiofile is required" in missing.json()["errors"][0]
    assert create(mvsep.base_url, "not-a-token", wav_bytes(tone(0.2), RATE), sep_type=40).status_code == 401
    no_token = requests.post(f"{mvsep.base_url}/api/separation/create", data={"sep_type": "40"}, timeout=10)
    assert no_token.status_code == 401 and "api_token" in no_token.json()["data"]["message"]
    cancel = requests.post(f"{mvsep.base_url}/api/separation/cancel", data={"hash": "x"}, timeout=10)
    assert cancel.status_code == 401


@pytest.fixture
def file_server(tmp_path):
    """A plain loopback HTTP server serving tmp_path (the "internet" for url jobs)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_url_jobs_are_fetched_and_followed_with_get_remote(mvsep, file_server):
    folder, url = file_server
    (folder / "remote song.wav").write_bytes(wav_bytes(tone(0.5), RATE))
    account = mvsep.create_account(credits=3)
    answer = requests.post(f"{mvsep.base_url}/api/separation/create", data={
        "api_token": account.token, "url": f"{url}/remote%20song.wav", "remote_type": "direct",
        "sep_type": "40"}, timeout=10)
    assert answer.status_code == 200, answer.text
    remote_hash = answer.json()["data"]["hash"]
    assert "get-remote" in answer.json()["data"]["link"]
    first = requests.get(f"{mvsep.base_url}/api/separation/get-remote", params={"hash": remote_hash},
                         timeout=10).json()
    assert first["status"] == "waiting" and {"queue_count", "current_order"} <= set(first["data"])
    for _ in range(100):
        body = requests.get(f"{mvsep.base_url}/api/separation/get-remote",
                            params={"hash": remote_hash}, timeout=10).json()
        if body["status"] != "waiting":
            break
        threading.Event().wait(0.1)
    assert body["status"] == "done", body
    assert wait_for(mvsep.base_url, body["data"]["hash"])["status"] == "done"
    assert body["data"]["hash"].endswith("remote-song.wav")
    assert _credits(mvsep, account) == 2


def test_url_jobs_failures(mvsep, file_server):
    _, url = file_server
    account = mvsep.create_account()
    base = {"api_token": account.token, "sep_type": "40"}
    mega = requests.post(f"{mvsep.base_url}/api/separation/create",
                         data={**base, "url": "https://mega.nz/file/x", "remote_type": "mega"}, timeout=10)
    assert mega.status_code == 400 and "remote_type 'mega'" in mega.json()["errors"][0]
    outside = requests.post(f"{mvsep.base_url}/api/separation/create",
                            data={**base, "url": "https://example.com/a.wav"}, timeout=10)
    assert outside.status_code == 400 and "on this machine" in outside.json()["errors"][0]
    missing = requests.post(f"{mvsep.base_url}/api/separation/create",
                            data={**base, "url": f"{url}/nothing.wav"}, timeout=10)
    remote_hash = missing.json()["data"]["hash"]
    for _ in range(100):
        body = requests.get(f"{mvsep.base_url}/api/separation/get-remote",
                            params={"hash": remote_hash}, timeout=10).json()
        if body["status"] != "waiting":
            break
        threading.Event().wait(0.1)
    assert body["status"] == "failed" and "404" in body["data"]["message"]
    unknown = requests.get(f"{mvsep.base_url}/api/separation/get-remote", params={"hash": "nope"},
                           timeout=10).json()
    assert unknown["success"] is False and unknown["status"] == "not_found"


def test_matchering_takes_target_and_reference(mvsep, tmp_path):
    account = mvsep.create_account()
    target, reference = tone(1.0) * 0.25, tone(1.0)
    answer = requests.post(f"{mvsep.base_url}/api/separation/create", data={
        "api_token": account.token, "sep_type": "68", "output_format": "1"}, files={
        "target_audiofile": ("quiet.wav", wav_bytes(target, RATE)),
        "reference_audiofile": ("loud.wav", wav_bytes(reference, RATE))}, timeout=10)
    assert answer.status_code == 200, answer.text
    done = wait_for(mvsep.base_url, answer.json()["data"]["hash"])
    [result] = done["data"]["files"]
    samples, rate = download_decode(result["url"], tmp_path, result["download"])
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    assert rate == RATE and len(samples) == len(target)
    assert rms(samples) == pytest.approx(rms(reference), rel=0.01)
    only_one = requests.post(f"{mvsep.base_url}/api/separation/create", data={
        "api_token": account.token, "sep_type": "68"},
        files={"target_audiofile": ("q.wav", wav_bytes(target, RATE))}, timeout=10)
    assert only_one.status_code == 400 and "reference_audiofile" in only_one.json()["errors"][0]


def test_no_upload_algorithms_take_text_options(mvsep, tmp_path):
    account = mvsep.create_account()
    answer = requests.post(f"{mvsep.base_url}/api/separation/create", data={
        "api_token": account.token, "sep_type": "104", "add_opt1": "large",
        "add_opt2": "Hello from the emulator", "output_format": "2"}, timeout=10)
    assert answer.status_code == 200, answer.text
    done = wait_for(mvsep.base_url, answer.json()["data"]["hash"])
    [result] = done["data"]["files"]
    samples, rate = download_decode(result["url"], tmp_path, result["download"])
    assert rate == RATE and len(samples) == round(4 * 0.4 * RATE)  # speech: 0.4 s a word of the prompt
    job = next(j for j in mvsep.stats()["jobs"] if j["hash"] == answer.json()["data"]["hash"])
    assert job["options"]["add_opt2"] == "Hello from the emulator" and job["credits"] == 1


def test_is_demo_publishes_on_the_demo_page_only_when_asked(mvsep):
    account = mvsep.create_account()
    audio = wav_bytes(tone(0.3), RATE)
    private = create(mvsep.base_url, account.token, audio, sep_type=40).json()["data"]["hash"]
    wait_for(mvsep.base_url, private)
    public = create(mvsep.base_url, account.token, audio, sep_type=40, is_demo=1).json()["data"]["hash"]
    wait_for(mvsep.base_url, public)
    demo = requests.get(f"{mvsep.base_url}/api/app/demo", params={"limit": 20}, timeout=10).json()
    hashes = [d["hash"] for d in demo]
    assert public in hashes and private not in hashes
    entry = demo[hashes.index(public)]
    assert entry["algorithm"]["render_id"] == 40 and entry["size"] == len(audio)
    assert requests.get(entry["input_audio"], timeout=10).content == audio


def test_mirror_needs_a_token_and_a_credit_and_links_another_host(mvsep):
    account = mvsep.create_account(credits=2)  # 1 for the job, 1 left for the mirror
    job_hash = create(mvsep.base_url, account.token, wav_bytes(tone(0.3), RATE),
                      sep_type=40).json()["data"]["hash"]
    wait_for(mvsep.base_url, job_hash)
    assert _get(mvsep.base_url, hash=job_hash, mirror=1).status_code == 401
    mirrored = _get(mvsep.base_url, hash=job_hash, mirror=1, api_token=account.token).json()
    url = mirrored["data"]["files"][0]["url"]
    assert url.startswith("http://localhost:")
    assert requests.get(url, timeout=10).content == requests.get(
        _get(mvsep.base_url, hash=job_hash).json()["data"]["files"][0]["url"], timeout=10).content
    broke = mvsep.create_account(credits=0)
    answer = _get(mvsep.base_url, hash=job_hash, mirror=1, api_token=broke.token)
    assert answer.status_code == 400 and "credit" in answer.json()["data"]["message"]


def test_results_expire_after_72_hours_on_the_emulator_clock(emulator):
    account = emulator.create_account(credits=10)
    job_hash = create(emulator.base_url, account.token, wav_bytes(tone(0.3), RATE),
                      sep_type=40).json()["data"]["hash"]
    url = wait_for(emulator.base_url, job_hash)["data"]["files"][0]["url"]
    history = lambda: requests.get(f"{emulator.base_url}/api/app/separation_history",  # noqa: E731
                                   params={"api_token": account.token}, timeout=10).json()["data"]
    [row] = history()
    assert row["hash"] == job_hash and row["job_exists"] is True and row["credits"] == 1
    assert row["time_left"] == 72 and row["algorithm"]["render_id"] == 40
    emulator.advance_clock(71 * 3600)
    assert history()[0]["time_left"] == 1 and requests.get(url, timeout=10).status_code == 200
    emulator.advance_clock(2 * 3600)
    [row] = history()
    assert row["job_exists"] is False and row["time_left"] == 0 and row["credits"] is None
    assert _get(emulator.base_url, hash=job_hash).json()["status"] == "not_found"
    assert requests.get(url, timeout=10).status_code == 404
