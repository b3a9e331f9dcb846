"""A result file decoded while it downloads (jobs/arriving.py): the decoders get exactly the
samples of the finished file, start before its last byte, and never hang on a failed fetch."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.jobs.arriving import ArrivingFile

from harness import write_wav


class Fetch(threading.Thread):
    """Writes `data` into dest.part in chunks, as a fetch does, then renames it to dest."""

    def __init__(self, data: bytes, dest, tail: ArrivingFile, chunk: int = 32_768, pause: float = 0.002,
                 fail_at: int | None = None):
        super().__init__(daemon=True)
        self.data, self.dest, self.tail, self.chunk, self.pause, self.fail_at = data, dest, tail, chunk, pause, fail_at
        self.written = 0

    def run(self) -> None:
        part = self.dest.with_name(self.dest.name + ".part")
        try:
            with open(part, "wb") as out:
                while self.written < len(self.data):
                    if self.fail_at is not None and self.written >= self.fail_at:
                        raise ConnectionResetError("connection reset by peer")
                    out.write(self.data[self.written:self.written + self.chunk])
                    out.flush()
                    self.written = min(len(self.data), self.written + self.chunk)
                    self.tail.arrived()
                    time.sleep(self.pause)
            os.replace(part, self.dest)
        except OSError:
            pass  # a fetch that gives up: its .part stays, and the stage reports the error
        self.tail.ended()


def _source(tmp_path, name: str, fmt: int):
    wav = write_wav(tmp_path / "song.wav", seconds=3.0, rate=44_100)
    samples, rate = sf.read(wav, dtype="float32", always_2d=True)
    codecs.encode(samples, rate, fmt, tmp_path / name)
    return (tmp_path / name).read_bytes()


@pytest.mark.parametrize("name, fmt", [("stem.flac", 2), ("stem.wav", 1), ("stem.mp3", 0), ("stem.m4a", 3)])
@pytest.mark.parametrize("size_known", [True, False])
def test_a_stem_decodes_while_it_arrives_to_the_samples_of_the_whole_file(tmp_path, name, fmt, size_known):
    data = _source(tmp_path, name, fmt)
    dest = tmp_path / "downloads" / name
    dest.parent.mkdir()
    tail = ArrivingFile(dest, len(data) if size_known else None)
    fetch = Fetch(data, dest, tail)
    fetch.start()
    rate, channels, blocks = codecs.decode_blocks(dest, block=4096, stream=tail)
    first = next(blocks)
    written_at_first_block = fetch.written
    decoded = np.concatenate([first, *blocks])
    fetch.join()
    tail.close()

    assert dest.read_bytes() == data and tail.read_whole()
    # the same samples as the finished file: read by libsndfile itself, or (lossy) decoded from the
    # file as the finish did before it could read a download as it arrives
    if name.endswith((".flac", ".wav")):
        whole, whole_rate = sf.read(dest, dtype="float32", always_2d=True)
    else:
        whole, whole_rate = codecs.decode(dest)
    assert (rate, channels) == (whole_rate, whole.shape[1])
    np.testing.assert_array_equal(decoded, whole)
    if name.endswith(".flac") and size_known:  # streams in order: decoding began long before the end
        assert written_at_first_block < len(data) // 2


def test_a_failed_fetch_ends_the_file_where_it_broke_instead_of_hanging(tmp_path):
    data = _source(tmp_path, "stem.flac", 2)
    dest = tmp_path / "downloaded.flac"
    tail = ArrivingFile(dest, len(data))
    fetch = Fetch(data, dest, tail, fail_at=len(data) // 3)
    fetch.start()
    received = tail.read(len(data))  # returns (does not wait forever) once the fetch has given up
    fetch.join()
    assert received == data[:fetch.written] and len(received) < len(data)
    assert not dest.exists() and not tail.read_whole()  # nothing at dest: the reader knows it is no file
    tail.close()


def test_a_part_started_over_as_another_file_is_not_taken_for_the_download(tmp_path):
    dest = tmp_path / "stem.flac"
    part = dest.with_name(dest.name + ".part")
    part.write_bytes(b"stale bytes of some other file")
    tail = ArrivingFile(dest, 4)
    assert tail.read(5) == b"stale"
    part.unlink()  # the fetch found the part too long and started over
    dest.write_bytes(b"good")
    tail.ended()
    assert not tail.read_whole()
    tail.close()
