"""Comparison: two real training processes in lockstep, started and driven like the window does."""
from __future__ import annotations

import numpy as np
import pytest

from mnist_viz.core.snapshot import Settings
from mnist_viz.gui.comparison import Comparison, comparison_notes, describe_difference, lock_unit, run_label
from mnist_viz.gui.worker import TrainingWorker

TIMEOUT_MS = 15_000


class Runs:
    """Pulls both runs' snapshots as the window's render tick does."""

    def __init__(self, worker_a, comparison):
        self.worker_a, self.comparison = worker_a, comparison
        self.a, self.b = [], []

    def pull(self):
        for snaps, take in ((self.a, self.worker_a.take_snapshot), (self.b, self.comparison.take_snapshot)):
            snap = take()
            if snap is not None:
                snaps.append(snap)

    def rows(self, snaps, run_id):
        rows = [s.new_steps for s in snaps if s.loop.run_id == run_id and len(s.new_steps)]
        return np.concatenate(rows) if rows else np.zeros((0, 5))

    def wait(self, qtbot, predicate):
        def check():
            self.pull()
            assert self.a and self.b and predicate(self.a[-1], self.b[-1])
        qtbot.waitUntil(check, timeout=TIMEOUT_MS)


@pytest.fixture
def compared(qtbot, small_mnist):
    settings = Settings(hidden=(16,), optimizer="sgd", lr=0.1, batch_size=32, seed=4)
    worker_a = TrainingWorker(small_mnist, settings)
    worker_a.start()
    comparison = Comparison(worker_a, small_mnist, settings, {"lr": 0.4})
    comparison.start(probes=small_mnist.x_test[:4])
    yield worker_a, comparison, Runs(worker_a, comparison)
    comparison.end(5000)
    assert not comparison.worker_b.isRunning()
    assert worker_a.stop(5000)


def test_both_runs_train_step_for_step_from_the_same_start(qtbot, compared):
    worker_a, comparison, runs = compared
    runs.wait(qtbot, lambda a, b: a.loop.run_id == 1 and b.step == 0)  # A was reset to step 0, B started there
    comparison.play()
    runs.wait(qtbot, lambda a, b: a.step >= 150 and b.step >= 150)
    comparison.pause()
    runs.wait(qtbot, lambda a, b: not a.loop.playing and not b.loop.playing
              and a.loop.applied_seq == worker_a.commands_sent
              and b.loop.applied_seq == comparison.worker_b.commands_sent)
    assert abs(runs.a[-1].step - runs.b[-1].step) <= comparison.slack
    rows_a, rows_b = runs.rows(runs.a, 1), runs.rows(runs.b, 0)
    # The learning rate acts only after the first forward pass: the same initial weights and the same
    # first batch give the very same first loss; afterwards the two learning rates part them.
    assert rows_a[0, 0] == rows_b[0, 0] == 1
    assert rows_a[0, 3] == pytest.approx(rows_b[0, 3], rel=1e-6)
    assert rows_a[5, 3] != pytest.approx(rows_b[5, 3], rel=1e-4)
    np.testing.assert_array_equal(runs.b[-1].params[0].shape, runs.a[-1].params[0].shape)
    assert runs.b[-1].probe_probs.shape == (4, 10)  # B got A's probes


def test_step_acts_on_both_and_end_frees_run_a(qtbot, compared):
    worker_a, comparison, runs = compared
    runs.wait(qtbot, lambda a, b: a.loop.run_id == 1)
    comparison.step_once(5)
    runs.wait(qtbot, lambda a, b: a.step == 5 and b.step == 5)
    assert comparison.snapshot_near(3) is not None
    comparison.end(5000)
    assert not comparison.active and comparison.take_snapshot() is None
    worker_a.play()
    runs.wait(qtbot, lambda a, b: a.step >= 5 + 10 * comparison.slack)  # no longer waits for B


def test_describing_the_difference():
    a = Settings(optimizer="sgd", hidden=(16,))
    b = a.replace(optimizer="adam")
    assert describe_difference(a, b) == "optimizer sgd vs adam"
    assert describe_difference(a, a.replace(hidden=(256,))) == "hidden 16 vs 256"
    assert describe_difference(a, a) == "same settings"
    assert (run_label(a, b), run_label(b, a)) == ("sgd", "adam")
    assert "initial weights cannot be the same" in comparison_notes(a, a.replace(hidden=(256,)))
    assert "same initial weights" in comparison_notes(a, b)
    assert lock_unit(a, b) == "steps" and lock_unit(a, a.replace(batch_size=64)) == "samples"


def test_a_comparison_must_change_something(small_mnist):
    worker = TrainingWorker(small_mnist, Settings(hidden=(8,)))
    with pytest.raises(ValueError, match="differ"):
        Comparison(worker, small_mnist, worker.settings, {"lr": worker.settings.lr})
    with pytest.raises(ValueError, match="hidden"):
        Comparison(worker, small_mnist, worker.settings, {"hidden": (0,)})
