"""The emulator's wire counts and files listener, driven with plain `requests`: the figures the
benchmarks and the security tests rely on must be right before anything is judged by them."""

from __future__ import annotations

import time

import pytest
import requests
import soundfile as sf

from mvsep_bridge.daemon.emulator.config import FAST_TIMINGS

from emulator_handle import start_emulator
from harness import write_wav


@pytest.fixture
def files_emulator(tmp_path):
    handle = start_emulator(tmp_path / "emulator", files_host="127.0.0.2", rate_limit_slow=10_000,
                            upload_bandwidth=50_000_000, **FAST_TIMINGS)
    yield handle
    handle.stop()


def _done(base: str, job_hash: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = requests.get(f"{base}/api/separation/get", params={"hash": job_hash}, timeout=10).json()
        if answer["status"] == "done":
            return answer["data"]
        time.sleep(0.1)
    raise AssertionError(f"{job_hash} never finished")


def test_bytes_per_endpoint_and_results_on_the_files_host_without_a_token(files_emulator, tmp_path):
    account = files_emulator.create_account(premium=True)
    source = write_wav(tmp_path / "take.wav", seconds=1.5)
    with open(source, "rb") as audio:
        prepared = requests.Request("POST", f"{files_emulator.base_url}/api/separation/create",
                                    data={"api_token": account.token, "sep_type": "40", "output_format": "1"},
                                    files={"audiofile": ("take.wav", audio)}).prepare()
    created = requests.Session().send(prepared, timeout=30).json()
    data = _done(files_emulator.base_url, created["data"]["hash"])

    downloaded = 0
    for entry in data["files"]:
        assert entry["url"].startswith("http://127.0.0.2:"), entry["url"]
        response = requests.get(entry["url"], timeout=30)
        response.raise_for_status()
        (tmp_path / entry["download"]).write_bytes(response.content)
        assert sf.info(str(tmp_path / entry["download"])).frames == int(1.5 * 44_100)
        downloaded += len(response.content)

    stats = files_emulator.stats()
    create = stats["endpoints"]["/api/separation/create"]
    assert (create["requests"], create["bytes_in"]) == (1, len(prepared.body))
    results = stats["endpoints"]["/results/"]
    assert (results["requests"], results["bytes_out"]) == (len(data["files"]), downloaded)
    files_host = next(v for k, v in stats["listeners"].items() if k.startswith("127.0.0.2:"))
    api_host = next(v for k, v in stats["listeners"].items() if k.startswith("127.0.0.1:"))
    assert files_host == {"requests": len(data["files"]), "with_token": 0}
    assert api_host["with_token"] >= 1  # the create carried it in its body
    job = next(j for j in stats["jobs"] if j["hash"] == created["data"]["hash"])
    assert job["done_at"] <= job["first_download_at"]


def test_a_token_sent_to_the_files_host_is_counted(files_emulator, tmp_path):
    """The counter the security tests trust can fire: a token in a query, a header or a body."""
    account = files_emulator.create_account()
    source = write_wav(tmp_path / "t.wav", seconds=0.5)
    with open(source, "rb") as audio:
        created = requests.post(f"{files_emulator.base_url}/api/separation/create",
                                data={"api_token": account.token, "sep_type": "40"},
                                files={"audiofile": ("t.wav", audio)}, timeout=30).json()
    host = _done(files_emulator.base_url, created["data"]["hash"])["files"][0]["url"].split("/")[2]
    files_url = f"http://{host}"

    requests.get(f"{files_url}/results/x/y.flac", params={"api_token": account.token}, timeout=10)
    requests.get(f"{files_url}/results/x/y.flac", headers={"Authorization": f"Bearer {account.token}"}, timeout=10)
    requests.post(f"{files_url}/api/separation/cancel", data={"api_token": account.token, "hash": "x"}, timeout=10)
    requests.get(f"{files_url}/results/x/y.flac", timeout=10)

    assert files_emulator.stats()["listeners"][host] == {"requests": 4, "with_token": 3}
