"""A 1 GiB upload streams from disk whole: every byte reaches the server, which reads the whole
length. (The memory it takes is a figure: bench/upload_memory.py.)"""


import pytest

from mvsep_bridge.daemon.client import MvsepClient, SeparationInput

from harness import sparse_wav

GIB = 1 << 30


@pytest.mark.timeout(240)
def test_a_one_gib_upload_arrives_whole(emulator, tmp_path):
    emulator.configure(waiting_seconds=3600)  # the job must not start: we cancel it afterwards
    account = emulator.create_account(premium=True, credits=10_000)
    source = sparse_wav(tmp_path / "long.wav", GIB)
    sent = []
    with MvsepClient(emulator.base_url, account.token, timeout=(10, 300)) as client:
        job = client.create_once(SeparationInput(sep_type=40, audiofile=source),
                                 progress=lambda done, total: sent.append((done, total)))
        assert client.cancel(job.hash).success
    assert sent[-1][0] == sent[-1][1] > GIB  # every byte went out (multipart adds a little)
    server = next(j for j in emulator.stats()["jobs"] if j["hash"] == job.hash)
    assert server["input_seconds"] == pytest.approx(GIB / (44100 * 4), abs=0.01)
