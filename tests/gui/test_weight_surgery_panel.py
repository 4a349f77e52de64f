"""WeightSurgeryPanel: its requests, its answers, and the round trip through a training loop and
through the worker's process."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore

from mnist_viz.core import surgery
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.base import Panel
from mnist_viz.gui.panels.weight_surgery import KEPT, NOTHING_YET, WeightSurgeryPanel, result_line
from mnist_viz.gui.worker import TrainingWorker
from mnist_viz.runtime.loop import TrainingLoop
from mnist_viz.runtime.protocol import (
    AlterWeights,
    CommandFailed,
    Envelope,
    Pause,
    Play,
    RestoreWeights,
    SnapshotReady,
    WeightsAltered,
)


@pytest.fixture
def panel(shown):
    return shown(WeightSurgeryPanel(), 900, 500)


def test_apply_and_restore_emit_the_sliders_values(panel, qtbot):
    assert isinstance(panel, Panel)
    panel.noise.setValue(0.5)
    panel.prune.setValue(0.8)
    with qtbot.waitSignal(panel.alterRequested) as blocker:
        qtbot.mouseClick(panel.apply_button, QtCore.Qt.MouseButton.LeftButton)
    assert blocker.args == [pytest.approx(0.5), pytest.approx(0.8)]
    assert not panel.restore_button.isEnabled()  # nothing altered yet
    panel.show_result(0.978, 0.912, 0.5, 0.8)
    assert panel.result.text() == "test accuracy 97.8% → 91.2% (noise 0.5×std, 80% pruned)"
    assert panel.restore_button.isEnabled()
    with qtbot.waitSignal(panel.restoreRequested):
        qtbot.mouseClick(panel.restore_button, QtCore.Qt.MouseButton.LeftButton)
    panel.show_result(0.978, 0.978, 0.0, 0.0, restored=True)
    assert "97.8%" in panel.result.text() and not panel.restore_button.isEnabled()
    panel.show_refusal(CommandFailed(command="save session", reason="disk full"))
    assert "disk full" not in panel.status.text()  # another command's refusal is not the panel's
    panel.show_refusal(CommandFailed(command="alter weights", reason="prune fraction must be in [0, 1), got nan"))
    assert "nan" in panel.status.text()
    panel.clear()
    assert panel.result.text() == NOTHING_YET


def test_the_sliders_span_the_offered_ranges_and_the_text_is_large(panel):
    assert (panel.noise.minimum(), panel.noise.maximum()) == (0.0, 2.0)
    assert (panel.prune.minimum(), panel.prune.maximum()) == (0.0, surgery.MAX_PRUNE)
    assert panel.result.font().pointSizeF() >= 18 and panel.apply_button.font().pointSizeF() >= 15


def _loop_with_panel(data, panel):
    """A trained in-process loop whose answers reach the panel the way the window wires them."""
    sent: list = []
    loop = TrainingLoop(Trainer(data, Settings(hidden=(32,), optimizer="adam", lr=0.003, batch_size=50, seed=1)),
                        sent.append, lambda: True, snapshot_interval=0.0)
    loop.trainer.train(iterations=30)
    seq = iter(range(1, 1000))

    def run(command):
        loop.receive(Envelope(next(seq), command))
        loop.tick()
        for event in sent:
            if isinstance(event, WeightsAltered):
                panel.show_answer(event)
            elif isinstance(event, CommandFailed):
                panel.show_refusal(event)
        events = list(sent)
        sent.clear()
        return events

    panel.alterRequested.connect(lambda noise, prune: run(AlterWeights(noise, prune)))
    panel.restoreRequested.connect(lambda: run(RestoreWeights()))
    return loop, run


def test_the_round_trip_shows_the_loops_numbers_and_restore_brings_the_weights_back(panel, small_mnist):
    loop, _ = _loop_with_panel(small_mnist, panel)
    tr = loop.trainer
    intact = [p.copy() for p in tr.net.params]
    before = tr.evaluate("test")[1]
    panel.noise.setValue(1.0)
    panel.prune.setValue(0.9)
    panel.apply_button.click()
    after = tr.evaluate("test")[1]
    assert panel.result.text() == result_line(before, after, 1.0, 0.9)
    assert surgery.weight_zero_fraction(tr.net.params) == pytest.approx(0.9, abs=0.001)
    panel.restore_button.click()
    for a, b in zip(tr.net.params, intact):
        np.testing.assert_array_equal(a, b)
    assert not panel.restore_button.isEnabled()


def test_training_on_from_altered_weights_disables_restore(panel, small_mnist):
    _, run = _loop_with_panel(small_mnist, panel)
    panel.noise.setValue(0.5)
    panel.apply_button.click()
    snaps = [e.snapshot for e in run(Pause()) if isinstance(e, SnapshotReady)]
    panel.show_snapshot(snaps[-1])  # the altered weights themselves: Restore stays
    assert panel.restore_button.isEnabled()
    snaps = [e.snapshot for e in run(Play()) if isinstance(e, SnapshotReady)]
    assert any(m.label.startswith("weights altered") for m in snaps[-1].new_markers)
    panel.show_snapshot(snaps[-1])
    assert not panel.restore_button.isEnabled() and panel.status.text() == KEPT


def test_a_hidden_tab_that_missed_the_marker_still_sees_training_went_on(panel, small_mnist):
    loop, _ = _loop_with_panel(small_mnist, panel)
    panel.apply_button.click()
    snap = loop.trainer.snapshot()
    panel.show_snapshot(snap)
    assert panel.restore_button.isEnabled()
    panel.show_snapshot(dataclasses.replace(snap, step=snap.step + 5, new_markers=()))
    assert not panel.restore_button.isEnabled()


def test_the_worker_carries_alter_and_restore_to_its_process(qtbot, small_mnist):
    worker = TrainingWorker(small_mnist, Settings(hidden=(16,), batch_size=64))
    answers, failures = [], []
    worker.weightsAltered.connect(answers.append)
    worker.commandFailed.connect(failures.append)
    worker.start()
    try:
        worker.step_once(20)
        seq = worker.alter_weights(0.5, 0.5, seed=2)
        qtbot.waitUntil(lambda: len(answers) == 1, timeout=20_000)
        assert answers[0].reply_to == seq and answers[0].zero_fraction == pytest.approx(0.5, abs=0.001)
        bad = worker.alter_weights(float("nan"), 0.0)
        qtbot.waitUntil(lambda: len(failures) == 1, timeout=10_000)
        assert failures[0].reply_to == bad and "nan" in failures[0].reason
        worker.restore_weights()
        qtbot.waitUntil(lambda: len(answers) == 2, timeout=10_000)
        assert answers[1].restored and answers[1].accuracy_after == answers[0].accuracy_before
    finally:
        assert worker.stop(5000)


def test_a_refused_value_reaches_the_panel_by_name(panel, small_mnist):
    _, run = _loop_with_panel(small_mnist, panel)
    run(AlterWeights(noise=float("nan")))
    assert "nan" in panel.status.text() and not panel.restore_button.isEnabled()
