"""The client under the emulator's faults: retries, rate limits, lost create responses, broken
downloads; and the token never shows up in errors or logs."""

import logging
import socket

import pytest
import requests

from mvsep_bridge.daemon.client import MvsepClient, SeparationInput
from mvsep_bridge.daemon.client.download import part_path
from mvsep_bridge.daemon.errors import (
    RateLimited,
    ServerError,
    TransportError,
    Unreachable,
)

from .world import wait_final, write_wav


@pytest.fixture
def account(emulator):
    return emulator.create_account(premium=True, credits=1000)


@pytest.fixture
def client(emulator, account):
    # short backoff: the retries are real, the test need not wait for production pauses
    with MvsepClient(emulator.base_url, account.token, backoff=0.02) as c:
        yield c


def _creates(emulator) -> int:
    return emulator.stats()["creates"]["total"]


def test_a_few_5xx_are_retried_away(emulator, client):
    emulator.configure(fault_path="/api/app/news", fail_next=3)
    assert client.news()  # answered by the 4th request


def test_5xx_storm_ends_in_a_clear_server_error(emulator, client):
    emulator.configure(fault_path="/api/app/news", fail_next=1000, fail_status=502)
    with pytest.raises(ServerError) as info:
        client.news()
    assert "HTTP 502" in str(info.value) and "try again later" in str(info.value)


def test_429_waits_for_retry_after_then_succeeds(emulator, client):
    emulator.configure(fault_path="/api/app/news", throttle_next=2, throttle_retry_after=1)
    assert client.news()


def test_a_long_retry_after_is_handed_to_the_caller(emulator, client):
    emulator.configure(fault_path="/api/app/news", throttle_next=1, throttle_retry_after=120)
    with pytest.raises(RateLimited) as info:
        client.news()
    assert info.value.retry_after == 120


def test_create_whose_response_is_lost_makes_exactly_one_job(emulator, client, account, tmp_path):
    credits = client.user().credits
    emulator.configure(fault_path="/api/separation/create", reset_after_create_next=1)
    job = client.create_once(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "lost.wav")))
    stats = emulator.stats()
    assert stats["creates"]["total"] == 1
    assert [j["hash"] for j in stats["jobs"]] == [job.hash]
    assert client.user().credits == credits - 1
    assert wait_final(client, job.hash).status == "done"


def test_create_reset_before_the_server_took_it_is_sent_again_once(emulator, client, tmp_path):
    emulator.configure(fault_path="/api/separation/create", reset_next=1)
    job = client.create_once(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "r.wav")),
                             rechecks=(0.0,))
    assert [j["hash"] for j in emulator.stats()["jobs"]] == [job.hash]


def test_create_5xx_storm_gives_up_without_any_job(emulator, client, tmp_path):
    emulator.configure(fault_path="/api/separation/create", fail_next=1000)
    with pytest.raises(ServerError) as info:
        client.create_once(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "s.wav")),
                           rechecks=(0.0,))
    assert "tried 3 times" in str(info.value)
    assert _creates(emulator) == 0


def test_interrupted_download_resumes_and_is_complete(emulator, client, tmp_path):
    job = client.create_once(SeparationInput(sep_type=40, output_format=1, audiofile=write_wav(tmp_path / "d.wav", 3)))
    file = wait_final(client, job.hash).files[0]
    reference = requests.get(file.url, timeout=30).content
    emulator.configure(fault_path="/results/", truncate_next=2, truncate_fraction=0.4)
    seen = []
    got = client.download(file, tmp_path / "out" / file.file_name, progress=lambda n, total: seen.append((n, total)))
    assert got.read_bytes() == reference
    assert not part_path(got).exists()
    assert seen[-1] == (len(reference), len(reference))


def test_a_part_left_by_an_earlier_run_is_resumed(client, tmp_path):
    job = client.create_once(SeparationInput(sep_type=40, output_format=1, audiofile=write_wav(tmp_path / "p.wav")))
    file = wait_final(client, job.hash).files[0]
    reference = requests.get(file.url, timeout=30).content
    dest = tmp_path / "out" / file.file_name
    dest.parent.mkdir()
    part_path(dest).write_bytes(reference[:1000])
    fetched = []
    client.download(file, dest, progress=lambda n, total: fetched.append(n))
    assert dest.read_bytes() == reference
    assert fetched[0] > 1000  # the first chunk was appended after the 1000 bytes already there


def test_a_download_that_never_gets_further_fails_and_keeps_the_part(emulator, client, tmp_path):
    job = client.create_once(SeparationInput(sep_type=40, output_format=1, audiofile=write_wav(tmp_path / "n.wav")))
    file = wait_final(client, job.hash).files[0]
    emulator.configure(fault_path="/results/", truncate_next=1000, truncate_fraction=0.3)
    dest = tmp_path / "out" / file.file_name
    with pytest.raises(TransportError, match="run the same command again"):
        client.download(file, dest)
    assert not dest.exists() and part_path(dest).stat().st_size == int(file.bytes * 0.3)


def test_token_stays_out_of_errors_and_logs(emulator, client, account, caplog):
    caplog.set_level(logging.DEBUG)
    emulator.configure(fault_path="separation_history", fail_next=1000)
    with pytest.raises(ServerError) as info:
        client.separation_history()
    emulator.configure(fail_next=0, reset_next=1000)
    with pytest.raises(TransportError) as reset:
        client.separation_history()
    assert "api_token=***" in caplog.text  # urllib3 logged the URL, masked
    for text in (str(info.value), str(reset.value), caplog.text, repr(client)):
        assert account.token not in text


def test_nobody_listening_is_unreachable(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with MvsepClient(f"http://127.0.0.1:{port}", "tok", attempts=1, backoff=0.01) as client:
        with pytest.raises(Unreachable):
            client.news()
        with pytest.raises(Unreachable, match="cannot connect"):
            client.create(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "u.wav")))


def test_server_gone_mid_create_is_never_sent_twice(emulator, client, tmp_path):
    def kill_server_as_the_upload_ends(done, total):
        if done == total:
            emulator.stop()

    with pytest.raises(TransportError) as info:
        client.create_once(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "k.wav")),
                           progress=kill_server_as_the_upload_ends, rechecks=(0.0,))
    assert "mvsep-bridge account history" in str(info.value)
    emulator.restart()
    assert _creates(emulator) <= 1  # whatever the server got, nothing was sent again
