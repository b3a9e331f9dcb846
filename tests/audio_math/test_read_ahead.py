"""read_ahead: the finish stage's producers on their own threads give the same blocks in the same
order, raise their errors in the consumer, and never outlive a consumer that stopped."""

import threading

import numpy as np
import pytest

from mvsep_bridge.daemon.audio import codecs
from mvsep_bridge.daemon.audio.ahead import read_ahead
from mvsep_bridge.daemon.audio.finish import finish_stems
from mvsep_bridge.daemon.errors import AudioError

from .signals import band_noise


def _producers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_every_item_arrives_once_and_in_order():
    assert list(read_ahead(iter(range(5000)), depth=2)) == list(range(5000))


def test_a_producers_error_is_raised_in_the_consumer_after_the_items_before_it():
    def blocks():
        yield from range(3)
        raise ValueError("bad block")

    seen = []
    with pytest.raises(ValueError, match="bad block"):
        for item in read_ahead(blocks()):
            seen.append(item)
    assert seen == [0, 1, 2]
    assert not _producers()


def test_a_consumer_that_stops_early_stops_its_producer():
    closed = threading.Event()

    def endless():
        try:
            count = 0
            while True:
                yield count
                count += 1
        finally:
            closed.set()

    ahead = read_ahead(endless(), depth=3)
    assert [next(ahead) for _ in range(4)] == [0, 1, 2, 3]
    ahead.close()
    assert closed.is_set()  # the producer's generator was finalised, not left blocked on a full queue
    assert not _producers()


def test_a_corrupt_stem_fails_the_finish_with_a_clear_error_and_leaves_no_thread(tmp_path):
    rate = 48_000
    section = band_noise(rate * 20, rate)  # more blocks than a producer holds ahead
    reference = tmp_path / "section.flac"
    codecs.encode(section, rate, 5, reference)
    good, bad = tmp_path / "vocals.flac", tmp_path / "other.flac"
    codecs.encode(section, rate, 2, good)
    bad.write_bytes(good.read_bytes()[: 4096])  # a download cut short: a header and a few frames
    with pytest.raises(AudioError, match="cannot decode other.flac: .*lost sync"):
        finish_stems(reference, [(good, tmp_path / "a.flac"), (bad, tmp_path / "b.flac")],
                     rate, section.shape[0], 0, 2, rate // 2)
    assert not _producers()
    assert not (tmp_path / "a.flac").exists() and not (tmp_path / "b.flac").exists()
