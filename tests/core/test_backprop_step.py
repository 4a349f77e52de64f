"""One training step taken apart (core.backprop_step): its numbers against an independent NumPy
backprop, and the promise that the step the trainer then takes is the one explained."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_viz.core.backprop_step import MAX_IMAGES, explain_next_step, explain_step
from mnist_viz.core.network import MLP
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


def _reference_backprop(params, x, y, l2):
    """Mean cross-entropy (+ l2/2 sum ||W||²), per-image losses and weight gradients of a ReLU MLP,
    written out in float64 from the textbook formulas (no engine code)."""
    Ws, bs = [p.astype(np.float64) for p in params[0::2]], [p.astype(np.float64) for p in params[1::2]]
    a, activations, pre = x.astype(np.float64), [], []
    for W, b in zip(Ws[:-1], bs[:-1]):
        activations.append(a)
        z = a @ W + b
        pre.append(z)
        a = np.maximum(z, 0.0)
    activations.append(a)
    logits = a @ Ws[-1] + bs[-1]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = len(y)
    image_losses = -np.log(p[np.arange(n), y])
    loss = image_losses.mean() + 0.5 * l2 * sum((W * W).sum() for W in Ws)
    delta = p.copy()
    delta[np.arange(n), y] -= 1.0
    delta /= n
    grads = [None] * len(Ws)
    for k in range(len(Ws) - 1, -1, -1):
        grads[k] = activations[k].T @ delta + l2 * Ws[k]
        if k:
            delta = (delta @ Ws[k].T) * (pre[k - 1] > 0)
    return loss, image_losses, grads, p


@pytest.mark.parametrize("l2", [0.0, 1e-3])
def test_the_explanation_matches_an_independent_float64_backprop(small, l2):
    net = MLP([784, 12, 7, 10], "relu", "he", 3)
    for i in range(1, len(net.params), 2):  # non-zero biases, so a missing bias term would show
        net.params[i] += np.float32(0.05)
    x, y = small.x_train[:50], small.y_train[:50]
    lr = 0.3
    e = explain_step(net, x, y, lr, l2, step=7, images=20)
    loss, image_losses, grads, p = _reference_backprop(net.params, x, y, l2)
    assert e.step == 7 and e.batch_size == 50 and e.n_images == 20 and e.n_layers == 3
    assert e.mean_loss == pytest.approx(loss, rel=1e-5)
    assert e.data_loss == pytest.approx(image_losses.mean(), rel=1e-5)
    np.testing.assert_allclose(e.image_losses, image_losses[:20], rtol=1e-4)
    np.testing.assert_array_equal(e.labels, y[:20])
    np.testing.assert_array_equal(e.predictions, p[:20].argmax(axis=1))
    np.testing.assert_allclose(e.true_class_probs, p[np.arange(20), y[:20]], rtol=1e-4)
    assert e.batch_accuracy == pytest.approx(np.mean(p.argmax(axis=1) == y))
    np.testing.assert_allclose(e.grad_norms, [np.linalg.norm(g) for g in grads], rtol=1e-4)
    scale = np.abs(grads[0]).max()
    np.testing.assert_allclose(e.sgd_update_W1, -lr * grads[0], atol=1e-5 * lr * scale)
    w_norms = [np.linalg.norm(W.astype(np.float64)) for W in net.params[0::2]]
    np.testing.assert_allclose(e.weight_norms, w_norms, rtol=1e-6)
    expected_ratios = [math.log10(lr * np.linalg.norm(g) / w) for g, w in zip(grads, w_norms)]
    np.testing.assert_allclose(e.sgd_log10_ratios, expected_ratios, atol=1e-4)
    np.testing.assert_array_equal(e.images, x[:20])


def test_a_gradient_entry_agrees_with_a_finite_difference(small):
    net = MLP([784, 6, 10], "relu", "he", 1)
    x, y = small.x_train[:16], small.y_train[:16]
    e = explain_step(net, x, y, lr=1.0)
    grad_W1 = -e.sgd_update_W1
    params = [p.astype(np.float64) for p in net.params]
    for pixel, unit in [(int(np.argmax(x.sum(axis=0))), 0), (400, 3)]:
        h = 1e-4
        plus, minus = [p.copy() for p in params], [p.copy() for p in params]
        plus[0][pixel, unit] += h
        minus[0][pixel, unit] -= h
        numeric = (_reference_backprop(plus, x, y, 0.0)[0] - _reference_backprop(minus, x, y, 0.0)[0]) / (2 * h)
        assert grad_W1[pixel, unit] == pytest.approx(numeric, rel=1e-3, abs=1e-6)


def test_explaining_changes_nothing_and_is_capped_at_max_images(small):
    net = MLP([784, 8, 10], "relu", "he", 0)
    before = net.copy_params()
    e = explain_step(net, small.x_train[:100], small.y_train[:100], 0.1, images=1000)
    assert e.n_images == MAX_IMAGES and e.images.shape == (MAX_IMAGES, 784)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.params))
    with pytest.raises(ValueError):
        explain_step(net, np.zeros((0, 784), np.float32), np.zeros(0, np.int64), 0.1)


def _sgd_trainer(data, **changes):
    return Trainer(data, Settings(hidden=(16,), optimizer="sgd", lr=0.5, batch_size=64, seed=2, **changes))


def test_peek_does_not_consume_and_the_next_step_trains_on_the_explained_batch(small):
    tr = _sgd_trainer(small)
    for _ in range(3):
        tr.step()
    x_peek, y_peek = tr.peek_batch()
    x_again, _ = tr.peek_batch()
    np.testing.assert_array_equal(x_peek, x_again)
    e = explain_next_step(tr)
    W1_before = tr.net.params[0].copy()
    result = tr.step()
    assert tr.step_count == e.step
    assert result.loss == pytest.approx(e.mean_loss, rel=1e-6, abs=0)
    assert result.batch_size == e.batch_size == len(y_peek)
    assert result.accuracy == pytest.approx(e.batch_accuracy)
    # the batch the step trained on is the one peeked: a second trainer taking it by next_batch agrees
    twin = _sgd_trainer(small)
    for _ in range(3):
        twin.step()
    x_next, y_next = twin.next_batch()
    np.testing.assert_array_equal(x_next, x_peek)
    np.testing.assert_array_equal(y_next, y_peek)
    np.testing.assert_array_equal(e.labels, y_peek[:MAX_IMAGES])
    # plain SGD: the update explained is the update made (to the rounding of W1 - u in float32)
    delta = tr.net.params[0].astype(np.float64) - W1_before
    ulp = np.spacing(np.abs(W1_before).max())
    np.testing.assert_allclose(delta, e.sgd_update_W1, rtol=0, atol=ulp)
    assert np.abs(e.sgd_update_W1).max() > 100 * ulp  # the check above is not trivially met


def test_peek_across_an_epoch_end_sees_the_next_epochs_first_batch_and_its_decayed_lr(small):
    tr = Trainer(small, Settings(hidden=(8,), optimizer="sgd", lr=0.1, lr_decay=0.5, batch_size=1000,
                                 seed=4, train_subset=2000))
    tr.step()
    tr.step()  # the epoch of 2,000 images is complete; the next step starts epoch 2 with a new shuffle
    e = explain_next_step(tr)
    x_peek, y_peek = tr.peek_batch()
    assert e.lr == pytest.approx(0.05)
    result = tr.step()
    assert tr.epochs_done == 1 and tr.effective_lr == pytest.approx(e.lr)
    np.testing.assert_array_equal(tr.x_train[tr.order[:1000]], x_peek)
    np.testing.assert_array_equal(y_peek[:MAX_IMAGES], e.labels)
    assert result.loss == pytest.approx(e.mean_loss, rel=1e-6)


def test_full_batch_gd_explains_the_whole_training_split(small):
    tr = Trainer(small, Settings(hidden=(8,), optimizer="gd", lr=0.5, seed=1, train_subset=500))
    e = explain_next_step(tr)
    assert e.full_batch and e.batch_size == 500 and e.n_images == MAX_IMAGES
    assert tr.step().loss == pytest.approx(e.mean_loss, rel=1e-6)


def test_momentum_is_said_not_to_be_plain_sgd_and_stopped_training_refuses(small):
    tr = _sgd_trainer(small)
    tr.update(optimizer="momentum")
    assert not explain_next_step(tr).plain_sgd
    tr.update(optimizer="sgd")
    assert explain_next_step(tr).plain_sgd
    tr.update(lr=1e6)
    while not tr.trouble:
        tr.step()
    with pytest.raises(ValueError, match="no step to explain"):
        explain_next_step(tr)


def test_with_dropout_and_augmentation_the_explained_step_is_the_step_taken(small):
    """The explanation uses the masks and the moved images the next step draws: same loss, same ΔW1."""
    tr = Trainer(small, Settings(hidden=(32,), optimizer="sgd", momentum=0.0, lr=0.1, batch_size=64,
                                 dropout=0.5, augment_shift=2, augment_rotate=10.0))
    for _ in range(3):
        tr.step()
    e = explain_next_step(tr)
    W1_before = tr.net.params[0].copy()
    result = tr.step()
    assert result.loss == pytest.approx(e.mean_loss, rel=1e-6, abs=0)
    delta = tr.net.params[0].astype(np.float64) - W1_before
    np.testing.assert_allclose(delta, e.sgd_update_W1, rtol=0, atol=np.spacing(np.abs(W1_before).max()))
