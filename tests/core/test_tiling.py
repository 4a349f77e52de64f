"""The tiling helpers behind the image panels (pure NumPy): the mosaic against a one-tile-at-a-time
reference, the grid layout, quantization to colour indices and the adaptive colour level."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_viz.core.tiling import (
    HALF_RANGE,
    NORMAL_BASE,
    SIDE,
    AdaptiveLevel,
    dequantize,
    mosaic_layout,
    mosaic_shape,
    quantize_symmetric,
    tile_mosaic,
)

PITCH = SIDE + 1


def naive_mosaic(columns, rows, cols, fill, empty):
    """Reference: one tile at a time."""
    out = np.full((rows * PITCH - 1, cols * PITCH - 1), fill, dtype=columns.dtype)
    for slot in range(rows * cols):
        r, c = divmod(slot, cols)
        block = (slice(r * PITCH, r * PITCH + SIDE), slice(c * PITCH, c * PITCH + SIDE))
        if slot < columns.shape[1]:
            out[block] = columns[:, slot].reshape(SIDE, SIDE)
        else:  # an empty slot, with the gaps that only border empty slots
            out[r * PITCH: r * PITCH + PITCH, c * PITCH: c * PITCH + PITCH][:SIDE + (r < rows - 1),
                                                                           :SIDE + (c < cols - 1)] = empty
    return out


@pytest.mark.parametrize("n", [1, 8, 128, 512])
@pytest.mark.parametrize("aspect", [0.6, 1.0, 1.8, 4.0])
def test_tile_mosaic_equals_naive_reference(n, aspect):
    rows, cols = mosaic_layout(n, aspect)
    columns = np.random.default_rng(n).standard_normal((SIDE * SIDE, n)).astype(np.float32)
    got = tile_mosaic(columns, rows, cols, fill=-7.0, empty=-9.0)
    assert got.shape == mosaic_shape(rows, cols) == (rows * PITCH - 1, cols * PITCH - 1)
    np.testing.assert_array_equal(got, naive_mosaic(columns, rows, cols, -7.0, -9.0))


def test_tile_mosaic_reuses_its_buffer_and_overwrites_old_tiles():
    a = np.ones((784, 5), np.uint8)
    first = tile_mosaic(a, 2, 3, fill=0)
    second = tile_mosaic(2 * a[:, :4], 2, 3, fill=0, out=first.base)
    assert second.base is first.base
    np.testing.assert_array_equal(second, naive_mosaic(2 * a[:, :4], 2, 3, 0, 0))


@pytest.mark.parametrize("aspect", [0.5, 1.0, 1.6, 3.0])
def test_mosaic_layout_has_room_for_every_unit_and_no_empty_row(aspect):
    for n in range(1, 513):
        rows, cols = mosaic_layout(n, aspect)
        assert rows * cols >= n > (rows - 1) * cols


def test_mosaic_layout_follows_the_panel_shape():
    assert mosaic_layout(1, 1.6) == (1, 1)
    assert mosaic_layout(512, 1.0) in {(22, 24), (23, 23), (24, 22)}  # square panel: square grid
    wide_rows, wide_cols = mosaic_layout(128, 4.0)
    tall_rows, tall_cols = mosaic_layout(128, 0.25)
    assert wide_cols >= 4 * wide_rows // 2 and tall_rows >= 4 * tall_cols // 2


def test_quantize_round_trips_within_half_a_step_and_clips():
    w = np.linspace(-0.3, 0.3, 784 * 4, dtype=np.float32).reshape(784, 4)
    q = quantize_symmetric(w, 0.2, NORMAL_BASE, np.empty(w.shape, np.uint8), np.empty(w.shape, np.float32))
    inside = np.abs(w) <= 0.2
    step = 0.2 / HALF_RANGE
    assert np.abs(dequantize(q, 0.2)[inside] - w[inside]).max() <= step / 2 + 1e-7
    assert q.min() == NORMAL_BASE and q.max() == NORMAL_BASE + 2 * HALF_RANGE


def test_adaptive_level_ignores_outliers_follows_slowly_and_snaps_on_jumps():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((784, 64)).astype(np.float32)
    w[0, 0] = 1e6  # one huge weight must not wash the picture out
    level = AdaptiveLevel()
    first = level.update(w)
    assert 2.0 < first < 3.5  # ~99th percentile of |N(0,1)|
    second = level.update(1.5 * w)  # a modest change is followed gradually
    assert first < second < 1.5 * first * 0.9
    assert math.isclose(level.update(100 * w), level.target(100 * w))  # a jump is followed at once


def test_adaptive_level_samples_the_whole_array_after_a_resize():
    level = AdaptiveLevel()
    small = np.full((784, 16), 0.01, np.float32)
    level.update(small)
    big = np.full((784, 512), 0.01, np.float32)
    big[784 // 2:] = 1.0  # the lower half of the images: a sample of only the first rows would miss it
    assert level.target(big) == pytest.approx(1.0)
