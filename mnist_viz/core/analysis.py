"""What the lecture tools compute from a network's weights: class templates, confusion matrices,
and predictions from a snapshot's frozen parameters (so a view can look at any moment in time)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from mnist_viz.core.network import MLP

N_CLASSES = 10


def network_from_params(params: Sequence[np.ndarray], activation: str,
                        unit_masks: Sequence[np.ndarray] | None = None) -> MLP:
    """An ``MLP`` that computes with the given ``[W1, b1, W2, b2, ...]`` (see ``MLP.from_params``)."""
    return MLP.from_params(params, activation, unit_masks)


def class_templates(W1: np.ndarray, W_out: np.ndarray) -> np.ndarray:
    """"What the network looks for" per digit: the output weights mapped back to input space.

    For a one-hidden-layer network, template ``c = W1 @ W_out[:, c]``, the input pattern whose
    dot product with the hidden units' weights, weighted by how much each unit votes for ``c``,
    is largest (a linear view that ignores the activation's bend).

    Args:
        W1: ``(784, H)`` first-layer weights.
        W_out: ``(H, 10)`` output weights (must follow W1 directly).
    Returns:
        ``(10, 28, 28) float32``.
    """
    if W1.shape[1] != W_out.shape[0]:
        raise ValueError(f"class templates need W_out to follow W1: shapes {W1.shape} and {W_out.shape}")
    return (W1 @ W_out).T.reshape(N_CLASSES, 28, 28).astype(np.float32)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """``(10, 10) int64`` counts: row = true class, column = predicted class."""
    return np.bincount(np.asarray(y_true) * N_CLASSES + np.asarray(y_pred),
                       minlength=N_CLASSES * N_CLASSES).reshape(N_CLASSES, N_CLASSES)


def cell_members(y_true: np.ndarray, y_pred: np.ndarray, true_class: int, predicted: int) -> np.ndarray:
    """Indices of the images in one confusion cell (true ``true_class``, predicted ``predicted``)."""
    return np.flatnonzero((y_true == true_class) & (y_pred == predicted))


def predictions(net: MLP, x: np.ndarray, batch: int = 10_000) -> np.ndarray:
    """``(N,) uint8`` predicted classes for ``(N, 784)`` inputs, computed in batches."""
    out = np.empty(len(x), np.uint8)
    for i in range(0, len(x), batch):
        out[i:i + batch] = net.forward(x[i:i + batch])[0].argmax(axis=1)
    return out
