"""The learning curves of a comparison's second run (run B) and the ghost of the previous run."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from mnist_viz.core.snapshot import LoopState, Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.curves import CurvesPanel


def _snapshots(data, settings, steps=60, every=10, run_id=0, change_at=None):
    """A real trainer's snapshots, one every ``every`` steps (an evaluation before each)."""
    trainer = Trainer(data, settings)
    snaps = []
    for step in range(steps):
        if change_at == step:
            trainer.update(lr=settings.lr * 2)
        trainer.step()
        if (step + 1) % every == 0:
            trainer.record_evaluation()
            snaps.append(dataclasses.replace(trainer.snapshot(health=False), loop=LoopState(run_id=run_id)))
    return trainer, snaps


def _independent_smooth(losses, batch, horizon):
    """Bias-corrected exponential average over ``horizon`` images, one row at a time."""
    alpha = 1 - math.exp(-batch / horizon)
    m = w = 0.0
    out = []
    for x in losses:
        m = (1 - alpha) * m + alpha * x
        w = (1 - alpha) * w + alpha
        out.append(m / w)
    return np.array(out)


def _points(curve) -> int:
    return 0 if curve.yData is None else len(curve.yData)


@pytest.fixture
def panel(shown):
    return shown(CurvesPanel(x_axis="epochs"))


def test_the_second_run_is_drawn_from_its_own_snapshots(panel, small_mnist):
    a_settings = Settings(hidden=(16,), optimizer="sgd", lr=0.1, batch_size=32, seed=1)
    b_settings = a_settings.replace(optimizer="adam", lr=0.001)
    trainer_b, snaps_b = _snapshots(small_mnist, b_settings, change_at=25)
    _, snaps_a = _snapshots(small_mnist, a_settings)
    panel.set_second_run("A: sgd", "B: adam", "optimizer sgd vs adam")
    for snap_a, snap_b in zip(snaps_a, snaps_b):
        panel.show_snapshot(snap_a)
        panel.show_second_snapshot(snap_b)
    trace = panel.second_trace()
    history = trainer_b.history.steps.array()
    np.testing.assert_allclose(trace.steps.column("loss"), history[:, 3])
    np.testing.assert_allclose(trace.steps.column("loss_smooth"),
                               _independent_smooth(history[:, 3], 32, panel.smoothing_samples), rtol=1e-9)
    np.testing.assert_allclose(panel.second_loss.yData, trace.steps.column("loss_smooth"))
    np.testing.assert_allclose(panel.second_accuracy_eval.yData, 100 * trainer_b.history.evals.column("eval_accuracy"))
    np.testing.assert_allclose(panel.second_loss.xData, history[:, 1])  # epochs
    assert panel.second_marker_count() == 1 and panel.marker_count() == 0
    text = panel.runs_key_text()
    assert "A: sgd" in text and "B: adam" in text and "optimizer sgd vs adam" in text
    # Run A's own curves are untouched by run B's.
    assert not np.allclose(panel.loss_smooth.yData, panel.second_loss.yData)


def test_the_second_run_starts_afresh_on_its_reset_and_goes_with_clear_second(panel, small_mnist):
    settings = Settings(hidden=(8,), seed=2)
    _, first = _snapshots(small_mnist, settings, steps=20)
    _, again = _snapshots(small_mnist, settings, steps=10, run_id=1)
    panel.set_second_run("A: 0.1", "B: 0.2")
    for snap in first:
        panel.show_second_snapshot(snap)
    assert len(panel.second_trace().steps) == 20
    for snap in again:
        panel.show_second_snapshot(snap)
    assert len(panel.second_trace().steps) == 10
    panel.clear_second()
    assert panel.second_trace() is None and _points(panel.second_loss) == 0 and panel.runs_key_text() == ""
    panel.show_second_snapshot(again[0])  # no second run: ignored
    assert panel.second_trace() is None


def test_the_ghost_keeps_the_previous_run_until_the_next_reset(panel, small_mnist):
    settings = Settings(hidden=(8,), seed=3)
    _, run1 = _snapshots(small_mnist, settings, steps=40)
    _, run2 = _snapshots(small_mnist, settings.replace(lr=0.01), steps=20, run_id=1)
    for snap in run1:
        panel.show_snapshot(snap)
    smooth1 = panel.steps.column("loss_smooth")
    assert panel.ghost() is None
    panel.clear()
    ghost = panel.ghost()
    assert ghost is not None and len(ghost.steps) == 40
    np.testing.assert_allclose(panel.ghost_loss.yData, smooth1)
    assert "previous run" in panel.runs_key_text()
    for snap in run2:
        panel.show_snapshot(snap)
    assert _points(panel.ghost_loss) == 40  # still the first run while the second trains
    panel.clear()  # the next Reset: the ghost is now run 2, run 1 is dropped
    assert len(panel.ghost().steps) == 20
    np.testing.assert_allclose(panel.ghost_loss.yData[:5], panel.ghost().steps[:5, 5])
    panel.clear()  # a run that never trained leaves the ghost as it was
    assert len(panel.ghost().steps) == 20


def test_the_ghost_hides_with_its_button_and_while_comparing(panel, small_mnist):
    _, run = _snapshots(small_mnist, Settings(hidden=(8,)), steps=20)
    for snap in run:
        panel.show_snapshot(snap)
    panel.clear()
    assert _points(panel.ghost_accuracy) > 0
    panel.set_ghost_visible(False)
    assert _points(panel.ghost_loss) == 0 and not panel._ghost_button.isChecked()
    assert panel.runs_key_text() == ""
    panel._ghost_button.setChecked(True)
    assert _points(panel.ghost_loss) == 20
    panel.set_second_run("A", "B")
    assert _points(panel.ghost_loss) == 0
    panel.clear_second()
    assert _points(panel.ghost_loss) == 20
    panel.set_x_axis("samples")  # redrawn in the new units
    np.testing.assert_allclose(panel.ghost_loss.xData, panel.ghost().steps[:, 2])


def test_a_diverged_second_run_does_not_break_the_panel(panel, small_mnist):
    _, snaps = _snapshots(small_mnist, Settings(hidden=(8,)), steps=10)
    bad = snaps[0]
    rows = np.array(bad.new_steps)
    rows[3:, 3] = np.nan
    panel.set_second_run("A", "B")
    panel.show_second_snapshot(dataclasses.replace(bad, new_steps=rows))
    assert len(panel.second_trace().steps) == 3 and np.isfinite(panel.second_loss.yData).all()
