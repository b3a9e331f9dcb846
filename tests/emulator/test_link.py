"""The emulator's bandwidth knob: a Link never lets bytes through faster than its rate (beyond
SLACK seconds of catch-up), and a sender that fell behind it goes on."""

import time

from mvsep_bridge.daemon.emulator.traffic import SLACK, Link

RATE = 2_000_000


def test_a_link_is_never_faster_than_its_rate():
    link = Link(lambda: RATE)
    started = time.monotonic()
    for _ in range(100):
        link.take(10_000)  # 1 MB in 10 KB chunks: 0.5 s at 2 MB/s
    assert time.monotonic() - started >= 1_000_000 / RATE - SLACK


def test_a_sender_behind_the_link_goes_on():
    link = Link(lambda: RATE)
    link.take(1000)  # 0.5 ms of link time
    time.sleep(0.01)  # the sender was busy: it is behind the link now
    link.take(1000)  # was a negative sleep (ValueError, HTTP 500) while behind by less than SLACK
