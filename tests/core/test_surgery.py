"""core.surgery against direct NumPy: pruning zeroes exactly the smallest weights of each matrix,
noise has the asked spread, both leave their input alone and a seed repeats the noise."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_viz.core import surgery
from mnist_viz.core.network import MLP


def _params(seed=0, sizes=(784, 64, 32, 10)):
    net = MLP(list(sizes), "relu", "he", np.random.default_rng(seed))
    for b in net.params[1::2]:  # non-zero biases, so "untouched" can fail
        b += np.random.default_rng(seed + 1).standard_normal(b.shape).astype(b.dtype)
    return net.params


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.8, 0.99])
def test_pruning_zeroes_the_smallest_fraction_of_each_matrix_and_keeps_the_rest_bit_for_bit(fraction):
    params = _params()
    before = [p.copy() for p in params]
    pruned = surgery.prune_by_magnitude(params, fraction)
    for i, (old, new) in enumerate(zip(before, pruned)):
        np.testing.assert_array_equal(params[i], old)  # input unchanged
        assert new is not params[i] and new.dtype == old.dtype and new.shape == old.shape
        if i % 2:  # a bias
            np.testing.assert_array_equal(new, old)
            continue
        k = int(fraction * old.size)
        order = np.argsort(np.abs(old).ravel(), kind="stable")
        threshold = np.abs(old).ravel()[order[k]]  # the smallest magnitude that must survive
        assert np.count_nonzero(old) == old.size  # drawn weights: no zero to start with
        assert np.count_nonzero(new == 0) == k
        kept = np.abs(old) > threshold  # strictly larger than the k-th: certainly kept
        np.testing.assert_array_equal(new[kept], old[kept])
        assert np.all(np.abs(old[new == 0]) <= threshold)  # whatever was zeroed was among the smallest


def test_pruning_keeps_the_largest_weights_and_counts_exactly_even_with_ties():
    w = np.array([[0.5, -0.5, 0.5], [0.5, 3.0, -2.0]], np.float32)  # four equal magnitudes
    out = surgery.prune_by_magnitude([w, np.ones(3, np.float32)], 0.5)[0]
    assert np.count_nonzero(out == 0) == 3
    assert out[1, 1] == 3.0 and out[1, 2] == -2.0  # the two largest are untouched


@pytest.mark.parametrize("relative_sigma", [0.1, 0.5, 2.0])
def test_noise_has_the_relative_spread_of_each_matrix_and_leaves_the_biases(relative_sigma):
    params = _params(seed=3)
    before = [p.copy() for p in params]
    noisy = surgery.add_weight_noise(params, relative_sigma, seed=7)
    for i, (old, new) in enumerate(zip(before, noisy)):
        np.testing.assert_array_equal(params[i], old)
        if i % 2:
            np.testing.assert_array_equal(new, old)
            continue
        diff = (new.astype(np.float64) - old)
        expected = relative_sigma * float(old.std())
        # the std of n Gaussian draws is within a few 1/sqrt(2n) of sigma
        assert diff.std() == pytest.approx(expected, rel=5 / math.sqrt(2 * diff.size))
        assert abs(diff.mean()) < 5 * expected / math.sqrt(diff.size)


def test_the_same_seed_gives_the_same_noise_and_another_seed_other_noise():
    params = _params()
    a = surgery.add_weight_noise(params, 0.5, seed=11)
    b = surgery.add_weight_noise(params, 0.5, seed=11)
    c = surgery.add_weight_noise(params, 0.5, seed=12)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


def test_alter_weights_is_noise_then_pruning_with_the_exact_fraction_of_zeros():
    params = _params()
    altered = surgery.alter_weights(params, 0.5, 0.8, seed=2)
    expected = surgery.prune_by_magnitude(surgery.add_weight_noise(params, 0.5, seed=2), 0.8)
    for x, y in zip(altered, expected):
        np.testing.assert_array_equal(x, y)
    weights = params[0::2]
    zeros_expected = sum(int(0.8 * w.size) for w in weights) / sum(w.size for w in weights)
    assert surgery.weight_zero_fraction(altered) == pytest.approx(zeros_expected)
    identity = surgery.alter_weights(params, 0.0, 0.0, seed=2)
    for x, y in zip(identity, params):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("noise, prune, named", [(-0.1, 0.0, "-0.1"), (math.nan, 0.0, "nan"),
                                                 (math.inf, 0.0, "inf"), (0.0, 1.0, "1.0"),
                                                 (0.0, -0.2, "-0.2"), (0.0, math.nan, "nan")])
def test_bad_values_are_refused_naming_the_value(noise, prune, named):
    with pytest.raises(ValueError, match=named):
        surgery.alter_weights(_params(), noise, prune, seed=0)


def test_the_description_names_what_was_done():
    assert surgery.describe_alteration(0.5, 0.8) == "noise 0.5×std, 80% pruned"
    assert surgery.describe_alteration(0.0, 0.3) == "30% pruned"
    assert surgery.describe_alteration(1.25, 0.0) == "noise 1.25×std"
    assert surgery.describe_alteration(0.0, 0.0) == "unaltered"
