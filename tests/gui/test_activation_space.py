"""ActivationSpacePanel: 2,000 test digits on the last hidden layer's principal plane, live."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from mnist_viz.core.analysis import snapshot_network
from mnist_viz.core.projection import ActivationProjector
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.activation_space import N_POINTS, PICK_RADIUS_PX, ActivationSpacePanel


def make_trainer(data, hidden=(32,)) -> Trainer:
    return Trainer(data, Settings(hidden=tuple(hidden), train_subset=2000))


def trained_snapshot(trainer: Trainer, steps: int = 30):
    for _ in range(steps):
        trainer.step()
    return trainer.snapshot()


def expected_coordinates(snap, x) -> np.ndarray:
    """A fresh projector's picture of the snapshot network's last hidden layer for ``x``."""
    hidden = snapshot_network(snap).forward(np.asarray(x, np.float32), keep=True)[1][-1]
    return ActivationProjector().project(hidden).coords


def isolated_point(panel: ActivationSpacePanel) -> int:
    """A point with no other within 3 pick radii on screen, so a click on it can only mean it."""
    pixels = np.array([[p.x(), p.y()] for p in (panel.view_point_of(i) for i in range(len(panel.coordinates())))])
    inside = (pixels > 20).all(axis=1) & (pixels < [panel._graphics.width() - 20, panel._graphics.height() - 20]).all(
        axis=1)
    gaps = np.hypot(*(pixels[:, None, :] - pixels[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(gaps, np.inf)
    candidates = np.flatnonzero(inside & (gaps.min(axis=1) > 3 * PICK_RADIUS_PX))
    assert len(candidates), "no isolated point to click"
    return int(candidates[0])


@pytest.fixture
def panel(shown, mnist):
    return shown(ActivationSpacePanel(mnist, min_interval=0), 900, 800)


def test_the_map_shows_2000_test_digits_by_class_on_the_last_layers_plane(panel, mnist, small_mnist):
    assert panel.point_count() == 0 and "Waiting" in panel.message()
    snap = trained_snapshot(make_trainer(small_mnist))
    panel.show_snapshot(snap)
    assert panel.point_count() == N_POINTS == 2000 and panel.message() == ""
    np.testing.assert_array_equal(panel.labels(), mnist.y_test[:N_POINTS])
    np.testing.assert_array_equal(panel.coordinates(), expected_coordinates(snap, mnist.x_test[:N_POINTS]))
    # Each digit's layer holds exactly that digit's points, at their places.
    for digit, scatter in enumerate(panel._scatters):
        members = np.flatnonzero(panel.labels() == digit)
        np.testing.assert_array_equal(scatter.data["x"], panel.coordinates()[members, 0])

    panel.show_snapshot(snap)  # the same network again: the very same picture (no flip)
    np.testing.assert_array_equal(panel.coordinates(), expected_coordinates(snap, mnist.x_test[:N_POINTS]))

    panel.clear()
    assert panel.point_count() == 0 and "Waiting" in panel.message()


def test_click_on_a_point_emits_its_index_and_hover_shows_it(qtbot, panel, small_mnist, mnist):
    panel.show_snapshot(trained_snapshot(make_trainer(small_mnist)))
    index = isolated_point(panel)
    where = panel.view_point_of(index)
    viewport = panel._graphics.viewport()

    qtbot.mouseMove(viewport, where + QtCore.QPoint(2, -1))
    qtbot.waitUntil(lambda: panel.inset_index() == index, timeout=1000)
    assert f"test #{index}: a {mnist.y_test[index]}" in panel._inset_caption.text()

    with qtbot.waitSignal(panel.pinIndexRequested, timeout=1000) as pinned:
        qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=where)
    assert pinned.args == [index]

    far = where + QtCore.QPoint(int(3 * PICK_RADIUS_PX), 0)  # nothing there: no pin
    with qtbot.assertNotEmitted(panel.pinIndexRequested, wait=50):
        qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.LeftButton, pos=far)


def test_a_slightly_trained_network_keeps_the_orientation(panel, small_mnist):
    trainer = make_trainer(small_mnist, (64,))
    panel.show_snapshot(trained_snapshot(trainer, 200))
    before = panel.coordinates()
    panel.show_snapshot(trained_snapshot(trainer, 1))  # one more step
    after = panel.coordinates()
    assert np.abs(after - before).max() < 0.1 < np.abs(before).max()


def test_resizes_deep_networks_divergence_and_throttling(qtbot, shown, small_mnist):
    panel = shown(ActivationSpacePanel(small_mnist, min_interval=0), 700, 600)
    trainer = make_trainer(small_mnist, (64,))
    for hidden in (64, 1, 37):  # a live resize starts the picture afresh
        if hidden != 64:
            trainer.update(hidden=(hidden,))
        snap = trained_snapshot(trainer, 2)
        panel.show_snapshot(snap)
        np.testing.assert_array_equal(panel.coordinates(), expected_coordinates(snap, small_mnist.x_test))
        assert panel.point_count() == len(small_mnist.x_test) == 500  # fewer test images than 2,000: all

    deep = trained_snapshot(make_trainer(small_mnist, (32, 12)), 5)
    panel.show_snapshot(deep)
    assert "hidden layer 2 of 2, 12 units" in panel._summary.text()

    kept = panel.coordinates()
    trainer.net.params[0][0, 0] = np.nan  # a NaN weight: the next step diverges
    trainer.step()
    broken = trainer.snapshot()
    assert broken.diverged
    panel.show_snapshot(broken)
    assert "diverged" in panel.message()
    np.testing.assert_array_equal(panel.coordinates(), kept)  # the last map that had numbers stays

    # The window's panel computes on its own thread, and at most every 0.33 s.
    slow = shown(ActivationSpacePanel(small_mnist, min_interval=0.33), 700, 600)
    first, second = trained_snapshot(make_trainer(small_mnist), 3), deep
    slow.show_snapshot(first)
    expected = expected_coordinates(first, small_mnist.x_test)
    qtbot.waitUntil(lambda: slow.coordinates().shape == expected.shape, timeout=5000)  # computed on its thread
    slow.show_snapshot(second)  # within the interval: held back
    np.testing.assert_array_equal(slow.coordinates(), expected)
    slow.flush()
    assert "12 units" in slow._summary.text()


def test_points_follow_the_theme(qtbot, panel):
    from mnist_viz.gui import style, themes
    try:
        themes.apply_named_theme("dark", root=panel)
        qtbot.waitUntil(lambda: panel._scatters[6].opts["brush"].color().name() == style.FOREGROUND.lower())
        assert style.FOREGROUND.lower() in panel._legend_label.text().lower()
    finally:
        themes.apply_named_theme("light", root=panel)
    qtbot.waitUntil(lambda: panel._scatters[6].opts["brush"].color().name() == "#000000")
