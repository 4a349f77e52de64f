"""What the lecture tools compute from a network's weights: class templates, confusion matrices,
and predictions from a snapshot's frozen parameters (so a view can look at any moment in time)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mnist_viz.core.network import MLP, softmax
from mnist_viz.core.snapshot import Snapshot

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


# ------------------------------------------------------------------------------ a snapshot's network


def hidden_layer_count(snap: Snapshot) -> int:
    """Number of hidden layers of the network in ``snap`` (``params`` is ``[W1, b1, ..., W_out, b_out]``)."""
    return max(0, len(snap.params) // 2 - 1)


def snapshot_network(snap: Snapshot) -> MLP:
    """The network exactly as it was in ``snap`` (weights shared, not copied; ablated units off).

    ``snap.unit_mask`` is the first hidden layer's ``(H1,)`` mask; deeper layers have no ablation,
    so they get all-ones masks (``network_from_params`` needs one mask per hidden layer).
    """
    masks = [snap.unit_mask] + [np.ones(snap.params[2 * layer].shape[1], np.float32)
                                for layer in range(1, hidden_layer_count(snap))]
    return network_from_params(snap.params, snap.settings.activation, masks)


def network_answer(snap: Snapshot, x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Softmax and first-hidden-layer activations of the snapshot's network for some images.

    Args:
        x: ``(N, 784)`` images in [0, 1].
    Returns:
        ``(probs (N, 10) float32, hidden (N, H) float32)``, or ``None`` when the snapshot holds no
        parameters or its weights are broken (diverged: NaN/inf answers mean nothing).
    """
    if len(snap.params) < 4:
        return None
    net = snapshot_network(snap)
    # Diverged weights make NaN/inf on the way; that is expected here and reported as None.
    with np.errstate(all="ignore"):
        logits, cache = net.forward(np.asarray(x, np.float32).reshape(-1, snap.params[0].shape[0]), keep=True)
        probs = softmax(logits)
    if not np.isfinite(probs).all():
        return None
    return probs.astype(np.float32), cache[0]
