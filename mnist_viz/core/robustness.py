"""Robustness lab: how well a trained network reads test images that have been spoiled on purpose.

Five spoilers, each ``spoil(kind, x, amount, seed)`` on a batch ``(N, 784) float32`` in [0, 1] that
returns the same shape, in [0, 1]:

- ``noise``: Gaussian noise of standard deviation ``amount`` added to every pixel, clipped to [0, 1]
  (drawn from ``seed``: the same seed, the same noise).
- ``rotate``: turned by ``amount`` degrees, counterclockwise as shown (``core.augment``'s
  conventions: 90 is ``np.rot90``), bilinear, about the image's centre.
- ``shift``: moved ``amount`` whole pixels to the right (negative: to the left); pixels from outside are 0.
- ``thickness``: strokes made thicker by ``amount`` grey dilations (a 3x3 maximum filter each), or
  thinner by ``-amount`` erosions (a 3x3 minimum filter); outside the image counts as 0.
- ``occlude``: a black square ``amount`` of the image's side wide on each image, at a place drawn
  from ``seed`` within the central 20x20 box (where MNIST's digits sit; ``occlusion_corners``).

At amount 0 every spoiler returns the images unchanged. ``SPOILERS`` holds each one's name, unit,
slider range and the five amounts its robustness curve is measured at (0 among them).

Memory: a spoiler writes into one output array (``out``, reused by ``robustness_curve`` for all its
points) and works in chunks of ``CHUNK`` images, so evaluating a curve on the 10,000 test images
holds one spoiled copy of them (31 MB) and a few MB of temporaries, never one copy per point.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mnist_viz.core.analysis import N_CLASSES, network_from_params, predictions
from mnist_viz.core.augment import PIXELS, SIDE, Augmenter
from mnist_viz.core.i18n import tr
from mnist_viz.core.network import softmax

CHUNK = 1000  # images spoiled (and answered) at a time: temporaries of a few MB
MAX_IMAGES = 1_000_000  # a batch larger than this is refused before anything is allocated
DIGIT_BOX = (4, 24)  # rows/columns of MNIST's 20x20 box, where a digit's ink is
ORDER = ("thickness", "rotate", "shift", "occlude", "noise")  # spoilers applied together: noise last


@dataclass(frozen=True)
class Spoiler:
    """One way to spoil images.

    Attributes:
        name: its key (``"noise"``); title: what a person calls it; unit: of its amount.
        low, high, step: the slider's range and step; integer: whether amounts are whole numbers.
        points: the five amounts its robustness curve is measured at, ascending, 0 among them.
    """

    name: str
    title: str
    unit: str
    low: float
    high: float
    step: float
    integer: bool
    points: tuple[float, ...]

    def describe(self, amount: float) -> str:
        """``"σ 0.3"``, ``"30°"``, ``"+2 px"``: an amount as a caption writes it."""
        if self.name == "noise":
            return f"σ {amount:g}"
        if self.name == "rotate":
            return f"{amount:g}°"
        if self.name == "occlude":
            return f"{amount:.0%} of the side"
        return f"{int(amount):+d} px" if amount else "0 px"


SPOILERS: dict[str, Spoiler] = {s.name: s for s in (
    Spoiler("noise", "Gaussian noise", "σ", 0.0, 1.0, 0.05, False, (0.0, 0.1, 0.2, 0.3, 0.5)),
    Spoiler("rotate", "Rotation", "degrees", -90.0, 90.0, 5.0, False, (0.0, 15.0, 30.0, 45.0, 60.0)),
    Spoiler("shift", "Shift right", "pixels", -6.0, 6.0, 1.0, True, (0.0, 1.0, 2.0, 3.0, 4.0)),
    Spoiler("thickness", "Stroke thickness", "pixels", -2.0, 3.0, 1.0, True, (-2.0, -1.0, 0.0, 1.0, 2.0)),
    Spoiler("occlude", "Occlusion", "fraction of the side", 0.0, 0.6, 0.05, False, (0.0, 0.1, 0.2, 0.3, 0.4)),
)}


# ----------------------------------------------------------------------------------- checks


def check_images(x: np.ndarray) -> np.ndarray:
    """``x`` as ``(N, 784) float32`` (no copy when it already is); ``ValueError`` naming the shape
    otherwise, before any allocation."""
    shape = np.shape(x)
    if len(shape) != 2 or shape[1] != PIXELS:
        raise ValueError(f"spoiling needs (N, {PIXELS}) images of {SIDE}x{SIDE} pixels, got shape {shape}")
    if shape[0] > MAX_IMAGES:
        raise ValueError(f"spoiling takes at most {MAX_IMAGES:,} images at a time, got {shape[0]:,}")
    return np.asarray(x, np.float32)


def check_amount(kind: str, amount: float) -> float:
    """``amount`` as the spoiler takes it (a whole number for shift and thickness); ``ValueError``
    for an unknown spoiler, or an amount that is not a finite number within its range."""
    if kind not in SPOILERS:
        raise ValueError(tr("unknown spoiler {kind}; choose one of {spoilers}").format(
            kind=repr(kind), spoilers=", ".join(SPOILERS)))
    spoiler = SPOILERS[kind]
    amount = float(amount)
    if not np.isfinite(amount) or not spoiler.low <= amount <= spoiler.high:
        raise ValueError(tr("{kind} amount {amount} is outside {low} to {high} ({unit})").format(
            kind=kind, amount=f"{amount:g}", low=f"{spoiler.low:g}", high=f"{spoiler.high:g}", unit=tr(spoiler.unit)))
    if spoiler.integer and amount != round(amount):
        raise ValueError(tr("{kind} amount {amount} must be a whole number of {unit}").format(
            kind=kind, amount=f"{amount:g}", unit=tr(spoiler.unit)))
    return amount


# ---------------------------------------------------------------------------------- spoilers


def spoil(kind: str, x: np.ndarray, amount: float, seed: int = 0, out: np.ndarray | None = None) -> np.ndarray:
    """``x (N, 784)`` spoiled by ``kind`` at ``amount`` (see the module docstring), in [0, 1].

    Args:
        seed: the random draws of ``noise`` and ``occlude`` (the others are deterministic).
        out: ``(N, 784) float32`` to write the result to (it must not be ``x``); default a new array.
    Returns:
        ``out``.
    """
    x = check_images(x)
    amount = check_amount(kind, amount)
    if out is None:
        out = np.empty(x.shape, np.float32)
    elif out.shape != x.shape or out.dtype != np.float32:
        raise ValueError(f"out must be {x.shape} float32, got {out.shape} {out.dtype}")
    if amount == 0:
        np.copyto(out, x)
    elif kind == "noise":
        _add_noise(x, amount, seed, out)
    elif kind in ("rotate", "shift"):
        _warp(x, kind, amount, out)
    elif kind == "thickness":
        _thicken(x, int(amount), out)
    else:
        _occlude(x, amount, seed, out)
    return out


def spoil_together(x: np.ndarray, amounts: Mapping[str, float], seed: int = 0) -> np.ndarray:
    """``x (N, 784)`` spoiled by several spoilers at once (``{kind: amount}``, missing ones 0),
    applied in ``ORDER`` (strokes first, noise last, so the noise is not turned or thickened).
    Returns a new ``(N, 784) float32``: one copy of ``x`` with one spoiler, two (its result and
    the one before) while it works with more."""
    x = check_images(x)
    active = [kind for kind in ORDER if amounts.get(kind, 0)]
    if not active:
        return x.copy()
    buffers = [np.empty(x.shape, np.float32) for _ in range(min(2, len(active)))]
    source = x
    for step, kind in enumerate(active):
        target = buffers[step % len(buffers)]
        spoil(kind, source, amounts[kind], seed, target)
        source = target
    return source


def _add_noise(x: np.ndarray, sigma: float, seed: int, out: np.ndarray) -> None:
    """Gaussian noise, drawn chunk by chunk from one generator (the same draws for a batch of the
    same size whatever the chunking), clipped to [0, 1]."""
    rng = np.random.default_rng(seed)
    for start in range(0, len(x), CHUNK):
        part = slice(start, start + CHUNK)
        noise = rng.standard_normal(out[part].shape, dtype=np.float32)
        noise *= np.float32(sigma)
        np.add(x[part], noise, out=out[part])
    np.clip(out, 0.0, 1.0, out=out)


def _warp(x: np.ndarray, kind: str, amount: float, out: np.ndarray) -> None:
    """Rotation or shift with ``core.augment``'s warp (the same bilinear lookup training uses)."""
    n = len(x)
    shifts = np.zeros((n, 2), np.int32)
    angles = np.zeros(n)
    if kind == "shift":
        shifts[:, 0] = int(amount)
    else:
        angles[:] = amount
    Augmenter().warp(x, shifts, angles, out)
    np.clip(out, 0.0, 1.0, out=out)  # bilinear mixing stays in range; float rounding might not


def _thicken(x: np.ndarray, k: int, out: np.ndarray) -> None:
    """``k`` grey dilations (``k > 0``) or ``-k`` erosions with a 3x3 square, outside = 0."""
    grow = k > 0
    for start in range(0, len(x), CHUNK):
        part = slice(start, start + CHUNK)
        images = x[part].reshape(-1, SIDE, SIDE)
        for _ in range(abs(k)):
            images = square_filter(images, grow)
        out[part] = images.reshape(-1, PIXELS)


def square_filter(images: np.ndarray, maximum: bool) -> np.ndarray:
    """The 3x3 maximum (``maximum``) or minimum of each pixel's neighbourhood, pixels outside the
    image taken as 0. A square's max/min is separable: along rows, then along columns.

    Args:
        images: ``(B, 28, 28) float32``.
    Returns:
        ``(B, 28, 28) float32``, a new array.
    """
    pick = np.maximum if maximum else np.minimum
    padded = np.zeros((len(images), SIDE + 2, SIDE + 2), np.float32)
    padded[:, 1:-1, 1:-1] = images
    rows = pick(pick(padded[:, :-2], padded[:, 1:-1]), padded[:, 2:])  # (B, 28, 30)
    return pick(pick(rows[:, :, :-2], rows[:, :, 1:-1]), rows[:, :, 2:])


def occlusion_side(fraction: float) -> int:
    """The occluding square's side in pixels for ``fraction`` of the image's side."""
    return round(float(fraction) * SIDE)


def occlusion_corners(n: int, side: int, seed: int = 0) -> np.ndarray:
    """``(n, 2) int64`` (row, column) of each image's occluding square's top-left pixel: uniform
    over the places that keep the square inside the central 20x20 box (inside the image, when the
    square is larger than the box)."""
    low = min(DIGIT_BOX[0], SIDE - side)
    high = max(low, DIGIT_BOX[1] - side)
    return np.random.default_rng(seed).integers(low, high + 1, size=(n, 2))


def _occlude(x: np.ndarray, fraction: float, seed: int, out: np.ndarray) -> None:
    np.copyto(out, x)
    side = occlusion_side(fraction)
    if side == 0:
        return
    corners = occlusion_corners(len(x), side, seed)
    images = out.reshape(-1, SIDE, SIDE)
    offsets = np.arange(side)
    rows = (corners[:, 0:1] + offsets)[:, :, None]  # (n, side, 1)
    cols = (corners[:, 1:2] + offsets)[:, None, :]  # (n, 1, side)
    images[np.arange(len(x))[:, None, None], rows, cols] = 0.0


# ------------------------------------------------------------------------------- evaluation


def _network(params: Sequence[np.ndarray], activation: str, unit_masks: Sequence[np.ndarray | None] | None):
    """The ``MLP`` of ``params``; a missing mask (``None``) means all units on."""
    masks = None
    if unit_masks is not None:
        widths = [params[i].shape[1] for i in range(0, len(params) - 2, 2)]
        masks = [np.ones(w, np.float32) if m is None else m for m, w in zip(unit_masks, widths)]
    return network_from_params(params, activation, masks)


def answers(params: Sequence[np.ndarray], activation: str, x: np.ndarray,
            unit_masks: Sequence[np.ndarray | None] | None = None) -> np.ndarray:
    """``(N,) uint8`` predicted classes of the network ``params`` for ``x (N, 784)``."""
    with np.errstate(all="ignore"):  # diverged weights: NaN answers count as wrong, quietly
        return predictions(_network(params, activation, unit_masks), x, batch=CHUNK)


def probabilities(params: Sequence[np.ndarray], activation: str, x: np.ndarray,
                  unit_masks: Sequence[np.ndarray | None] | None = None) -> np.ndarray:
    """``(N, 10) float32`` softmax of the network ``params`` for ``x (N, 784)``, in chunks; ``x``
    may be ``uint8`` (``to_bytes``), read chunk by chunk as ``from_bytes`` reads it."""
    net = _network(params, activation, unit_masks)
    out = np.empty((len(x), N_CLASSES), np.float32)
    with np.errstate(all="ignore"):
        for start in range(0, len(x), CHUNK):
            part = x[start:start + CHUNK]
            part = from_bytes(part) if part.dtype == np.uint8 else np.asarray(part, np.float32)
            out[start:start + CHUNK] = softmax(net.forward(part)[0])
    return out


def to_bytes(x: np.ndarray) -> np.ndarray:
    """``(N, 784) uint8``: images in [0, 1] rounded to 1/255 steps, a quarter of float32's memory
    (a cache of spoiled images). MNIST's own pixels come back exactly (``from_bytes``)."""
    return np.rint(np.multiply(x, 255, dtype=np.float32)).astype(np.uint8)


def from_bytes(images: np.ndarray) -> np.ndarray:
    """``(N, 784) float32`` in [0, 1] of ``to_bytes``' images (``k / 255``, as ``core.data`` divides)."""
    return images.astype(np.float32) / np.float32(255)


def per_class_accuracy(y: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """``(10,) float64``: for each class, the fraction of its images answered right (NaN for a
    class with no images)."""
    y = np.asarray(y, np.int64)
    totals = np.bincount(y, minlength=N_CLASSES)[:N_CLASSES]
    right = np.bincount(y[np.asarray(predicted) == y], minlength=N_CLASSES)[:N_CLASSES]
    with np.errstate(invalid="ignore", divide="ignore"):
        return right / totals


def spoiled_accuracy(params: Sequence[np.ndarray], activation: str, x: np.ndarray, y: np.ndarray, kind: str,
                     amount: float, seed: int = 0, unit_masks=None, out: np.ndarray | None = None
                     ) -> tuple[float, np.ndarray]:
    """``(accuracy, per-class accuracy (10,))`` on ``x (N, 784)``, ``y (N,)`` spoiled by ``kind`` at
    ``amount``. ``out``: a ``(N, 784) float32`` buffer for the spoiled images (reused)."""
    _check_labels(x, y)
    spoiled = spoil(kind, x, amount, seed, out)
    predicted = answers(params, activation, spoiled, unit_masks)
    return float(np.mean(predicted == y)) if len(y) else float("nan"), per_class_accuracy(y, predicted)


def robustness_curve(params: Sequence[np.ndarray], activation: str, x: np.ndarray, y: np.ndarray, kind: str,
                     points: Sequence[float] | None = None, seed: int = 0, unit_masks=None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy on ``x (N, 784)``, ``y (N,)`` spoiled by ``kind`` at each of ``points`` (default:
    the spoiler's five). Returns ``(points (P,) float64, accuracies (P,) float64)``. One spoiled
    copy of ``x`` is held at a time (one buffer, reused for every point)."""
    x = check_images(x)
    amounts = np.array(SPOILERS[kind].points if points is None and kind in SPOILERS else points, np.float64)
    for amount in amounts:
        check_amount(kind, amount)  # every amount, before the first is computed
    buffer = np.empty(x.shape, np.float32)
    accuracies = np.array([spoiled_accuracy(params, activation, x, y, kind, a, seed, unit_masks, buffer)[0]
                           for a in amounts])
    return amounts, accuracies


def _check_labels(x: np.ndarray, y: np.ndarray) -> None:
    if np.ndim(y) != 1 or len(y) != len(x):
        raise ValueError(f"labels of shape {np.shape(y)} do not fit {len(x)} images")


# ------------------------------------------------------------------------- confidence threshold


def coverage_accuracy(probs: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float]:
    """The network answers only when sure: an image is answered when its largest probability is at
    least ``threshold``.

    Args:
        probs: ``(N, 10)`` softmax outputs; y: ``(N,)`` true classes.
    Returns:
        ``(coverage, accuracy)``: the fraction of images answered, and the fraction answered right
        among those (NaN when none is answered).
    """
    coverages, accuracies = coverage_curve(probs, y, [threshold])
    return float(coverages[0]), float(accuracies[0])


def coverage_curve(probs: np.ndarray, y: np.ndarray, thresholds: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """``coverage_accuracy`` at each of ``thresholds``: ``(coverages (T,), accuracies (T,))``
    float64, from one sort of the confidences."""
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[1] != N_CLASSES or len(probs) != len(y):
        raise ValueError(f"coverage needs (N, {N_CLASSES}) probabilities and (N,) labels, "
                         f"got {probs.shape} and {np.shape(y)}")
    confidence = probs.max(axis=1)
    right = probs.argmax(axis=1) == np.asarray(y)
    order = np.argsort(confidence, kind="stable")
    sorted_confidence = confidence[order]
    # right answers among the k most confident images, k = 0 .. N
    right_among_top = np.concatenate([[0], np.cumsum(right[order][::-1])])
    # thresholds in the confidences' type, as ``confidence >= threshold`` compares them (NEP 50)
    levels = np.asarray(thresholds, np.float64).astype(confidence.dtype)
    answered = len(confidence) - np.searchsorted(sorted_confidence, levels, side="left")
    n = max(len(confidence), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracies = np.where(answered > 0, right_among_top[answered] / np.maximum(answered, 1), np.nan)
    return answered / n, accuracies
