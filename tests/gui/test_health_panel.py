"""LayerHealthPanel: per-layer bands, the update:weight ratio and the big "% dead" number, from real
snapshots of a trainer, checked against NumPy computations made here from the weights."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from PySide6 import QtGui

from mnist_viz.core.health import QUANTILES
from mnist_viz.core.presets import get_preset
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.health import (
    HEALTHY_BAND,
    HISTORY_CAPACITY,
    RATIO,
    WAITING,
    WEIGHTS,
    LayerHealthPanel,
    ThinningHistory,
    symlog,
)


def trained(trainer: Trainer, steps: int):
    for _ in range(steps):
        trainer.step()
    return trainer.snapshot(health=True)


@pytest.fixture
def panel(shown):
    return shown(LayerHealthPanel(min_interval=0, histogram_interval=0), 1200, 800)


def numpy_dead_fraction(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:
    """Share of ReLU units whose pre-activation is <= 0 on every image of ``x (P, 784)``."""
    pre = x.astype(np.float64) @ W.astype(np.float64) + b.astype(np.float64)
    return float(np.mean(~(pre > 0).any(axis=0)))


def numpy_saturated_fraction(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:
    """Share of sigmoid units within 0.02 of 0 or 1 on at least 95% of the images."""
    y = 1 / (1 + np.exp(-(x.astype(np.float64) @ W.astype(np.float64) + b.astype(np.float64))))
    flat = (y < 0.02) | (y > 0.98)
    return float(np.mean(flat.mean(axis=0) >= 0.95))


def test_dead_relu_run_shows_its_dead_share_in_large_warning_text(panel, small_mnist):
    assert panel.message() == WAITING and panel.layer_count() == 0
    trainer = Trainer(small_mnist, get_preset("dead-relu").settings)
    snap = trained(trainer, 40)
    panel.show_snapshot(snap)
    dead = numpy_dead_fraction(trainer.health_probe_x, snap.params[0], snap.params[1])
    assert dead > 0.5  # the scenario's point: most units have died
    assert panel.big_number_texts() == [f"⚠ {100 * dead:.0f}% dead", ""]
    assert panel.layer_titles() == ["Layer 1 (784→128)", "Output (128→10)"]
    assert panel.message() == ""
    # the % dead line ends at the same number
    assert panel.unit_curves[0].getData()[1][-1] == pytest.approx(100 * dead)
    # large: at 96 dpi (a 1080p projector) the capitals are >= 24 px tall
    big = panel.column(0).big
    assert QtGui.QFontMetricsF(big.font()).capHeight() * 96 / big.logicalDpiY() >= 24


def test_sigmoid_saturation_run_shows_its_saturated_share(panel, small_mnist):
    trainer = Trainer(small_mnist, get_preset("sigmoid-saturation").settings)
    snap = trained(trainer, 20)
    panel.show_snapshot(snap)
    saturated = numpy_saturated_fraction(trainer.health_probe_x, snap.params[0], snap.params[1])
    assert saturated > 0.3
    assert panel.big_number_texts()[0] == f"⚠ {100 * saturated:.0f}% saturated"
    assert "saturated" in panel.units_plot.titleLabel.text


def test_bands_and_ratio_lines_follow_the_snapshots(panel, small_mnist):
    trainer = Trainer(small_mnist, Settings(hidden=(32,)))
    snaps = [trained(trainer, 2) for _ in range(8)]
    # one layer left unchanged by its step: -inf, not drawn
    last = snaps[-1]
    unchanged = dataclasses.replace(last.health[1], log10_update_ratio=-math.inf)
    snaps[-1] = dataclasses.replace(last, health=(last.health[0], unchanged))
    for snap in snaps:
        panel.show_snapshot(snap)
    steps = [s.step for s in snaps]
    for layer in range(2):
        x, y = panel.ratio_curves[layer].getData()
        np.testing.assert_array_equal(x, steps)
        ratios = np.array([s.health[layer].log10_update_ratio for s in snaps])
        ratios[~np.isfinite(ratios)] = np.nan
        np.testing.assert_array_equal(y, ratios)
    assert np.isnan(panel.ratio_curves[1].getData()[1][-1])
    # the ratios of Adam at lr 1e-3 are themselves finite and near the guide band
    assert np.isfinite(panel.ratio_curves[0].getData()[1]).all()
    assert panel._healthy.getRegion() == pytest.approx(HEALTHY_BAND)
    # the weight bands are the weights' quantiles, computed here from every weight (the health
    # numbers come from a sample of ~8,000: within ~4 standard errors, which are ~1.4% of the
    # spread at the median and ~4% at the 1st and 99th percentiles; neighbouring quantiles differ by
    # 50-130%, so a band drawn from the wrong quantile fails)
    bands = panel.column(0).weight_bands
    drawn = bands.drawn()[1]
    expected = np.array([np.percentile(s.params[0], QUANTILES) for s in snaps])
    spread = float(np.std(snaps[-1].params[0]))
    np.testing.assert_allclose(drawn[:, 1:4], expected[:, 1:4], atol=0.06 * spread)
    np.testing.assert_allclose(drawn[:, [0, 4]], expected[:, [0, 4]], atol=0.16 * spread)
    np.testing.assert_array_equal(bands.median.getData()[1], drawn[:, 2])
    # the update band is drawn on the symmetric log axis
    update_99 = panel.column(0).update_bands.drawn()[1][:, -1]
    np.testing.assert_allclose(update_99, symlog([s.health[0].update_quantiles[-1] for s in snaps]))


def test_weights_histogram_is_drawn_over_the_first_one_seen(panel, small_mnist):
    trainer = Trainer(small_mnist, Settings(hidden=(32,), lr=0.05))
    first = trained(trainer, 1)
    panel.show_snapshot(first)
    later = trained(trainer, 30)
    panel.show_snapshot(later)
    column = panel.column(0)
    edges, start, now = column.histogram()
    np.testing.assert_allclose(start, np.histogram(first.params[0].reshape(-1), bins=edges)[0] / first.params[0].size)
    np.testing.assert_allclose(now, np.histogram(later.params[0].reshape(-1), bins=edges)[0] / later.params[0].size)
    assert not np.allclose(start, now)  # the weights moved


def test_history_stays_bounded_and_spans_the_whole_run(shown, small_mnist):
    panel = LayerHealthPanel()  # never shown: records without drawing, like a hidden tab
    shown.keep(panel)
    snap = Trainer(small_mnist, Settings(hidden=(16,))).snapshot(health=True)
    for step in range(1, 3 * HISTORY_CAPACITY + 1):
        panel.show_snapshot(dataclasses.replace(snap, step=step))
    rows = panel.history_rows(0)
    assert len(rows) <= HISTORY_CAPACITY + 1
    assert rows[0, 0] == 1 and rows[-1, 0] == 3 * HISTORY_CAPACITY  # from the start to the present
    gaps = np.diff(rows[:-1, 0])
    assert (gaps > 0).all() and gaps.max() <= 2 * gaps.min()  # evenly thinned
    assert panel.history_length(1) == len(rows)
    # a snapshot without health is ignored
    panel.show_snapshot(dataclasses.replace(snap, step=10**6, health=()))
    assert panel.history_rows(0)[-1, 0] == 3 * HISTORY_CAPACITY


def test_thinning_history_replaces_a_repeated_step_and_forgets_an_undone_future():
    history = ThinningHistory(capacity=8, width=2)
    for step in range(1, 6):
        history.add(np.array([step, step * 10.0]))
    history.add(np.array([5, -1.0]))  # paused: the same step again
    assert history.rows()[:, 1].tolist() == [10, 20, 30, 40, -1]
    history.add(np.array([3, 99.0]))  # restored to step 3
    assert history.rows().tolist() == [[1, 10], [2, 20], [3, 99]]


def test_clear_then_a_deeper_network_shows_three_layers_and_a_resize_keeps_the_history(panel, small_mnist):
    panel.show_snapshot(trained(Trainer(small_mnist, Settings(hidden=(32,))), 2))
    assert panel.layer_count() == 2
    panel.clear()
    assert panel.layer_count() == 0 and panel.message() == WAITING
    trainer = Trainer(small_mnist, Settings(hidden=(64, 32)))
    panel.show_snapshot(trained(trainer, 2))
    assert panel.layer_titles() == ["Layer 1 (784→64)", "Layer 2 (64→32)", "Output (32→10)"]
    assert len(panel.ratio_curves) == 3 and len(panel.unit_curves) == 2
    assert all(panel.history_length(k) == 1 for k in range(3))
    trainer.update(hidden=(48, 32))
    panel.show_snapshot(trained(trainer, 2))
    assert panel.layer_titles() == ["Layer 1 (784→48)", "Layer 2 (48→32)", "Output (32→10)"]
    assert all(panel.history_length(k) == 2 for k in range(3))


def test_diverged_weights_do_not_break_the_panel(panel, small_mnist):
    trainer = Trainer(small_mnist, Settings(hidden=(32,)))
    panel.show_snapshot(trained(trainer, 3))
    trainer.step()
    trainer.net.params[0][:] = np.nan
    trainer.net.params[2][:5] = np.inf
    broken = trainer.snapshot(health=True)
    assert all(math.isnan(q) for q in broken.health[0].weight_quantiles)
    panel.show_snapshot(broken)
    panel.show_snapshot(dataclasses.replace(broken, step=broken.step + 1))
    rows = panel.history_rows(0)
    assert np.isnan(rows[-1, WEIGHTS]).all() and len(rows) == 3
    # the bands keep the points that were numbers; the histogram of NaN weights is empty
    assert len(panel.column(0).weight_bands.median.getData()[0]) == 1
    assert panel.column(0).histogram()[2].sum() == 0
    assert len(panel.big_number_texts()) == 2
    assert math.isnan(rows[-1, RATIO]) or math.isfinite(rows[-1, RATIO])


def test_redraws_are_throttled_and_the_last_snapshot_is_drawn_later(shown, small_mnist, qtbot):
    panel = shown(LayerHealthPanel(min_interval=0.2, histogram_interval=0.2), 1000, 700)
    trainer = Trainer(small_mnist, Settings(hidden=(16,)))
    first, second = trained(trainer, 1), trained(trainer, 1)
    panel.show_snapshot(first)
    panel.show_snapshot(second)  # within min_interval: recorded, drawn later
    assert panel.history_length(0) == 2
    assert list(panel.ratio_curves[0].getData()[0]) == [first.step]
    qtbot.waitUntil(lambda: list(panel.ratio_curves[0].getData()[0]) == [first.step, second.step], timeout=2000)


def test_every_column_shows_the_same_steps(shown, small_mnist):
    """Side-by-side columns linked with pyqtgraph's setXLink showed different step ranges (it aligns
    linked views by their screen position); each column must show the shared plots' steps."""
    from mnist_viz.core.snapshot import Settings
    from mnist_viz.core.trainer import Trainer
    from mnist_viz.gui.panels.health import LayerHealthPanel

    panel = shown(LayerHealthPanel(min_interval=0, histogram_interval=0), 1200, 800)
    trainer = Trainer(small_mnist, Settings(hidden=(32, 16)))
    for _ in range(6):
        trainer.train(iterations=10)
        panel.show_snapshot(trainer.snapshot(health=True))
    panel.flush()
    shared = panel.ratio_plot.getViewBox().viewRange()[0]
    for layer in range(panel.layer_count()):
        column = panel.column(layer)
        for plot in (column.weights_plot, column.updates_plot, column.outputs_plot):
            assert plot.getViewBox().viewRange()[0] == pytest.approx(shared)


def test_the_healthy_band_label_sits_in_the_band(shown, small_mnist):
    from mnist_viz.core.health import HEALTHY_LOG10_RATIO
    from mnist_viz.core.snapshot import Settings
    from mnist_viz.core.trainer import Trainer
    from mnist_viz.gui.panels.health import LayerHealthPanel

    panel = shown(LayerHealthPanel(min_interval=0, histogram_interval=0), 1200, 800)
    trainer = Trainer(small_mnist, Settings(hidden=(16,)))
    panel.show_snapshot(trainer.snapshot(health=True))  # step 0: the step axis starts at 0, as in the window
    for _ in range(3):
        trainer.step()
        panel.show_snapshot(trainer.snapshot(health=True))
    panel.flush()
    assert panel.ratio_plot.getViewBox().viewRange()[0][0] == 0
    assert panel._healthy_label.pos().y() == HEALTHY_LOG10_RATIO
