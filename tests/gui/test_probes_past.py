"""Probes a room can read (sizes measured in pixels on a grab) and the past is the past (a moment
shown from the timeline never shows answers for probes added after it; a loaded session's timeline
says what it holds of the run)."""
import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from mnist_viz.core.snapshot import STEP_COLUMNS, LoopState, Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.probes import ADDED_LATER, ANSWERED, PENDING, ProbesPanel
from mnist_viz.gui.panels.timeline import TimelinePanel

# The probe panel's size in the default 1600 x 1000 window (measured on a grab of the window: the
# tab in the lower-left quarter; 622 x 419 before the controls column changed); maximized at
# 1920 x 1080 it gets about 782 x 445, i.e. more.
DEFAULT_PANEL_SIZE = (632, 382)


@pytest.fixture(scope="module")
def trainer(small_mnist):
    trainer = Trainer(small_mnist, Settings(hidden=(16,), train_subset=2000))
    for _ in range(30):
        trainer.step()
    return trainer


def moment(trainer, probe_x, applied_seq, steps=2):
    """A snapshot as the training loop sends it: made for ``probe_x`` after command ``applied_seq``."""
    for _ in range(steps):
        trainer.step()
    return dataclasses.replace(trainer.snapshot(probe_x), loop=LoopState(applied_seq=applied_seq))


def ink_rows(image: QtGui.QImage, rect: QtCore.QRect) -> list[tuple[int, int]]:
    """``(top, height)`` of each run of rows inside ``rect`` holding ink (a channel below 160 of 255:
    black, grey, blue and orange text alike; the white background and light-grey frames are not)."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    a = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    a = a[:, :image.width() * 3].reshape(image.height(), image.width(), 3)
    box = a[rect.top():rect.bottom() + 1, rect.left():rect.right() + 1]
    rows = np.flatnonzero((box.min(axis=2) < 160).any(axis=1))
    runs, start = [], None
    for i, r in enumerate(rows):
        start = r if start is None else start
        if i == len(rows) - 1 or rows[i + 1] != r + 1:
            runs.append((rect.top() + int(start), int(r - start + 1)))
            start = None
    return runs


def panel_rect(panel, graphics_widget, item) -> QtCore.QRect:
    """Where ``item`` (in ``graphics_widget``'s scene) is laid out, in ``panel``'s pixels (its own
    rectangle: an axis's bounding rectangle also covers the grid lines it draws over the plot)."""
    own = item.rect() if hasattr(item, "rect") else item.boundingRect()
    scene_rect = item.mapRectToScene(own)
    top_left = graphics_widget.mapTo(panel, graphics_widget.mapFromScene(scene_rect.topLeft()))
    bottom_right = graphics_widget.mapTo(panel, graphics_widget.mapFromScene(scene_rect.bottomRight()))
    return QtCore.QRect(top_left, bottom_right)


# ---------------------------------------------------------------------------------------- legible

def test_class_digits_answers_and_bars_are_large_enough_for_the_back_row(qtbot, shown, mnist, trainer, tmp_path):
    panel = shown(ProbesPanel(mnist), *DEFAULT_PANEL_SIZE)
    panel.show_snapshot(trainer.snapshot(panel.probe_images()))
    qtbot.wait(10)  # the new heading re-lays out the large view
    grab = panel.grab().toImage()
    grab.save(str(tmp_path / "probes.png"))  # to look at when this fails
    assert grab.width() == DEFAULT_PANEL_SIZE[0]

    # The selected probe's class digits 0-9: the lowest run of ink under the bars (above it are the
    # axis line and its ticks).
    axis = panel._detail_bars_plot.getAxis("bottom")
    axis_rect = panel_rect(panel, panel._detail, axis)
    *_, (_, digit_height) = ink_rows(grab, axis_rect)
    assert digit_height >= 14

    # 100 % is a bar tall enough to tell 30 % from 60 % across the room.
    view = panel._detail_bars_plot.getViewBox()
    zero, one = (view.mapViewToScene(QtCore.QPointF(0, y)).y() for y in (0.0, 1.0))
    assert zero - one >= 60

    # Each small probe's answer digit and confidence: at least as tall as the class digits must be.
    for item in (panel._answers[1], panel._confidences[1]):
        runs = ink_rows(grab, panel_rect(panel, panel._strip, item))
        assert max(height for _, height in runs) >= 14, item.text()


# ---------------------------------------------------------------------------------------- the past

@pytest.fixture
def pinned(shown, mnist, trainer):
    """A panel with 10 probes sent as command 1, a moment of that time, then a drawing pinned
    (sent as command 2) and a live moment with 11 answers."""
    panel = shown(ProbesPanel(mnist), *DEFAULT_PANEL_SIZE)
    panel.note_probes_sent(1)
    before = moment(trainer, panel.probe_images(), applied_seq=1)
    panel.show_snapshot(before)
    drawing = np.array(mnist.x_test[-1], np.float32)
    panel.pin_image(drawing, 3)
    panel.note_probes_sent(2)
    live = moment(trainer, panel.probe_images(), applied_seq=2)
    panel.show_snapshot(live)
    assert panel.probe_states() == [ANSWERED] * 11
    return panel, before, live


def test_a_probe_pinned_after_a_moment_shows_no_data_for_that_moment(pinned):
    panel, before, live = pinned
    panel.show_snapshot(before)  # scrubbed back with the timeline
    assert panel.probe_states() == [ANSWERED] * 10 + [ADDED_LATER]
    assert panel.answer_texts()[-1] == "no data (added later)"
    heights = panel.displayed_heights()
    np.testing.assert_allclose(heights[:10], before.probe_probs, atol=1e-6)  # that moment's answers
    assert not heights[10].any()
    assert panel._images[10].opacity() < 0.5 and panel._images[0].opacity() == 1.0
    panel.show_snapshot(live)  # back to live: the drawing has its answer again
    np.testing.assert_allclose(panel.displayed_heights(), live.probe_probs, atol=1e-6)


def test_the_large_view_of_a_probe_added_later_shows_no_data_either(pinned):
    panel, before, _ = pinned
    assert panel.selected == 10  # pinning selects the drawing
    panel.show_snapshot(before)
    assert panel.detail_title() == f"true 3 → no data for step {before.step:,}: added to the probes later"
    assert not np.asarray(panel._detail_bars.opts["height"]).any()
    assert len(panel._hidden_bars.opts["height"]) == 0
    panel.set_selected(2)  # a probe that existed then: that moment's answer, bars and activations
    predicted = int(before.probe_probs[2].argmax())
    assert panel.detail_title().startswith(f"true 2 → network says {predicted}, {before.probe_probs[2, predicted]:.0%}")
    np.testing.assert_allclose(panel._detail_bars.opts["height"], before.probe_probs[2], atol=1e-6)
    np.testing.assert_allclose(panel._hidden_bars.opts["height"], before.probe_hidden[2], atol=1e-6)


def test_pinning_while_looking_back_keeps_that_moments_answers(shown, mnist, trainer):
    panel = shown(ProbesPanel(mnist), *DEFAULT_PANEL_SIZE)
    panel.note_probes_sent(1)
    past = moment(trainer, panel.probe_images(), applied_seq=1)
    panel.show_snapshot(past)
    panel.show_snapshot(moment(trainer, panel.probe_images(), applied_seq=1))  # the live run goes on
    panel.show_snapshot(past)  # looking back
    panel.pin_index(int(np.flatnonzero(mnist.y_test == 4)[-1]))  # a mistake from the Errors tab, say
    panel.note_probes_sent(2)
    assert panel.probe_states() == [ANSWERED] * 10 + [ADDED_LATER]
    np.testing.assert_allclose(panel.displayed_heights()[:10], past.probe_probs, atol=1e-6)


def test_a_snapshot_still_on_its_way_for_the_old_probes_keeps_their_answers_and_waits_for_the_new(pinned, trainer):
    panel = pinned[0]
    panel.shuffle()  # all new digits, sent as command 3; the next snapshot is for the old set
    panel.note_probes_sent(3)
    old_set = moment(trainer, live_images := panel._x[panel._probe_sets[-2].indices], applied_seq=2)
    assert old_set.probe_probs.shape[0] == len(live_images)
    panel.show_snapshot(old_set)
    kept = np.isin(panel.probe_indices(), panel._probe_sets[-2].indices)
    states = np.array(panel.probe_states())
    assert (states[~kept] == PENDING).all() and (states[kept] == ANSWERED).all()


# ---------------------------------------------------------------------------------------- loaded session

def test_a_loaded_sessions_timeline_spans_its_whole_run(shown, trainer):
    panel = shown(TimelinePanel(), 900, 120)
    N = 1200
    rows = np.zeros((N + 1, len(STEP_COLUMNS)))
    rows[:, 0] = np.arange(N + 1)
    loaded = dataclasses.replace(trainer.snapshot(), step=N, new_steps=rows)  # its curves' whole history
    panel.offer(loaded)
    assert panel.run_range() == (0, N)
    assert panel.kept_range() == (N, N)
    assert panel.extent_text() == f"loaded session: weights saved for step {N:,} only (curves: steps 0–{N:,})"
    assert panel._extent.isVisible() and not panel._memory.isVisible() and not panel.slider.isEnabled()
    later = dataclasses.replace(trainer.snapshot(), step=N + 50, new_steps=rows[:0])
    panel.offer(later)
    assert panel.run_range() == (0, N + 50)
    assert panel.extent_text() == f"weights kept from step {N:,} (curves: steps 0–{N + 50:,})"

    panel.clear()  # a new run from step 0 has its weights from its start: nothing to explain
    panel.offer(dataclasses.replace(trainer.snapshot(), step=0, new_steps=rows[:0]))
    assert panel.run_range() == (0, 0) and panel.extent_text() == "" and not panel._extent.isVisible()
    assert panel._memory.isVisible()
