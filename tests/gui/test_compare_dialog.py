"""The Compare… dialog and run B's side view."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.compare_dialog import CompareDialog, make_change, parse_value
from mnist_viz.gui.panels.compare_view import ComparisonView
from mnist_viz.gui.panels.probes import ProbesPanel


@pytest.mark.parametrize(("knob", "text", "value"), [
    ("optimizer", "adam", "adam"), ("lr", " 0.01 ", 0.01), ("hidden", "256", (256,)),
    ("hidden", "256, 128", (256, 128)), ("batch_size", "32", 32), ("activation", "tanh", "tanh")])
def test_values_are_read_as_the_setting_wants_them(knob, text, value):
    assert parse_value(knob, text) == value


@pytest.mark.parametrize(("knob", "text", "words"), [
    ("lr", "fast", "not a number"), ("optimizer", "lbfgs", "one of"), ("hidden", "0", "hidden sizes"),
    ("lr", "0.001", "current"), ("batch_size", "-3", "batch size")])
def test_a_bad_value_is_refused_in_plain_words(knob, text, words):
    with pytest.raises(ValueError, match=words):
        make_change(knob, text, Settings(lr=0.001))


def test_the_dialog_suggests_a_value_and_builds_the_change(qtbot):
    dialog = CompareDialog(Settings(optimizer="sgd", lr=0.1, hidden=(16,)))
    qtbot.addWidget(dialog)
    # The first knob, with a suggested other value and, checked by default, Adam's own learning rate:
    # Adam at SGD's 0.1 diverges.
    assert dialog.change() == {"optimizer": "adam", "lr": 0.001}
    assert "optimizer sgd vs adam, lr 0.1 vs 0.001" in dialog.problem.text() and dialog.ok.isEnabled()
    assert "0.001" in dialog.usual_lr.text() and not dialog.usual_lr.isHidden()
    dialog.usual_lr.setChecked(False)  # one knob only, the lecturer's choice
    assert dialog.change() == {"optimizer": "adam"} and "lr" not in dialog.problem.text()
    dialog.select("optimizer", "momentum")
    dialog.usual_lr.setChecked(True)
    assert dialog.change() == {"optimizer": "momentum", "lr": 0.05}
    dialog.select("hidden", "256")
    assert dialog.change() == {"hidden": (256,)} and "hidden 16 vs 256" in dialog.problem.text()
    assert dialog.usual_lr.isHidden()  # only for another optimizer
    dialog.select("lr", "a lot")
    assert dialog.change() == {} and not dialog.ok.isEnabled() and "not a number" in dialog.problem.text()


def test_the_side_view_paints_run_b_and_mirrors_run_a_probes(shown, small_mnist):
    view = shown(ComparisonView(small_mnist, min_paint_interval=0), 500, 600)
    source = ProbesPanel(small_mnist)
    shown.keep(source)
    source.set_probe_indices([5, 6, 7, 8, 9])
    source.pin_image(np.ones(784, np.float32), 3)
    sent = []
    view.probesChanged.connect(sent.append)
    view.mirror_probes(source)
    np.testing.assert_array_equal(view.probes.probe_images(), source.probe_images())
    assert sent and np.array_equal(sent[-1], source.probe_images())
    trainer = Trainer(small_mnist, Settings(hidden=(9,)))
    trainer.step()
    snap = trainer.snapshot(view.probes.probe_images(), health=False)
    view.set_run("B: adam", "optimizer sgd vs adam", "same initial weights")
    view.show_snapshot(snap)
    assert view.weights.n_units == 9 and view.weights.title_text().startswith("Run B — adam: ")
    view.show_snapshot(dataclasses.replace(snap, params=tuple(np.full_like(p, np.nan) for p in snap.params)))
    view.clear()


def test_the_side_view_paints_at_most_so_often_but_always_the_last(qtbot, shown, small_mnist):
    view = shown(ComparisonView(small_mnist, min_paint_interval=0.2), 500, 600)
    trainer = Trainer(small_mnist, Settings(hidden=(9,)))
    first = trainer.snapshot(health=False)
    trainer.step()
    second = trainer.snapshot(health=False)
    view.show_snapshot(first)
    view.show_snapshot(second)
    assert view.shown_snapshot() is first  # too soon: held back
    qtbot.waitUntil(lambda: view.shown_snapshot() is second, timeout=2000)
