"""Weight surgery: noise on the weights and magnitude pruning, to show how much damage a trained
network takes before its accuracy falls (issue 14).

Parameters are the network's list ``[W1 (784, H1), b1 (H1,), ..., Wout (H, 10), bout (10,)]``:
weight matrices at the even indices, biases at the odd ones (``MLP.params``). Only the weight
matrices are altered; the biases are copied unchanged, because "a synapse" is a weight: the biases
are a few hundred numbers against hundreds of thousands of weights, and zeroing a bias is not
cutting a connection.

Every function returns new arrays and leaves its input as it was, so the caller can keep the
intact weights and put them back exactly (``runtime.loop``'s ``AlterWeights``/``RestoreWeights``).

Pruning is per weight matrix, not global: each layer loses the same fraction of its weights. The
layers' weights have different scales (He init: std √(2/fan_in), 784 inputs against 64), so a global
threshold would strip the first layer almost bare while hardly touching the output layer at the
same "80%", and the number on the slider would say little about each layer. Per layer it is the
usual layer-wise magnitude pruning, and every layer keeps some connections.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mnist_viz.core.i18n import tr

MAX_PRUNE = 0.99  # the largest fraction the window offers; the functions accept anything below 1


def check_alteration(noise: float, prune: float) -> None:
    """Raise ``ValueError`` naming the value when ``noise`` (relative σ) is not a finite number ≥ 0
    or ``prune`` (a fraction) is not in [0, 1)."""
    if not (isinstance(noise, (int, float, np.floating, np.integer)) and math.isfinite(noise) and noise >= 0):
        raise ValueError(tr("weight noise must be a finite number ≥ 0 (times each weight matrix's std), "
                            "got {value}").format(value=repr(noise)))
    if not (isinstance(prune, (int, float, np.floating, np.integer)) and math.isfinite(prune) and 0 <= prune < 1):
        raise ValueError(tr("prune fraction must be in [0, 1) (0.8 = the smallest 80% of each weight "
                            "matrix), got {value}").format(value=repr(prune)))


def _is_weight(index: int) -> bool:
    return index % 2 == 0  # [W1, b1, W2, b2, ...]


def add_weight_noise(params: Sequence[np.ndarray], relative_sigma: float, seed: int) -> list[np.ndarray]:
    """``params`` with Gaussian noise added to each weight matrix ``W``: σ = ``relative_sigma`` ×
    ``W.std()`` (its own spread, so 0.5 means the same relative damage in every layer). Biases are
    copied unchanged. The same ``seed`` gives the same noise; the dtype of each array is kept."""
    check_alteration(relative_sigma, 0.0)
    rng = np.random.default_rng(seed)
    out = []
    for i, p in enumerate(params):
        if _is_weight(i) and relative_sigma > 0:
            sigma = relative_sigma * float(p.std())
            out.append((p + rng.standard_normal(p.shape) * sigma).astype(p.dtype))
        else:
            out.append(np.array(p, copy=True))
    return out


def prune_by_magnitude(params: Sequence[np.ndarray], fraction: float) -> list[np.ndarray]:
    """``params`` with the ``floor(fraction × size)`` smallest-|w| entries of each weight matrix set
    to 0 (per matrix: see the module docstring). Exactly that many are chosen even among equal
    magnitudes; the others, the largest, keep their values bit for bit. Biases are copied unchanged."""
    check_alteration(0.0, fraction)
    out = []
    for i, p in enumerate(params):
        pruned = np.array(p, copy=True)
        k = int(fraction * p.size)
        if _is_weight(i) and k > 0:
            smallest = np.argpartition(np.abs(pruned).ravel(), k - 1)[:k]
            pruned.ravel()[smallest] = 0  # ravel of a fresh contiguous copy is a view
        out.append(pruned)
    return out


def alter_weights(params: Sequence[np.ndarray], noise: float, prune: float, seed: int) -> list[np.ndarray]:
    """Noise first, then pruning: the pruned weights are exactly 0 and stay so, and the fraction of
    zeros is exactly ``prune``'s. The noise's σ is measured on the weights given (before pruning)."""
    check_alteration(noise, prune)
    return prune_by_magnitude(add_weight_noise(params, noise, seed), prune)


def weight_zero_fraction(params: Sequence[np.ndarray]) -> float:
    """The share of the weight matrices' entries (all layers together) that are exactly 0."""
    weights = [p for i, p in enumerate(params) if _is_weight(i)]
    total = sum(w.size for w in weights)
    return sum(int(np.count_nonzero(w == 0)) for w in weights) / total if total else 0.0


def describe_alteration(noise: float, prune: float) -> str:
    """``"noise 0.5×std, 80% pruned"``, ``"noise 0.5×std"``, ``"80% pruned"`` or ``"unaltered"``:
    the marker on the curves and the panel's result line."""
    parts = []
    if noise > 0:
        parts.append(f"noise {noise:g}×std")
    if prune > 0:
        parts.append(f"{prune:.0%} pruned")
    return ", ".join(parts) or "unaltered"
