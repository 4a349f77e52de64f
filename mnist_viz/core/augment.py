"""Input augmentation: each training image moved by a few pixels and turned by a small angle, a new
draw every step, so the network never sees exactly the same picture twice (Simard et al. 2003's
"distortions", without the elastic part).

Conventions: a batch is ``(B, 784) float32``, each row a 28×28 image stored row by row (row 0 at
the top). A positive shift ``dx`` moves the digit right, a positive ``dy`` down; a positive angle
turns it counterclockwise as it is shown (``angle=90`` is ``np.rot90``). The turn is about the
image's centre (13.5, 13.5); pixels that come from outside the image are 0 (background).
Integer shifts alone are exact copies of pixels; a turn samples bilinearly.
"""
from __future__ import annotations

import numpy as np

SIDE = 28
PIXELS = SIDE * SIDE
CENTRE = (SIDE - 1) / 2  # 13.5: the middle between the two central pixels
# Each image sits in a frame of zero pixels: one on the top and left, two on the bottom and right,
# so that a sample point clamped onto the frame and its right and lower neighbours all read 0.
PADDED = SIDE + 3
FAR_EDGE = SIDE + 1  # the padded index sample points are clamped to on the bottom and right
CHUNK = 1024  # images warped at a time, so full-batch gd (60,000 images) needs no huge temporaries


def draw(rng: np.random.Generator, n: int, max_shift: int, max_angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Random shifts and angles for ``n`` images.

    One ``(n, 3)`` uniform draw makes all three numbers of an image, so changing the shift range
    leaves the angles alone (and the other way round) for the same generator state.
    Returns ``(shifts (n, 2) int32 as (dx, dy), each in [-max_shift, max_shift], angles (n,) float64
    degrees in [-max_angle, max_angle])``.
    """
    u = rng.random((n, 3))
    shifts = (np.floor(u[:, :2] * (2 * max_shift + 1)) - max_shift).astype(np.int32)
    np.clip(shifts, -max_shift, max_shift, out=shifts)  # u < 1, but be safe against rounding
    angles = (2 * u[:, 2] - 1) * max_angle
    return shifts, angles


class Augmenter:
    """Warps batches into buffers it keeps between calls (a step allocates little when the batch
    size stays the same)."""

    def __init__(self) -> None:
        self._rows = np.repeat(np.arange(SIDE, dtype=np.int32), SIDE)  # (784,) row of each output pixel
        self._cols = np.tile(np.arange(SIDE, dtype=np.int32), SIDE)    # (784,) its column
        self._y = self._rows.astype(np.float32) - np.float32(CENTRE)   # the same, centred
        self._x = self._cols.astype(np.float32) - np.float32(CENTRE)
        self._padded = np.zeros((0, PADDED, PADDED), np.float32)
        self._out = np.zeros((0, PIXELS), np.float32)

    def warp(self, x: np.ndarray, shifts: np.ndarray, angles: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Move and turn every image of ``x``.

        Args:
            x: ``(B, 784) float32`` images.
            shifts: ``(B, 2) int`` as ``(dx, dy)`` pixels.
            angles: ``(B,)`` degrees, counterclockwise as shown.
            out: where to write the ``(B, 784) float32`` result; default: a buffer this object keeps
                and overwrites on the next call (copy it to keep it).
        Returns:
            ``out``.
        """
        x = np.asarray(x, np.float32)
        n = len(x)
        if x.ndim != 2 or x.shape[1] != PIXELS:
            raise ValueError(f"augmentation needs (batch, {PIXELS}) images, got shape {x.shape}")
        shifts = np.asarray(shifts).reshape(n, 2).astype(np.int32)
        angles = np.asarray(angles, np.float64).reshape(n)
        if out is None:
            if len(self._out) != n:
                self._out = np.empty((n, PIXELS), np.float32)
            out = self._out
        for start in range(0, n, CHUNK):
            part = slice(start, min(n, start + CHUNK))
            if np.any(angles[part]):
                self._turn(x[part], shifts[part], angles[part], out[part])
            else:
                self._shift(x[part], shifts[part], out[part])
        return out

    def _framed(self, x: np.ndarray) -> np.ndarray:
        """``(b * 961,)``: the ``b`` images, each in its frame of zeros, flattened."""
        b = len(x)
        if len(self._padded) < b:
            self._padded = np.zeros((b, PADDED, PADDED), np.float32)
        padded = self._padded[:b]
        padded[:, 1:SIDE + 1, 1:SIDE + 1] = x.reshape(b, SIDE, SIDE)
        return padded.reshape(-1)

    def _image_starts(self, b: int) -> np.ndarray:
        """``(b, 1) intp``: where each framed image starts in ``_framed``'s array."""
        return (np.arange(b, dtype=np.intp) * (PADDED * PADDED))[:, None]

    def _shift(self, x: np.ndarray, shifts: np.ndarray, out: np.ndarray) -> None:
        """Integer shifts: every output pixel copies one input pixel, or 0 from outside."""
        flat = self._framed(x)
        # the input pixel each output pixel copies, in framed coordinates; from outside: the frame
        rows = np.clip(self._rows - shifts[:, 1:2], -1, SIDE) + 1  # (b, 784)
        cols = np.clip(self._cols - shifts[:, 0:1], -1, SIDE) + 1
        index = rows.astype(np.intp)
        index *= PADDED
        index += cols
        index += self._image_starts(len(x))
        np.take(flat, index, out=out, mode="clip")  # "clip": no range check, the indices are in range

    def _turn(self, x: np.ndarray, shifts: np.ndarray, angles: np.ndarray, out: np.ndarray) -> None:
        """Shift and turn with bilinear sampling: each output pixel is looked up at the point the
        inverse motion takes it to, and mixed from the four input pixels around that point."""
        flat = self._framed(x)
        radians = np.radians(angles)
        cos, sin = np.cos(radians), np.sin(radians)
        dx, dy = shifts[:, 0], shifts[:, 1]
        # The inverse motion, shift undone and then the turn: source = R(-angle) (point - shift).
        # Its shift part is one number per image, added once (+ 1: the frame).
        col = _affine(self._x, cos, self._y, -sin, CENTRE + 1 - (dx * cos - dy * sin))
        row = _affine(self._x, sin, self._y, cos, CENTRE + 1 - (dx * sin + dy * cos))
        c0, fc = _split_position(col)
        r0, fr = _split_position(row)
        r0 *= PADDED
        r0 += c0  # exact in float32: at most 31 * 31
        index = r0.astype(np.intp)
        index += self._image_starts(len(x))
        top = np.take(flat, index, mode="clip")  # "clip": no range check, the indices are in range
        index += 1
        right = np.take(flat, index, mode="clip")
        index += PADDED
        lower_right = np.take(flat, index, mode="clip")
        index -= 1
        bottom = np.take(flat, index, mode="clip")
        right -= top
        right *= fc
        right += top  # the upper pair mixed along the row
        lower_right -= bottom
        lower_right *= fc
        lower_right += bottom  # the lower pair
        lower_right -= right
        lower_right *= fr
        np.add(right, lower_right, out=out)  # the two pairs mixed down the column


def _affine(x: np.ndarray, x_factor: np.ndarray, y: np.ndarray, y_factor: np.ndarray,
            offset: np.ndarray) -> np.ndarray:
    """``(b, 784) float32``: ``x * x_factor + y * y_factor + offset`` for ``(784,)`` ``x``, ``y`` and
    ``(b,)`` factors and offsets."""
    f32 = np.float32
    out = np.multiply(x, x_factor.astype(f32)[:, None])
    out += np.multiply(y, y_factor.astype(f32)[:, None])
    out += offset.astype(f32)[:, None]
    return out


def _split_position(position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For framed coordinates ``(b, 784) float32``: ``(index of the pixel at or before each point, a
    whole number as float32; fraction of the way to the next one, float32)``. Points beyond the
    image are clamped onto its frame, so they read 0. Overwrites ``position`` with the fractions."""
    np.clip(position, 0, FAR_EDGE, out=position)
    base = np.floor(position)
    position -= base
    return base, position


def augment(x: np.ndarray, rng: np.random.Generator, max_shift: int, max_angle: float,
            augmenter: Augmenter | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """``x`` ``(B, 784)`` with each image moved by up to ``max_shift`` pixels in x and in y and turned
    by up to ``max_angle`` degrees, drawn from ``rng`` (``draw``). Returns ``(B, 784) float32``."""
    shifts, angles = draw(rng, len(x), int(max_shift), float(max_angle))
    return (augmenter or Augmenter()).warp(x, shifts, angles, out)


def is_identity(max_shift: int, max_angle: float) -> bool:
    """Whether these settings leave every image as it is."""
    return int(max_shift) == 0 and float(max_angle) == 0.0
