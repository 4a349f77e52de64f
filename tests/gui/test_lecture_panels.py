"""The lecture-tool panels (drawing pad, unit inspector, class templates, confusion matrix,
timeline), the export helpers and the presentation helpers, against real snapshots from a small
real Trainer (Qt offscreen)."""
from __future__ import annotations

import dataclasses
import os
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import qthrottled

from mnist_viz.core.analysis import cell_members, class_templates, confusion_matrix
from mnist_viz.core.files import FileWriteError
from mnist_viz.core.preprocess import BOX, center_of_mass, to_mnist
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.tiling import SIDE, dequantize
from mnist_viz.core.timeline import snapshot_nbytes
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui import style
from mnist_viz.gui.export import export_widget_png, export_widget_svg
from mnist_viz.gui.panels import timeline as timeline_panel
from mnist_viz.gui.panels.confusion import MAX_SHOWN, ConfusionPanel
from mnist_viz.gui.panels.drawing import CANVAS, EMPTY_MESSAGE, DrawingPanel
from mnist_viz.gui.panels.templates import FRAMED, GAP_X, LABEL_BAND, ClassTemplatesPanel
from mnist_viz.gui.panels.timeline import TimelinePanel
from mnist_viz.gui.panels.unit_inspector import UnitInspectorPanel
from mnist_viz.gui.panels.weights import WeightsPanel
from mnist_viz.gui.presentation import FocusStack, PanelFrame, ZoomController, apply_theme, scale_fonts

SEVEN = [(70, 62), (130, 58), (205, 60), (190, 95), (165, 140), (145, 185), (130, 228)]


# ---------------------------------------------------------------------------------------- helpers

def make_trainer(data, hidden=(16,)) -> Trainer:
    return Trainer(data, Settings(hidden=tuple(hidden), train_subset=2000))


from test_panels import diverged_snapshot, train_snapshot  # noqa: E402  (shared with the panel tests)


@pytest.fixture
def trained(small_mnist):
    """A 784-16-10 trainer after 40 steps and one evaluation with test-set predictions."""
    trainer = make_trainer(small_mnist)
    for _ in range(40):
        trainer.step()
    trainer.record_evaluation(test_predictions=True)
    return trainer


# ---------------------------------------------------------------------------------------- drawing

def test_drawing_a_stroke_gives_the_mnist_input_and_the_live_network_answer(qtbot, trained, shown):
    panel = shown(DrawingPanel())
    panel.show_snapshot(trained.snapshot())
    panel.draw_stroke(SEVEN)

    canvas = panel.pad.canvas_array()
    assert canvas.shape == (CANVAS, CANVAS)
    for x, y in SEVEN:  # ink under the pen, paper far from it
        assert canvas[y, x] == 1.0
    assert canvas[5, 5] == canvas[275, 275] == canvas[250, 20] == 0.0
    x = panel.network_input()
    assert x.shape == (784,) and x.dtype == np.float32
    np.testing.assert_array_equal(x, to_mnist(canvas))
    image = x.reshape(SIDE, SIDE)
    rows, cols = np.flatnonzero(image.max(axis=1) > 0.05), np.flatnonzero(image.max(axis=0) > 0.05)
    assert BOX - 1 <= max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= BOX + 2  # digit fills the 20-px box
    assert np.allclose(center_of_mass(image), (14.0, 14.0), atol=0.5)

    probs = panel.probabilities()
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(probs, trained.net.predict_proba(x[None, :])[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(panel.displayed_heights(), probs, atol=1e-6)
    np.testing.assert_allclose(panel.hidden_activations(), trained.net.hidden_activations(x[None, :])[0], atol=1e-5)
    assert panel.message().startswith(f"The network says {int(probs.argmax())}")

    # The answer follows training: a later snapshot's parameters give the later network's answer.
    later = train_snapshot(trained, 60)
    panel.show_snapshot(later)
    np.testing.assert_allclose(panel.probabilities(), trained.net.predict_proba(x[None, :])[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(panel.probabilities(), probs)


def _mouse(widget, kind, pos: QtCore.QPointF, buttons):
    event = QtGui.QMouseEvent(kind, pos, widget.mapToGlobal(pos), QtCore.Qt.MouseButton.LeftButton, buttons,
                              QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(widget, event)


def test_mouse_strokes_paint_exactly_like_draw_stroke(qtbot, shown):
    by_mouse, by_call = shown(DrawingPanel(), 900, 620), shown.keep(DrawingPanel())
    pad = by_mouse.pad
    assert pad.width() != CANVAS  # the pad is scaled: the mapping is exercised
    left = QtCore.Qt.MouseButton.LeftButton
    points = [pad.canvas_to_widget(QtCore.QPointF(*p)) for p in SEVEN]
    _mouse(pad, QtCore.QEvent.Type.MouseButtonPress, points[0], left)
    for p in points[1:]:
        _mouse(pad, QtCore.QEvent.Type.MouseMove, p, left)
    _mouse(pad, QtCore.QEvent.Type.MouseButtonRelease, points[-1], QtCore.Qt.MouseButton.NoButton)
    _mouse(pad, QtCore.QEvent.Type.MouseMove, points[0], QtCore.Qt.MouseButton.NoButton)  # hover: no ink
    by_call.draw_stroke(SEVEN)
    a, b = by_mouse.pad.canvas_array(), by_call.pad.canvas_array()
    assert np.abs(a - b).max() <= 1 / 255 + 1e-6 and a.sum() > 0
    np.testing.assert_allclose(by_mouse.network_input(), by_call.network_input(), atol=2e-2)

    by_mouse.clear()  # a pen on a tablet draws the same stroke
    for kind, p, buttons in [(QtCore.QEvent.Type.TabletPress, points[0], left),
                             *[(QtCore.QEvent.Type.TabletMove, p, left) for p in points[1:]],
                             (QtCore.QEvent.Type.TabletRelease, points[-1], QtCore.Qt.MouseButton.NoButton)]:
        _tablet(pad, kind, p, buttons)
    assert np.abs(by_mouse.pad.canvas_array() - b).max() <= 1 / 255 + 1e-6


_PEN: list = []  # one stylus for the whole session (Qt remembers the input devices it has seen)


def _tablet(widget, kind, pos: QtCore.QPointF, buttons):
    if not _PEN:
        caps = QtGui.QInputDevice.Capability.Position | QtGui.QInputDevice.Capability.Pressure
        _PEN.append(QtGui.QPointingDevice("test pen", 4242, QtGui.QInputDevice.DeviceType.Stylus,
                                          QtGui.QPointingDevice.PointerType.Pen, caps, 1, 3))
    event = QtGui.QTabletEvent(kind, _PEN[0], pos, widget.mapToGlobal(pos), 0.8, 0, 0, 0, 0, 0,
                               QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.MouseButton.LeftButton, buttons)
    QtWidgets.QApplication.sendEvent(widget, event)
    assert event.isAccepted()  # accepted: Qt must not also synthesize mouse events from it


def test_empty_drawing_shows_the_message_and_cannot_be_pinned(qtbot, trained, shown):
    panel = shown(DrawingPanel())
    panel.show_snapshot(trained.snapshot())
    assert panel.message() == EMPTY_MESSAGE
    assert panel.network_input() is None and panel.probabilities() is None
    assert not panel.pin_button.isEnabled()
    assert not panel.displayed_heights().any()
    with qtbot.assertNotEmitted(panel.pinRequested):
        panel.pin_button.click()

    panel.draw_stroke([(140, 40), (140, 240)])  # a "1"
    assert panel.pin_button.isEnabled()
    with qtbot.waitSignal(panel.pinRequested, timeout=1000) as blocker:
        panel.pin_button.click()
    pinned = blocker.args[0]
    assert pinned.shape == (784,) and pinned.dtype == np.float32
    np.testing.assert_array_equal(pinned, panel.network_input())

    panel.clear_button.click()
    assert panel.message() == EMPTY_MESSAGE and panel.network_input() is None
    assert not panel.pin_button.isEnabled() and panel.pad.canvas_array().max() == 0


def test_drawing_before_any_network_and_after_divergence(qtbot, trained, shown):
    panel = shown(DrawingPanel())
    panel.draw_stroke(SEVEN)
    assert panel.probabilities() is None and "Start" in panel.message()
    panel.show_snapshot(diverged_snapshot(trained))
    assert panel.probabilities() is None and "not finite" in panel.message()
    assert panel.network_input() is not None and panel.pin_button.isEnabled()


# ---------------------------------------------------------------------------------------- unit inspector

def test_unit_inspector_shows_the_chosen_unit_exactly(qtbot, trained, shown):
    panel = shown(UnitInspectorPanel())
    probe_x = np.array(trained.data.x_test[:8], np.float32)
    snap = trained.snapshot(probe_x)
    panel.set_unit(5)
    panel.set_probe_index(2)
    panel.show_snapshot(snap)
    np.testing.assert_array_equal(panel.weights_image(), snap.W1[:, 5].reshape(SIDE, SIDE))
    np.testing.assert_array_equal(panel._image.image, snap.W1[:, 5].reshape(SIDE, SIDE))
    np.testing.assert_array_equal(panel.outgoing_weights(), snap.W_out[5])
    np.testing.assert_allclose(panel._votes.opts["height"], snap.W_out[5])
    assert panel.probe_activation() == pytest.approx(float(snap.probe_hidden[2, 5]))
    assert panel.message().startswith("Hidden unit 5 of 16")
    # Same colour scale as the weight mosaic, so the enlarged unit matches its tile.
    mosaic = shown.keep(WeightsPanel())
    mosaic.show_snapshot(snap)
    assert panel.level == pytest.approx(mosaic.level)
    assert tuple(panel._image.levels) == pytest.approx((-panel.level, panel.level))

    panel.set_unit(9)
    np.testing.assert_array_equal(panel.weights_image(), snap.W1[:, 9].reshape(SIDE, SIDE))
    panel.set_probe_index(99)  # no such probe: no number rather than a wrong one
    assert panel.probe_activation() is None


def test_unit_inspector_ablate_emits_and_follows_the_snapshot_mask(qtbot, trained, shown):
    panel = shown(UnitInspectorPanel())
    panel.set_unit(5)
    panel.show_snapshot(trained.snapshot())
    before = trained.history.evals.column("eval_accuracy")[-1]
    assert not panel.ablate_button.isChecked()

    with qtbot.waitSignal(panel.ablateRequested, timeout=1000) as blocker:
        panel.ablate_button.click()
    assert blocker.args == [5, False]
    # The command is in flight: a snapshot that still has the unit on must not flip the button back.
    panel.show_snapshot(trained.snapshot())
    assert panel.ablate_button.isChecked()

    trained.set_unit_enabled(5, False)
    trained.record_evaluation()
    snap = trained.snapshot()
    panel.show_snapshot(snap)
    assert panel.ablate_button.isChecked() and "switched off" in panel.message()
    assert f"{snap.last_eval_accuracy:.1%}" in panel._accuracy.text()
    assert f"was {before:.1%}" in panel._accuracy_before_label.text()

    with qtbot.waitSignal(panel.ablateRequested, timeout=1000) as blocker:
        panel.ablate_button.click()
    assert blocker.args == [5, True]

    # A unit switched off elsewhere (e.g. restored weights) is shown as off when selected.
    trained.set_unit_enabled(3, False)
    with qtbot.assertNotEmitted(panel.ablateRequested):
        panel.set_unit(3)
        panel.show_snapshot(trained.snapshot())
    assert panel.ablate_button.isChecked()


def test_unit_inspector_survives_shrink_divergence_and_deep_networks(qtbot, small_mnist, shown):
    panel = shown(UnitInspectorPanel())
    trainer = make_trainer(small_mnist, (16,))
    panel.set_unit(12)
    panel.show_snapshot(train_snapshot(trainer))
    assert panel.weights_image() is not None
    trainer.update(hidden=(8,))
    panel.show_snapshot(train_snapshot(trainer))
    assert "no longer exists" in panel.message() and "8 units" in panel.message()
    assert panel.weights_image() is None and not panel.ablate_button.isEnabled()
    trainer.update(hidden=(1,))
    panel.set_unit(0)
    panel.show_snapshot(train_snapshot(trainer))
    assert panel.weights_image().shape == (SIDE, SIDE)
    panel.show_snapshot(diverged_snapshot(trainer))
    assert panel.weights_image() is not None and np.isfinite(panel._image.image).all()

    deep = make_trainer(small_mnist, (16, 8))
    panel.show_snapshot(train_snapshot(deep))
    assert panel.outgoing_weights() is None and panel.weights_image() is not None
    panel.clear()
    assert "waiting" in panel.message()


# ---------------------------------------------------------------------------------------- templates

def template_tiles(panel: ClassTemplatesPanel) -> np.ndarray:
    """``(10, 28, 28)`` templates read back from the displayed colour indices."""
    _rows, cols = panel.grid
    image = panel.image()
    tiles = []
    for d in range(10):
        r, c = divmod(d, cols)
        y, x = r * (FRAMED + LABEL_BAND) + 1, c * (FRAMED + GAP_X) + 1
        tiles.append(dequantize(image[y: y + SIDE, x: x + SIDE], panel.levels[d]))
    return np.stack(tiles)


def test_templates_equal_class_templates(qtbot, trained, shown):
    panel = shown(ClassTemplatesPanel(min_interval=0))
    snap = trained.snapshot()
    panel.show_snapshot(snap)
    expected = class_templates(snap.W1, snap.W_out)
    np.testing.assert_array_equal(panel.templates(), expected)
    levels = np.array(panel.levels)[:, None, None]  # (10, 1, 1): each template on its own scale
    error = np.abs(template_tiles(panel) - np.clip(expected, -levels, levels))
    assert (error <= levels / style.HALF_RANGE / 2 + 1e-6).all()
    assert len(panel._labels) == 10 and [item.text() for item in panel._labels] == [str(d) for d in range(10)]


def _with_output_weights(snap, w_out):
    return dataclasses.replace(snap, params=(*snap.params[:-2], w_out.astype(np.float32), snap.params[-1]))


def test_one_strong_template_does_not_blank_the_others(qtbot, trained, shown):
    """After a blow-up one digit's votes can be 1000x the others'; with one shared colour scale the
    other nine templates went white. Each has its own scale: every template keeps its contrast."""
    panel = shown(ClassTemplatesPanel(min_interval=0))
    snap = trained.snapshot()
    w_out = np.array(snap.W_out)
    w_out[:, 3] *= 1000.0
    panel.show_snapshot(_with_output_weights(snap, w_out))
    tiles = template_tiles(panel)  # (10, 28, 28)
    levels = np.array(panel.levels)
    for d in range(10):
        strong = np.abs(tiles[d]) >= 0.5 * levels[d]
        assert strong.mean() > 0.01, f"template {d} has almost no colour"
    assert levels[3] > 100 * np.median(levels)


def test_unit_votes_fit_and_an_outlier_unit_does_not_flatten_the_others(qtbot, trained, shown):
    panel = shown(UnitInspectorPanel())
    snap = trained.snapshot()
    w_out = np.array(snap.W_out)
    w_out[0, 0] = 20.0  # one weight blown up
    panel.set_unit(5)
    panel.show_snapshot(_with_output_weights(snap, w_out))
    _low, high = panel._vote_plot.viewRange()[1]
    own = float(np.abs(w_out[5]).max())
    assert high >= own and high < 5 * max(own, float(np.percentile(np.abs(w_out), 99)))
    assert high < 20.0
    panel.set_unit(0)
    panel.show_snapshot(_with_output_weights(snap, w_out))
    assert panel._vote_plot.viewRange()[1][1] >= 20.0  # the outlier's own bars still fit


def test_the_drawing_tab_has_one_heading_and_pins_with_the_networks_answer(qtbot, trained, shown):
    panel = shown(DrawingPanel())
    panel.show_snapshot(trained.snapshot())
    headings = [label for label in panel.findChildren(QtWidgets.QLabel) if label.font().bold()
                and label.font().pointSize() >= style.TITLE_PT and label.isVisible()]
    assert len(headings) == 1 and headings[0].text() == EMPTY_MESSAGE
    assert panel.answer() is None
    panel.draw_stroke(SEVEN)
    assert panel.answer() == int(np.argmax(panel.probabilities()))
    assert headings[0].text().startswith(f"The network says {panel.answer()}")


def test_templates_need_a_single_hidden_layer(qtbot, small_mnist, shown):
    panel = shown(ClassTemplatesPanel(min_interval=0))
    panel.show_snapshot(train_snapshot(make_trainer(small_mnist, (16, 8))))
    assert "single hidden layer" in panel.message() and panel.templates() is None and panel.image() is None
    trainer = make_trainer(small_mnist, (16,))
    panel.show_snapshot(train_snapshot(trainer))
    assert panel.templates() is not None
    panel.show_snapshot(diverged_snapshot(trainer))
    assert "stopped" in panel.message() and panel.image() is not None


def test_templates_are_throttled_but_the_last_snapshot_is_shown(qtbot, trained, shown):
    panel = shown(ClassTemplatesPanel(min_interval=0.2))
    first = trained.snapshot()
    panel.show_snapshot(first)
    second = train_snapshot(trained, 5)
    panel.show_snapshot(second)
    np.testing.assert_array_equal(panel.templates(), class_templates(first.W1, first.W_out))  # held back
    expected = class_templates(second.W1, second.W_out)
    qtbot.waitUntil(lambda: np.array_equal(panel.templates(), expected), timeout=2000)


def test_panel_throttling_runs_at_most_once_per_interval_and_the_latest_value_wins(qtbot):
    """The throttling the drawing, templates and confusion panels use (superqt's ``qthrottled``,
    leading edge): a call after a quiet interval runs at once; within the interval only the latest
    value is kept and delivered when it ends; ``cancel`` drops it, ``flush`` delivers it now."""
    calls = []
    throttled = qthrottled(calls.append, timeout=150)
    for k in range(50):
        throttled(k)
    assert calls == [0]
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=1000)
    assert calls == [0, 49]  # the latest value wins
    qtbot.wait(250)
    assert calls == [0, 49]
    throttled(50)  # quiet for a whole interval: at once
    throttled(51)
    throttled.cancel()  # a panel's clear(): the held-back value is dropped
    qtbot.wait(250)
    assert calls == [0, 49, 50]
    throttled(52)
    throttled(53)
    throttled.flush()  # ClassTemplatesPanel.flush(): the held-back value now
    assert calls == [0, 49, 50, 52, 53]


# ---------------------------------------------------------------------------------------- confusion

def test_confusion_counts_and_cell_listing(qtbot, trained, small_mnist, shown):
    panel = shown(ConfusionPanel(small_mnist), 1200, 700)
    snap = trained.snapshot()
    assert snap.test_pred is not None and snap.test_pred.shape == (500,)
    panel.show_snapshot(snap)
    expected = confusion_matrix(small_mnist.y_test, snap.test_pred)
    np.testing.assert_array_equal(panel.matrix(), expected)
    assert [panel.cell_text(t, p) for t in range(10) for p in range(10)] == [str(n) for n in expected.ravel()]

    off = expected.copy()
    np.fill_diagonal(off, 0)
    t, p = np.unravel_index(int(off.argmax()), off.shape)
    panel.select_cell(t, p)
    members = cell_members(small_mnist.y_test, snap.test_pred, t, p)
    assert len(members) > 0
    np.testing.assert_array_equal(panel.shown_indices(), members[:MAX_SHOWN])
    assert panel.cell_member_count() == len(members) and f"{len(members)} image" in panel.gallery_title()
    x = small_mnist.x_test[panel.shown_indices()]
    probs = panel.gallery_probabilities()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(probs, trained.net.predict_proba(x), rtol=1e-5, atol=1e-6)

    # No new predictions: keep the last matrix. Predictions for another test set: ignored.
    later = train_snapshot(trained, 5)
    assert later.test_pred is None
    panel.show_snapshot(later)
    np.testing.assert_array_equal(panel.matrix(), expected)
    panel.show_snapshot(dataclasses.replace(later, test_pred=np.zeros(7, np.uint8)))
    np.testing.assert_array_equal(panel.matrix(), expected)

    panel.select_cell(t, t)  # the diagonal lists the correctly classified
    members = cell_members(small_mnist.y_test, snap.test_pred, t, t)
    np.testing.assert_array_equal(panel.shown_indices(), members[:MAX_SHOWN])
    assert "correctly" in panel.gallery_title()


def test_confusion_click_selects_a_cell_and_pin_emits_the_image(qtbot, trained, small_mnist, shown):
    panel = shown(ConfusionPanel(small_mnist), 1200, 700)
    snap = trained.snapshot()
    panel.show_snapshot(snap)
    view = panel._graphics
    widget_point = view.mapFromScene(panel._plot.vb.mapViewToScene(QtCore.QPointF(2.5, 7.5)))  # column 2, row 7
    with qtbot.waitSignal(panel.cellSelected, timeout=1000) as blocker:
        qtbot.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=widget_point)
    assert blocker.args == [7, 2] and panel.selected_cell() == (7, 2)
    members = cell_members(small_mnist.y_test, snap.test_pred, 7, 2)
    np.testing.assert_array_equal(panel.shown_indices(), members[:MAX_SHOWN])

    panel.select_cell(7, 7)
    card = panel.cards()[1]
    with qtbot.waitSignal(panel.pinRequested, timeout=1000) as image_signal, \
            qtbot.waitSignal(panel.pinIndexRequested, timeout=1000) as index_signal:
        card.pin_button.click()
    assert index_signal.args == [card.index] and card.index == panel.shown_indices()[1]
    np.testing.assert_array_equal(image_signal.args[0], small_mnist.x_test[card.index])
    assert image_signal.args[0].dtype == np.float32

    panel.clear()
    assert panel.matrix() is None and len(panel.shown_indices()) == 0
    with pytest.raises(ValueError):
        panel.select_cell(10, 0)


# ---------------------------------------------------------------------------------------- timeline

def test_timeline_position_line_is_rewritten_at_a_readable_rate_and_ends_on_the_latest(qtbot, small_mnist, shown):
    panel = shown(TimelinePanel(max_items=8), 800, 160)
    trainer = make_trainer(small_mnist)
    now = [100.0]
    panel.clock = lambda: now[0]

    def playing(snap, on=True):
        return dataclasses.replace(snap, loop=dataclasses.replace(snap.loop, playing=on))
    first, second, third, fourth = (playing(train_snapshot(trainer, 1)) for _ in range(4))
    panel.offer(first)
    assert f"step {first.step}" in panel.position_text()  # at once: nothing was shown before
    now[0] += 0.8 * timeline_panel.POSITION_INTERVAL
    panel.offer(second)
    assert f"step {first.step}" in panel.position_text()  # within the interval: the step it said
    assert panel.memory_text().startswith("history: 1 snapshot,")  # what the record holds: at that pace too
    assert panel.slider.maximum() == 0  # and the slider's range (its handle stays at the end, live)
    now[0] += 0.3 * timeline_panel.POSITION_INTERVAL
    panel.offer(third)
    assert f"step {third.step}" in panel.position_text()  # the interval is over: the newest
    assert panel.memory_text().startswith("history: 3 snapshots") and panel.slider.maximum() == 2
    panel.scrub_to(0)  # looking back, the kept list shifts under the handle: synced on every snapshot
    panel.offer(fourth)
    assert panel.slider.maximum() == 3 and panel.slider.value() == 0
    panel.go_live()
    fifth = train_snapshot(trainer, 1)
    panel.offer(playing(fifth, on=False))
    assert f"step {fifth.step}" in panel.position_text()  # paused: the last step at once


def test_timeline_stays_bounded_and_scrubbing_emits_the_kept_snapshot(qtbot, small_mnist, shown):
    panel = shown(TimelinePanel(max_items=8), 800, 160)
    trainer = make_trainer(small_mnist)
    for _ in range(120):
        panel.offer(train_snapshot(trainer, 1))
    timeline = panel.timeline
    assert 2 <= len(timeline) <= 8
    assert timeline.nbytes == sum(snapshot_nbytes(timeline[i]) for i in range(len(timeline)))
    # The whole run, first to (nearly) last: the newest kept is at most one spacing behind.
    assert timeline[0].step == 1 and timeline[len(timeline) - 1].step > 120 - timeline.spacing
    assert panel.memory_text() == f"history: {len(timeline)} snapshots, {timeline.nbytes / 1e6:.0f} MB"
    assert panel.slider.maximum() == len(timeline) - 1 and panel.slider.value() == len(timeline) - 1

    with qtbot.waitSignal(panel.scrubbed, timeout=1000) as blocker:
        panel.slider.setValue(2)
    past = blocker.args[0]
    assert past.step == timeline[2].step and past.W1 is timeline[2].W1 and past.params is timeline[2].params
    assert len(past.new_steps) == 0 and len(past.new_evals) == 0 and past.new_markers == ()
    assert not panel.is_live and f"step {past.step}" in panel.position_text()
    assert not panel.live_button.isChecked()

    # Live snapshots keep arriving while the room looks back: the slider stays on that moment.
    chosen = panel.selected_snapshot()
    for _ in range(40):
        panel.offer(train_snapshot(trainer, 1))
    assert len(panel.timeline) <= 8 and not panel.is_live
    assert panel.timeline.steps()[panel.slider.value()] == panel.timeline.nearest(chosen.step).step
    assert panel.offer(past) is False  # a replayed snapshot handed back is not recorded

    with qtbot.waitSignal(panel.scrubbed, timeout=1000) as blocker:
        panel.live_button.click()
    assert blocker.args == [None] and panel.is_live and "LIVE" in panel.position_text()

    panel.scrub_to(0)
    trainer.reset()  # a new run: the old history is gone and the view returns to live
    with qtbot.waitSignal(panel.scrubbed, timeout=1000) as blocker:
        panel.offer(train_snapshot(trainer, 1))
    assert blocker.args == [None] and len(panel.timeline) == 1


def test_timeline_byte_bound(qtbot, small_mnist, shown, monkeypatch):
    trims = []
    monkeypatch.setattr(timeline_panel, "return_free_heap", lambda: trims.append(1) or True)
    trainer = make_trainer(small_mnist, (64,))
    one = snapshot_nbytes(train_snapshot(trainer, 1))
    panel = shown.keep(TimelinePanel(max_items=1000, max_bytes=5 * one))
    for _ in range(60):
        panel.offer(train_snapshot(trainer, 1))
        assert panel.timeline.nbytes <= 5 * one + one // 10  # probes/deltas vary a little per snapshot
    assert len(panel.timeline) >= 2
    # Each thinning freed half the record: the heap was asked to give that memory back, once each.
    assert panel.timeline.thinnings >= 2 and len(trims) == panel.timeline.thinnings


# ---------------------------------------------------------------------------------------- every panel

def test_lecture_panels_survive_hidden_size_changes_divergence_and_reset(qtbot, small_mnist, shown):
    drawing, inspector = shown(DrawingPanel()), shown(UnitInspectorPanel())
    templates, confusion = shown(ClassTemplatesPanel(min_interval=0)), shown(ConfusionPanel(small_mnist))
    timeline = shown(TimelinePanel(), 600, 150)
    drawing.draw_stroke(SEVEN)
    inspector.set_unit(0)
    confusion.select_cell(3, 5)
    probe_x = np.array(small_mnist.x_test[:8], np.float32)
    trainer = make_trainer(small_mnist, (512,))
    snaps = []
    for hidden in (512, 1, 37):
        if hidden != 512:
            trainer.update(hidden=(hidden,))
        train_snapshot(trainer, 2)
        trainer.record_evaluation(test_predictions=True)
        snaps.append(trainer.snapshot(probe_x))
    snaps.append(diverged_snapshot(trainer, probe_x))
    for snap in snaps:
        for panel in (drawing, inspector, templates, confusion):
            panel.show_snapshot(snap)
        timeline.offer(snap)
        qtbot.wait(1)
        if not snap.diverged:
            assert drawing.hidden_activations().shape == (snap.W1.shape[1],)
            np.testing.assert_array_equal(inspector.weights_image(), snap.W1[:, 0].reshape(SIDE, SIDE))
            np.testing.assert_array_equal(templates.templates(), class_templates(snap.W1, snap.W_out))
            np.testing.assert_array_equal(confusion.matrix(), confusion_matrix(small_mnist.y_test, snap.test_pred))
    assert drawing.probabilities() is None and confusion.matrix() is not None
    for panel in (drawing, inspector, templates, confusion, timeline):
        panel.clear()
    assert drawing.network_input() is None and templates.templates() is None and confusion.matrix() is None
    assert len(timeline.timeline) == 0


# ---------------------------------------------------------------------------------------- export

def _leftovers(folder) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


def test_export_writes_valid_png_and_svg(qtbot, trained, tmp_path, shown):
    panel = shown(ClassTemplatesPanel(min_interval=0), 640, 420)
    panel.show_snapshot(trained.snapshot())
    png = export_widget_png(panel, tmp_path / "templates.png", scale=1.0)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QtGui.QImage(str(png))
    assert not image.isNull() and (image.width(), image.height()) == (640, 420)
    big = QtGui.QImage(str(export_widget_png(panel, tmp_path / "templates_2x.png", scale=2.0)))
    assert (big.width(), big.height()) == (1280, 840)
    root = ET.parse(export_widget_svg(panel, tmp_path / "templates.svg")).getroot()
    assert root.tag.rsplit("}", 1)[-1] == "svg"

    plot = shown(pg.PlotWidget(), 400, 300)  # a bare pyqtgraph view: pyqtgraph's exporters
    plot.plot([0, 1, 4, 9], pen=pg.mkPen(style.BLUE, width=3))
    image = QtGui.QImage(str(export_widget_png(plot, tmp_path / "plot.png")))
    assert (image.width(), image.height()) == (800, 600)  # twice the screen size by default
    assert ET.parse(export_widget_svg(plot, tmp_path / "plot.svg")).getroot().tag.rsplit("}", 1)[-1] == "svg"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("where", ["/proc/mnist_viz_export.png", "missing_folder/x.png"])
def test_export_to_an_unwritable_place_names_the_path(qtbot, tmp_path, where, shown):
    widget = shown(QtWidgets.QLabel("hello"), 200, 100)
    path = where if where.startswith("/") else tmp_path / where
    for export in (export_widget_png, export_widget_svg):
        with pytest.raises(FileWriteError) as info:
            export(widget, path)
        assert str(path) in str(info.value)
    assert not os.path.exists(path)


# ---------------------------------------------------------------------------------------- presentation

def _styled_plot_panel() -> QtWidgets.QWidget:
    root = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(root)
    root.title = style.title_label("Title")  # explicit 18 pt
    root.plain = QtWidgets.QLabel("inherits")  # inherits the root's font
    root.plot = pg.PlotWidget()
    style.style_plot(root.plot.getPlotItem(), left="loss", bottom="step")
    root.plot.setTitle("curves", size="16pt")
    root.curve = root.plot.plot([1, 2, 3], pen=pg.mkPen(style.BLUE, width=2))
    for w in (root.title, root.plain, root.plot):
        layout.addWidget(w)
    return root


def test_scale_fonts_scales_qt_and_pyqtgraph_text_once(qtbot, shown):
    root = shown.keep(_styled_plot_panel())
    plain_before = root.plain.font().pointSizeF()
    axis = root.plot.getAxis("left")
    scale_fonts(root, 1.5)
    assert root.title.font().pointSizeF() == pytest.approx(style.TITLE_PT * 1.5)
    assert root.plain.font().pointSizeF() == pytest.approx(plain_before * 1.5)  # not 1.5 * 1.5
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(style.TICK_PT * 1.5)
    assert axis.labelStyle["font-size"] == f"{style.LABEL_PT * 1.5:.3g}pt"
    assert root.plot.getPlotItem().titleLabel.opts["size"] == "24pt"
    assert root.curve.opts["pen"].widthF() == pytest.approx(3.0)

    zoom = ZoomController(root)
    zoom.zoom_in()
    assert root.title.font().pointSizeF() == pytest.approx(style.TITLE_PT * 1.5 * 1.15)
    zoom.reset()
    assert root.title.font().pointSizeF() == pytest.approx(style.TITLE_PT * 1.5)
    for _ in range(30):
        zoom.zoom_in()
    assert zoom.factor == pytest.approx(3.0)


def test_double_click_enlarges_a_panel_and_escape_restores_it(qtbot, shown):
    panels = [_styled_plot_panel(), _styled_plot_panel()]
    panels[1].button = QtWidgets.QPushButton("press", panels[1])
    panels[1].layout().addWidget(panels[1].button)
    frames = [PanelFrame(p) for p in panels]
    normal = QtWidgets.QWidget()
    row = QtWidgets.QHBoxLayout(normal)
    for f in frames:
        row.addWidget(f)
    stack = shown(FocusStack(normal), 900, 500)
    for f in frames:
        stack.add_frame(f)

    qtbot.mouseDClick(panels[0].plain, QtCore.Qt.MouseButton.LeftButton)
    assert stack.enlarged is frames[0] and stack.currentIndex() == 1
    assert panels[0].isVisible() and panels[0].parent() is not frames[0]
    qtbot.mouseDClick(panels[0].plot.viewport(), QtCore.Qt.MouseButton.LeftButton)  # again: back
    assert stack.enlarged is None and stack.currentIndex() == 0 and panels[0].parent() is frames[0]

    qtbot.mouseDClick(panels[1].button, QtCore.Qt.MouseButton.LeftButton)  # a button keeps its clicks
    assert stack.enlarged is None
    qtbot.mouseDClick(panels[1].title, QtCore.Qt.MouseButton.LeftButton)
    assert stack.enlarged is frames[1]
    qtbot.keyClick(panels[1].title, QtCore.Qt.Key.Key_Escape)
    assert stack.enlarged is None and panels[1].parent() is frames[1]


def test_projector_theme(qtbot, shown):
    root = shown.keep(_styled_plot_panel())
    app = QtWidgets.QApplication.instance()
    old_palette, old_style = QtGui.QPalette(app.palette()), app.style().name()
    old_pg = {k: pg.getConfigOption(k) for k in ("background", "foreground", "antialias")}
    try:
        apply_theme(app, root)
        palette = app.palette()
        assert palette.color(QtGui.QPalette.ColorRole.Window) == QtGui.QColor(style.BACKGROUND)
        assert palette.color(QtGui.QPalette.ColorRole.WindowText) == QtGui.QColor(style.FOREGROUND)
        assert palette.color(QtGui.QPalette.ColorRole.Highlight) == QtGui.QColor(style.BLUE)
        assert pg.getConfigOption("background") == style.BACKGROUND
        assert root.plot.backgroundBrush().color() == QtGui.QColor(style.BACKGROUND)
    finally:
        app.setStyle(old_style)
        app.setPalette(old_palette)
        pg.setConfigOptions(**old_pg)
