"""What the views of deeper hidden layers compute (core.analysis): the linear view (the chained
weights) and the top-activating images, against independent NumPy computations."""
import numpy as np
import pytest

from mnist_viz.core.analysis import (
    layer_activations,
    linear_view,
    snapshot_unit_masks,
    top_activating,
    top_indices,
)
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


@pytest.fixture(scope="module")
def snap(small):
    trainer = Trainer(small, Settings(hidden=(32, 16, 8), train_subset=2000))
    for _ in range(20):
        trainer.step()
    return trainer.snapshot()


def numpy_forward(params, x, layer):
    """Layer ``layer``'s ReLU activations, written out independently of the engine (float64)."""
    a = np.asarray(x, np.float64)
    for k in range(layer):
        a = np.maximum(a @ params[2 * k].astype(np.float64) + params[2 * k + 1], 0.0)
    return a


def test_the_linear_view_is_the_chained_matrix_product(snap):
    W1, W2, W3 = (np.asarray(snap.params[i], np.float64) for i in (0, 2, 4))
    assert np.array_equal(linear_view(snap.params, 1), snap.W1)
    np.testing.assert_allclose(linear_view(snap.params, 2), W1 @ W2, rtol=1e-4, atol=1e-6)
    view3 = linear_view(snap.params, 3)
    assert view3.shape == (784, 8) and view3.dtype == np.float32
    # column j, one unit at a time: sum over the layer-2 units of W1[:, i] W2[i, :] W3[:, j]
    j = 5
    np.testing.assert_allclose(view3[:, j], sum(W1[:, [i]] @ (W2[[i], :] @ W3[:, [j]]) for i in range(32))[:, 0],
                               rtol=1e-4, atol=1e-6)


def test_the_linear_view_refuses_a_layer_that_does_not_exist(snap):
    for layer in (0, 5):
        with pytest.raises(ValueError, match="does not exist"):
            linear_view(snap.params, layer)


def test_top_activating_matches_an_independent_forward_pass(snap, small):
    x = small.x_test[:1000]
    for layer, unit in ((1, 3), (2, 7), (3, 2)):
        expected_acts = numpy_forward(snap.params, x, layer)[:, unit]
        assert np.count_nonzero(expected_acts) > 12, "the unit must fire on some images or the test says nothing"
        indices, acts = top_activating(snap.params, "relu", x, layer, unit, 12)
        assert len(indices) == 12 and np.all(np.diff(acts) <= 0)
        np.testing.assert_allclose(acts, np.sort(expected_acts)[::-1][:12], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(expected_acts[indices], acts, rtol=1e-4, atol=1e-5)
        # the same images as NumPy's argsort, unless two activations are too close to tell apart
        top = np.argsort(-expected_acts, kind="stable")[:12]
        assert set(indices) == set(top) or np.min(np.abs(np.diff(np.sort(expected_acts)[::-1][:13]))) < 1e-4


def test_layer_activations_follow_the_ablation_of_the_first_layer(snap, small):
    x = small.x_test[:200]
    masks = snapshot_unit_masks(snap)
    assert [len(m) for m in masks] == [32, 16, 8]
    off = [np.where(np.arange(32) < 16, 0.0, 1.0).astype(np.float32), masks[1], masks[2]]
    a1 = np.maximum(x @ snap.params[0].astype(np.float64) + snap.params[1], 0.0) * off[0]
    expected = np.maximum(a1 @ snap.params[2] + snap.params[3], 0.0)
    np.testing.assert_allclose(layer_activations(snap.params, "relu", x, 2, off), expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="not a hidden layer"):
        layer_activations(snap.params, "relu", x, 4)


def test_top_indices_skip_numbers_that_are_not_finite_and_keep_ties_in_order():
    values = np.array([1.0, np.nan, 3.0, 3.0, np.inf, -1.0])
    assert top_indices(values, 3).tolist() == [2, 3, 0]
    assert top_indices(values, 10).tolist() == [2, 3, 0, 5]
    assert top_indices(np.zeros(0), 4).tolist() == []
