"""AlterWeights / RestoreWeights on a live TrainingLoop (in process): the reply's accuracies are a
direct evaluation of the intact and altered weights, a restore is bit for bit, the curves get no
point of altered weights, and training on from altered weights keeps them with a marker."""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from loop_commands import do, events_of

from mnist_viz.core import surgery
from mnist_viz.core.network import MLP
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer, _loss_accuracy_predictions
from mnist_viz.runtime.loop import TrainingLoop
from mnist_viz.runtime.protocol import (
    AlterWeights,
    CommandFailed,
    Pause,
    Play,
    RestoreWeights,
    SnapshotReady,
    Step,
    UpdateSettings,
    WeightsAltered,
)


def _trained_loop(data, steps=30):
    sent: list = []
    settings = Settings(hidden=(32,), optimizer="adam", lr=0.003, batch_size=50, seed=4)
    loop = TrainingLoop(Trainer(data, settings), sent.append, lambda: True, snapshot_interval=0.0)
    do(loop, Step(steps))
    while loop.steps_owed:
        loop.tick()
    loop.tick()
    return loop, sent




def _test_accuracy(trainer, params):
    net = MLP.from_params(params, trainer.net.activation, trainer.net.unit_mask)
    return _loss_accuracy_predictions(net, trainer.data.x_test, trainer.data.y_test)[1]


def _optimizer_arrays(trainer):
    return {k: [a.copy() for a in v] for k, v in trainer.optimizer.state.items()}


def test_alter_replies_with_direct_evaluations_and_the_network_holds_the_altered_weights(small_mnist):
    loop, sent = _trained_loop(small_mnist)
    tr = loop.trainer
    intact = [p.copy() for p in tr.net.params]
    do(loop, AlterWeights(noise=0.5, prune=0.8, seed=3), first_seq=2)
    reply = events_of(sent, WeightsAltered)[-1]
    assert tr.x_eval is tr.data.x_test  # the eval split is the test set here
    last_eval = tr.history.evals.array()[-1]  # the intact weights' point at this step, made first
    assert last_eval[0] == tr.step_count and last_eval[4] == reply.accuracy_before
    evals_before = len(tr.history.evals)
    assert reply.reply_to == 2 and not reply.restored and reply.split == "test"
    expected = surgery.alter_weights(intact, 0.5, 0.8, seed=3)
    for live, want in zip(tr.net.params, expected):
        np.testing.assert_array_equal(live, want)
    assert reply.accuracy_before == _test_accuracy(tr, intact)
    assert reply.accuracy_after == _test_accuracy(tr, expected)
    assert reply.accuracy_after < reply.accuracy_before  # 80% pruned plus noise costs something here
    assert reply.zero_fraction == pytest.approx(surgery.weight_zero_fraction(expected))
    assert (reply.noise, reply.prune, reply.seed) == (0.5, 0.8, 3)
    for _ in range(3):
        loop.tick()
    snap = events_of(sent, SnapshotReady)[-1].snapshot
    np.testing.assert_array_equal(snap.params[0], expected[0])  # the views show the altered weights
    assert len(tr.history.evals) == evals_before  # ... the curves do not
    assert not snap.new_markers
    pickle.loads(pickle.dumps(reply))  # it crosses the pipe


def test_a_second_alteration_replaces_the_first_and_restore_is_bit_for_bit(small_mnist):
    loop, sent = _trained_loop(small_mnist)
    tr = loop.trainer
    intact = [p.copy() for p in tr.net.params]
    optimizer_before, t_before = _optimizer_arrays(tr), tr.optimizer.t
    do(loop, AlterWeights(noise=1.0, prune=0.0, seed=1), AlterWeights(noise=0.0, prune=0.5, seed=1), first_seq=2)
    for live, want in zip(tr.net.params, surgery.prune_by_magnitude(intact, 0.5)):
        np.testing.assert_array_equal(live, want)  # of the intact weights, not of the noisy ones
    first, second = events_of(sent, WeightsAltered)
    assert first.accuracy_before == second.accuracy_before
    do(loop, RestoreWeights(), first_seq=4)
    for live, want in zip(tr.net.params, intact):
        assert live.dtype == want.dtype and live.tobytes() == want.tobytes()
    restored = events_of(sent, WeightsAltered)[-1]
    assert restored.restored and restored.reply_to == 4
    assert restored.accuracy_after == restored.accuracy_before == _test_accuracy(tr, intact)
    assert tr.optimizer.t == t_before
    for name, arrays in _optimizer_arrays(tr).items():
        for a, b in zip(arrays, optimizer_before[name]):
            np.testing.assert_array_equal(a, b)
    do(loop, RestoreWeights(), first_seq=5)  # nothing left to restore
    failed = events_of(sent, CommandFailed)[-1]
    assert failed.reply_to == 5 and failed.command == "restore weights" and "not altered" in failed.reason


def test_restore_then_training_gives_the_same_weights_as_never_altering(small_mnist):
    loop, _ = _trained_loop(small_mnist)
    twin, _ = _trained_loop(small_mnist)
    do(loop, AlterWeights(noise=2.0, prune=0.9, seed=0), RestoreWeights(), Step(5), first_seq=2)
    do(twin, Step(5), first_seq=2)
    for lp in (loop, twin):
        while lp.steps_owed:
            lp.tick()
    for a, b in zip(loop.trainer.net.params, twin.trainer.net.params):
        np.testing.assert_array_equal(a, b)


def test_alter_pauses_a_playing_run_and_playing_on_keeps_the_altered_weights_with_a_marker(small_mnist):
    loop, sent = _trained_loop(small_mnist)
    tr = loop.trainer
    do(loop, Play(), first_seq=2)
    loop.tick()
    do(loop, AlterWeights(noise=0.5, prune=0.0, seed=9), first_seq=3)
    assert not loop.playing
    step = tr.step_count
    for _ in range(3):
        loop.tick()
    assert tr.step_count == step  # paused while altered
    altered = [p.copy() for p in tr.net.params]
    reply = events_of(sent, WeightsAltered)[-1]
    assert tr.history.evals.array()[-1][4] == reply.accuracy_before  # the eval split is the test set here
    do(loop, Play(), first_seq=4)
    assert tr.history.markers[-1].label == "weights altered: noise 0.5×std" and tr.history.markers[-1].step == step
    last_eval = tr.history.evals.array()[-1]  # the altered weights' point, where training goes on from
    assert last_eval[0] == step and last_eval[4] == pytest.approx(reply.accuracy_after)
    loop.tick()
    assert tr.step_count == step + 1
    do(loop, Pause(), RestoreWeights(), first_seq=5)
    assert events_of(sent, CommandFailed)[-1].command == "restore weights"  # the intact copy was dropped
    assert not np.array_equal(tr.net.params[0], altered[0])  # trained on from the altered weights


@pytest.mark.parametrize("command, named", [
    (AlterWeights(noise=-0.5), "-0.5"), (AlterWeights(noise=math.nan), "nan"),
    (AlterWeights(prune=1.0), "1.0"), (AlterWeights(prune=-0.1), "-0.1"), (AlterWeights(prune=math.nan), "nan"),
    (AlterWeights(seed=-1), "-1"), (AlterWeights(noise="a lot"), "a lot")])  # type: ignore[arg-type]
def test_bad_values_are_refused_by_name_and_change_nothing(small_mnist, command, named):
    loop, sent = _trained_loop(small_mnist, steps=3)
    before = [p.copy() for p in loop.trainer.net.params]
    do(loop, command, first_seq=7)
    failed = events_of(sent, CommandFailed)[-1]
    assert failed.reply_to == 7 and failed.command == "alter weights" and named in failed.reason
    assert loop.intact is None and not events_of(sent, WeightsAltered)
    for a, b in zip(loop.trainer.net.params, before):
        np.testing.assert_array_equal(a, b)
    loop.tick()  # the loop lives on


def test_a_live_setting_keeps_the_alteration_undoable_and_a_resize_makes_it_the_runs(small_mnist):
    loop, sent = _trained_loop(small_mnist, steps=5)
    tr = loop.trainer
    intact = [p.copy() for p in tr.net.params]
    do(loop, AlterWeights(noise=0.3), UpdateSettings({"lr": 0.001}), RestoreWeights(), first_seq=2)
    assert events_of(sent, WeightsAltered)[-1].restored and tr.settings.lr == 0.001
    for a, b in zip(tr.net.params, intact):
        np.testing.assert_array_equal(a, b)
    do(loop, AlterWeights(prune=0.5), UpdateSettings({"hidden": (24,)}), first_seq=5)
    assert tr.history.markers[-2].label == "weights altered: 50% pruned"  # then the resize's own marker
    assert loop.intact is None and tr.net.params[0].shape == (784, 24)
