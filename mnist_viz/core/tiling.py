"""Pure NumPy helpers for the image panels: tiling column vectors into one mosaic image, choosing
a grid that fits the panel, and mapping weights to colour indices with a slowly adapting level.

No Qt here, so these are tested exactly and cheaply; the GUI's colour table for these indices is
``mnist_viz.gui.style.diverging_lut_indexed``, which takes its layout from the constants below.
"""
from __future__ import annotations

import math

import numpy as np

SIDE = 28  # MNIST images are 28 x 28 = 784 pixels

# Colour-index layout of a quantized weight image (one uint8 per pixel, shown through a 256-entry
# colour table: the cheapest image path Qt has). See ``gui.style.diverging_lut_indexed``.
SEPARATOR_INDEX = 0
MARK_INDEX = 1
HALF_RANGE = 62  # a weight of +-level maps to centre +- 62: 125 colour steps, plenty for the eye
NORMAL_BASE = 2
DIM_BASE = NORMAL_BASE + 2 * HALF_RANGE + 1  # 127
EMPTY_INDEX = 255


def grid_layout(n: int, aspect: float, cell_w: float = SIDE + 1, cell_h: float = SIDE + 1) -> tuple[int, int]:
    """``(rows, cols)`` for ``n`` cells of ``cell_w x cell_h`` that makes the cells largest on a
    screen area of width / height ``aspect``.

    Ties go to the grid with fewer empty slots, then to the wider one (projector screens are wide).
    """
    n = max(1, int(n))
    if not (math.isfinite(aspect) and aspect > 0):
        aspect = 1.6
    cols = np.arange(1, n + 1)
    rows = -(-n // cols)
    scale = np.minimum(aspect / (cols * cell_w), 1.0 / (rows * cell_h))
    # Round the scale so that float noise does not beat the tie-breakers.
    key = np.lexsort((-cols, rows * cols - n, -np.round(scale / scale.max(), 9)))
    best = key[0]
    return int(rows[best]), int(cols[best])


def mosaic_layout(n_units: int, aspect: float) -> tuple[int, int]:
    """``(rows, cols)`` of 28x28 tiles with 1-px separators for ``n_units`` on a panel of
    width / height ``aspect``."""
    return grid_layout(n_units, aspect, SIDE + 1, SIDE + 1)


def mosaic_shape(rows: int, cols: int, tile: tuple[int, int] = (SIDE, SIDE),
                 gap: tuple[int, int] = (1, 1)) -> tuple[int, int]:
    """Shape of ``tile_mosaic``'s result: tiles with ``gap`` pixels between them (none outside)."""
    return rows * (tile[0] + gap[0]) - gap[0], cols * (tile[1] + gap[1]) - gap[1]


def tile_mosaic(columns: np.ndarray, rows: int, cols: int, fill, tile: tuple[int, int] = (SIDE, SIDE),
                gap: tuple[int, int] = (1, 1), out: np.ndarray | None = None, empty=None) -> np.ndarray:
    """Lay the columns of ``columns`` out as a grid of images, row by row.

    Args:
        columns: ``(tile_h * tile_w, n)``; column ``u`` is image ``u`` in row-major pixel order
            (as ``W1[:, u]`` is hidden unit ``u``'s 28x28 input weights).
        rows, cols: grid size, ``rows * cols >= n``.
        fill: value for the gaps between images.
        empty: value for the empty slots after the last image (default ``fill``).
        out: optional ``(rows * (tile_h + gap_h), cols * (tile_w + gap_w))`` buffer of
            ``columns.dtype`` to reuse (the trailing gap row and column are scratch).
    Returns:
        ``mosaic_shape(rows, cols, tile, gap)`` view into the buffer: image ``u`` occupies
        ``[r * pitch_h : r * pitch_h + tile_h, c * pitch_w : c * pitch_w + tile_w]`` with
        ``r, c = divmod(u, cols)``.
    """
    th, tw = tile
    n = columns.shape[1]
    empty = fill if empty is None else empty
    if columns.shape[0] != th * tw or rows * cols < n:
        raise ValueError(f"cannot tile {columns.shape} into {rows}x{cols} tiles of {th}x{tw}")
    ph, pw = th + gap[0], tw + gap[1]
    full_shape = (rows * ph, cols * pw)
    if out is None or out.shape != full_shape or out.dtype != columns.dtype:
        out = np.empty(full_shape, dtype=columns.dtype)
    grid = out.reshape(rows, ph, cols, pw)
    grid[:, th:, :, :] = fill  # gaps below each tile
    grid[:, :th, :, tw:] = fill  # gaps right of each tile
    images = columns.reshape(th, tw, n)  # [i, j, u]: pixel (i, j) of image u
    full_rows, rest = divmod(n, cols)
    # Whole rows of the grid in one strided copy: (th, tw, R, C) -> (R, th, C, tw).
    whole = images[:, :, :full_rows * cols].reshape(th, tw, full_rows, cols)
    grid[:full_rows, :th, :, :tw] = whole.transpose(2, 0, 3, 1)
    if full_rows < rows:
        grid[full_rows, :th, :rest, :tw] = images[:, :, full_rows * cols:].transpose(0, 2, 1)
        grid[full_rows, :, rest:, :] = empty  # empty slots with their gaps: a plain background
        grid[full_rows + 1:] = empty
    return out[: full_shape[0] - gap[0], : full_shape[1] - gap[1]]


LEVEL_RATE = 0.05  # AdaptiveLevel's step per update: a time constant of ~20 updates, ~0.7 s at 30 a second


class AdaptiveLevel:
    """The symmetric colour range ``+-level`` of a weight image, following the weights' scale.

    Why a slowly adapting percentile:
    * fixed levels would leave the picture faded at initialisation (He-init weights are ~0.05)
      or saturated after the weights grow, so the scale has to follow training;
    * the maximum would let a single large weight wash every other tile out, and the standard
      deviation is dominated by the border pixels that never change; the 99th percentile of
      ``|w|`` saturates only the strongest 1 % of weights;
    * re-fitting every frame would make the colours breathe with batch noise, which the room would
      read as "the weights are changing" when they are not; an exponential average in log space
      (time constant ~``1 / rate`` frames, about a second at 30 frames/s) keeps the colours of an
      unchanging weight stable, while a jump by more than ``snap_ratio`` (a reset, a resize, a
      divergence) is followed at once.
    The percentile is taken over a fixed random sample of ~8k entries so it costs ~0.1 ms.
    """

    def __init__(self, percentile: float = 99.0, rate: float = LEVEL_RATE, snap_ratio: float = 4.0,
                 sample: int = 8192, seed: int = 0):
        self.percentile = percentile
        self.rate = rate
        self.snap_ratio = snap_ratio
        self.sample = sample
        self.level: float | None = None
        self._rng = np.random.default_rng(seed)
        self._index: np.ndarray | None = None  # which entries to sample, for arrays of _index_of_size
        self._index_of_size = -1

    def reset(self) -> None:
        self.level = None

    def target(self, values: np.ndarray) -> float:
        """The percentile of ``|values|`` over the sample (nan if it is not a positive number)."""
        flat = values.reshape(-1)
        if flat.size == 0:
            return math.nan
        if flat.size <= self.sample:
            picked = flat
        else:
            if self._index_of_size != flat.size:  # a new shape (hidden size changed): a new sample
                self._index = np.sort(self._rng.choice(flat.size, self.sample, replace=False))
                self._index_of_size = flat.size
            picked = flat[self._index]
        with np.errstate(invalid="ignore"):
            t = float(np.percentile(np.abs(picked), self.percentile))
        return t if math.isfinite(t) and t > 0 else math.nan

    def update(self, values: np.ndarray) -> float:
        """Move the level toward the target of ``values``; returns the new level (always > 0)."""
        t = self.target(values)
        if math.isnan(t):
            if self.level is None:
                self.level = 1e-3
            return self.level
        if self.level is None or abs(math.log(t / self.level)) > math.log(self.snap_ratio):
            self.level = t
        else:
            self.level = math.exp(math.log(self.level) + self.rate * math.log(t / self.level))
        return self.level


def quantize_symmetric(values: np.ndarray, level: float, base: np.ndarray | float, out: np.ndarray,
                       scratch: np.ndarray) -> np.ndarray:
    """Map ``values`` in ``[-level, +level]`` to colour indices ``base + 0 .. base + 2 * HALF_RANGE``
    (clipped outside), as uint8 for an indexed-colour image.

    Args:
        values: ``(D, N)`` float weights.
        base: ``(N,)`` per-column index offset (``NORMAL_BASE`` or ``DIM_BASE``) or a scalar.
        out: ``(D, N) uint8`` result buffer; scratch: ``(D, N) float32`` work buffer.
    Infinite values saturate; NaN must have been removed by the caller (``np.nan_to_num``): its
    cast is undefined.
    """
    half = HALF_RANGE
    with np.errstate(over="ignore", invalid="ignore"):  # huge weights saturate, which is the intent
        np.multiply(values, np.float32(half / level), out=scratch)
        np.clip(scratch, -half, half, out=scratch)
        # +0.5 then truncation by the cast rounds to nearest (all values are >= 0 here).
        scratch += np.asarray(base, dtype=np.float32) + np.float32(half + 0.5)
        np.copyto(out, scratch, casting="unsafe")
    return out


def dequantize(indices: np.ndarray, level: float, base: int = NORMAL_BASE) -> np.ndarray:
    """Inverse of ``quantize_symmetric`` (to within half a step, ``level / HALF_RANGE / 2``)."""
    return (indices.astype(np.float64) - base - HALF_RANGE) * (level / HALF_RANGE)
