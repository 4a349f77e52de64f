"""A multilayer perceptron written from scratch in NumPy.

Conventions used throughout (as in Nielsen's ``network.py``):

* a batch of inputs ``x`` is ``(batch, 784) float32`` with pixels in [0, 1];
* labels ``y`` are ``(batch,) int`` class indices 0-9;
* layers are numbered from 1, as in the tutorials: layer ``k`` has weights ``Wk : (fan_in, fan_out)
  float32`` and biases ``bk : (fan_out,) float32``, so a layer computes ``z = a @ Wk + bk``;
* ``params`` is the flat list ``[W1, b1, W2, b2, ...]``: ``Wk`` is ``params[2k-2]``, ``bk`` is
  ``params[2k-1]``; gradients and optimizer state use the same order and shapes, which is what lets
  the optimizer follow a resize of a hidden layer.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mnist_viz.core.activations import ACTIVATIONS, Activation
from mnist_viz.core.phases import mark

DTYPE = np.float32
INITS = ("small", "he", "xavier")


def init_weights(init: str, fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """Draw a ``(fan_in, fan_out) float32`` weight matrix.

    ``small`` is the classic tutorials' ``0.01 * N(0, 1)``; ``he`` suits ReLU-like units
    (std ``sqrt(2 / fan_in)``); ``xavier`` suits sigmoid/tanh (std ``sqrt(2 / (fan_in + fan_out))``).
    """
    if init == "small":
        std = 0.01
    elif init == "he":
        std = np.sqrt(2.0 / fan_in)
    elif init == "xavier":
        std = np.sqrt(2.0 / (fan_in + fan_out))
    else:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
    return (rng.standard_normal((fan_in, fan_out), dtype=DTYPE) * DTYPE(std)).astype(DTYPE)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(batch, classes)`` logits, stable for any finite input."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against labels, and its gradient.

    Uses the log-sum-exp form ``logsumexp(z) - z[y]`` so that large logits never overflow and a
    confident wrong answer gives a large finite loss instead of ``log(0) = -inf``.

    Args:
        logits: ``(batch, classes)``.
        y: ``(batch,) int`` labels.
    Returns:
        ``(loss, dlogits)`` where ``dlogits : (batch, classes)`` is d(mean loss)/d(logits).
    """
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=1)
    loss = float(np.mean(np.log(sum_exp) - shifted[rows, y]))
    dlogits = exp
    dlogits /= sum_exp[:, None]
    dlogits[rows, y] -= 1.0
    dlogits *= dlogits.dtype.type(1.0 / n)
    return loss, dlogits


@dataclass(frozen=True)
class ResizePlan:
    """How hidden layer ``layer`` changes size: old units ``keep`` survive (in this order) and
    ``n_new`` fresh units are appended. ``params`` indices ``2*layer`` (W, columns), ``2*layer+1``
    (b) and ``2*layer+2`` (next W, rows) are affected; everything else is untouched."""

    layer: int
    keep: np.ndarray  # (n_kept,) int indices into the old units
    n_new: int

    @property
    def new_size(self) -> int:
        return len(self.keep) + self.n_new


def remap_hidden(arrays: list[np.ndarray], plan: ResizePlan, fill: list[np.ndarray | float]) -> list[np.ndarray]:
    """Apply ``plan`` to a parameter-shaped list (parameters, gradients or optimizer state).

    Args:
        arrays: ``[W1, b1, W2, b2, ...]``-shaped list.
        plan: which units to keep and how many to add.
        fill: for the three affected arrays (W columns, b entries, next-W rows), what the new
            units get: an array of the new slice's shape, or a scalar.
    Returns:
        A new list; unaffected arrays are the same objects.
    """
    out = list(arrays)
    w_idx, b_idx, next_idx = 2 * plan.layer, 2 * plan.layer + 1, 2 * plan.layer + 2
    W, b, W_next = arrays[w_idx], arrays[b_idx], arrays[next_idx]
    new_cols = _block(fill[0], (W.shape[0], plan.n_new), W.dtype)
    new_bias = _block(fill[1], (plan.n_new,), b.dtype)
    new_rows = _block(fill[2], (plan.n_new, W_next.shape[1]), W_next.dtype)
    out[w_idx] = np.ascontiguousarray(np.concatenate([W[:, plan.keep], new_cols], axis=1))
    out[b_idx] = np.concatenate([b[plan.keep], new_bias])
    out[next_idx] = np.ascontiguousarray(np.concatenate([W_next[plan.keep, :], new_rows], axis=0))
    return out


def _block(value: np.ndarray | float, shape: tuple[int, ...], dtype) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value.astype(dtype, copy=False).reshape(shape)
    return np.full(shape, value, dtype=dtype)


# Layer 1 multiplies only the input columns (pixels) that are nonzero somewhere in the batch, when
# fewer than this share of them are: a zero pixel adds exactly 0 to every z (the guard keeps the
# weights finite) and gets a zero weight gradient. A batch of 128 digits uses ~527 of the 784 pixels
# (the border is blank), so both layer-1 products shrink by a third; gathering the used columns of
# the batch and rows of W1, and scattering the gradient back, costs less than that saves
# (benchmarks/step_breakdown.py). Above the share the dense products are cheaper.
SPARSE_INPUT_BELOW = 0.85


def used_columns(x: np.ndarray) -> np.ndarray | None:
    """``(A,) int`` indices of the columns of ``x (B, D)`` holding a nonzero value, or ``None`` when
    more than ``SPARSE_INPUT_BELOW`` of them do. A bitwise OR over the rows of the float32 bits (one
    cheap pass; a -0.0 counts as used, which costs a little work and changes nothing)."""
    if x.dtype == DTYPE and x.flags.c_contiguous:
        used = np.flatnonzero(np.bitwise_or.reduce(x.view(np.uint32), axis=0))
    else:
        used = np.flatnonzero((x != 0).any(axis=0))
    return used if len(used) < SPARSE_INPUT_BELOW * x.shape[1] else None


def dropout_masks(rng: np.random.Generator, batch: int, widths: Sequence[int], p: float) -> list[np.ndarray] | None:
    """Inverted-dropout masks, one ``(batch, H_i) float32`` per hidden layer of widths ``widths``:
    each entry is 0 with probability ``p`` (the unit is switched off for that image) and ``1/(1-p)``
    otherwise, so a unit's expected output is unchanged and evaluation (no mask) needs no rescaling.
    ``None`` for ``p == 0``. Raising ``p`` with the same generator state switches off more units and
    keeps the others as they were (a unit is kept where its uniform draw is at least ``p``)."""
    if p <= 0:
        return None
    keep_scale = DTYPE(1.0 / (1.0 - p))
    masks = []
    for width in widths:
        mask = rng.random((batch, width), dtype=DTYPE)
        np.greater_equal(mask, DTYPE(p), out=mask, casting="unsafe")
        mask *= keep_scale
        masks.append(mask)
    return masks


def _scatter_rows(rows: np.ndarray, where: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A zero ``shape`` array with ``rows (A, H)`` at row indices ``where (A,)``."""
    full = np.zeros(shape, rows.dtype)
    full[where] = rows
    return full


class MLP:
    """784-H1-...-10 perceptron with one activation for all hidden layers and softmax outputs.

    Attributes:
        sizes: layer widths, e.g. ``[784, 128, 10]``.
        activation: name of the hidden activation (``relu``, ``leaky_relu``, ``sigmoid``, ``tanh``).
        params: ``[W1, b1, W2, b2, ...]``; ``params[2i] : (sizes[i], sizes[i+1])``,
            ``params[2i+1] : (sizes[i+1],)``.
        unit_mask: per hidden layer a ``(H,) float32`` of 1s and 0s; a 0 switches a unit off
            (ablation) without touching its weights.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", init: str = "he",
                 rng: np.random.Generator | int | None = 0):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise ValueError(f"layer sizes must be at least two positive integers, got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        self.sizes = sizes
        self.activation = activation
        self.init = init
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.params: list[np.ndarray] = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            self.params.append(init_weights(init, fan_in, fan_out, self.rng))
            self.params.append(np.zeros(fan_out, dtype=DTYPE))
        self.unit_mask = [np.ones(h, dtype=DTYPE) for h in sizes[1:-1]]

    @classmethod
    def from_params(cls, params: Sequence[np.ndarray], activation: str,
                    unit_masks: Sequence[np.ndarray] | None = None) -> MLP:
        """An ``MLP`` that computes with the given ``[W1, b1, W2, b2, ...]`` as they are (shared, not
        copied: they may be read-only snapshot copies; inference never writes to them)."""
        if len(params) < 2 or len(params) % 2:
            raise ValueError(f"params must be [W1, b1, W2, b2, ...] pairs, got {len(params)} arrays")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        net = cls.__new__(cls)  # not __init__: drawing fresh weights only to replace them costs ~2 ms a frame
        net.sizes = [params[0].shape[0], *(params[i].shape[1] for i in range(0, len(params), 2))]
        net.activation, net.init, net.rng = activation, "he", np.random.default_rng(0)
        net.params = list(params)
        net.unit_mask = ([np.asarray(m, DTYPE) for m in unit_masks] if unit_masks is not None
                         else [np.ones(h, DTYPE) for h in net.sizes[1:-1]])
        return net

    # ----------------------------------------------------------------- accessors
    @property
    def weights(self) -> list[np.ndarray]:
        """``[W1, W2, ...]``, each ``(fan_in, fan_out) float32`` (live arrays, not copies)."""
        return self.params[0::2]

    @property
    def biases(self) -> list[np.ndarray]:
        """``[b0, b1, ...]``, each ``(fan_out,) float32`` (live arrays, not copies)."""
        return self.params[1::2]

    @property
    def act(self) -> Activation:
        return ACTIVATIONS[self.activation]

    @property
    def n_hidden_layers(self) -> int:
        return len(self.sizes) - 2

    def weight_l2(self) -> float:
        """``sum ||W||^2`` over weight matrices (not biases), the quantity L2 decay penalises."""
        return float(sum(np.vdot(W, W) for W in self.weights))

    # ------------------------------------------------------------------ forward
    def forward(self, x: np.ndarray, keep: bool = False,
                dropout: Sequence[np.ndarray] | None = None) -> tuple[np.ndarray, list]:
        """Logits for a batch.

        Args:
            x: ``(batch, 784)`` float32.
            keep: also return what backward needs.
            dropout: training only: per hidden layer a ``(batch, H_i) float32`` mask (``dropout_masks``)
                that multiplies the layer's activations before the next layer sees them.
        Returns:
            ``(logits, cache)``: logits ``(batch, 10)``; cache is the list of hidden activations,
            ``(batch, H_i)`` per hidden layer, before any dropout mask (empty when ``keep`` is false).
        """
        return self._forward(x, self.params[0], keep, dropout)

    def _forward(self, x: np.ndarray, W1: np.ndarray, keep: bool,
                 dropout: Sequence[np.ndarray] | None) -> tuple[np.ndarray, list]:
        """``forward`` with layer 1's weights given: ``x (B, A)`` and ``W1 (A, H1)`` may be the used
        columns of the batch and the matching rows of ``params[0]`` (see ``used_columns``)."""
        act = self.act
        a = x
        cache = []
        for layer in range(self.n_hidden_layers):
            W, b = (W1 if layer == 0 else self.params[2 * layer]), self.params[2 * layer + 1]
            z = a @ W
            z += b
            a_out = act.forward(z)  # in place: z is now the activation
            if not self.unit_mask[layer].all():
                a_out *= self.unit_mask[layer]
            if keep:
                cache.append(a_out)
            # a new array: backward needs the activation itself (its derivative is computed from it)
            a = a_out * dropout[layer] if dropout is not None else a_out
        logits = a @ (W1 if self.n_hidden_layers == 0 else self.params[-2])
        logits += self.params[-1]
        return logits, cache

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities ``(batch, 10)`` for inputs ``(batch, 784)``."""
        return softmax(self.forward(np.asarray(x, dtype=DTYPE))[0])

    def hidden_activations(self, x: np.ndarray, layer: int = 0) -> np.ndarray:
        """Activations ``(batch, H)`` of hidden layer ``layer`` for inputs ``(batch, 784)``."""
        return self.forward(np.asarray(x, dtype=DTYPE), keep=True)[1][layer]

    # ----------------------------------------------------------------- backward
    def loss_and_grads(self, x: np.ndarray, y: np.ndarray, l2: float = 0.0,
                       silent: list[int] | None = None,
                       dropout: Sequence[np.ndarray] | None = None) -> tuple[float, list[np.ndarray], np.ndarray]:
        """Mean cross-entropy (plus ``l2/2 * sum ||W||^2``) and its gradient for every parameter.

        Args:
            x: ``(batch, 784) float32``.
            y: ``(batch,) int`` labels.
            l2: weight-decay coefficient (applied to weights, not biases).
            silent: if a list is given, the (0-based) hidden layers whose every unit output exactly 0
                on the whole batch are appended to it (a dead layer; layers with every unit switched
                off are not counted). One pass over each ``(batch, H)`` activation.
            dropout: per hidden layer a ``(batch, H_i) float32`` mask from ``dropout_masks`` (inverted
                dropout: 0 for a dropped unit, ``1/(1-p)`` for a kept one), or ``None`` for none.
                The gradient is that of the network with this mask held fixed.
        Returns:
            ``(loss, grads, logits)``; ``grads`` matches ``params`` in order and shapes,
            ``logits : (batch, 10)`` lets the caller count correct answers without a second pass.
        """
        used = used_columns(x)
        x_used, W1_used = (x, self.params[0]) if used is None else (x[:, used], self.params[0][used])
        mark("layer 1: gather the used pixels")
        logits, cache = self._forward(x_used, W1_used, True, dropout)
        mark("forward")
        if silent is not None:
            silent.extend(i for i, a in enumerate(cache) if self.unit_mask[i].any() and not a.any())
        mark("dead-layer check")
        loss, delta = cross_entropy(logits, y)
        mark("loss and its gradient")
        grads: list[np.ndarray] = [None] * len(self.params)  # type: ignore[list-item]
        act = self.act
        for layer in range(self.n_hidden_layers, -1, -1):
            a_in = x_used if layer == 0 else cache[layer - 1]
            if layer and dropout is not None:
                a_in = a_in * dropout[layer - 1]  # what this layer saw (forward did not keep it)
            W = self.params[2 * layer]
            grads[2 * layer] = a_in.T @ delta
            grads[2 * layer + 1] = delta.sum(axis=0)
            if layer == 0:
                if used is not None:  # the unused pixels' rows get exactly 0
                    grads[0] = _scatter_rows(grads[0], used, self.params[0].shape)
                mark("backward: layer 1 weight gradient")
                break  # no gradient w.r.t. the input pixels is needed
            delta = delta @ W.T
            if dropout is not None:
                delta *= dropout[layer - 1]
            act.backward_inplace(delta, cache[layer - 1])
            mask = self.unit_mask[layer - 1]
            if not mask.all():
                delta *= mask
            mark("backward: layers above 1")
        if l2:
            for i in range(0, len(self.params), 2):
                grads[i] += self.params[i].dtype.type(l2) * self.params[i]
            loss += 0.5 * l2 * self.weight_l2()
        return loss, grads, logits

    # ------------------------------------------------------------------ resize
    def plan_resize(self, new_size: int, layer: int = 0, x_ref: np.ndarray | None = None) -> ResizePlan:
        """Decide which units survive a resize of hidden layer ``layer`` to ``new_size`` units.

        Units are ranked by how much they contribute to the next layer: mean ``|activation|`` on
        ``x_ref`` times the L2 norm of the unit's outgoing weights. A dead ReLU (always 0) or a unit
        whose outgoing weights are near zero ranks last, whatever its incoming weights look like.
        Without ``x_ref`` the incoming weights' norm stands in for the activation.
        Survivors keep their original order, so the weight mosaic does not shuffle.
        """
        new_size = int(new_size)
        if new_size < 1:
            raise ValueError(f"hidden size must be at least 1, got {new_size}")
        old = self.sizes[layer + 1]
        if new_size >= old:
            return ResizePlan(layer, np.arange(old), new_size - old)
        score = self.unit_importance(layer, x_ref)
        keep = np.sort(np.argsort(-score, kind="stable")[:new_size])
        return ResizePlan(layer, keep, 0)

    def unit_importance(self, layer: int = 0, x_ref: np.ndarray | None = None) -> np.ndarray:
        """``(H,)`` contribution score of each unit of hidden layer ``layer`` (see ``plan_resize``)."""
        out_norm = np.linalg.norm(self.params[2 * layer + 2], axis=1)
        if x_ref is not None:
            activity = np.abs(self.hidden_activations(x_ref, layer)).mean(axis=0)
        else:
            activity = np.linalg.norm(self.params[2 * layer], axis=0)
        return activity * out_norm

    def apply_resize(self, plan: ResizePlan) -> None:
        """Resize in place. New units get fresh incoming weights (with this network's init), zero
        bias and zero outgoing weights, so the network's outputs do not change at this instant."""
        fan_in = self.sizes[plan.layer]
        fresh = init_weights(self.init, fan_in, plan.n_new, self.rng) if plan.n_new else 0.0
        self.params = remap_hidden(self.params, plan, [fresh, 0.0, 0.0])
        mask = self.unit_mask[plan.layer]
        self.unit_mask[plan.layer] = np.concatenate([mask[plan.keep], np.ones(plan.n_new, DTYPE)])
        self.sizes[plan.layer + 1] = plan.new_size

    def resize_hidden(self, new_size: int, layer: int = 0, x_ref: np.ndarray | None = None) -> ResizePlan:
        """Plan and apply a resize; returns the plan so optimizer state can follow it."""
        plan = self.plan_resize(new_size, layer, x_ref)
        self.apply_resize(plan)
        return plan

    # ------------------------------------------------------------------- state
    def copy_params(self) -> list[np.ndarray]:
        return [p.copy() for p in self.params]

    def set_params(self, params: Sequence[np.ndarray]) -> None:
        """Replace all parameters (shapes may differ from the current ones: sizes follow)."""
        params = [np.ascontiguousarray(p, dtype=DTYPE) for p in params]
        sizes = [params[0].shape[0]] + [params[i].shape[1] for i in range(0, len(params), 2)]
        self.params = params
        if sizes != self.sizes:
            self.sizes = sizes
            self.unit_mask = [np.ones(h, dtype=DTYPE) for h in sizes[1:-1]]
