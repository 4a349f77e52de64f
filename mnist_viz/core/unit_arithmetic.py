"""The arithmetic of one hidden unit on one image, with the live numbers:

    z = Σᵢ wᵢxᵢ + b,   a = f(z),   a · W_out[u, :] = the unit's push on each class score.

Shapes: an image ``x (784,)`` in [0, 1]; first-layer weights ``W1 (784, H)`` and biases ``b1 (H,)``;
unit ``u`` is a column of ``W1``; ``W_out (H, 10)`` follows ``W1`` directly only in a one-hidden-layer
network (deeper networks send ``a`` to the next hidden layer instead, and there is no per-class push).

Everything is computed as the engine computes it — float32 products, the engine's own activation
function (``core.activations``) — so the numbers a lecturer points at are the network's, not a
re-derivation that could disagree with what the network did.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_viz.core.activations import ACTIVATIONS
from mnist_viz.core.analysis import hidden_layer_count
from mnist_viz.core.network import DTYPE
from mnist_viz.core.snapshot import Snapshot

TOP_COUNT = 5  # pixels named as the largest pushes up and down: few enough to point at


@dataclass(frozen=True)
class UnitArithmetic:
    """One unit's computation on one image.

    Attributes:
        contributions: ``(784,) float32`` the terms ``wᵢxᵢ = W1[i, u] * x[i]`` (0 where there is no ink).
        weighted_sum: ``Σ wᵢxᵢ`` as a float32 value.
        bias: ``b1[u]``.
        z: the pre-activation ``weighted_sum + bias`` (float32 arithmetic, as in the engine).
        activation_name: the hidden activation, e.g. ``"relu"``.
        activation: ``f(z)`` by the engine's activation function.
        enabled: False when the unit is switched off (ablated): the network then uses 0, not ``f(z)``.
        output: what the next layer receives: ``activation`` when enabled, else 0.
        top_positive: ``(k,) int`` pixel indices of the largest positive terms, largest first (k <= TOP_COUNT).
        top_negative: ``(k,) int`` pixel indices of the most negative terms, most negative first.
        class_contributions: ``(10,) float32`` ``output * W_out[u, :]``, the unit's term in each class
            score (logit); None when the network has more than one hidden layer.
    """

    contributions: np.ndarray
    weighted_sum: float
    bias: float
    z: float
    activation_name: str
    activation: float
    enabled: bool
    output: float
    top_positive: np.ndarray
    top_negative: np.ndarray
    class_contributions: np.ndarray | None

    @property
    def goes_to_classes(self) -> bool:
        """True when ``a`` feeds the class scores directly (one hidden layer)."""
        return self.class_contributions is not None


def unit_arithmetic(x: np.ndarray, W1: np.ndarray, b1: np.ndarray, unit: int, activation: str,
                    W_out: np.ndarray | None = None, enabled: bool = True, top: int = TOP_COUNT) -> UnitArithmetic:
    """Compute ``z = Σ wᵢxᵢ + b``, ``a = f(z)`` and ``a · W_out[u]`` for hidden unit ``unit``.

    Args:
        x: ``(784,)`` image in [0, 1] (any float dtype; used as float32, as the engine does).
        W1: ``(784, H)`` first-layer weights; b1: ``(H,)`` biases.
        unit: column of ``W1``, ``0 <= unit < H``.
        activation: a name in ``core.activations.ACTIVATIONS``.
        W_out: ``(H, 10)`` output weights when they follow ``W1`` directly (one hidden layer), else None.
        enabled: the unit's ablation state (``Snapshot.unit_mask[unit] != 0``).
        top: how many of the largest positive and negative terms to name.
    Raises:
        ValueError: on a wrong shape, unit or activation name.
    """
    x = np.asarray(x, DTYPE).reshape(-1)
    _check(x, W1, b1, unit, activation, W_out)
    w = np.asarray(W1[:, unit], DTYPE)
    contributions = x * w  # float32 products, as inside the engine's x @ W1
    # One float32 dot product over the same pairs the engine's matrix product sums, then + b in
    # float32: the engine's z up to the summation order of its BLAS (see the tests for the bound).
    weighted_sum = np.dot(x, w)
    bias = DTYPE(b1[unit])
    z = DTYPE(weighted_sum + bias)
    # The engine's forward overwrites its argument: give it a one-element copy of z.
    a = float(ACTIVATIONS[activation].forward(np.array([z], DTYPE))[0])
    output = a if enabled else 0.0
    pushes = None
    if W_out is not None:
        pushes = (DTYPE(output) * np.asarray(W_out[unit], DTYPE)).astype(DTYPE)
    return UnitArithmetic(
        contributions=contributions, weighted_sum=float(weighted_sum), bias=float(bias), z=float(z),
        activation_name=activation, activation=a, enabled=bool(enabled), output=output,
        top_positive=_largest(contributions, top), top_negative=_largest(-contributions, top),
        class_contributions=pushes)


def _largest(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of the up to ``count`` largest strictly positive entries of ``values (n,)``, largest first."""
    count = min(max(int(count), 0), len(values))
    if count == 0:
        return np.zeros(0, np.intp)
    candidates = np.argpartition(-values, count - 1)[:count]
    candidates = candidates[values[candidates] > 0]  # a pixel without ink pushes nothing: not "largest"
    return candidates[np.argsort(-values[candidates], kind="stable")]


def _check(x: np.ndarray, W1: np.ndarray, b1: np.ndarray, unit: int, activation: str,
           W_out: np.ndarray | None) -> None:
    if W1.ndim != 2 or x.shape != (W1.shape[0],):
        raise ValueError(f"image of {x.shape[0]} pixels does not fit first-layer weights of shape {W1.shape}")
    if b1.shape != (W1.shape[1],):
        raise ValueError(f"biases of shape {b1.shape} do not fit first-layer weights of shape {W1.shape}")
    if not 0 <= unit < W1.shape[1]:
        raise ValueError(f"unit {unit} does not exist: the hidden layer has {W1.shape[1]} units")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    if W_out is not None and (W_out.ndim != 2 or W_out.shape[0] != W1.shape[1]):
        raise ValueError(f"output weights of shape {W_out.shape} do not follow first-layer weights {W1.shape}")


def snapshot_unit_arithmetic(snap: Snapshot, x: np.ndarray, unit: int) -> UnitArithmetic:
    """``unit_arithmetic`` with the weights, activation and ablation state of ``snap``'s network
    (``W_out`` only when it follows ``W1`` directly, i.e. one hidden layer)."""
    mask = snap.unit_mask
    enabled = bool(mask[unit] != 0) if 0 <= unit < len(mask) else True
    W_out = snap.W_out if hidden_layer_count(snap) == 1 else None
    return unit_arithmetic(x, snap.W1, snap.b1, unit, snap.settings.activation, W_out, enabled)
