"""Fault injection and rate limits, as a client sees them on the wire."""

from __future__ import annotations

import socket

import pytest
import requests

from .helpers import create, tone, wait_for, wav_bytes


def _news(mvsep, **extra):
    return requests.get(f"{mvsep.base_url}/api/app/news", timeout=extra.pop("timeout", 10), **extra)


def test_fail_next_answers_5xx_then_recovers(mvsep):
    mvsep.configure(fail_next=2, fail_status=502)
    answers = [_news(mvsep) for _ in range(3)]
    assert [a.status_code for a in answers] == [502, 502, 200]
    assert "502" in answers[0].text and answers[0].headers["Content-Type"].startswith("text/html")


def test_fail_rate_is_seeded_and_repeatable(mvsep):
    mvsep.configure(fail_rate=0.5, fault_seed=3)
    first = [_news(mvsep).status_code for _ in range(12)]
    mvsep.configure(fault_seed=3)
    second = [_news(mvsep).status_code for _ in range(12)]
    assert first == second and set(first) == {200, 503}


def test_fault_path_narrows_the_faults(mvsep):
    mvsep.configure(fail_next=1, fault_path="/api/app/news")
    assert requests.get(f"{mvsep.base_url}/api/app/queue", timeout=10).status_code == 200
    assert _news(mvsep).status_code == 503
    assert _news(mvsep).status_code == 200


def test_throttle_next_sends_429_with_retry_after(mvsep):
    mvsep.configure(throttle_next=1, throttle_retry_after=7)
    throttled = _news(mvsep)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "7" and throttled.headers["X-RateLimit-Remaining"] == "0"
    assert _news(mvsep).status_code == 200


def test_reset_next_resets_the_connection(mvsep):
    mvsep.configure(reset_next=1)
    with pytest.raises(requests.ConnectionError) as caught:
        _news(mvsep)
    assert "reset" in str(caught.value).lower()
    assert _news(mvsep).status_code == 200


def test_reset_is_a_tcp_rst_on_the_wire(mvsep):
    mvsep.configure(reset_next=1)
    host, port = mvsep.base_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"GET /api/app/news HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            raw.recv(1024)


def test_lost_create_response_still_creates_and_charges_the_job(mvsep):
    account = mvsep.create_account(credits=10)
    mvsep.configure(reset_after_create_next=1)
    with pytest.raises(requests.ConnectionError):
        create(mvsep.base_url, account.token, wav_bytes(tone(0.3), 44100), sep_type=40)
    stats = mvsep.stats()
    [job] = [j for j in stats["jobs"] if j["email"] == account.email]
    assert stats["creates"]["per_account"][account.email] == 1
    assert stats["credits"][account.email] == 9 and job["credits"] == 1
    assert wait_for(mvsep.base_url, job["hash"])["status"] == "done"
    answer = create(mvsep.base_url, account.token, wav_bytes(tone(0.3), 44100), sep_type=40)
    assert answer.status_code == 200  # the counter is used up


def test_truncated_download_sends_full_length_but_part_of_the_body(mvsep):
    account = mvsep.create_account()
    job_hash = create(mvsep.base_url, account.token, wav_bytes(tone(0.5), 44100), sep_type=40,
                      output_format=1).json()["data"]["hash"]
    url = wait_for(mvsep.base_url, job_hash)["data"]["files"][0]["url"]
    whole = requests.get(url, timeout=10).content
    mvsep.configure(truncate_next=1, truncate_fraction=0.25)
    with requests.get(url, stream=True, timeout=10) as answer:
        assert answer.headers["Content-Length"] == str(len(whole))
        received = b""
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            for chunk in answer.iter_content(4096):
                received += chunk
    assert 0 < len(received) < len(whole) and whole.startswith(received)
    assert requests.get(url, timeout=10).content == whole


def test_delay_makes_answers_slow(mvsep):
    mvsep.configure(delay_seconds=2.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        _news(mvsep, timeout=0.5)
    mvsep.configure(delay_seconds=0)
    assert _news(mvsep, timeout=5).status_code == 200


def test_bad_knobs_are_refused(mvsep):
    answer = requests.post(f"{mvsep.base_url}/_emulator/config", json={"no_such_knob": 1}, timeout=10)
    assert answer.status_code == 400 and "no_such_knob" in answer.json()["errors"][0]
    answer = requests.post(f"{mvsep.base_url}/_emulator/config", json={"fail_status": 200}, timeout=10)
    assert answer.status_code == 400
    # `curl -d '{…}'` labels JSON as a form: still understood
    answer = requests.post(f"{mvsep.base_url}/_emulator/config", data='{"fail_next": 1}', timeout=10,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.json()["fail_next"] == 1 and _news(mvsep).status_code == 503


def test_rate_limits_per_token_with_headers(emulator):
    """Real limits: 60/min on separation/get and app/algorithms, 120/min elsewhere, per token."""
    base = emulator.base_url
    first = requests.get(f"{base}/api/app/algorithms", timeout=10)
    assert first.headers["X-RateLimit-Limit"] == "60" and first.headers["X-RateLimit-Remaining"] == "59"
    news = requests.get(f"{base}/api/app/news", timeout=10)
    assert news.headers["X-RateLimit-Limit"] == "120"

    emulator.configure(rate_limit_slow=3, rate_limit=5)
    one, two = emulator.create_account(), emulator.create_account()
    answers = [requests.get(f"{base}/api/separation/get", params={"hash": "x", "api_token": one.token},
                            timeout=10) for _ in range(4)]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    limited = answers[-1]
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    other = requests.get(f"{base}/api/separation/get", params={"hash": "x", "api_token": two.token},
                         timeout=10)
    assert other.status_code == 200  # another token, another bucket
    user = requests.get(f"{base}/api/app/user", params={"api_token": one.token}, timeout=10)
    assert user.status_code == 200 and user.headers["X-RateLimit-Limit"] == "5"
