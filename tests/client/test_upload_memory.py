"""A 1 GiB upload streams from disk whole: every byte reaches the server, which reads the whole
length. (The memory it takes is a figure: bench/upload_memory.py.)"""

import struct

import pytest

from mvsep_bridge.daemon.client import MvsepClient, SeparationInput

GIB = 1 << 30


def sparse_wav(path, data_bytes: int, rate: int = 44100, channels: int = 2):
    """A valid 16-bit WAV header followed by `data_bytes` of silence that takes no disk space."""
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
    header += b"data" + struct.pack("<I", data_bytes)
    with open(path, "wb") as out:
        out.write(header)
        out.truncate(len(header) + data_bytes)
    return path


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
