"""Softmax with a temperature: what dividing the logits by T does to the network's answer (no Qt)."""
from __future__ import annotations

import numpy as np

from mnist_viz.core.analysis import snapshot_network
from mnist_viz.core.snapshot import Snapshot

T_MIN, T_MAX = 0.1, 10.0


def probe_logits(snap: Snapshot, image: np.ndarray) -> np.ndarray | None:
    """The network's logits ``(10,)`` float64 for one ``(784,)`` image, computed from ``snap.params``.

    ``None`` when the snapshot has no network or its logits are not finite (diverged weights).
    """
    if len(snap.params) < 4:
        return None
    net = snapshot_network(snap)
    with np.errstate(all="ignore"):  # diverged weights: reported as None, not warned about
        logits, _ = net.forward(np.asarray(image, np.float32).reshape(1, -1))
    z = logits[0].astype(np.float64)
    return z if np.isfinite(z).all() else None


def tempered_softmax(z: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(z / T) for logits ``(..., C)``; stable (the max is subtracted) for any T > 0."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    scaled = np.asarray(z, np.float64) / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    e = np.exp(scaled)
    return e / e.sum(axis=-1, keepdims=True)


def entropy_bits(p: np.ndarray) -> float:
    """Shannon entropy in bits of a probability vector ``(C,)``; 0·log 0 counts as 0."""
    p = np.asarray(p, np.float64)
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum())


def max_entropy_bits(n_classes: int = 10) -> float:
    """log2(C): the entropy of the uniform answer."""
    return float(np.log2(n_classes))
