"""The display panels against real snapshots from a small real Trainer (Qt offscreen)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.snapshot import Settings
from mnist_viz.core.tiling import SIDE, dequantize, mosaic_shape
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui import style
from mnist_viz.gui.panels.controls import ControlsPanel
from mnist_viz.gui.panels.curves import (
    MIN_TICK_SPACING_PX,
    CurvesPanel,
    decimate_for_display,
    exponential_moving_average,
    log_ticks,
)
from mnist_viz.gui.panels.output_weights import OutputWeightsPanel
from mnist_viz.gui.panels.probes import ProbesPanel
from mnist_viz.gui.panels.samples import SampleGridPanel
from mnist_viz.gui.panels.weights import WeightsPanel

PITCH = SIDE + 1


# ---------------------------------------------------------------------------------------- helpers

def make_trainer(data, hidden=16) -> Trainer:
    return Trainer(data, Settings(hidden=(hidden,), train_subset=2000))


def train_snapshot(trainer: Trainer, steps: int = 3, probe_x=None):
    for _ in range(steps):
        trainer.step()
    return trainer.snapshot(probe_x)


def diverged_snapshot(trainer: Trainer, probe_x=None):
    """A real diverged snapshot: a NaN weight makes the next step's loss NaN."""
    trainer.net.params[0][0, 0] = np.nan
    result = trainer.step()
    assert result.diverged
    snap = trainer.snapshot(probe_x)
    assert snap.diverged and np.isnan(snap.probe_probs).all() and np.isnan(snap.W1).any()
    return snap


# ---------------------------------------------------------------------------------------- weights

@pytest.fixture
def weights_panel(shown):
    return shown(WeightsPanel(), 900, 600)


def decoded_tiles(panel: WeightsPanel, n: int) -> np.ndarray:
    """``(784, n)`` weights read back from the panel's image."""
    _rows, cols = panel.layout_shape
    image = panel.image()
    tiles = []
    for u in range(n):
        r, c = divmod(u, cols)
        tiles.append(image[r * PITCH: r * PITCH + SIDE, c * PITCH: c * PITCH + SIDE].reshape(-1))
    return dequantize(np.stack(tiles, axis=1), panel.level)


@pytest.mark.parametrize("hidden", [1, 8, 128, 512])
def test_weights_mosaic_shows_each_unit_weights_in_its_tile(weights_panel, small_mnist, hidden):
    snap = train_snapshot(make_trainer(small_mnist, hidden))
    weights_panel.show_snapshot(snap)
    rows, cols = weights_panel.layout_shape
    assert rows * cols >= hidden > (rows - 1) * cols
    image = weights_panel.image()
    assert image.shape == mosaic_shape(rows, cols)
    level = weights_panel.level
    clipped = np.clip(snap.W1, -level, level)
    assert np.abs(decoded_tiles(weights_panel, hidden) - clipped).max() <= level / style.HALF_RANGE / 2 + 1e-6
    if cols > 1:
        assert (image[:SIDE, SIDE] == style.SEPARATOR_INDEX).all()  # the 1-px gap after tile 0


def test_weights_level_is_a_robust_scale_of_w1(weights_panel, small_mnist):
    snap = train_snapshot(make_trainer(small_mnist, 128))
    weights_panel.show_snapshot(snap)
    saturated = np.mean(np.abs(snap.W1) >= weights_panel.level)
    assert 0.001 < saturated < 0.05  # neither faded (nothing reaches full colour) nor saturated


def test_weights_ablated_unit_is_dimmed_and_crossed(weights_panel, small_mnist):
    trainer = make_trainer(small_mnist, 8)
    trainer.net.unit_mask[0][3] = 0
    weights_panel.show_snapshot(train_snapshot(trainer))
    _rows, cols = weights_panel.layout_shape
    r, c = divmod(3, cols)
    tile = weights_panel.image()[r * PITCH: r * PITCH + SIDE, c * PITCH: c * PITCH + SIDE]
    assert (np.diag(tile) == style.MARK_INDEX).all() and (np.diag(tile[:, ::-1]) == style.MARK_INDEX).all()
    rest = tile[tile != style.MARK_INDEX]
    assert (rest >= style.DIM_BASE).all() and (rest < style.EMPTY_INDEX).all()
    r, c = divmod(2, cols)
    live = weights_panel.image()[r * PITCH: r * PITCH + SIDE, c * PITCH: c * PITCH + SIDE]
    assert (live >= style.NORMAL_BASE).all() and (live < style.DIM_BASE).all()


def test_weights_click_on_a_tile_emits_its_unit(weights_panel, small_mnist, qtbot):
    weights_panel.show_snapshot(train_snapshot(make_trainer(small_mnist, 8)))
    _rows, cols = weights_panel.layout_shape
    r, c = divmod(5, cols)
    image_point = QtCore.QPointF(c * PITCH + SIDE / 2, r * PITCH + SIDE / 2)
    scene_point = weights_panel._image.mapToScene(image_point)
    widget_point = weights_panel._graphics.mapFromScene(scene_point)
    with qtbot.waitSignal(weights_panel.unitClicked, timeout=1000) as blocker:
        qtbot.mouseClick(weights_panel._graphics.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=widget_point)
    assert blocker.args == [5]
    assert weights_panel.unit_at(QtCore.QPointF(c * PITCH + SIDE + 0.5, r * PITCH + 3)) is None  # separator
    assert weights_panel.unit_at(QtCore.QPointF(-1, 3)) is None


def test_weights_relayout_on_resize_keeps_every_tile(weights_panel, small_mnist, qtbot):
    snap = train_snapshot(make_trainer(small_mnist, 128))
    weights_panel.show_snapshot(snap)
    wide = weights_panel.layout_shape
    weights_panel.resize(400, 900)
    qtbot.waitUntil(lambda: weights_panel.layout_shape != wide, timeout=2000)
    rows, cols = weights_panel.layout_shape
    assert rows > wide[0] and weights_panel.image().shape == mosaic_shape(rows, cols)
    level = weights_panel.level
    assert np.abs(decoded_tiles(weights_panel, 128) - np.clip(snap.W1, -level, level)).max() <= level / 60


# ---------------------------------------------------------------------------------------- curves

@pytest.fixture
def curves(shown):
    return shown(CurvesPanel(), 700, 600)


def n_points(curve) -> int:
    return 0 if curve.xData is None else len(curve.xData)


def count_lines(plot) -> int:
    return sum(isinstance(item, pg.InfiniteLine) for item in plot.items)


def test_an_indexed_image_is_drawn_in_the_colours_pyqtgraph_would_draw(qtbot):
    lut = style.diverging_lut_indexed()
    # Odd sizes, and a view into a larger buffer as the mosaic is: its rows are further apart than its width.
    image = np.random.default_rng(0).integers(0, 256, (40, 60), dtype=np.uint8)[:37, :53]
    ours, theirs = style.IndexedImageItem(), pg.ImageItem(axisOrder="row-major")
    for item in (ours, theirs):
        item.setLookupTable(lut)
        item.setImage(image, autoLevels=False)
        item.render()
    assert ours.qimage.format() == QtGui.QImage.Format.Format_RGB32  # drawn as is: no conversion per paint
    assert theirs.qimage.format() == QtGui.QImage.Format.Format_Indexed8
    want = theirs.qimage.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    assert (ours.qimage.width(), ours.qimage.height()) == (53, 37) == (want.width(), want.height())
    for y in range(37):
        for x in range(53):
            assert ours.qimage.pixel(x, y) == want.pixel(x, y), (x, y)
    # Anything but a uint8 image with a 256-colour table is pyqtgraph's to draw, as before.
    grey = style.IndexedImageItem()
    grey.setImage(np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4), levels=(0.0, 1.0))
    grey.render()
    assert grey.qimage is not None and grey.qimage.format() != QtGui.QImage.Format.Format_RGB32


def test_ema_matches_the_recurrence():
    x = np.random.default_rng(1).random(1000)
    ref, prev = [], 0.7
    for v in x:
        prev = 0.97 * prev + 0.03 * v
        ref.append(prev)
    np.testing.assert_allclose(exponential_moving_average(x, 0.03, 0.7), ref, rtol=1e-10)
    assert exponential_moving_average(x[:5], 0.03)[0] == x[0]  # no history: start at the first value


@pytest.mark.parametrize("low, high, px_per_decade", [(-1.5, 0.5, 300), (-1.0, 0.4, 120), (-3, 1, 60), (0, 35, 9)])
def test_log_ticks_cover_the_range_without_crowding(low, high, px_per_decade):
    major, _minor = log_ticks(low, high, px_per_decade)
    positions = np.array([p for p, _ in major])
    visible = positions[(positions >= low) & (positions <= high)]
    assert len(visible) >= 2  # something to read the scale from
    assert np.diff(positions).min() * px_per_decade >= MIN_TICK_SPACING_PX
    assert all(float(label) == pytest.approx(10 ** p) for p, label in major)


def test_curves_accumulate_every_step_of_every_snapshot(curves, small_mnist):
    trainer = make_trainer(small_mnist)
    total = 0
    for k in (1, 7, 0, 30):  # 0: a snapshot with empty deltas
        snap = train_snapshot(trainer, k)
        assert len(snap.new_steps) == k
        total += k
        curves.show_snapshot(snap)
    assert len(curves.steps) == total == curves.steps.total
    x, y = curves.loss_raw.xData, curves.loss_raw.yData
    assert len(x) == len(curves.loss_smooth.xData) == len(curves.accuracy_smooth.xData) == total
    np.testing.assert_allclose(y, trainer.history.steps.column("loss"))
    np.testing.assert_allclose(x, trainer.history.steps.column("epoch"))


def test_curves_skip_rows_that_are_not_finite(curves, small_mnist):
    snap = train_snapshot(make_trainer(small_mnist), 4)
    steps = np.array(snap.new_steps)
    steps[1, 3] = np.inf
    evals = np.array([[1, 0.1, 128, np.nan, 0.5, 0.5], [2, 0.2, 256, 1.0, 0.6, 0.6]])
    curves.show_snapshot(dataclasses.replace(snap, new_steps=steps, new_evals=evals))
    assert n_points(curves.loss_raw) == 3 and n_points(curves.loss_eval) == 1
    assert np.isfinite(curves.loss_smooth.yData).all()


def test_curves_set_data_at_most_once_per_snapshot(curves, small_mnist, monkeypatch):
    calls = []
    for cls in (pg.PlotDataItem, pg.PlotCurveItem):
        def counting_set_data(self, *args, original=cls.setData, **kwargs):
            if not isinstance(self.parentItem(), pg.PlotDataItem):  # not a PlotDataItem's own curve
                calls.append(self)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "setData", counting_set_data)
    trainer = make_trainer(small_mnist)
    trainer.step()
    trainer.record_evaluation()
    curves.show_snapshot(train_snapshot(trainer, 5))
    # 3 step curves (a settled part and a live tail each, see LiveCurve) + 2 evaluation curves
    assert len(calls) == len(set(map(id, calls))) == 8
    calls.clear()
    curves.show_snapshot(trainer.snapshot())  # nothing new: nothing redrawn
    assert calls == []


def test_curves_evaluations_and_markers(curves, small_mnist):
    trainer = make_trainer(small_mnist)
    train_snapshot(trainer, 2)
    trainer.record_evaluation()
    trainer.update(lr=0.01)
    trainer.add_marker("hello")
    snap = train_snapshot(trainer, 2)
    assert len(snap.new_markers) == 2 and len(snap.new_evals) == 1
    curves.show_snapshot(snap)
    assert curves.marker_count() == 2
    assert count_lines(curves.loss_plot) == count_lines(curves.accuracy_plot) == 2
    assert len(curves.loss_eval.xData) == 1
    assert curves.accuracy_eval.yData[0] == pytest.approx(100 * snap.new_evals[0, 4])


def test_curves_keep_only_the_newest_markers(curves, small_mnist):
    trainer = make_trainer(small_mnist)
    for i in range(CurvesPanel.MAX_MARKERS + 7):
        trainer.add_marker(f"m{i}")
    curves.show_snapshot(train_snapshot(trainer, 1))
    assert curves.marker_count() == count_lines(curves.loss_plot) == CurvesPanel.MAX_MARKERS
    labels = curves.marker_labels()
    assert "m6" not in labels and "m7" in labels


def test_after_a_restore_the_loss_axis_and_the_smoothing_leave_the_blow_up_behind(curves, small_mnist, qtbot):
    tr = Trainer(small_mnist, Settings(hidden=(32,), optimizer="adam", lr=3e-3))
    tr.train(iterations=200)
    curves.show_snapshot(tr.snapshot())
    healthy_top = curves.loss_data_top()  # log10 of the loss axis' top (below any marker labels)
    tr.update(optimizer="sgd", lr=1e4)
    with np.errstate(all="ignore"):
        while not tr.trouble:
            tr.step()
    curves.show_snapshot(tr.snapshot())
    qtbot.wait(1)
    assert curves.loss_data_top() > healthy_top + 2  # the blow-up is the news now
    tr.restore_last_good()
    tr.update(optimizer="adam", lr=1e-3)
    tr.train(iterations=50)
    curves.show_snapshot(tr.snapshot())
    qtbot.wait(1)
    assert curves.loss_data_top() < healthy_top + 0.3  # back to what is worth seeing
    smooth = curves.steps.column("loss_smooth")
    assert smooth[-50] < 10 and smooth[-1] < 1.0  # starts again from the restored run, not from the blow-up
    assert curves.steps.column("loss").max() > 1e3  # the blow-up is still drawn (clipped at the top)


def test_curves_switch_x_axis_to_samples(curves, small_mnist, qtbot):
    trainer = make_trainer(small_mnist)
    trainer.add_marker("m")
    curves.show_snapshot(train_snapshot(trainer, 4))
    with qtbot.waitSignal(curves.xAxisChanged) as blocker:
        curves.set_x_axis("samples")
    assert blocker.args == ["samples"]
    np.testing.assert_array_equal(curves.loss_raw.xData, trainer.history.steps.column("samples"))
    line = next(item for item in curves.loss_plot.items if isinstance(item, pg.InfiniteLine))
    assert line.value() == 0  # the marker was made before any sample was seen
    with pytest.raises(ValueError):
        curves.set_x_axis("minutes")


def test_curves_clear_forgets_everything(curves, small_mnist):
    trainer = make_trainer(small_mnist)
    trainer.add_marker("m")
    curves.show_snapshot(train_snapshot(trainer, 4))
    curves.clear()
    assert len(curves.steps) == 0 and curves.marker_count() == 0 and count_lines(curves.loss_plot) == 0
    assert n_points(curves.loss_raw) == n_points(curves.accuracy_eval) == 0
    curves.show_snapshot(train_snapshot(trainer, 2))  # and it starts again
    assert n_points(curves.loss_raw) == 2


def fake_steps(start: int, k: int) -> np.ndarray:
    """``(k, 5)`` step rows (step, epoch, samples, loss, accuracy) as a snapshot carries them."""
    step = np.arange(start, start + k, dtype=np.float64)
    loss = 2.3 * np.exp(-step / 3000) + 0.05 + 0.1 * np.random.default_rng(start).random(k)
    return np.column_stack([step, step * 128 / 60000, step * 128, loss, 1 - loss / 2.5])


def test_decimate_for_display_keeps_envelope_ends_and_short_series():
    x = np.arange(10_001, dtype=np.float64)
    y = np.sin(x / 50) + (x == 5003) * 7.0  # one spike
    short = decimate_for_display(x[:100], y[:100], 200)
    np.testing.assert_array_equal(short[0], x[:100])  # what fits is drawn as it is
    for peaks in (False, True):
        xs, ys = decimate_for_display(x, y, 1000, peaks=peaks)
        assert len(xs) == len(ys) <= 1002
        assert np.all(np.diff(xs) >= 0) and xs[0] == 0 and xs[-1] == x[-1] and ys[-1] == y[-1]
    xs, ys = decimate_for_display(x, y, 1000, peaks=True)
    assert ys.max() == y.max() and ys.min() == y.min()  # the spike and the troughs survive


def test_curves_x_range_holds_all_data_and_points_stay_bounded(curves, qtbot):
    """Thousands of snapshots: the x range (stepped, not auto-ranged) always contains every point,
    changes only now and then, and the painter gets ~2 points per pixel, not the whole buffer."""
    empty_evals = np.empty((0, 6))
    ranges = set()
    start = 0
    for i in range(600):
        k = 40
        evals = np.array([[start, start * 128 / 60000, start * 128, 0.5, 0.9, 0.9]]) if i % 10 == 0 else empty_evals
        snap = dataclasses.replace(_bare_snapshot(), new_steps=fake_steps(start, k), new_evals=evals)
        start += k
        curves.show_snapshot(snap)
        low, high = curves.loss_plot.getViewBox().viewRange()[0]
        newest = curves.steps.column("epoch")[-1]
        assert low <= 0 and newest <= high <= 2.0 * newest + 1
        ranges.add(round(high, 9))
    assert len(ranges) < 20  # stepped to round values, not moved every frame
    assert curves.accuracy_plot.getViewBox().viewRange()[0] == pytest.approx([low, high])
    width = curves.loss_plot.getViewBox().width()
    for curve in (curves.loss_raw, curves.loss_smooth, curves.accuracy_smooth):
        assert n_points(curve) <= CurvesPanel.POINTS_PER_PX * max(width, 800) + 2
        assert curve.xData[-1] == curves.steps.column("epoch")[-1]  # the line reaches the newest point
    assert curves.loss_raw.yData.max() == pytest.approx(curves.steps.column("loss").max())


def _bare_snapshot():
    """A Snapshot with only the curve deltas set (what CurvesPanel reads)."""
    from mnist_viz.core.snapshot import Snapshot
    fields = {f.name: None for f in dataclasses.fields(Snapshot)}
    fields.update(new_steps=np.empty((0, 5)), new_evals=np.empty((0, 6)), new_markers=[])
    return Snapshot(**fields)


# ---------------------------------------------------------------------------------------- probes

@pytest.fixture
def probes(shown, mnist):
    return shown(ProbesPanel(mnist), 1200, 600)


def test_probes_default_to_one_of_each_digit(probes, mnist):
    assert probes.count == 10
    np.testing.assert_array_equal(probes.probe_labels(), np.arange(10))
    images = probes.probe_images()
    assert images.shape == (10, 784) and images.dtype == np.float32
    np.testing.assert_array_equal(images, mnist.x_test[probes.probe_indices()])


def test_probes_show_the_snapshot_probabilities(probes, small_mnist):
    trainer = make_trainer(small_mnist)
    snap = train_snapshot(trainer, 30, probes.probe_images())
    probes.show_snapshot(snap)
    np.testing.assert_allclose(probes.displayed_heights(), snap.probe_probs, atol=1e-6)
    predicted = snap.probe_probs.argmax(axis=1)
    for k, text in enumerate(probes.answer_texts()):
        glyph = style.CORRECT_GLYPH if predicted[k] == k else style.WRONG_GLYPH
        assert text == f"{glyph} {predicted[k]} {snap.probe_probs[k, predicted[k]]:.0%}"
    # The large view: one bar per hidden unit for the selected probe, all inside the axis range.
    bars = probes._hidden_bars.opts
    np.testing.assert_allclose(bars["height"], snap.probe_hidden[probes.selected])
    np.testing.assert_array_equal(bars["x"], np.arange(snap.probe_hidden.shape[1]))
    (x0, x1), (_, top) = probes._hidden_plot.viewRange()
    assert x0 <= -0.5 and x1 >= snap.probe_hidden.shape[1] - 0.5 and top >= snap.probe_hidden.max()


def test_probes_ignore_a_snapshot_for_other_probes(probes, small_mnist, qtbot):
    trainer = make_trainer(small_mnist)
    snap10 = train_snapshot(trainer, 5, probes.probe_images())
    probes.show_snapshot(snap10)
    before = probes.probe_indices()
    with qtbot.waitSignal(probes.probesChanged) as blocker:
        probes.set_probe_count(12)
    assert blocker.args[0].shape == (12, 784)
    np.testing.assert_array_equal(blocker.args[0], probes.probe_images())
    np.testing.assert_array_equal(probes.probe_indices()[:10], before)  # the old probes stay
    probes.show_snapshot(train_snapshot(trainer, 1, probes.probe_images()[:10]))  # made before the change
    assert probes.displayed_heights().shape == (12, 10) and not probes.displayed_heights().any()
    snap12 = train_snapshot(trainer, 1, probes.probe_images())
    probes.show_snapshot(snap12)
    np.testing.assert_allclose(probes.displayed_heights(), snap12.probe_probs, atol=1e-6)


def test_probes_selection_and_shuffle(probes, small_mnist, qtbot):
    probes.show_snapshot(train_snapshot(make_trainer(small_mnist), 5, probes.probe_images()))
    with qtbot.waitSignal(probes.selectedChanged) as blocker:
        probes.set_selected(4)
    assert blocker.args == [4] and probes.selected == 4
    before = probes.probe_indices()
    with qtbot.waitSignal(probes.probesChanged):
        probes.shuffle()
    assert not np.array_equal(before, probes.probe_indices())
    np.testing.assert_array_equal(probes.probe_labels(), np.arange(10))


def test_probes_click_on_a_digit_selects_it(probes, qtbot):
    qtbot.waitExposed(probes)
    view = probes._strip_view
    x0, y0 = probes._cell_origins()
    widget_point = probes._strip.mapFromScene(view.mapViewToScene(QtCore.QPointF(x0[6] + 0.6, y0[6] + 0.5)))
    with qtbot.waitSignal(probes.selectedChanged, timeout=1000) as blocker:
        qtbot.mouseClick(probes._strip.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=widget_point)
    assert blocker.args == [6] and probes.selected == 6


def test_probes_diverged_snapshot_shows_no_answer(probes, small_mnist):
    trainer = make_trainer(small_mnist)
    probes.show_snapshot(train_snapshot(trainer, 3, probes.probe_images()))
    probes.show_snapshot(diverged_snapshot(trainer, probes.probe_images()))
    assert not probes.displayed_heights().any()
    assert set(probes.answer_texts()) == {"—"}


def test_probes_clear(probes, small_mnist):
    probes.show_snapshot(train_snapshot(make_trainer(small_mnist), 3, probes.probe_images()))
    probes.clear()
    assert not probes.displayed_heights().any()


# ---------------------------------------------------------------------------------------- all panels

@pytest.fixture
def display_panels(shown, mnist):
    panels = [CurvesPanel(), WeightsPanel(), OutputWeightsPanel(), ProbesPanel(mnist), SampleGridPanel(mnist)]
    return [shown(panel, 600, 400) for panel in panels]


def test_every_panel_survives_hidden_size_changes_divergence_and_reset(display_panels, small_mnist, qtbot):
    curves, weights, output, probes, _ = display_panels
    trainer = make_trainer(small_mnist, 512)
    probe_x = probes.probe_images()
    snaps = [train_snapshot(trainer, 2, probe_x)]
    trainer.update(hidden=(1,))
    snaps.append(train_snapshot(trainer, 2, probe_x))
    trainer.update(hidden=(512,))
    snaps.append(train_snapshot(trainer, 2, probe_x))
    snaps.append(diverged_snapshot(trainer, probe_x))
    for snap in snaps:
        for panel in display_panels:
            panel.show_snapshot(snap)
        qtbot.wait(1)  # let them paint
        hidden = snap.W1.shape[1]
        assert weights.image().shape == mosaic_shape(*weights.layout_shape)
        assert weights.layout_shape[0] * weights.layout_shape[1] >= hidden
        assert output.image().shape == (10, hidden)
    assert "training stopped" in weights._legend_text
    for panel in display_panels:
        panel.clear()
    assert weights.image() is None and output.image() is None and len(curves.steps) == 0
    trainer.reset()
    fresh = train_snapshot(trainer, 2, probe_x)
    for panel in display_panels:
        panel.show_snapshot(fresh)
    assert weights.image().shape == mosaic_shape(*weights.layout_shape)


def test_output_weights_heatmap_is_w_out_transposed(display_panels, small_mnist):
    output = display_panels[2]
    trainer = make_trainer(small_mnist, 16)
    trainer.net.unit_mask[0][2] = 0
    snap = train_snapshot(trainer, 3)
    output.show_snapshot(snap)
    image = output.image()
    assert image.shape == (10, 16)
    live = np.ones(16, bool)
    live[2] = False
    level = output.level
    decoded = dequantize(image[:, live], level)
    assert np.abs(decoded - np.clip(snap.W_out.T[:, live], -level, level)).max() <= level / style.HALF_RANGE / 2 + 1e-6
    assert (image[:, 2] >= style.DIM_BASE).all()  # the switched-off unit's votes are dimmed


# ---------------------------------------------------------------------------------------- samples

def test_sample_grid_shows_training_images_and_labels(shown, small_mnist):
    panel = shown(SampleGridPanel(small_mnist, count=12), 500, 400)
    rows, cols = panel.grid
    assert rows * cols >= 12
    indices = panel.sample_indices()
    image = panel.image()
    pitch_y, pitch_x = SIDE + 12, SIDE + 3
    for k in (0, 11):
        r, c = divmod(k, cols)
        tile = image[r * pitch_y: r * pitch_y + SIDE, c * pitch_x: c * pitch_x + SIDE]
        expected = 255 - np.rint(small_mnist.x_train[indices[k]] * 255).astype(np.uint8)
        np.testing.assert_array_equal(tile, expected.reshape(SIDE, SIDE))
    assert [item.text() for item in panel._labels] == [str(int(y)) for y in small_mnist.y_train[indices]]
    panel.shuffle()
    assert not np.array_equal(indices, panel.sample_indices())


def test_sample_grid_uses_only_the_dataset(qtbot, small_mnist):
    panel = SampleGridPanel(dataclasses.replace(small_mnist), count=5)
    qtbot.addWidget(panel)
    before = panel.image().copy()
    panel.show_snapshot(train_snapshot(make_trainer(small_mnist), 1))
    panel.clear()
    np.testing.assert_array_equal(panel.image(), before)


# ---------------------------------------------------------------------------------------- binding

def test_many_qt_calls_do_not_kill_the_interpreter(qtbot):
    """shiboken6 6.12.0 on Python 3.11 drops a reference to None on every void Qt call; without the
    guard in ``mnist_viz.gui`` this aborts the process ("none_dealloc") long before 300k calls."""
    obj = QtCore.QObject()
    for _ in range(300_000):
        obj.setObjectName("x")
    assert obj.objectName() == "x"


def test_curves_x_range_always_holds_all_data_and_steps_in_round_values(qtbot, small_mnist):
    from mnist_viz.core.snapshot import Settings
    from mnist_viz.core.trainer import Trainer
    from mnist_viz.gui.panels.curves import CurvesPanel
    from mnist_viz.gui.style import nice_ceiling
    assert [nice_ceiling(v) for v in (0.7, 1.0, 1.2, 2.1, 7, 9.5, 130)] == [0.8, 1, 1.5, 3, 8, 10, 150]
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    trainer = Trainer(small_mnist, Settings(hidden=(8,), batch_size=50))
    limits = []
    for _ in range(30):
        for _ in range(20):
            trainer.step()
        panel.show_snapshot(trainer.snapshot())
        x_max = panel.steps.column("epoch")[-1]
        lo, hi = panel.loss_plot.getViewBox().viewRange()[0]
        assert lo <= 0 and hi >= x_max  # every point is on screen
        limits.append(hi)
    assert len(set(limits)) <= 8  # the axis widened a few times, not on every frame
    panel.clear()
    assert panel.loss_plot.getViewBox().viewRange()[0][1] <= 1.0


# ---------------------------------------------------------------------------------------- the protocol

def test_every_panel_the_window_paints_satisfies_the_panel_protocol():
    """The classes in ``MainWindow.panels`` / ``moment_panels``, the status line, the banner and the
    timeline: each has ``show_snapshot(snap)``, ``clear()`` and ``isVisible()``, with those signatures."""
    import inspect

    from mnist_viz.gui.panels.banner import DivergenceBanner
    from mnist_viz.gui.panels.base import Panel
    from mnist_viz.gui.panels.confusion import ConfusionPanel
    from mnist_viz.gui.panels.drawing import DrawingPanel
    from mnist_viz.gui.panels.status import StatusLine
    from mnist_viz.gui.panels.templates import ClassTemplatesPanel
    from mnist_viz.gui.panels.timeline import TimelinePanel
    from mnist_viz.gui.panels.unit_inspector import UnitInspectorPanel
    painted = (CurvesPanel, WeightsPanel, OutputWeightsPanel, ProbesPanel, SampleGridPanel, DrawingPanel,
               UnitInspectorPanel, ClassTemplatesPanel, ConfusionPanel, TimelinePanel, StatusLine, DivergenceBanner)
    for cls in painted:
        assert issubclass(cls, Panel), cls
        assert list(inspect.signature(cls.show_snapshot).parameters) == ["self", "snap"], cls
        assert list(inspect.signature(cls.clear).parameters) == ["self"], cls
    assert not issubclass(QtCore.QObject, Panel)  # the check does look at the methods


def test_the_wheel_scrolls_the_controls_column_instead_of_changing_an_unfocused_box(qtbot):
    controls = ControlsPanel()
    area = QtWidgets.QScrollArea()
    area.setWidget(controls)
    area.setWidgetResizable(True)
    area.resize(300, 300)
    qtbot.addWidget(area)
    area.show()
    combo = controls.activation_combo

    def wheel():
        pos = QtCore.QPointF(10, 10)
        QtWidgets.QApplication.sendEvent(combo, QtGui.QWheelEvent(
            pos, combo.mapToGlobal(pos.toPoint()).toPointF(), QtCore.QPoint(), QtCore.QPoint(0, -120),
            QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase,
            False))

    wheel()
    assert combo.currentIndex() == 0 and area.verticalScrollBar().value() > 0
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel()
    assert combo.currentIndex() == 1  # once clicked or tabbed to, the wheel changes it as usual


def test_an_empty_accuracy_axis_after_a_high_accuracy_run_has_few_ticks(shown):
    """A run at 97-99% fixes the ticks 0.5% apart; the next run's empty 0-100% axis must not keep
    that spacing (200 labels drawn over each other, seen after a comparison reset run A)."""
    panel = shown(CurvesPanel(), 600, 400)
    panel.accuracy_smooth.setData([0.0, 1.0], [97.0, 99.0])
    panel._fit_accuracy_y()
    axis = panel.accuracy_plot.getAxis("left")
    assert len(axis.tickValues(97.0, 100.0, 200)[0][1]) >= 3  # fine labelled ticks there
    panel.accuracy_smooth.setData([], [])
    panel._fit_accuracy_y()
    low, high = panel.accuracy_plot.getViewBox().viewRange()[1]
    assert low <= 0 and high >= 100
    assert len(axis.tickValues(low, high, 200)[0][1]) <= 15  # the labelled ticks over 0-100%
