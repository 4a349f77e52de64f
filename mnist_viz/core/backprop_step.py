"""One training step taken apart (issue 12, item 5): forward → loss → backward → update, for the
batch the next step will train on, so a window can show each stage before the step is taken.

``explain_step`` runs the engine's own ``MLP.loss_and_grads`` on the batch (the same call
``Trainer.step`` makes, so the loss it reports is the loss the step will report) and keeps what a
lecture shows: the first images of the batch with the network's answers, the loss, the gradients'
sizes per layer and the plain-SGD update of layer 1, ``-lr * ∂L/∂W1`` as ``(784, H1)`` (one 28×28
picture per hidden unit, like the weight mosaic). Nothing is changed: the step itself is the
trainer's ordinary ``step()`` afterwards (``Trainer.peek_batch`` looks at its batch without taking
it). For momentum and Adam the real update is not ``-lr * gradient``: the optimizer turns the
gradient into a different step, which the layer health of the snapshot after the step measures.

Never imports Qt.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mnist_viz.core.network import DTYPE, MLP

if TYPE_CHECKING:
    from mnist_viz.core.trainer import Trainer

MAX_IMAGES = 32  # images of the batch an explanation carries (the picture a room can read)
PLAIN_SGD = ("sgd", "gd")  # optimizers whose update is exactly -lr * gradient


@dataclass(frozen=True, eq=False)  # arrays have no truth value: explanations are told apart by identity
class StepExplanation:
    """What one training step does, computed before it is taken.

    Layers are numbered from 1 as in ``network`` (``W1`` first, the output layer last); per-layer
    tuples are about the weight matrices (biases are left out, as in the layer health).

    Attributes:
        step: the step this explains (the trainer's ``step_count + 1``); the snapshot after it has
            ``step == step``.
        batch_size: images in the batch the loss and gradients are computed on (``B``).
        full_batch: the batch is the whole training split (optimizer ``gd``).
        optimizer, lr, l2: what the step will use (``lr`` after any decay).
        images: ``(k, 784) float32``, the batch's first ``k <= MAX_IMAGES`` images.
        labels: ``(k,) int64`` their true digits.
        predictions: ``(k,) int64`` the network's answer for each, before the step.
        true_class_probs: ``(k,) float32`` the probability the network gives the true digit.
        image_losses: ``(k,) float64`` each image's cross-entropy ``-log p(true digit)``.
        mean_loss: the batch's mean cross-entropy plus ``l2/2 * sum ||W||²``, exactly as the step
            reports it; ``data_loss`` is the cross-entropy part alone.
        batch_accuracy: fraction of the whole batch answered correctly before the step.
        weight_norms: ``||Wk||`` (Frobenius) per layer.
        grad_norms: ``||∂L/∂Wk||`` per layer.
        sgd_log10_ratios: ``log10(lr * ||∂L/∂Wk|| / ||Wk||)`` per layer, the relative size of the
            plain-SGD update (nan when a norm is zero or not finite).
        sgd_update_W1: ``(784, H1) float32``, ``-lr * ∂L/∂W1`` (what plain SGD adds to ``W1``).
    """

    step: int
    batch_size: int
    full_batch: bool
    optimizer: str
    lr: float
    l2: float
    images: np.ndarray
    labels: np.ndarray
    predictions: np.ndarray
    true_class_probs: np.ndarray
    image_losses: np.ndarray
    mean_loss: float
    data_loss: float
    batch_accuracy: float
    weight_norms: tuple[float, ...]
    grad_norms: tuple[float, ...]
    sgd_log10_ratios: tuple[float, ...]
    sgd_update_W1: np.ndarray

    @property
    def n_images(self) -> int:
        """Images carried (``k``)."""
        return len(self.labels)

    @property
    def n_layers(self) -> int:
        return len(self.grad_norms)

    @property
    def plain_sgd(self) -> bool:
        """Whether the step's update is ``-lr * gradient`` (``sgd``, ``gd``), not momentum's or Adam's."""
        return self.optimizer in PLAIN_SGD

    @property
    def correct(self) -> np.ndarray:
        """``(k,) bool``: which of the shown images the network answers correctly."""
        return self.predictions == self.labels


def explain_step(net: MLP, x: np.ndarray, y: np.ndarray, lr: float, l2: float = 0.0, *,
                 optimizer: str = "sgd", step: int = 0, images: int = MAX_IMAGES,
                 full_batch: bool = False, dropout: Sequence[np.ndarray] | None = None) -> StepExplanation:
    """Take apart the step ``net`` would make on the batch ``x (B, 784)``, ``y (B,)``.

    Args:
        net: the network before the step (not changed).
        lr, l2: the step's learning rate and weight decay.
        optimizer: the optimizer's name (only said, see ``StepExplanation.plain_sgd``).
        step: the number of the step explained.
        images: how many of the batch's first images to carry (at most ``MAX_IMAGES``).
        full_batch: the batch is the whole training split.
        dropout: the step's dropout masks (``Trainer.next_dropout_masks``), or None for none.
    Raises ``ValueError`` for an empty batch or mismatched shapes.
    """
    x = np.asarray(x, DTYPE)
    y = np.asarray(y)
    if x.ndim != 2 or x.shape[1] != net.sizes[0] or len(x) == 0 or y.shape != (len(x),):
        raise ValueError(f"a batch must be (B, {net.sizes[0]}) images with (B,) labels, got {x.shape} and {y.shape}")
    with np.errstate(all="ignore"):  # a diverging network may overflow: its numbers then say nan/inf
        loss, grads, logits = net.loss_and_grads(x, y, l2, dropout=dropout)
        k = max(0, min(int(images), MAX_IMAGES, len(x)))
        shown_logits = logits[:k].astype(np.float64)
        log_probs = shown_logits - _logsumexp(shown_logits)[:, None]
        true_log_probs = log_probs[np.arange(k), y[:k]]
        weights = net.params[0::2]
        weight_norms = tuple(_norm(W) for W in weights)
        grad_norms = tuple(_norm(g) for g in grads[0::2])
        sgd_update_W1 = -(grads[0] * np.float32(lr))  # the optimizer's own float32 product, see optim
        data_loss = loss - (0.5 * l2 * net.weight_l2() if l2 else 0.0)
    return StepExplanation(
        step=int(step), batch_size=len(x), full_batch=bool(full_batch), optimizer=str(optimizer), lr=float(lr),
        l2=float(l2), images=x[:k].copy(), labels=y[:k].astype(np.int64),
        predictions=logits[:k].argmax(axis=1).astype(np.int64),
        true_class_probs=np.exp(true_log_probs).astype(np.float32), image_losses=-true_log_probs,
        mean_loss=float(loss), data_loss=float(data_loss),
        batch_accuracy=float(np.count_nonzero(logits.argmax(axis=1) == y)) / len(y),
        weight_norms=weight_norms, grad_norms=grad_norms,
        sgd_log10_ratios=tuple(_log10_ratio(lr * g, w) for g, w in zip(grad_norms, weight_norms)),
        sgd_update_W1=np.ascontiguousarray(sgd_update_W1, DTYPE))


def explain_next_step(trainer: Trainer, images: int = MAX_IMAGES) -> StepExplanation:
    """``explain_step`` for the batch, learning rate and settings of ``trainer``'s next ``step()``
    (which then trains on that same batch). Raises ``ValueError`` while training is stopped."""
    if trainer.trouble:
        raise ValueError(f"no step to explain: {trainer.trouble.message}")
    x, y = trainer.peek_batch()
    s = trainer.settings
    return explain_step(trainer.net, x, y, trainer.next_step_lr, s.l2, optimizer=s.optimizer,
                        step=trainer.step_count + 1, images=images, full_batch=s.optimizer == "gd",
                        dropout=trainer.next_dropout_masks(len(x)))  # the same masks the step will draw


def _logsumexp(z: np.ndarray) -> np.ndarray:
    """Row-wise ``log(sum(exp(z)))`` of ``(k, classes)`` float64, without overflow."""
    if len(z) == 0:
        return np.zeros(0)
    top = z.max(axis=1)
    return top + np.log(np.exp(z - top[:, None]).sum(axis=1))


def _norm(a: np.ndarray) -> float:
    """Frobenius norm in float64 (float32 squares of large weights overflow)."""
    return float(np.linalg.norm(a.astype(np.float64, copy=False).reshape(-1)))


def _log10_ratio(numerator: float, denominator: float) -> float:
    if numerator > 0 and denominator > 0 and math.isfinite(numerator) and math.isfinite(denominator):
        return math.log10(numerator / denominator)
    return math.nan
