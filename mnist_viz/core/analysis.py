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
    return network_from_params(snap.params, snap.settings.activation, snapshot_unit_masks(snap))


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


# ------------------------------------------------------------------------------ deeper hidden layers


def linear_view(params: Sequence[np.ndarray], layer: int) -> np.ndarray:
    """What each unit of hidden layer ``layer`` looks for in the input, seen through straight lines.

    Chains the weights below and including the layer: ``W1 @ W2 @ ... @ W_layer``. Column ``j`` is
    the input pattern that unit ``j``'s weights add up to when every activation below is taken as
    the identity (the "linear view": it ignores the bends of ReLU, sigmoid, ...). For ``layer`` 1
    it is ``W1`` itself.

    Args:
        params: ``[W1 (784, H1), b1, W2 (H1, H2), b2, ...]``.
        layer: 1-based hidden layer (the output layer, one past the last hidden one, also works:
            it gives the class templates).
    Returns:
        ``(784, H_layer) float32``.
    Raises:
        ValueError: on a layer that does not exist or weights that do not chain.
    """
    weights = list(params[0::2])
    if not 1 <= layer <= len(weights):
        raise ValueError(f"layer {layer} does not exist: the network has {len(weights)} weight layers")
    chained = np.asarray(weights[0], np.float32)
    for W in weights[1:layer]:
        if W.ndim != 2 or W.shape[0] != chained.shape[1]:
            raise ValueError(f"weights of shape {W.shape} do not follow {chained.shape}")
        chained = chained @ W  # left to right: (784, H1) @ (H1, H2) keeps every product 784 rows tall
    return chained.astype(np.float32, copy=False)


def layer_activations(params: Sequence[np.ndarray], activation: str, x: np.ndarray, layer: int,
                      unit_masks: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Activations of hidden layer ``layer`` (1-based) for some images, computed by the engine.

    Args:
        params: ``[W1, b1, ..., W_out, b_out]``; activation: the hidden activation's name.
        x: ``(N, 784)`` images in [0, 1].
        unit_masks: one ``(H_k,)`` mask per hidden layer (ablated units 0), or None for all on.
    Returns:
        ``(N, H_layer) float32`` (may hold NaN/inf for diverged weights).
    Raises:
        ValueError: on a layer that is not a hidden layer.
    """
    hidden_layers = len(params) // 2 - 1
    if not 1 <= layer <= hidden_layers:
        raise ValueError(f"layer {layer} is not a hidden layer: the network has {hidden_layers}")
    net = network_from_params(params, activation, unit_masks)
    with np.errstate(all="ignore"):  # diverged weights overflow; the caller decides what NaN means
        _logits, cache = net.forward(np.asarray(x, np.float32).reshape(-1, params[0].shape[0]), keep=True)
    return cache[layer - 1]


def top_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the up to ``k`` largest finite entries of ``values (N,)``, largest first; ties keep
    the lower index first (so the same snapshot always shows the same images)."""
    values = np.asarray(values)
    finite = np.flatnonzero(np.isfinite(values))
    order = np.argsort(-values[finite], kind="stable")
    return finite[order[:max(0, int(k))]]


def top_activating(params: Sequence[np.ndarray], activation: str, x: np.ndarray, layer: int, unit: int,
                   k: int, unit_masks: Sequence[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` images of ``x`` on which hidden unit ``unit`` of layer ``layer`` fires most.

    One forward pass (``layer_activations``): ~10 ms for 2,000 images through 784-512.

    Args:
        x: ``(N, 784)`` images; layer: 1-based hidden layer; unit: its column, ``0 <= unit < H_layer``.
    Returns:
        ``(indices (k,) intp, activations (k,) float32)``, highest activation first (fewer than ``k``
        when ``x`` has fewer images or some activations are not finite numbers).
    Raises:
        ValueError: on a layer or unit that does not exist.
    """
    acts = layer_activations(params, activation, x, layer, unit_masks)
    if not 0 <= unit < acts.shape[1]:
        raise ValueError(f"unit {unit} does not exist: layer {layer} has {acts.shape[1]} units")
    column = acts[:, unit]
    chosen = top_indices(column, k)
    return chosen, column[chosen].astype(np.float32)


def snapshot_unit_masks(snap: Snapshot) -> list[np.ndarray]:
    """One mask per hidden layer of ``snap``'s network: the first layer's ``unit_mask`` (ablation),
    all ones for the deeper layers (they have no ablation)."""
    return [snap.unit_mask] + [np.ones(snap.params[2 * layer].shape[1], np.float32)
                               for layer in range(1, hidden_layer_count(snap))]
