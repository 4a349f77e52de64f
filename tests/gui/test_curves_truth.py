"""The learning curves tell the truth: marker labels that never overlap or clip, smoothing over
training images (bias-corrected), an accuracy axis that shows the last percent, and a cursor at the
scrubbed-back moment. Synthetic snapshots carry only the curve deltas (what CurvesPanel reads)."""
from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore

from mnist_viz.core.snapshot import Marker, Snapshot
from mnist_viz.gui.panels.curves import (
    LABEL_PAD_PX,
    MIN_ACCURACY_SPAN,
    SMOOTHING_SAMPLES,
    CurvesPanel,
    bias_corrected_ema,
    decimate_by_stride,
    display_stride,
    merged_marker_label,
    place_marker_labels,
    smoothing_alphas,
    thin_by_arc_length,
)

TRAIN_IMAGES = 60_000


def snapshot(steps=None, evals=None, markers=()) -> Snapshot:
    fields = {f.name: None for f in dataclasses.fields(Snapshot)}
    fields.update(new_steps=np.empty((0, 5)) if steps is None else steps,
                  new_evals=np.empty((0, 6)) if evals is None else evals, new_markers=tuple(markers))
    return Snapshot(**fields)


def step_rows(first: int, last: int, batch: int, accuracy, loss=None) -> np.ndarray:
    """Rows (step, epoch, samples, loss, accuracy) for steps ``first..last`` of ``batch`` images;
    ``accuracy`` (and ``loss``) a number or a function of the samples seen."""
    step = np.arange(first, last + 1, dtype=np.float64)
    samples = step * batch
    acc = accuracy(samples) if callable(accuracy) else np.full(len(step), float(accuracy))
    loss = np.full(len(step), 0.1) if loss is None else loss(samples)
    return np.column_stack([step, samples / TRAIN_IMAGES, samples, loss, acc])


def eval_rows(steps, batch: int, accuracy) -> np.ndarray:
    step = np.asarray(steps, dtype=np.float64)
    samples = step * batch
    acc = np.broadcast_to(np.asarray(accuracy, dtype=np.float64), step.shape)
    return np.column_stack([step, samples / TRAIN_IMAGES, samples, 0.1 + 0 * step, acc, acc])


def marker(step: int, label: str, batch: int = 128) -> Marker:
    return Marker(step, step * batch / TRAIN_IMAGES, step * batch, label)


@pytest.fixture
def panel(shown):
    return shown(CurvesPanel(), 700, 600)


def cursor_lines(plot) -> list[pg.InfiniteLine]:
    """The cursor's line (solid; the markers' are dashed)."""
    return [item for item in plot.items
            if isinstance(item, pg.InfiniteLine) and item.pen.style() == QtCore.Qt.PenStyle.SolidLine]


# ------------------------------------------------------------------------------ (a) marker labels

def falling_loss(samples):
    return 2.3 * np.exp(-samples / 20_000) + 0.05


def test_twenty_nearby_markers_get_labels_that_never_overlap_clip_or_cover_a_curve(panel, qtbot):
    panel.show_snapshot(snapshot(step_rows(1, 600, 128, 0.9, falling_loss)))
    lrs = [f"{0.001 * 1.5 ** i:.3g}" for i in range(21)]
    # 20 markers at steps 300..395: some close enough to merge, some a few pixels apart.
    markers = [marker(300 + 5 * i, f"lr {lrs[i]} → {lrs[i + 1]}") for i in range(10)]
    markers += [marker(340 + 7 * i, f"unit {i} off") for i in range(5)]
    markers += [marker(330 + 13 * i, f"batch_size {2 ** i} → {2 ** (i + 1)}") for i in range(5)]
    panel.show_snapshot(snapshot(step_rows(601, 700, 128, 0.9, falling_loss), markers=markers))
    qtbot.wait(10)
    view = panel.loss_plot.getViewBox()
    items = panel.marker_label_items()
    assert panel.marker_count() == 20 and len(items) >= 2
    rects = [item.sceneBoundingRect() for item in items]
    for a, b in itertools.combinations(rects, 2):
        assert not a.intersects(b), (a, b)
    inside = view.sceneBoundingRect()
    assert all(inside.contains(rect) for rect in rects)
    # Every marker is in some label's group (drawn, or in the tooltip of a label that could not fit).
    assert sorted(i for place in panel._label_places for i in place.members) == list(range(20))
    # The labels sit in the band the loss axis leaves free: the highest point of any loss curve is below them.
    top_of_data = min(view.mapViewToScene(pg.Point(0, np.log10(curve.yData.max()))).y()
                      for curve in (panel.loss_raw, panel.loss_smooth))
    assert max(rect.bottom() for rect in rects) < top_of_data


@pytest.mark.parametrize("seed", range(5))
def test_label_layout_keeps_labels_apart_and_inside(seed):
    rng = np.random.default_rng(seed)
    xs = list(rng.uniform(0, 600, 30)) + list(595 + rng.uniform(0, 5, 5))  # some at the right edge
    labels = [f"lr {rng.uniform():.3f} → {rng.uniform():.3f}" if rng.random() < 0.7 else "loss exploded"
              for _ in xs]
    places = place_marker_labels(xs, labels, 600.0, 3, lambda text: 8.0 * len(text) + 7)
    assert sorted(i for p in places for i in p.members) == list(range(len(xs)))
    drawn = [p for p in places if p.lane is not None]
    assert drawn and all(p.left >= 0 and p.left + p.width <= 600 and 0 <= p.lane < 3 for p in drawn)
    for a, b in itertools.combinations(drawn, 2):
        if a.lane == b.lane:
            assert a.left + a.width + LABEL_PAD_PX <= b.left or b.left + b.width + LABEL_PAD_PX <= a.left


def test_markers_close_together_share_one_label():
    assert merged_marker_label(["lr 0.1 → 0.3", "lr 0.3 → 0.5", "lr 0.5 → 1"]) == "lr 0.1 → 1 (3 changes)"
    assert merged_marker_label(["lr 0.1 → 0.3"]) == "lr 0.1 → 0.3"
    # Too high and back, with the watchdog's and the restore's markers between: not "0.001 → 0.001".
    assert merged_marker_label(["lr 0.001 → 0.5", "lr 0.5 → 5", "collapsed to chance", "lr 5 → 0.001",
                                "restored step 1,200"]) == (
        "lr 0.001 → 5 → 0.001, collapsed to chance, restored step 1,200 (5 events)")
    assert merged_marker_label(["hidden 128 → 512", "hidden 512 → 128"]) == "hidden 128 → 512 → 128 (2 changes)"
    places = place_marker_labels([100.0, 102.0, 104.0], ["lr 0.1 → 0.3", "lr 0.3 → 0.5", "lr 0.5 → 1"], 600.0, 2,
                                 lambda text: 8.0 * len(text))
    assert len(places) == 1 and places[0].text == "lr 0.1 → 1 (3 changes)" and places[0].lane == 0


# ------------------------------------------------------------------------------ (b) hiding markers

def test_set_markers_visible_hides_lines_and_labels_and_gives_the_band_back(panel, qtbot):
    panel.show_snapshot(snapshot(step_rows(1, 300, 128, 0.9, falling_loss),
                                 markers=[marker(100, "lr 0.001 → 0.1"), marker(200, "loss exploded")]))
    qtbot.wait(10)
    lines = [item for plot in (panel.loss_plot, panel.accuracy_plot) for item in plot.items
             if isinstance(item, pg.InfiniteLine)]
    top_with_labels = panel.loss_plot.getViewBox().viewRange()[1][1]
    assert len(lines) == 4 and all(line.isVisible() for line in lines) and len(panel.marker_label_items()) == 2
    panel.set_markers_visible(False)
    assert not panel.markers_visible() and not panel._markers_button.isChecked()
    assert not any(line.isVisible() for line in lines) and panel.marker_label_items() == []
    assert panel.loss_plot.getViewBox().viewRange()[1][1] < top_with_labels  # no band reserved any more
    panel.show_snapshot(snapshot(markers=[marker(300, "lr 0.1 → 0.01")]))  # new ones come hidden too
    assert panel.marker_label_items() == [] and panel.marker_count() == 3
    panel._markers_button.click()  # the header's button
    assert panel.markers_visible() and len(panel.marker_label_items()) == 3


# ------------------------------------------------------------------------------ (c) smoothing

def test_smoothed_accuracy_starts_at_the_first_batches_value(panel):
    panel.show_snapshot(snapshot(step_rows(1, 50, 128, 0.9)))
    smooth = panel.steps.column("accuracy_smooth")
    assert smooth[0] == pytest.approx(0.9, abs=1e-12)  # not 0.9 * alpha
    np.testing.assert_allclose(smooth, 0.9, atol=1e-12)


def test_a_chance_level_first_batch_weighs_as_one_batch_not_as_the_whole_past(panel):
    """The lecturer's report: smoothed training accuracy at 40-55% while the test said 83-90%, because
    the average started at the first (chance) batch as if it had been seen forever."""
    panel.show_snapshot(snapshot(step_rows(1, 11, 128, lambda s: np.where(s <= 128, 0.1, 0.9))))
    alpha = 1 - np.exp(-128 / SMOOTHING_SAMPLES)
    weight_of_first = alpha * (1 - alpha) ** 10 / (1 - (1 - alpha) ** 11)
    assert panel.steps.column("accuracy_smooth")[-1] == pytest.approx(0.9 - 0.8 * weight_of_first)
    assert panel.steps.column("accuracy_smooth")[-1] > 0.8


def test_smoothing_horizon_is_in_images_whatever_the_batch_size(shown):
    """Accuracy 0.5 for the first 20,480 images, 0.9 after: with batch 32 and batch 256 the smoothed
    accuracy is the same at the same number of images seen."""
    def accuracy(samples):
        return np.where(samples <= 20_480, 0.5, 0.9)

    smoothed = {}
    for batch in (32, 256):
        panel = shown(CurvesPanel(), 400, 300)
        last = 40_960 // batch
        for first in range(1, last + 1, 37):  # in snapshots of 37 steps: chunks must not matter
            panel.show_snapshot(snapshot(step_rows(first, min(first + 36, last), batch, accuracy)))
        samples, smooth = panel.steps.column("samples"), panel.steps.column("accuracy_smooth")
        smoothed[batch] = smooth[np.isin(samples, [20_480, 25_600, 40_960])]
    assert len(smoothed[32]) == 3
    np.testing.assert_allclose(smoothed[32], smoothed[256], atol=1e-9)
    # 5,120 images after the switch, exp(-5120 / horizon) of the way is left to go; the weights sum to
    # 1 - exp(-25600 / horizon) (the bias correction).
    left = np.exp(-5_120 / SMOOTHING_SAMPLES) - np.exp(-25_600 / SMOOTHING_SAMPLES)
    assert smoothed[256][1] == pytest.approx(0.9 - 0.4 * left / (1 - np.exp(-25_600 / SMOOTHING_SAMPLES)))
    a32, a256 = smoothing_alphas(np.array([32.0, 256.0]))
    assert (1 - a32) ** 8 == pytest.approx(1 - a256, rel=1e-12)


def test_bias_corrected_ema_matches_the_recurrence_across_chunks():
    rng = np.random.default_rng(3)
    x = rng.random((3000, 2))
    alphas = rng.uniform(0.001, 0.9, 3000)
    m, w, ref = np.zeros(2), 0.0, []
    for row, a in zip(x, alphas):
        m, w = (1 - a) * m + a * row, (1 - a) * w + a
        ref.append(m / w)
    head, state = bias_corrected_ema(x[:1234], alphas[:1234])
    tail, _ = bias_corrected_ema(x[1234:], alphas[1234:], state)
    np.testing.assert_allclose(np.vstack([head, tail]), ref, rtol=1e-9)


# ------------------------------------------------------------------------------ (d) the last percent

def high_accuracy_run(panel, view: str) -> np.ndarray:
    panel.set_accuracy_view(view)
    rng = np.random.default_rng(0)
    for first in range(1, 2001, 100):
        panel.show_snapshot(snapshot(step_rows(first, first + 99, 128, lambda s: rng.uniform(0.97, 0.99, len(s))),
                                     eval_rows([first + 99], 128, rng.uniform(0.975, 0.985))))
    return panel.accuracy_plot.getViewBox().viewRange()[1]


def test_percent_correct_axis_shows_the_last_percent(panel):
    low, high = high_accuracy_run(panel, "accuracy")
    shown = np.concatenate([panel.accuracy_smooth.yData, panel.accuracy_eval.yData])
    assert high - low < 10 and low <= shown.min() and shown.max() <= high <= 101  # zoomed in, nothing cut off
    assert high - low >= MIN_ACCURACY_SPAN


def test_error_log_axis_shows_the_last_percent(panel):
    low, high = high_accuracy_run(panel, "error")  # log10 of % wrong
    assert panel.accuracy_plot.ctrl.logYCheck.isChecked()
    assert (100 - 10 ** low) - (100 - 10 ** high) < 10  # points of accuracy the axis spans
    errors = np.concatenate([panel.accuracy_smooth.yData, panel.accuracy_eval.yData])
    assert 10 ** low <= errors.min() and errors.max() <= 10 ** high
    assert panel.accuracy_eval.yData[-1] == pytest.approx(100 * (1 - panel.evals.column("eval_accuracy")[-1]))


def test_a_perfect_score_stays_on_a_readable_axis(panel):
    panel.show_snapshot(snapshot(step_rows(1, 500, 128, 1.0)))
    low, high = panel.accuracy_plot.getViewBox().viewRange()[1]
    assert high - low >= MIN_ACCURACY_SPAN and low < 100 <= high  # noise is not blown up to fill the plot
    panel.set_accuracy_view("error")
    assert np.isfinite(np.log10(panel.accuracy_smooth.yData)).all()  # 0% wrong is drawn at the floor


# ------------------------------------------------------------------------------ (e) the cursor

def test_set_cursor_marks_the_step_in_the_x_axis_units_and_none_removes_it(panel):
    panel.show_snapshot(snapshot(step_rows(1, 400, 128, 0.9)))
    panel.set_cursor(100)
    for plot in (panel.loss_plot, panel.accuracy_plot):
        (line,) = cursor_lines(plot)
        assert line.value() == pytest.approx(100 * 128 / TRAIN_IMAGES)
    panel.set_x_axis("samples")
    assert panel.cursor_x() == 100 * 128
    assert [line.value() for line in cursor_lines(panel.loss_plot)] == [100 * 128]
    panel.set_cursor(None)
    assert panel.cursor_x() is None and cursor_lines(panel.loss_plot) == cursor_lines(panel.accuracy_plot) == []


def _distances_to_polyline(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """``(n,)`` the distance of each of ``points (n, 2)`` to the polyline through ``line (k, 2)``."""
    a, b = line[:-1], line[1:]
    ab = b - a
    t = np.clip(((points[:, None, :] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0, 1)
    nearest = a + t[..., None] * ab
    return np.linalg.norm(points[:, None, :] - nearest, axis=-1).min(axis=1)


def test_a_smoothed_line_thinned_by_its_length_on_screen_stays_on_the_line():
    # A loss that falls from 2.3 to 0.05 in the first epoch, then creeps, on a log axis 900 x 300 px:
    # the steep part is where spacing by x alone would cut the corner.
    x = np.linspace(0, 10, 1000)
    loss = 0.05 + 2.25 * np.exp(-x / 0.3) + 0.01 * np.sin(x)
    sx, sy = 900 / 10, 300 / (np.log10(2.5) - np.log10(0.04))
    keep = thin_by_arc_length(x, np.log10(loss), sx, sy, step_px=3.0)
    assert keep[0] == 0 and keep[-1] == len(x) - 1 and (np.diff(keep) > 0).all()
    assert len(keep) < len(x) / 2  # the point of it: fewer segments for the thick pen to paint
    on_screen = np.column_stack([x * sx, np.log10(loss) * sy])
    assert _distances_to_polyline(on_screen, on_screen[keep]).max() < 0.5  # px: the same line to the eye
    gaps = np.linalg.norm(np.diff(on_screen[keep], axis=0), axis=1)
    assert gaps[:-1].max() < 3.0 + 2 * np.linalg.norm(np.diff(on_screen, axis=0), axis=1).max()
    # Too few points, or a view not laid out (no finite scale): every point.
    assert list(thin_by_arc_length(x[:2], loss[:2], sx, sy, 3.0)) == [0, 1]
    assert len(thin_by_arc_length(x, loss, np.inf, sy, 3.0)) == len(x)


def test_the_drawn_smoothed_curves_follow_the_smoothed_rows_on_screen(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    qtbot.waitExposed(panel)
    rng = np.random.default_rng(0)
    for start in range(0, 4000, 40):
        step = np.arange(start, start + 40, dtype=float)
        loss = 0.05 + 2.25 * np.exp(-step / 150) + 0.05 * rng.random(40)
        rows = np.column_stack([step, step * 128 / TRAIN_IMAGES, step * 128, loss, 1 - loss / 2.5])
        panel.show_snapshot(snapshot(steps=rows))
    view = panel.loss_plot.getViewBox()
    rows_x, rows_y = panel.steps.column("epoch"), np.log10(panel.steps.column("loss_smooth"))
    drawn = panel.loss_smooth
    assert drawn.xData[-1] == rows_x[-1]  # the line reaches the newest point
    assert len(drawn.xData) < view.width() / 2  # fewer segments for the thick pen than one per pixel
    to_px = lambda xs, ys: np.array([[p.x(), p.y()] for p in (view.mapViewToScene(pg.Point(a, b))  # noqa: E731
                                                               for a, b in zip(xs, ys))])
    every = slice(None, None, 3)  # a sample of the rows is enough, and quick
    gap = _distances_to_polyline(to_px(rows_x[every], rows_y[every]), to_px(drawn.xData, np.log10(drawn.yData)))
    assert gap.max() < 2.0  # px: every smoothed value lies under the 4-px pen


def test_the_batch_line_in_two_parts_is_the_line_drawn_whole(panel, monkeypatch):
    """LiveCurve keeps the settled part of a step line as pixels and redraws only the tail: the two
    parts together must be exactly the points the whole series is drawn through, frame after frame,
    across the doublings of the stride and the halvings of the panel's buffer."""
    settles = []
    original = panel.loss_raw._settle
    monkeypatch.setattr(panel.loss_raw, "_settle", lambda *a: (settles.append(1), original(*a)))
    rng = np.random.default_rng(1)
    frames = 0
    for start in range(0, 24_000, 37):
        rows = step_rows(start + 1, start + 37, 128, 0.9, loss=lambda s: 0.1 + 0.05 * rng.random(len(s)))
        panel.show_snapshot(snapshot(steps=rows))
        frames += 1
        x, y = panel.steps.column("epoch"), panel.steps.column("loss")
        stride = display_stride(len(x), int(CurvesPanel.POINTS_PER_PX * panel._plot_width_px()), peaks=True)
        whole_x, whole_y = decimate_by_stride(x, y, stride, peaks=True)
        np.testing.assert_array_equal(panel.loss_raw.xData, whole_x)
        np.testing.assert_array_equal(panel.loss_raw.yData, whole_y)
    assert panel.steps.stride > 1  # the buffer halved on the way
    assert len(settles) < frames / 4  # the settled part is drawn again only now and then


def test_a_power_of_two_stride_keeps_the_bins_already_drawn():
    x = np.arange(1000.0)
    y = np.sin(x / 7)
    assert display_stride(100, 200) == 1 and display_stride(1000, 200, peaks=True) == 16
    for stride in (1, 2, 8):
        for end in (0, 8 * 37, 8 * 100):
            head = decimate_by_stride(x[:end + 1], y[:end + 1], stride, peaks=True)
            tail = decimate_by_stride(x[end:], y[end:], stride, peaks=True)
            whole = decimate_by_stride(x, y, stride, peaks=True)
            for joined, drawn in zip((np.concatenate([head[0][:-1], tail[0]]), np.concatenate([head[1][:-1], tail[1]])),
                                     whole):
                np.testing.assert_array_equal(joined, drawn)
