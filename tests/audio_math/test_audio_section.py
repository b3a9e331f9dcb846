"""Seconds → frames and cutting: sample-exact, and a section outside the source is refused."""

import numpy as np
import pytest

from mvsep_bridge.daemon.audio.section import cut, frame_span, to_frames
from mvsep_bridge.daemon.errors import AudioError


def test_design_example_section_is_exact():
    assert frame_span(12.5, 30.0, 48_000, 48_000 * 60) == (600_000, 1_440_000)


def test_rounds_to_the_nearest_frame_halves_up():
    assert to_frames(0.5 / 44_100, 44_100) == 1  # half a frame rounds up, not to even
    assert to_frames(1.5 / 44_100, 44_100) == 2
    assert to_frames(2.5 / 44_100, 44_100) == 3
    assert to_frames(1.49 / 44_100, 44_100) == 1


def test_count_depends_on_length_only():
    counts = {frame_span(s / 7.0, 1.2345, 44_100, 441_000)[1] for s in range(20)}
    assert counts == {54_441}  # round(1.2345 * 44100) = 54441.45 -> 54441


def test_defaults_are_whole_source_and_to_the_end():
    assert frame_span(None, None, 44_100, 1000) == (0, 1000)
    assert frame_span(0.01, None, 1000, 1000) == (10, 990)


@pytest.mark.parametrize(
    "start,length,words",
    [
        (10.0, 1.0, "after the source's end"),
        (0.5, 0.6, "ends after the source's end"),
        (-1.0, 0.1, "start"),
        (0.0, 0.0, "length"),
        (0.0, 1e-9, "shorter than one frame"),
        (float("nan"), 1.0, "start"),
    ],
)
def test_section_outside_source_is_refused_clearly(start, length, words):
    with pytest.raises(AudioError) as info:
        frame_span(start, length, 1000, 1000)  # a 1 s source
    assert words in str(info.value)
    assert info.value.hint


def test_section_reaching_exactly_the_end_is_fine():
    assert frame_span(0.25, 0.75, 1000, 1000) == (250, 750)


def test_cut_takes_exactly_the_frames():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = cut(x, 3, 4)
    assert y.shape == (4, 2) and y[0, 0] == 6 and y[-1, 1] == 13
    with pytest.raises(AudioError):
        cut(x, 8, 3)
