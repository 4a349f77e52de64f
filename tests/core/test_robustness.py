"""Robustness lab (core.robustness): each spoiler checked against its definition done another way
(np.rot90, np.roll, a pixel-by-pixel 3x3 maximum), the accuracies against a direct NumPy forward
pass on the same weights, and coverage/accuracy against a count from the definition."""
import itertools

import numpy as np
import pytest

from mnist_viz.core import robustness as rb
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


@pytest.fixture(scope="module")
def digits(mnist):
    return np.array(mnist.x_test[:40])


@pytest.fixture(scope="module")
def trained(small):
    """A 784-32-10 ReLU network trained for a few hundred steps: its params and the test split."""
    trainer = Trainer(small, Settings(hidden=(32,), seed=3))
    for _ in range(150):
        trainer.step()
    return [np.array(p) for p in trainer.net.params], trainer


def direct_answers(params, x):
    """The network's classes by hand: relu(x W1 + b1) W2 + b2, argmax (float64)."""
    W1, b1, W2, b2 = (np.asarray(p, np.float64) for p in params)
    return (np.maximum(x.astype(np.float64) @ W1 + b1, 0) @ W2 + b2).argmax(axis=1)


@pytest.mark.parametrize("kind", list(rb.SPOILERS))
def test_amount_zero_is_the_identity_and_every_spoiler_stays_in_range(digits, kind):
    np.testing.assert_array_equal(rb.spoil(kind, digits, 0.0, seed=5), digits)
    spoiler = rb.SPOILERS[kind]
    strongest = spoiler.high if abs(spoiler.high) >= abs(spoiler.low) else spoiler.low
    out = rb.spoil(kind, digits, strongest, seed=5)
    assert out.shape == digits.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1 and not np.array_equal(out, digits)
    assert len(spoiler.points) == 5 and 0 in spoiler.points and list(spoiler.points) == sorted(spoiler.points)
    assert all(spoiler.low <= p <= spoiler.high for p in spoiler.points)


def test_noise_is_seeded_clipped_and_has_the_asked_sigma(mnist):
    x = np.full((2000, 784), 0.5, np.float32)  # mid-grey: clipping at 0.2 sigma is rare
    a, b = rb.spoil("noise", x, 0.2, seed=1), rb.spoil("noise", x, 0.2, seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, rb.spoil("noise", x, 0.2, seed=2))
    assert np.std(a - x) == pytest.approx(0.2, rel=0.02) and abs(np.mean(a - x)) < 0.002
    ones = rb.spoil("noise", np.ones((10, 784), np.float32), 0.5, seed=0)
    assert ones.max() == 1.0 and ones.min() < 1.0  # clipped at 1, not above


@pytest.mark.parametrize("degrees,k", [(90, 1), (-90, -1)])
def test_rotate_90_is_np_rot90_as_augment_turns(digits, degrees, k):
    out = rb.spoil("rotate", digits, degrees)
    for image, turned in zip(digits, out):
        np.testing.assert_allclose(turned.reshape(28, 28), np.rot90(image.reshape(28, 28), k), atol=1e-5)


def test_shift_moves_right_with_zeros_coming_in(digits):
    out = rb.spoil("shift", digits, 3).reshape(-1, 28, 28)
    images = digits.reshape(-1, 28, 28)
    np.testing.assert_array_equal(out[:, :, 3:], images[:, :, :-3])
    assert (out[:, :, :3] == 0).all()
    back = rb.spoil("shift", digits, -2).reshape(-1, 28, 28)
    np.testing.assert_array_equal(back[:, :, :-2], images[:, :, 2:])


def test_thickness_is_a_3x3_max_or_min_filter(digits):
    images = digits.reshape(-1, 28, 28)
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
    windows = np.stack([padded[:, r:r + 28, c:c + 28] for r in range(3) for c in range(3)])
    np.testing.assert_array_equal(rb.spoil("thickness", digits, 1).reshape(-1, 28, 28), windows.max(axis=0))
    np.testing.assert_array_equal(rb.spoil("thickness", digits, -1).reshape(-1, 28, 28), windows.min(axis=0))
    ink = [rb.spoil("thickness", digits, k).sum(axis=1) for k in (-2, -1, 0, 1, 2)]
    for thinner, thicker in itertools.pairwise(ink):
        assert (thicker > thinner).all()  # every image gains ink with each dilation, loses with each erosion


def test_occlusion_zeros_the_seeded_square_and_nothing_else(digits):
    out = rb.spoil("occlude", digits, 0.25, seed=4).reshape(-1, 28, 28)
    side = rb.occlusion_side(0.25)
    assert side == 7
    corners = rb.occlusion_corners(len(digits), side, seed=4)
    assert (corners >= 4).all() and (corners + side <= 24).all()  # within the digit's 20x20 box
    for image, spoiled, (r, c) in zip(digits.reshape(-1, 28, 28), out, corners):
        inside = np.zeros((28, 28), bool)
        inside[r:r + side, c:c + side] = True
        assert (spoiled[inside] == 0).all()
        np.testing.assert_array_equal(spoiled[~inside], image[~inside])
    assert not np.array_equal(corners, rb.occlusion_corners(len(digits), side, seed=5))


def test_bad_shapes_and_amounts_are_refused_before_allocating(digits):
    with pytest.raises(ValueError, match=r"\(N, 784\).*shape \(40, 28, 28\)"):
        rb.spoil("noise", digits.reshape(-1, 28, 28), 0.1)
    with pytest.raises(ValueError, match="unknown spoiler 'blur'"):
        rb.spoil("blur", digits, 1)
    with pytest.raises(ValueError, match="whole number"):
        rb.spoil("shift", digits, 1.5)
    with pytest.raises(ValueError, match="outside"):
        rb.spoil("occlude", digits, 0.9)


def test_together_applies_each_in_order(digits):
    amounts = {"thickness": 1, "rotate": 20.0, "noise": 0.1}
    step = rb.spoil("rotate", rb.spoil("thickness", digits, 1), 20.0)
    np.testing.assert_array_equal(rb.spoil_together(digits, amounts, seed=2), rb.spoil("noise", step, 0.1, seed=2))
    np.testing.assert_array_equal(rb.spoil_together(digits, {}), digits)


@pytest.mark.parametrize("kind", ["noise", "rotate", "thickness", "occlude"])
def test_curve_equals_a_direct_numpy_computation(trained, small, kind):
    params, _ = trained
    x, y = small.x_test, small.y_test
    points, accuracies = rb.robustness_curve(params, "relu", x, y, kind, seed=7)
    np.testing.assert_array_equal(points, rb.SPOILERS[kind].points)
    expected = [np.mean(direct_answers(params, rb.spoil(kind, x, a, seed=7)) == y) for a in points]
    np.testing.assert_allclose(accuracies, expected, atol=2 / len(y))  # float32 vs float64: a tie at most
    clean = points.tolist().index(0.0)
    assert accuracies[clean] > 0.7 and accuracies.min() < accuracies[clean]


def test_per_class_accuracy_and_masks(trained, small):
    params, trainer = trained
    x, y = small.x_test, small.y_test
    accuracy, per_class = rb.spoiled_accuracy(params, "relu", x, y, "shift", 0)
    assert accuracy == pytest.approx(trainer.evaluate("test")[1])
    predicted = direct_answers(params, x)
    for c in range(10):
        assert per_class[c] == pytest.approx(np.mean(predicted[y == c] == c), abs=2 / np.sum(y == c))
    assert np.isnan(rb.per_class_accuracy(np.array([0, 0, 1]), np.array([0, 1, 1]))[5])
    mask = np.ones(32, np.float32)
    mask[:16] = 0  # half the units off: the engine's ablation, as the window's Unit tab does it
    W1, b1, W2, b2 = params
    by_hand = (np.maximum(x @ W1 + b1, 0) * mask @ W2 + b2).argmax(axis=1)
    masked, _ = rb.spoiled_accuracy(params, "relu", x, y, "noise", 0, unit_masks=[mask])
    assert masked == pytest.approx(np.mean(by_hand == y))


def test_coverage_and_accuracy_from_the_definition():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(10) * 0.3, size=500).astype(np.float32)
    y = rng.integers(0, 10, 500)
    y[:250] = probs[:250].argmax(axis=1)  # half of them right
    for threshold in (0.0, 0.3, 0.5, float(probs.max(axis=1)[17]), 0.9, 1.01):
        answered = probs.max(axis=1) >= threshold
        coverage, accuracy = rb.coverage_accuracy(probs, y, threshold)
        assert coverage == np.mean(answered)
        if answered.any():
            assert accuracy == pytest.approx(np.mean(probs[answered].argmax(axis=1) == y[answered]))
        else:
            assert np.isnan(accuracy)
    coverages, accuracies = rb.coverage_curve(probs, y, [0.0, 0.5, 0.9])
    assert coverages[0] == 1.0 and list(coverages) == sorted(coverages, reverse=True)
    assert accuracies[2] > accuracies[0]  # the surer answers are the better ones here
    with pytest.raises(ValueError, match=r"\(N, 10\)"):
        rb.coverage_accuracy(probs[:, :9], y, 0.5)


def test_the_uint8_cache_gives_mnist_back_exactly_and_answers_the_same(trained, small):
    params, _ = trained
    x = small.x_test
    np.testing.assert_array_equal(rb.from_bytes(rb.to_bytes(x)), x)
    noisy = rb.spoil("noise", x, 0.3, seed=1)
    assert np.abs(rb.from_bytes(rb.to_bytes(noisy)) - noisy).max() <= 0.5 / 255 + 1e-7
    np.testing.assert_array_equal(rb.probabilities(params, "relu", rb.to_bytes(x)), rb.probabilities(params, "relu", x))
