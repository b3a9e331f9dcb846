"""Waveform peaks read in blocks: the same picture whatever the block size, checked against numpy
on the whole signal."""

from __future__ import annotations

import numpy as np
import pytest

from mvsep_bridge.bridges.ui.waveform import peaks_of_blocks


def blocks_of(signal: np.ndarray, size: int):
    return (signal[i:i + size] for i in range(0, len(signal), size))


@pytest.mark.parametrize("block", [1, 7, 1000, 6000])
def test_peaks_are_min_and_max_of_each_column_for_any_block_size(block):
    signal = np.random.default_rng(1).uniform(-0.9, 0.2, (6000, 2)).astype(np.float32)  # mostly below 0

    found = peaks_of_blocks(blocks_of(signal, block), len(signal), columns=600)

    columns = signal.reshape(600, 10, 2)
    np.testing.assert_array_equal(found[:, 0], columns.min(axis=(1, 2)))
    np.testing.assert_array_equal(found[:, 1], columns.max(axis=(1, 2)))


def test_a_file_shorter_than_the_picture_has_a_column_per_frame():
    signal = np.array([[0.5], [-0.25], [0.0]], dtype=np.float32)

    found = peaks_of_blocks(blocks_of(signal, 2), 3, columns=600)

    np.testing.assert_array_equal(found, [[0.5, 0.5], [-0.25, -0.25], [0.0, 0.0]])


def test_a_header_that_miscounts_the_frames_still_gives_a_whole_picture():
    signal = np.linspace(-1, 1, 1000, dtype=np.float32)[:, None]

    longer = peaks_of_blocks(blocks_of(signal, 64), 900, columns=10)  # 100 frames more than said
    shorter = peaks_of_blocks(blocks_of(signal[:500], 64), 1000, columns=10)  # half of them missing

    assert longer[-1, 1] == 1.0 and longer.shape == (10, 2)
    np.testing.assert_array_equal(shorter[5:], 0.0)
    np.testing.assert_array_equal(shorter[:5], peaks_of_blocks([signal[:500]], 1000, columns=10)[:5])
