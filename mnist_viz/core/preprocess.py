"""Turn a free-hand drawing into an MNIST-style 28x28 input.

MNIST's own recipe (LeCun et al.): the digit's bounding box is scaled, keeping its aspect ratio, to
fit a 20x20 box with anti-aliasing; the result is placed in a 28x28 field so that its centre of mass
sits at the field's centre. Ink is bright on a dark background, in [0, 1] like the training data.
"""
from __future__ import annotations

import numpy as np

FIELD = 28
BOX = 20
INK_THRESHOLD = 0.05  # pixels fainter than this are paper, not ink, when finding the bounding box
# Where MNIST's digits have their centre of mass: measured on the training set, (13.995, 14.009)
# in (row, col) pixel indices, i.e. (14, 14), not the geometric centre 13.5.
MASS_CENTRE = 14.0


class EmptyDrawingError(ValueError):
    """The drawing has no ink to classify."""


def resample(image: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Area-average resample ``(h, w)`` to ``(out_h, out_w)``: each output pixel is the mean of the
    input area it covers (fractional pixels weighted), i.e. anti-aliased downscaling and
    box-filtered upscaling."""
    rows = _overlap_matrix(image.shape[0], out_h)
    cols = _overlap_matrix(image.shape[1], out_w)
    return (rows @ image.astype(np.float64) @ cols.T).astype(np.float32)


def _overlap_matrix(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` weights: how much of output cell i lies over input cell j, rows summing to 1."""
    edges_out = np.linspace(0, n_in, n_out + 1)
    lo, hi = edges_out[:-1, None], edges_out[1:, None]
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def shift_image(image: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Shift ``(h, w)`` by a sub-pixel amount with bilinear interpolation; what leaves is lost,
    what enters is 0."""
    h, w = image.shape
    out = np.zeros_like(image)
    iy, fy = int(np.floor(dy)), dy - np.floor(dy)
    ix, fx = int(np.floor(dx)), dx - np.floor(dx)
    for oy, wy in ((iy, 1 - fy), (iy + 1, fy)):
        for ox, wx in ((ix, 1 - fx), (ix + 1, fx)):
            if wy * wx == 0:
                continue
            src = image[max(0, -oy): h - max(0, oy), max(0, -ox): w - max(0, ox)]
            out[max(0, oy): max(0, oy) + src.shape[0], max(0, ox): max(0, ox) + src.shape[1]] += wy * wx * src
    return out


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """``(row, col)`` of the intensity-weighted centre of ``(h, w)``."""
    total = image.sum()
    ys, xs = np.indices(image.shape)
    return float((ys * image).sum() / total), float((xs * image).sum() / total)


def to_mnist(drawing: np.ndarray) -> np.ndarray:
    """MNIST-style input from a drawing.

    Args:
        drawing: ``(h, w)`` ink intensities in [0, 1], ink bright (any size, e.g. a 280x280 canvas).
    Returns:
        ``(784,) float32`` in [0, 1]: the ink's bounding box scaled to fit 20x20 (aspect kept,
        anti-aliased), centred by centre of mass in 28x28.
    Raises:
        EmptyDrawingError: nothing is drawn.
    """
    drawing = np.asarray(drawing, dtype=np.float32)
    if drawing.ndim != 2:
        raise ValueError(f"a drawing must be a 2-D image, got shape {drawing.shape}")
    ink_rows = np.flatnonzero((drawing > INK_THRESHOLD).any(axis=1))
    ink_cols = np.flatnonzero((drawing > INK_THRESHOLD).any(axis=0))
    if len(ink_rows) == 0:
        raise EmptyDrawingError("the drawing is empty: draw a digit first")
    crop = drawing[ink_rows[0]: ink_rows[-1] + 1, ink_cols[0]: ink_cols[-1] + 1]
    scale = BOX / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    digit = np.clip(resample(crop, h, w), 0, 1)
    field = np.zeros((FIELD, FIELD), np.float32)
    top, left = (FIELD - h) // 2, (FIELD - w) // 2
    field[top: top + h, left: left + w] = digit
    cy, cx = center_of_mass(field)
    centred = shift_image(field, MASS_CENTRE - cy, MASS_CENTRE - cx)
    return np.clip(centred, 0, 1).reshape(FIELD * FIELD)
