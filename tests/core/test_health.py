"""Layer health (issue 12): the numbers against a direct NumPy computation, the dead and saturated
rules on networks built to have (or not have) them, the update ratio of a healthy run, the free
"last update" the optimizer's spare buffers give, and the snapshot and CLI that carry it."""
import json
import math
import pickle

import numpy as np
import pytest

from mnist_viz.cli import main
from mnist_viz.core.health import (
    PROBE_SIZE,
    QUANTILE_SAMPLE,
    QUANTILES,
    dead_fraction,
    layer_health,
    quantile_sample,
    saturated_fraction,
)
from mnist_viz.core.network import MLP
from mnist_viz.core.optim import OPTIMIZERS
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


@pytest.fixture(scope="module")
def probe(mnist):
    return mnist.x_test[:PROBE_SIZE]


def _relu(z):
    return np.maximum(z, 0)


def test_numbers_match_a_direct_numpy_computation(probe):
    net = MLP([784, 20, 24, 10], "relu", "he", rng=1)
    rng = np.random.default_rng(2)
    before = [p - rng.normal(0, 1e-3, p.shape).astype(np.float32) for p in net.params]
    W1, b1, W2, b2, W3, b3 = net.params
    a1 = _relu(probe @ W1 + b1)
    a2 = _relu(a1 @ W2 + b2)
    logits = a2 @ W3 + b3

    health = layer_health(net, probe, before)

    assert [h.name for h in health] == ["hidden 1", "hidden 2", "output"]
    assert [(h.fan_in, h.fan_out) for h in health] == [(784, 20), (20, 24), (24, 10)]
    for h, W, W_before, out in zip(health, (W1, W2, W3), before[0::2], (a1, a2, logits)):
        delta = W - W_before
        assert W.size <= QUANTILE_SAMPLE  # small enough to be exact
        np.testing.assert_allclose(h.weight_quantiles, np.percentile(W, QUANTILES), rtol=1e-6)
        assert h.weight_std == pytest.approx(np.std(W.astype(np.float64)), rel=1e-4)  # float32 sums
        np.testing.assert_allclose(h.update_quantiles, np.percentile(delta, QUANTILES), rtol=1e-5)
        assert h.update_std == pytest.approx(np.std(delta.astype(np.float64)), rel=1e-4)
        ratio = np.linalg.norm(delta.astype(np.float64)) / np.linalg.norm(W.astype(np.float64))
        assert h.log10_update_ratio == pytest.approx(math.log10(ratio), abs=1e-4)
        np.testing.assert_allclose(h.activation_quantiles, np.percentile(out, QUANTILES), rtol=1e-4, atol=1e-5)
    for h, out in zip(health[:2], (a1, a2)):
        assert h.dead_fraction == pytest.approx(np.mean(np.all(out <= 0, axis=0)))
        assert math.isnan(h.saturated_fraction)  # does not apply to ReLU
    assert math.isnan(health[2].dead_fraction) and math.isnan(health[2].saturated_fraction)


def test_a_large_layer_is_sampled_evenly_and_close_to_the_exact_quantiles(probe):
    net = MLP([784, 512, 10], "relu", "he", rng=3)
    W1 = net.params[0]
    sample = quantile_sample(W1)
    assert W1.size > QUANTILE_SAMPLE >= sample.size > QUANTILE_SAMPLE // 2
    index = np.arange(W1.size).reshape(W1.shape)  # sample the positions to see which units are sampled
    sampled_units = np.bincount(quantile_sample(index) % W1.shape[1], minlength=W1.shape[1])
    assert sampled_units.max() - sampled_units.min() <= 1  # every unit sampled alike
    exact = np.percentile(W1, QUANTILES)
    got = layer_health(net, probe)[0].weight_quantiles
    # 4 standard errors of a 1st percentile estimated from QUANTILE_SAMPLE normal values (~3% of the std each)
    np.testing.assert_allclose(got, exact, atol=0.12 * W1.std())


def test_dead_units_made_by_large_negative_biases_are_counted(probe):
    net = MLP([784, 100, 10], "relu", "he", rng=4)
    assert layer_health(net, probe)[0].dead_fraction < 0.05  # fresh He init: (almost) all alive
    net.params[1][:70] = -100.0  # 70 of 100 units can never fire on pixels in [0, 1]
    assert layer_health(net, probe)[0].dead_fraction == pytest.approx(0.70, abs=0.03)


def test_leaky_relu_units_with_negative_pre_activations_are_dead(probe):
    net = MLP([784, 50, 10], "leaky_relu", "he", rng=5)
    net.params[1][:20] = -100.0  # outputs are -1 (the leak), never > 0
    assert layer_health(net, probe)[0].dead_fraction == pytest.approx(0.40, abs=0.03)


def test_switched_off_units_are_not_counted_as_dead(probe):
    net = MLP([784, 100, 10], "relu", "he", rng=6)
    net.unit_mask[0][:50] = 0.0
    assert layer_health(net, probe)[0].dead_fraction < 0.05


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_saturated_units_with_large_weights_and_not_when_fresh(probe, activation):
    net = MLP([784, 64, 10], activation, "xavier", rng=7)
    fresh = layer_health(net, probe)[0]
    assert fresh.saturated_fraction < 0.05 and math.isnan(fresh.dead_fraction)
    net.params[0] *= 200.0
    assert layer_health(net, probe)[0].saturated_fraction > 0.8


def test_the_saturation_rule_is_95_percent_of_the_batch_within_0_02_of_an_asymptote():
    outputs = np.full((100, 4), 0.5, np.float32)
    outputs[:95, 0] = 0.005  # 95% near 0: saturated
    outputs[:94, 1] = 0.995  # 94% near 1: not
    outputs[:50, 2], outputs[50:, 2] = 0.001, 0.999  # at either asymptote on every image: saturated
    outputs[:, 3] = 0.97  # close, but not within 0.02
    assert saturated_fraction(outputs, "sigmoid") == 0.5
    assert saturated_fraction(outputs * 2 - 1, "tanh") == pytest.approx(0.5)  # tanh = 2 sigmoid(2z) - 1
    assert dead_fraction(np.array([[0.0, 1.0], [-0.5, 0.0]])) == 0.5


def test_a_healthy_adam_run_updates_about_a_thousandth_of_the_weights(small):
    tr = Trainer(small, Settings(hidden=(64,), optimizer="adam", lr=1e-3, init="he"))
    tr.train(iterations=40)
    for h in tr.layer_health():
        assert -4.5 < h.log10_update_ratio < -1.5, h


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_update_is_the_last_step_taken(small, optimizer):
    tr = Trainer(small, Settings(hidden=(16, 8), optimizer=optimizer, lr=0.01, train_subset=512))
    tr.train(iterations=3)
    before = tr.net.copy_params()
    tr.step()
    for h, W, W_before in zip(tr.layer_health(), tr.net.weights, before[0::2]):
        np.testing.assert_allclose(h.update_quantiles, np.percentile(W - W_before, QUANTILES), rtol=1e-5, atol=1e-12)
        assert h.update_std > 0


def test_the_update_is_unknown_until_a_step_follows_a_change_of_the_weights(small):
    def known(trainer):
        return [not math.isnan(h.update_std) for h in trainer.layer_health()]

    tr = Trainer(small, Settings(hidden=(16,), lr=1e-3))
    assert known(tr) == [False, False]  # no step yet
    tr.train(iterations=2)
    assert known(tr) == [True, True]
    tr.update(hidden=(20,))
    assert known(tr) == [False, False]
    tr.step()
    assert known(tr) == [True, True]
    tr.update(optimizer="momentum")
    assert known(tr) == [False, False]
    tr.step()
    tr.restore_last_good()
    assert known(tr) == [False, False]
    tr.step()
    tr.update(lr=1e39)  # float32 overflows: the step is refused after proposing into the spare buffers
    with np.errstate(over="ignore", invalid="ignore"):
        assert tr.step().diverged
    assert known(tr) == [False, False]


def test_the_snapshot_carries_one_health_per_layer_and_pickles(small):
    tr = Trainer(small, Settings(hidden=(32, 16), activation="tanh", init="xavier"))
    tr.train(iterations=5)
    snap = tr.snapshot(small.x_test[:4])
    assert [h.layer for h in snap.health] == [1, 2, 3] and snap.health[-1].is_output
    assert all(len(h.weight_quantiles) == len(h.activation_quantiles) == len(QUANTILES) for h in snap.health)
    back = pickle.loads(pickle.dumps(snap))
    assert [h.to_dict() for h in back.health] == [h.to_dict() for h in snap.health]  # (nan != nan: compare dicts)
    assert tr.snapshot(health=False).health == ()
    assert np.array_equal(tr.health_probe_x, small.x_test[:PROBE_SIZE])  # the fixed batch, not the window's probes


def test_train_json_ends_with_the_health_of_every_layer(capsys):
    assert main(["train", "--iterations", "5", "--hidden", "24,12", "--train-subset", "1000", "--no-progress",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report)[-1] == "health"
    health = report["health"]
    assert [layer["name"] for layer in health] == ["hidden 1", "hidden 2", "output"]
    assert all(len(layer["weight_quantiles"]) == len(QUANTILES) for layer in health)
    assert all(isinstance(layer["log10_update_ratio"], float) for layer in health)
    assert health[-1]["dead_fraction"] is None  # nan (does not apply) is null in JSON
    json.dumps(report, allow_nan=False)  # plain JSON: no NaN or Infinity anywhere
