"""The loop's answer to ExplainStep: it pauses, sends the next step taken apart, and the Step that
follows trains on that very batch."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from loop_commands import do, events_of

from mnist_viz.core.backprop_step import StepExplanation
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.runtime.loop import TrainingLoop
from mnist_viz.runtime.protocol import (
    CommandFailed,
    ExplainStep,
    Play,
    PlayingChanged,
    SnapshotReady,
    Step,
    StepExplained,
    UpdateSettings,
)


def _loop(data, **changes):
    sent: list = []
    settings = Settings(hidden=(16,), optimizer="sgd", lr=0.2, batch_size=50, seed=5, **changes)
    return TrainingLoop(Trainer(data, settings), sent.append, lambda: True, snapshot_interval=0.0), sent




def test_explain_while_playing_pauses_answers_and_the_next_step_is_the_explained_one(small_mnist):
    loop, sent = _loop(small_mnist)
    do(loop, Play())
    for _ in range(3):
        loop.tick()
    step_before = loop.trainer.step_count
    do(loop, ExplainStep(images=10), first_seq=2)
    assert not loop.playing and events_of(sent, PlayingChanged)[-1].playing is False
    answers = events_of(sent, StepExplained)
    assert len(answers) == 1 and answers[0].reply_to == 2
    e = answers[0].explanation
    assert isinstance(e, StepExplanation) and e.n_images == 10 and e.step == step_before + 1
    assert loop.trainer.step_count == step_before  # explaining trains nothing
    for _ in range(3):
        loop.tick()
    assert loop.trainer.step_count == step_before  # and it stays paused
    do(loop, Step(1), first_seq=3)
    loop.tick()
    assert loop.trainer.step_count == e.step
    snap = events_of(sent, SnapshotReady)[-1].snapshot
    assert snap.step == e.step
    assert snap.new_steps[-1, 3] == pytest.approx(e.mean_loss, rel=1e-6)  # column 3: the step's loss
    assert np.isfinite(snap.health[0].log10_update_ratio)  # the real update, for the window's "after"
    restored = pickle.loads(pickle.dumps(answers[0]))  # it has to cross the pipe
    np.testing.assert_array_equal(restored.explanation.sgd_update_W1, e.sgd_update_W1)


def test_an_explanation_drops_steps_still_owed(small_mnist):
    loop, sent = _loop(small_mnist)
    do(loop, Step(5), ExplainStep())
    e = events_of(sent, StepExplained)[-1].explanation
    for _ in range(10):
        loop.tick()
    assert loop.trainer.step_count == 0 and e.step == 1


def test_a_bad_image_count_or_stopped_training_is_refused_by_name(small_mnist):
    loop, sent = _loop(small_mnist)
    do(loop, ExplainStep(images=-1))
    assert events_of(sent, CommandFailed)[-1].command == "explain step"
    do(loop, UpdateSettings({"lr": 1e6}), Play(), first_seq=2)
    for _ in range(200):
        loop.tick()
        if loop.trainer.trouble:
            break
    assert loop.trainer.trouble
    do(loop, ExplainStep(), first_seq=4)
    failed = events_of(sent, CommandFailed)[-1]
    assert failed.reply_to == 4 and "no step to explain" in failed.reason
    assert not events_of(sent, StepExplained)
