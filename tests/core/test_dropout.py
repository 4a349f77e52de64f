"""Dropout on the hidden layers: the gradient with a fixed mask (finite differences), training only
(evaluation, snapshots and predictions use every unit), the seed (same seed, same run; the batch
order untouched), live changes, sessions and the command line."""
import json

import numpy as np
import pytest

from mnist_viz.cli import main
from mnist_viz.core import checkpoint
from mnist_viz.core.network import MLP, dropout_masks
from mnist_viz.core.presets import PRESETS
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import DROPOUT_STREAM, Trainer


def float64_net(activation: str, sizes=(6, 5, 4, 3), seed=0) -> MLP:
    """A tiny network computing in float64, so finite differences are accurate."""
    net = MLP(list(sizes), activation, "xavier", seed)
    rng = np.random.default_rng(seed + 1)
    net.params = [p.astype(np.float64) + 0.1 * rng.standard_normal(p.shape) for p in net.params]
    return net


def fixed_masks(sizes, batch, p, seed=2):
    """Inverted-dropout masks drawn here, independently of ``dropout_masks``: 0 or 1/(1-p)."""
    rng = np.random.default_rng(seed)
    return [(rng.random((batch, h)) >= p) / (1 - p) for h in sizes[1:-1]]


def loss_with_masks(net, x, y, masks) -> float:
    """The mean cross-entropy of the network with the masks applied, written out in NumPy."""
    a = x
    for layer, mask in enumerate(masks):
        z = a @ net.params[2 * layer] + net.params[2 * layer + 1]
        act = {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh,
               "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[net.activation](z)
        a = act * mask
    logits = a @ net.params[-2] + net.params[-1]
    logits = logits - logits.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(len(y)), y]))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_the_gradient_with_a_fixed_mask_matches_finite_differences(activation):
    net = float64_net(activation)
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((9, 6)), rng.integers(0, 3, 9)
    masks = fixed_masks(net.sizes, 9, 0.4)
    loss, grads, _ = net.loss_and_grads(x, y, dropout=masks)
    assert loss == pytest.approx(loss_with_masks(net, x, y, masks), rel=1e-12)
    eps = 1e-6
    for p, g in zip(net.params, grads):
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = loss_with_masks(net, x, y, masks)
            p[i] = old - eps
            down = loss_with_masks(net, x, y, masks)
            p[i] = old
            numeric[i] = (up - down) / (2 * eps)
        assert np.allclose(g, numeric, atol=1e-7, rtol=1e-5), (activation, p.shape)


def test_a_dropped_unit_gets_no_gradient_for_that_image():
    net = float64_net("tanh", sizes=(6, 5, 3))
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((1, 6)), np.array([1])
    mask = [np.array([[2.0, 0.0, 2.0, 2.0, 0.0]])]
    _, grads, _ = net.loss_and_grads(x, y, dropout=mask)
    assert not grads[0][:, [1, 4]].any() and not grads[1][[1, 4]].any() and not grads[2][[1, 4]].any()
    assert grads[0][:, [0, 2, 3]].all()


def test_the_masks_switch_off_about_p_of_the_units_and_keep_the_mean():
    masks = dropout_masks(np.random.default_rng(0), 500, [300, 40], 0.3)
    assert [m.shape for m in masks] == [(500, 300), (500, 40)] and masks[0].dtype == np.float32
    values = np.unique(masks[0])
    assert np.allclose(values, [0, 1 / 0.7])
    assert np.mean(masks[0] == 0) == pytest.approx(0.3, abs=0.01)
    assert masks[0].mean() == pytest.approx(1.0, abs=0.02)
    assert dropout_masks(np.random.default_rng(0), 5, [3], 0.0) is None
    # more dropout from the same draws: the units switched off before stay off
    more = dropout_masks(np.random.default_rng(0), 500, [300, 40], 0.5)
    assert not (more[0][masks[0] == 0]).any()


def test_evaluation_snapshots_and_predictions_ignore_dropout(small_mnist):
    tr = Trainer(small_mnist, Settings(hidden=(32,), batch_size=64, dropout=0.5))
    tr.train(iterations=40)
    W1, b1, W2, b2 = tr.net.params
    x = small_mnist.x_test
    logits = np.maximum(x @ W1 + b1, 0) @ W2 + b2  # every unit, no scaling
    accuracy = np.mean(logits.argmax(1) == small_mnist.y_test)
    assert tr.evaluate("test")[1] == pytest.approx(accuracy) and tr.evaluate("test") == tr.evaluate("test")
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    assert np.allclose(tr.net.predict_proba(x[:40]), probs[:40], atol=1e-5)
    snap = tr.snapshot(x[:40])
    assert np.allclose(snap.probe_probs, probs[:40], atol=1e-5)
    assert np.allclose(snap.probe_hidden, np.maximum(x[:40] @ W1 + b1, 0), atol=1e-5)


def test_a_training_step_uses_the_seeds_dropout_masks(small_mnist):
    tr = Trainer(small_mnist, Settings(hidden=(24,), batch_size=50, seed=9, dropout=0.25, optimizer="sgd", lr=0.1))
    x, y = tr.peek_batch()
    rng = np.random.default_rng(np.random.SeedSequence(9, spawn_key=(DROPOUT_STREAM, 0)))
    masks = dropout_masks(rng, 50, [24], 0.25)
    expected_loss, grads, _ = tr.net.loss_and_grads(x, y, dropout=masks)
    W1 = tr.net.params[0].copy()
    result = tr.step()
    assert result.loss == pytest.approx(expected_loss, rel=1e-6)
    assert np.allclose(tr.net.params[0], W1 - np.float32(0.1) * grads[0], atol=1e-7)


def test_same_seed_same_run_and_dropout_leaves_the_batch_order_alone(small_mnist):
    def run(**changes):
        tr = Trainer(small_mnist, Settings(hidden=(20, 12), batch_size=100, seed=4, **changes))
        tr.train(iterations=25)
        tr.update(hidden=(28, 12))  # a resize mid-run: the masks follow the new width
        tr.train(iterations=25)  # into the second epoch (20 steps each): a new order
        return tr

    a, b, c = run(dropout=0.3), run(dropout=0.3), run(dropout=0.6)
    plain = run()
    assert all(np.array_equal(p, q) for p, q in zip(a.net.params, b.net.params))
    assert np.array_equal(a.history.steps.array(), b.history.steps.array())
    assert np.array_equal(a.order, c.order) and np.array_equal(a.order, plain.order)
    assert not np.array_equal(a.net.params[0], c.net.params[0])
    assert not np.array_equal(a.net.params[0], plain.net.params[0])
    # the starting weights do not depend on dropout either
    assert np.array_equal(Trainer(small_mnist, Settings(hidden=(20, 12), seed=4, dropout=0.6)).net.params[0],
                          Trainer(small_mnist, Settings(hidden=(20, 12), seed=4)).net.params[0])


def test_dropout_is_a_live_setting_with_a_readable_marker(small_mnist):
    tr = Trainer(small_mnist, Settings(hidden=(16,)))
    tr.step()
    assert tr.update(dropout=0.5) == ["dropout 0 → 0.5"]
    tr.step()
    assert tr.update(dropout=0.0) == ["dropout 0.5 → 0"]
    assert not tr.trouble


@pytest.mark.parametrize("bad,message", [({"dropout": 0.95}, "dropout"), ({"dropout": -0.1}, "dropout"),
                                         ({"dropout": "half"}, "dropout"), ({"augment_shift": 1.5}, "whole pixels"),
                                         ({"augment_shift": 9}, "augment_shift"),
                                         ({"augment_rotate": float("inf")}, "degrees")])
def test_bad_values_are_refused_in_plain_words(bad, message):
    with pytest.raises(ValueError, match=message):
        Settings(**bad)


def test_old_sessions_without_the_new_settings_still_load(small_mnist, tmp_path):
    old = Settings(hidden=(12,)).to_dict()
    for name in ("dropout", "augment_shift", "augment_rotate"):
        del old[name]
    settings = Settings.from_dict(old)
    assert (settings.dropout, settings.augment_shift, settings.augment_rotate) == (0.0, 0, 0.0)
    regularised = Settings(dropout=0.2, augment_shift=1)
    assert Settings.from_dict(regularised.to_dict()) == regularised


def test_a_saved_run_goes_on_exactly_as_one_never_saved(small_mnist, tmp_path):
    settings = Settings(hidden=(16,), batch_size=64, seed=2, dropout=0.4, augment_shift=2, augment_rotate=10.0)
    straight = Trainer(small_mnist, settings)
    straight.train(iterations=50)
    first = Trainer(small_mnist, settings)
    first.train(iterations=30)
    checkpoint.save_checkpoint(first, tmp_path / "run.npz")
    resumed = Trainer(small_mnist, Settings())
    checkpoint.load_checkpoint(resumed, tmp_path / "run.npz")
    assert resumed.settings == settings
    resumed.train(iterations=20)
    assert all(np.array_equal(p, q) for p, q in zip(straight.net.params, resumed.net.params))


def test_the_command_line_takes_the_new_flags(capsys):
    assert main(["train", "--hidden", "16", "--train-subset", "2000", "--iterations", "5", "--dropout", "0.3",
                 "--augment-shift", "2", "--augment-rotate", "10", "--json", "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["settings"]["dropout"], report["settings"]["augment_shift"],
            report["settings"]["augment_rotate"]) == (0.3, 2, 10.0)
    assert report["steps"] == 5
    assert main(["train", "--dropout", "1", "--iterations", "1", "--no-progress"]) == 2
    assert "dropout" in capsys.readouterr().err


def test_the_regularised_preset_is_listed(capsys):
    preset = PRESETS["mlp-800-distort"]
    s = preset.settings
    assert preset.kind == "fast" and preset.stops_at_budget and s.hidden == (800,)
    assert s.dropout > 0 and s.augment_shift > 0 and s.augment_rotate > 0
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "mlp-800-distort" in out and "98.4%" in out
