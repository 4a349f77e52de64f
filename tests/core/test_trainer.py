"""The training loop: learning, determinism, live changes, divergence, evaluation."""
import numpy as np
import pytest

from mnist_viz.core.optim import OPTIMIZERS
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer, TrainingDiverged


@pytest.mark.parametrize("optimizer,lr", [("gd", 0.5), ("sgd", 0.1), ("momentum", 0.05), ("adam", 2e-3)])
def test_loss_falls_and_accuracy_rises_with_every_optimizer(small, optimizer, lr):
    tr = Trainer(small, Settings(hidden=(32,), optimizer=optimizer, lr=lr, init="he"))
    loss0, acc0 = tr.evaluate("train")
    tr.train(iterations=30 if optimizer == "gd" else 60)
    loss1, acc1 = tr.evaluate("train")
    assert loss1 < 0.6 * loss0
    assert acc1 > acc0 + 0.4


def test_every_optimizer_is_covered():
    assert set(OPTIMIZERS) == {"gd", "sgd", "momentum", "adam"}


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "sigmoid", "tanh"])
def test_every_activation_learns(small, activation):
    tr = Trainer(small, Settings(hidden=(32,), activation=activation, init="xavier", optimizer="adam", lr=3e-3))
    tr.train(epochs=3)
    assert tr.evaluate("test")[1] > 0.8


def test_same_seed_gives_the_same_run_bit_for_bit(small):
    runs = []
    for _ in range(2):
        tr = Trainer(small, Settings(hidden=(24,), optimizer="adam", seed=11, batch_size=64))
        tr.train(iterations=80)
        tr.update(hidden=(40,))
        tr.train(iterations=20)
        runs.append(tr)
    a, b = runs
    assert all(np.array_equal(p, q) for p, q in zip(a.net.params, b.net.params))
    assert np.array_equal(a.history.steps.array(), b.history.steps.array())
    c = Trainer(small, Settings(hidden=(24,), optimizer="adam", seed=12, batch_size=64))
    c.train(iterations=80)
    assert not np.array_equal(c.net.params[0], Trainer(small, Settings(hidden=(24,), seed=11)).net.params[0])


def test_epoch_and_sample_counters(small):
    tr = Trainer(small, Settings(hidden=(8,), batch_size=128))
    results = tr.run_epoch()
    assert len(results) == 24  # ceil(3000 / 128), the last batch short
    assert results[-1].batch_size == 3000 - 23 * 128
    assert tr.samples_seen == 3000 and tr.epoch == pytest.approx(1.0)
    tr.train(epochs=0.5)
    assert tr.epoch == pytest.approx(1.5, abs=128 / 3000)


def test_full_batch_gradient_descent_uses_every_image_each_step(small):
    tr = Trainer(small, Settings(hidden=(8,), optimizer="gd", lr=0.5))
    result = tr.step()
    assert result.batch_size == 3000 and tr.epoch == pytest.approx(1.0)
    tr.train(iterations=4)
    assert tr.step_count == 5 and tr.epoch == pytest.approx(5.0)


def test_live_learning_rate_and_batch_size_act_on_the_next_step(small):
    tr = Trainer(small, Settings(hidden=(16,), optimizer="sgd", lr=0.1, batch_size=100))
    tr.train(iterations=3)
    labels = tr.update(lr=0.0001, batch_size=50)
    assert labels == ["lr 0.1 → 0.0001", "batch_size 100 → 50"]
    before = tr.net.copy_params()
    result = tr.step()
    assert result.batch_size == 50
    change = max(np.abs(p - q).max() for p, q in zip(tr.net.params, before))
    assert 0 < change < 1e-3  # a tiny step: the new rate acted at once
    assert [m.label for m in tr.history.markers] == labels


def test_settings_that_need_a_restart_are_refused_live(small):
    tr = Trainer(small, Settings(hidden=(16,)))
    for change in ({"activation": "tanh"}, {"seed": 3}, {"init": "small"}, {"hidden": (16, 8)}):
        with pytest.raises(ValueError, match="restart"):
            tr.update(**change)
    with pytest.raises(ValueError, match="learning rate"):
        tr.update(lr=-1.0)
    assert tr.settings == Settings(hidden=(16,))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_resizing_while_training_128_8_128_keeps_working(small, optimizer):
    tr = Trainer(small, Settings(hidden=(128,), optimizer=optimizer, lr=0.05 if optimizer != "adam" else 2e-3))
    tr.train(iterations=60)
    acc_128 = tr.evaluate("test")[1]
    tr.update(hidden=(8,))
    assert tr.net.sizes == [784, 8, 10]
    for arrays in tr.optimizer.state.values():
        assert [a.shape for a in arrays] == [p.shape for p in tr.net.params]
    tr.train(iterations=30)
    tr.update(hidden=(128,))
    tr.train(iterations=60)
    assert tr.net.sizes == [784, 128, 10] and tr.evaluate("test")[1] > max(0.7, acc_128 - 0.03)
    assert [m.label for m in tr.history.markers] == ["hidden 128 → 8", "hidden 8 → 128"]


def test_widening_mid_training_keeps_outputs_at_that_instant(small):
    tr = Trainer(small, Settings(hidden=(20,), optimizer="adam"))
    tr.train(iterations=40)
    before = tr.net.predict_proba(small.x_test)
    tr.update(hidden=(64,))
    # Equal up to float32 rounding: BLAS may sum x @ W1 in another order for 64 columns than for 20
    # (seen on an AMD EPYC, OpenBLAS's Haswell kernels: 2e-7). New units with non-zero outgoing
    # weights would move the probabilities by far more.
    np.testing.assert_allclose(tr.net.predict_proba(small.x_test), before, rtol=0, atol=2e-6)


def test_hidden_size_one_and_1024(small):
    tr = Trainer(small, Settings(hidden=(1,), optimizer="adam"))
    tr.train(iterations=5)
    tr.update(hidden=(1024,))
    tr.train(iterations=5)
    assert tr.net.weights[0].shape == (784, 1024)


def test_divergence_is_detected_refused_and_restorable(small):
    tr = Trainer(small, Settings(hidden=(32,), optimizer="sgd", lr=0.1))
    tr.train(iterations=100)
    good_acc = tr.evaluate("test")[1]
    tr.update(lr=1e6)
    results = []
    tr.train(iterations=50, callback=lambda t, r: results.append(r))
    assert results[-1].diverged and "learning rate" in tr.diverged
    assert all(np.isfinite(p).all() for p in tr.net.params)  # the broken update was not applied
    with pytest.raises(TrainingDiverged):
        tr.step()
    tr.restore_last_good()
    tr.update(lr=0.1)
    assert tr.evaluate("test")[1] >= good_acc - 0.02
    tr.train(iterations=10)
    assert not tr.diverged


def test_evaluation_history_and_validation_split(small):
    tr = Trainer(small, Settings(hidden=(16,), val_size=500))
    assert tr.n_train == 2500 and len(tr.x_eval) == 500
    tr.train(epochs=1)
    loss, acc = tr.record_evaluation()
    evals = tr.history.evals.array()
    assert evals.shape == (1, 6) and evals[0, 4] == acc and 0 < evals[0, 5] <= 1
    assert tr.evaluate("val") == (loss, acc)
    with pytest.raises(ValueError, match="leaves no training data"):
        Trainer(small, Settings(val_size=3000))
    with pytest.raises(ValueError, match="train_subset"):
        Trainer(small, Settings(train_subset=5000))


def test_snapshot_is_a_read_only_detached_copy(small):
    tr = Trainer(small, Settings(hidden=(16,)))
    tr.train(iterations=10)
    snap = tr.snapshot(small.x_test[:8])
    assert snap.W1.shape == (784, 16) and snap.probe_probs.shape == (8, 10) and snap.probe_hidden.shape == (8, 16)
    assert snap.new_steps.shape == (10, 5) and list(snap.new_steps[:, 0]) == list(range(1, 11))
    with pytest.raises(ValueError):
        snap.W1[0, 0] = 1
    tr.train(iterations=3)
    assert not np.array_equal(snap.W1, tr.net.weights[0])
    assert tr.snapshot().new_steps.shape == (3, 5)  # only what is new since the last snapshot


def _copied(state):
    """A deep copy of a ``state_dict`` (its arrays are the trainer's live ones)."""
    import copy
    return copy.deepcopy(state)


def test_state_dict_round_trip_continues_the_run_bit_for_bit(small):
    settings = Settings(hidden=(16,), optimizer="adam", batch_size=50)
    a = Trainer(small, settings)
    a.train(iterations=25)
    a.update(hidden=(9,))
    a.set_unit_enabled(3, False)
    b = Trainer(small, Settings(hidden=(4,), optimizer="sgd"))
    b.load_state_dict(_copied(a.state_dict()))
    assert b.settings == a.settings and b.step_count == 25 and b.net.unit_mask[0][3] == 0
    for _ in range(30):  # past an epoch boundary of the 3,000-image set: the batch order follows too
        assert b.step().loss == a.step().loss
    assert [m.label for m in b.history.markers] == [m.label for m in a.history.markers]


def test_a_state_that_does_not_fit_leaves_the_trainer_as_it_was(small):
    a = Trainer(small, Settings(hidden=(16,), optimizer="adam"))
    a.train(iterations=5)
    good = _copied(a.state_dict())
    bad = _copied(good)
    bad["optimizer"]["arrays"] = {k: v[:3] for k, v in bad["optimizer"]["arrays"].items()}
    b = Trainer(small, Settings(hidden=(8,)))
    b.train(iterations=2)
    before = [p.copy() for p in b.net.params]
    with pytest.raises(ValueError, match="optimizer state"):
        b.load_state_dict(bad)
    assert b.step_count == 2 and b.settings.hidden == (8,)
    assert all(np.array_equal(p, q) for p, q in zip(b.net.params, before))
    b.load_state_dict(good)
    assert b.step_count == 5
