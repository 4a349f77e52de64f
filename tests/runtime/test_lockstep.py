"""Two in-process training loops in lockstep (``LockStep``): neither gets more than its slack ahead,
a diverged or stopped run holds no one back, and the same seed gives both the same batches."""
from __future__ import annotations

import numpy as np
import pytest
from loop_commands import do

from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.core.watchdog import Trouble
from mnist_viz.runtime.lockstep import FREE, StepCounters, create_counters
from mnist_viz.runtime.loop import LOCK_POLL, TrainingLoop
from mnist_viz.runtime.protocol import CommandFailed, Envelope, LockStep, Play, Step, Stop


def _loop(data, settings):
    sent = []
    return TrainingLoop(Trainer(data, settings), sent.append, lambda: True), sent



@pytest.fixture
def pair(small_mnist, tmp_path):
    path = create_counters(str(tmp_path))
    a, sent_a = _loop(small_mnist, Settings(hidden=(8,), optimizer="sgd", lr=0.1, seed=3))
    b, sent_b = _loop(small_mnist, Settings(hidden=(8,), optimizer="sgd", lr=0.5, seed=3))
    do(a, LockStep(path, 0, 3), Play())
    do(b, LockStep(path, 1, 3), Play())
    return a, b, sent_a, sent_b, path


def test_a_run_never_gets_more_than_its_slack_ahead_of_the_other(pair):
    a, b, *_ = pair
    for _ in range(40):  # only A ticks: it must stop at B's count (0) + slack
        a.tick()
    assert a.trainer.step_count == 3 and b.trainer.step_count == 0
    assert a.tick() == pytest.approx(LOCK_POLL)  # waits (short poll), still playing
    assert a.playing
    for _ in range(200):  # both tick, B twice as often: B is held back too
        a.tick()
        b.tick()
        b.tick()
        assert abs(a.trainer.step_count - b.trainer.step_count) <= 3
    assert a.trainer.step_count >= 60 and b.trainer.step_count >= 60


def test_the_same_seed_gives_both_runs_the_same_first_batch(pair):
    """lr only acts after the first forward pass: the first batch losses (same weights, same
    images) are equal, computed independently from the data and the seed's order."""
    a, b, *_ = pair
    for _ in range(3):
        a.tick()
        b.tick()
    a.trainer.flush()
    b.trainer.flush()
    loss_a = a.trainer.history.steps.array()[:, 3]
    loss_b = b.trainer.history.steps.array()[:, 3]
    assert loss_a[0] == pytest.approx(loss_b[0], rel=1e-6)
    assert loss_a[2] != pytest.approx(loss_b[2], rel=1e-6)  # then the learning rates part them


def test_a_diverged_or_stopped_run_holds_no_one_back(pair):
    a, b, *_ = pair
    b.tick()
    b.trainer.trouble = Trouble("not finite", 1, "Training stopped", "the loss is not a number")  # as a blow-up
    assert b.trainer.diverged
    b.tick()
    assert StepCounters(pair[4], 0, 1).other() == FREE
    for _ in range(20):
        a.tick()
    assert a.trainer.step_count == 20


def test_stop_and_an_empty_path_end_the_lockstep(pair):
    a, b, *_ = pair
    do(b, Stop())
    for _ in range(10):
        a.tick()
    assert a.trainer.step_count == 10
    do(a, LockStep(""))
    assert a.lock is None


def test_steps_owed_wait_for_the_other_run_too(pair):
    a, *_ = pair
    do(a, Step(10))
    for _ in range(20):
        a.tick()
    assert a.trainer.step_count == 3 and a.steps_owed == 7


def test_counts_in_training_images_for_different_batch_sizes(small_mnist, tmp_path):
    path = create_counters(str(tmp_path))
    a, _ = _loop(small_mnist, Settings(hidden=(8,), batch_size=32))
    b, _ = _loop(small_mnist, Settings(hidden=(8,), batch_size=64))
    do(a, LockStep(path, 0, 128, "samples"), Play())
    do(b, LockStep(path, 1, 128, "samples"), Play())
    for _ in range(300):
        a.tick()
        a.tick()
        b.tick()
        assert abs(a.trainer.samples_seen - b.trainer.samples_seen) <= 128 + 64
    assert a.trainer.step_count > b.trainer.step_count > 50


@pytest.mark.parametrize("command", [LockStep("x", 2, 3), LockStep("x", 0, 0), LockStep("x", 0, 3, "epochs")])
def test_a_malformed_lockstep_is_refused(small_mnist, command):
    loop, sent = _loop(small_mnist, Settings(hidden=(8,)))
    loop.receive(Envelope(1, command))
    assert [type(e) for e in sent] == [CommandFailed]


def test_a_missing_counters_file_is_refused_and_training_goes_on(small_mnist, tmp_path):
    loop, sent = _loop(small_mnist, Settings(hidden=(8,)))
    do(loop, LockStep(str(tmp_path / "none.bin"), 0, 3), Step(2))
    assert any(isinstance(e, CommandFailed) and "lockstep" in e.reason for e in sent)
    loop.tick()
    loop.tick()
    assert loop.trainer.step_count == 2 and loop.lock is None


def test_a_run_waits_for_the_other_before_its_training_process_has_come_up(small_mnist, tmp_path):
    """The window starts run B's process after locking run A: until B reads its LockStep, its slot
    says step 0, so A stops at its slack instead of training ahead alone (seen in CI: A 400 steps on)."""
    path = create_counters(str(tmp_path))
    a, _ = _loop(small_mnist, Settings(hidden=(8,), seed=3))
    do(a, LockStep(path, 0, 3), Play())
    for _ in range(20):
        a.tick()
    assert a.trainer.step_count == 3 and a.playing


def test_counters_are_shared_through_the_file(tmp_path):
    path = create_counters(str(tmp_path))
    one, two = StepCounters(path, 0, 2), StepCounters(path, 1, 2)
    assert two.other() == 0 and two.must_wait(2) and not two.must_wait(1)
    one.publish(5)
    assert two.other() == 5 and two.must_wait(7) and not two.must_wait(6)
    assert np.fromfile(path, np.int64)[0] == 5
    one.close()
    assert two.other() == FREE
    two.close()
