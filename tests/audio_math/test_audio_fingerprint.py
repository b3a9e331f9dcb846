"""The ledger's hashes: equal audio, equal hash; any change, another hash."""

import hashlib

import numpy as np

from mvsep_bridge.daemon.audio.fingerprint import audio_hash, file_sha256

from .signals import noise


def test_audio_hash_is_canonical_and_sensitive():
    x = noise(1000)
    assert audio_hash(x, 44_100) == audio_hash(x.astype(np.float64), 44_100)  # same PCM
    assert audio_hash(x, 44_100) == audio_hash(np.asfortranarray(x), 44_100)  # memory layout
    assert audio_hash(x, 44_100) != audio_hash(x, 48_000)
    assert audio_hash(x, 44_100) != audio_hash(x.reshape(500, 4), 44_100)  # same bytes, other layout
    y = x.copy()
    y[500, 1] += 1e-6
    assert audio_hash(x, 44_100) != audio_hash(y, 44_100)


def test_audio_hash_is_sha256_of_header_and_little_endian_floats():
    x = np.array([[0.5, -0.25]], np.float32)
    want = hashlib.sha256(b"pcm-f32le 8000 2 1\n" + x.astype("<f4").tobytes()).hexdigest()
    assert audio_hash(x, 8000) == want


def test_file_sha256_streams_the_bytes(tmp_path):
    f = tmp_path / "x.bin"
    data = np.random.default_rng(0).bytes(3_000_000)
    f.write_bytes(data)
    assert file_sha256(f) == hashlib.sha256(data).hexdigest()
