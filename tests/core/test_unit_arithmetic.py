"""The arithmetic of one hidden unit (core.unit_arithmetic) against the engine itself: the shown sum
is the network's pre-activation, the shown activation is the network's, and the per-class pushes of
all units add up to the network's class scores."""
import numpy as np
import pytest

from mnist_viz.core.activations import LEAKY_SLOPE
from mnist_viz.core.analysis import snapshot_network
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.core.unit_arithmetic import snapshot_unit_arithmetic, unit_arithmetic

HIDDEN = 16
PROBES = 8
FLOAT32_EPS = float(np.finfo(np.float32).eps)  # 1.19e-7


def trained_snapshot(data, activation="relu", hidden=(HIDDEN,), steps=30):
    """A small trainer after a few steps, and its snapshot with the first test images as probes."""
    trainer = Trainer(data, Settings(hidden=hidden, activation=activation, train_subset=2000))
    for _ in range(steps):
        trainer.step()
    probes = np.array(data.x_test[:PROBES], np.float32)
    return trainer, trainer.snapshot(probes), probes


def summation_tolerance(result) -> float:
    """How far two float32 evaluations of ``Σ wᵢxᵢ + b`` may differ: only in the order their terms
    are added (the engine's BLAS sums in blocks whose order depends on the batch size: the engine
    itself gives one image's z differently, by a few float32 ulps, in a batch of 1 and a batch of 10).
    Each rounding errs by at most half an ulp of the running sum, bounded by ``Σ|terms|``; measured
    gaps are ~3 eps·Σ|terms|, the bound allows 8 (the worst case, 784 eps, would hide a wrong term)."""
    return 8 * FLOAT32_EPS * (float(np.abs(result.contributions).sum()) + abs(result.bias))


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "sigmoid", "tanh"])
def test_z_and_a_are_the_engines_own_numbers(small_mnist, activation):
    _trainer, snap, probes = trained_snapshot(small_mnist, activation)
    engine_z = probes @ snap.W1 + snap.b1  # (P, H) float32: how MLP.forward computes the pre-activation
    assert engine_z.dtype == np.float32
    for p in range(PROBES):
        for u in range(HIDDEN):
            result = snapshot_unit_arithmetic(snap, probes[p], u)
            tolerance = summation_tolerance(result)
            np.testing.assert_allclose(result.z, engine_z[p, u], rtol=0, atol=tolerance)
            # Every activation here has a slope of at most 1, so a's gap is at most z's.
            np.testing.assert_allclose(result.activation, snap.probe_hidden[p, u], rtol=0, atol=tolerance)
            assert result.z == pytest.approx(result.weighted_sum + result.bias, abs=FLOAT32_EPS * abs(result.z) + 1e-12)


def test_the_terms_are_the_pixel_products_and_add_up_to_the_sum(small_mnist):
    _trainer, snap, probes = trained_snapshot(small_mnist)
    x, u = probes[3], 7
    result = snapshot_unit_arithmetic(snap, x, u)
    assert result.contributions.shape == (784,) and result.contributions.dtype == np.float32
    np.testing.assert_array_equal(result.contributions, x * snap.W1[:, u])
    assert (result.contributions[x == 0] == 0).all()  # no ink, no push
    # float64 sum of the float32 terms vs the float32 dot product: the dot product's rounding only.
    assert float(np.sum(result.contributions, dtype=np.float64)) == pytest.approx(
        result.weighted_sum, abs=summation_tolerance(result))
    assert result.bias == float(snap.b1[u])


def test_the_class_pushes_of_all_units_add_up_to_the_networks_scores(small_mnist):
    """Σᵤ aᵤ·W_out[u] + b_out is the logit vector: each unit's row really is its share of the scores."""
    _trainer, snap, probes = trained_snapshot(small_mnist)
    logits, _cache = snapshot_network(snap).forward(probes)
    for p in range(PROBES):
        results = [snapshot_unit_arithmetic(snap, probes[p], u) for u in range(HIDDEN)]
        for u, result in enumerate(results):
            np.testing.assert_array_equal(result.class_contributions,
                                          np.float32(result.output) * snap.W_out[u])
        scores = np.sum([r.class_contributions for r in results], axis=0, dtype=np.float64) + snap.params[-1]
        bound = 8 * FLOAT32_EPS * (np.abs([r.class_contributions for r in results]).sum(axis=0) + 1)
        assert (np.abs(scores - logits[p]) <= bound).all()


def test_a_switched_off_unit_passes_zero_on_and_the_snapshot_agrees(small_mnist):
    trainer, _snap, probes = trained_snapshot(small_mnist)
    trainer.set_unit_enabled(4, False)
    snap = trainer.snapshot(probes)
    on_probes = [snapshot_unit_arithmetic(snap, probes[p], 4) for p in range(PROBES)]
    assert any(r.activation != 0 for r in on_probes)  # the unit fires somewhere: the test can fail
    for p, result in enumerate(on_probes):
        assert not result.enabled and result.output == 0.0 and snap.probe_hidden[p, 4] == 0.0
        assert not result.class_contributions.any()


def test_deeper_networks_send_a_to_the_next_layer_not_to_the_classes(small_mnist):
    _trainer, snap, probes = trained_snapshot(small_mnist, hidden=(HIDDEN, 8), steps=5)
    result = snapshot_unit_arithmetic(snap, probes[0], 2)
    assert result.class_contributions is None and not result.goes_to_classes
    np.testing.assert_allclose(result.activation, snap.probe_hidden[0, 2], rtol=0, atol=summation_tolerance(result))


def one_pixel_unit(weight: float, bias: float, activation: str):
    """A 2-pixel, 1-unit layer where only pixel 0 has ink: z = weight + bias."""
    W1 = np.array([[weight], [5.0]], np.float32)
    return unit_arithmetic(np.array([1.0, 0.0], np.float32), W1, np.array([bias], np.float32), 0, activation)


@pytest.mark.parametrize("activation, expected", [
    ("relu", 0.0), ("leaky_relu", LEAKY_SLOPE * -1.5), ("tanh", np.tanh(-1.5)), ("sigmoid", 1 / (1 + np.exp(1.5))),
])
def test_each_activation_is_applied_to_z(activation, expected):
    result = one_pixel_unit(-2.0, 0.5, activation)
    assert result.z == -1.5 and result.weighted_sum == -2.0
    assert result.activation == pytest.approx(expected, rel=1e-6)
    assert result.contributions.tolist() == [-2.0, 0.0]  # the heavy weight on the blank pixel pushes nothing


def test_the_largest_terms_are_named_in_order_and_blank_pixels_are_not():
    x = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.5], np.float32)
    W1 = np.array([[0.3], [-0.9], [0.8], [-0.1], [9.0], [0.2]], np.float32)
    result = unit_arithmetic(x, W1, np.zeros(1, np.float32), 0, "relu", top=5)
    assert result.top_positive.tolist() == [2, 0, 5]  # 0.8, 0.3, 0.1 (pixel 4's 9.0 has no ink)
    assert result.top_negative.tolist() == [1, 3]
    assert unit_arithmetic(x, W1, np.zeros(1, np.float32), 0, "relu", top=1).top_positive.tolist() == [2]


def test_the_inputs_are_not_changed_even_when_read_only(small_mnist):
    _trainer, snap, probes = trained_snapshot(small_mnist, steps=2)
    assert not snap.W1.flags.writeable  # snapshot arrays are frozen; the in-place activation must not touch them
    before = np.array(snap.W1), np.array(snap.b1)
    snapshot_unit_arithmetic(snap, probes[0], 0)
    np.testing.assert_array_equal(snap.W1, before[0])
    np.testing.assert_array_equal(snap.b1, before[1])


def test_wrong_shapes_units_and_names_are_refused():
    W1, b1, x = np.zeros((784, 3), np.float32), np.zeros(3, np.float32), np.zeros(784, np.float32)
    with pytest.raises(ValueError, match="does not exist"):
        unit_arithmetic(x, W1, b1, 3, "relu")
    with pytest.raises(ValueError, match="pixels"):
        unit_arithmetic(np.zeros(10), W1, b1, 0, "relu")
    with pytest.raises(ValueError, match="biases"):
        unit_arithmetic(x, W1, np.zeros(4, np.float32), 0, "relu")
    with pytest.raises(ValueError, match="activation"):
        unit_arithmetic(x, W1, b1, 0, "softplus")
    with pytest.raises(ValueError, match="output weights"):
        unit_arithmetic(x, W1, b1, 0, "relu", W_out=np.zeros((4, 10), np.float32))
