"""Separation jobs against the emulator: every input kind, status, download, cancel."""

import hashlib

import pytest
import requests

from mvsep_bridge.daemon.client import MvsepClient, SeparationInput, SeparationStatus
from mvsep_bridge.daemon.errors import AuthError, BadRequest, NotFound, UsageError

from .world import job_of, wait_final, write_wav


@pytest.fixture
def account(emulator):
    return emulator.create_account(premium=True, credits=1000)


@pytest.fixture
def client(emulator, account):
    with MvsepClient(emulator.base_url, account.token) as c:
        yield c


def test_audiofile_job_runs_to_done_and_downloads_every_stem(emulator, client, tmp_path):
    source = write_wav(tmp_path / "My Song.wav")
    job = client.create_once(SeparationInput(sep_type=40, options={"add_opt1": "81"}, output_format=2,
                                             audiofile=source))
    result = wait_final(client, job.hash)
    assert result.status is SeparationStatus.DONE, result.message
    assert {f.type for f in result.files} == {"Vocals", "Instrumental"}
    for file in result.files:
        got = client.download(file, tmp_path / "out" / file.file_name)
        assert got.stat().st_size == file.bytes
        assert requests.get(file.url, timeout=30).content == got.read_bytes()
    assert not list((tmp_path / "out").glob("*.part"))
    server = job_of(emulator.stats(), job.hash)
    assert server["sep_type"] == 40 and server["options"]["add_opt1"] == "81"
    assert server["output_format"] == 2 and server["is_demo"] is False


def test_url_job_is_followed_through_get_remote(emulator, client, tmp_path):
    # the emulator fetches the url itself: point it at an input file it serves
    first = client.create_once(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "a.wav")))
    source_url = wait_final(client, first.hash).data.input_file.url
    job = client.create_once(SeparationInput(sep_type=40, url=source_url, remote_type="direct"))
    for _ in range(600):
        remote = client.get_remote(job.hash)
        if remote.status.final:
            break
        emulator.advance_clock(0.5)
    assert remote.status is SeparationStatus.DONE and remote.data.hash
    assert wait_final(client, remote.data.hash).status is SeparationStatus.DONE


def test_matchering_sends_target_and_reference(emulator, client, tmp_path):
    job = client.create_once(SeparationInput(
        sep_type=68, target_audiofile=write_wav(tmp_path / "target.wav", seed=1),
        reference_audiofile=write_wav(tmp_path / "reference.wav", seed=2)))
    assert wait_final(client, job.hash).status is SeparationStatus.DONE
    assert job_of(emulator.stats(), job.hash)["sep_type"] == 68


def test_no_upload_model_takes_options_only(emulator, client):
    no_upload = next(a for a in client.algorithms() if a.audio_widget == "no_upload")
    prompt = {f.name: "rain on a roof" for f in no_upload.algorithm_fields if f.text == "Text prompt"}
    job = client.create_once(SeparationInput(sep_type=no_upload.render_id, options=prompt))
    assert job_of(emulator.stats(), job.hash)["sep_type"] == no_upload.render_id


def test_is_demo_only_when_asked(emulator, client, tmp_path):
    job = client.create(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "d.wav"), is_demo=True))
    assert job_of(emulator.stats(), job.hash)["is_demo"] is True


def test_cancel_refunds_a_waiting_job(emulator, account, tmp_path):
    emulator.configure(waiting_seconds=600)
    with MvsepClient(emulator.base_url, account.token) as client:
        before = client.user().credits
        job = client.create_once(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "c.wav")))
        assert client.user().credits < before
        assert client.cancel(job.hash).success is True
        assert client.user().credits == before
        refused = client.cancel(job.hash)  # not waiting any more
        assert refused.success is False and "cancelled" in refused.message


def test_unknown_hash_is_not_found(client):
    with pytest.raises(NotFound, match="72 hours"):
        client.get("20200101000000-0000000000-nothing.wav")


def test_server_refusal_carries_the_servers_message(client, tmp_path):
    with pytest.raises(BadRequest, match="sep_type 9999"):
        client.create(SeparationInput(sep_type=9999, audiofile=write_wav(tmp_path / "x.wav")))


def test_second_job_of_a_free_account_is_refused(emulator, tmp_path):
    emulator.configure(waiting_seconds=600)
    free = emulator.create_account(premium=False)
    with MvsepClient(emulator.base_url, free.token) as client:
        client.create_once(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "1.wav")))
        with pytest.raises(BadRequest, match="at a time"):
            client.create_once(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "2.wav")))
    assert emulator.stats()["creates"]["total"] == 1


def test_bad_token_is_an_auth_error_that_says_how_to_log_in(emulator, tmp_path):
    with MvsepClient(emulator.base_url, "not-a-real-token-123") as client:
        for call in (client.user, client.separation_history, client.enable_premium,
                     lambda: client.create(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "t.wav")))):
            with pytest.raises(AuthError) as info:
                call()
            assert "mvsep-bridge account login" in str(info.value)
            assert "not-a-real-token-123" not in str(info.value)
    with MvsepClient(emulator.base_url, None) as client, pytest.raises(AuthError, match="MVSEP_API_TOKEN"):
        client.user()


def test_contradictory_inputs_are_refused_before_sending(tmp_path):
    wav = write_wav(tmp_path / "x.wav")
    with pytest.raises(UsageError, match="one kind of input"):
        SeparationInput(sep_type=40, audiofile=wav, url="http://x/y.wav")
    with pytest.raises(UsageError, match="remote_type"):
        SeparationInput(sep_type=40, url="http://x/y.wav", remote_type="ftp")
    with pytest.raises(UsageError, match="no such file"):
        SeparationInput(sep_type=40, audiofile=tmp_path / "missing.wav")


def test_account_switches_and_history(emulator, client, account, tmp_path):
    assert client.disable_premium().success and client.user().premium_enabled is False
    assert client.enable_premium().success and client.user().premium_enabled is True
    client.enable_long_filenames()
    assert client.user().long_filenames_enabled is True
    job = client.create_once(SeparationInput(sep_type=40, audiofile=write_wav(tmp_path / "h.wav")))
    history = client.separation_history()
    assert history[0].hash == job.hash and history[0].sep_type == 40
    logged = client.login(account.email, account.password)
    assert logged.api_token.get_secret_value() == account.token


def test_download_checksum_matches_the_server_file(client, tmp_path):
    job = client.create_once(SeparationInput(sep_type=40, output_format=1, audiofile=write_wav(tmp_path / "w.wav")))
    file = wait_final(client, job.hash).files[0]
    got = client.download(file, tmp_path / "dl" / file.file_name)
    assert hashlib.sha256(got.read_bytes()).digest() == hashlib.sha256(
        requests.get(file.url, timeout=30).content).digest()


def test_is_demo_is_not_even_sent_unless_asked(tmp_path):
    wav = write_wav(tmp_path / "x.wav")
    assert "is_demo" not in SeparationInput(sep_type=40, audiofile=wav).text_fields()
    assert SeparationInput(sep_type=40, audiofile=wav, is_demo=True).text_fields()["is_demo"] == "1"
    remote = SeparationInput(sep_type=40, url="https://example.org/a.mp3").text_fields()
    assert remote["remote_type"] == "direct" and "output_format" not in remote
