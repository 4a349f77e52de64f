"""LayerHealthPanel: how healthy each layer is, live, TensorBoard-style (issue 12).

One column per layer ("Layer 1 (784→512)", ..., "Output (128→10)"), each with, against the
training step:

* bands of the layer's **weights**, of the last step's **update** ``ΔW`` and of its **outputs** on
  the fixed probe batch (hidden activations; the output layer's logits): the light band spans the
  1st to 99th percentile, the darker one the 10th to 90th, the line is the median
  (``core.health.QUANTILES``);
* the weights' **histogram now** (filled, outlined) over the **histogram at the start** (faint): the
  first one seen after ``clear()``;
* for a hidden layer, a large "43% dead" (ReLU, leaky ReLU) or "71% saturated" (sigmoid, tanh),
  with a warning sign and the warning colour above ``WARNING_PERCENT``: the "dead-relu" and
  "sigmoid-saturation" scenarios must read from the back of the hall.

Under the columns, for all layers together: the **update : weight ratio** ``log10(||ΔW|| / ||W||)``
with a shaded guide band at ``HEALTHY_BAND`` around cs231n's ``1e-3``, and the **% dead / saturated
units** of each hidden layer over time.

Updates span orders of magnitude (Adam at lr 1e-3 moves weights by ~1e-3, SGD at lr 1.5 by ~1e-1,
a stalled layer by 1e-8) and have both signs, so their band is drawn on a **symmetric log** axis:
``y = sign(v) · log10(1 + |v| / SYMLOG_FLOOR)``. Then the band is as tall as the updates are large,
in decades ("the band reaches 1e-3" reads off the ticks), its two halves show that the layer is
pushed both ways, and updates below ``SYMLOG_FLOOR`` (1e-7, a few float32 steps of a typical weight)
sit at 0. A plain log axis of ``|ΔW|`` would need quantiles of ``|ΔW|``, which the health numbers do
not carry (they are of signed ``ΔW``).

Cost: the health numbers come computed (``core.health``, ~5 per second while training); this panel
only records them (~20 µs a snapshot, also while its tab is hidden, so the history has no gaps) and
redraws at most every ``MIN_INTERVAL`` s while visible (at 784-512-128-10: ~6-10 ms of NumPy and
pyqtgraph per redraw, plus ~17 ms to paint the views at 1200x800). A snapshot without health costs
nothing. The weight histograms are computed here from ``snap.params`` (an even sample of at most
``HISTOGRAM_SAMPLE`` values per layer) at most every ``HISTOGRAM_INTERVAL`` s. Plot ranges move only
when the data leave them (``_fit_range``): a range change re-renders the cached axes.

History: at most ``HISTORY_CAPACITY`` points per layer (``ThinningHistory``: when full, every other
old point is dropped, so the whole run stays visible in constant memory).

The panel shows the live run: fed a snapshot of an earlier step (a restore after a blow-up), it
drops the points after that step, so the window should not feed it timeline moments.
"""
from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.health import HEALTHY_LOG10_RATIO, QUANTILES, RELU_LIKE, SQUASHING, LayerHealth
from mnist_viz.core.i18n import N_, format_percent, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.gui import style, themes
from mnist_viz.gui.widgets import info_label, reserve_lines, set_text

MIN_INTERVAL = 0.25  # s between two redraws: at most 4 a second
HISTOGRAM_INTERVAL = 0.5  # s between two weight histograms: at most 2 a second
HISTORY_CAPACITY = 2_000  # points kept per layer (see ThinningHistory)
HISTOGRAM_SAMPLE = 65_536  # weights a histogram is made of, at most (np.histogram of them: ~1 ms)
HISTOGRAM_BINS = 61
HISTOGRAM_SPREAD = 4.0  # the histogram spans mean ± this many standard deviations (of now and start)
SYMLOG_FLOOR = 1e-7  # updates smaller than this draw at 0 on the symmetric log axis
TICK_INSIDE = 0.6  # the update axis' top tick is at most this far up its half-height (its label must fit)
HEALTHY_BAND = (HEALTHY_LOG10_RATIO - 0.5, HEALTHY_LOG10_RATIO + 0.5)  # log10 ratio shaded as healthy
WARNING_PERCENT = 30.0  # % dead or saturated units above which the number turns into a warning
BIG_PT = 28  # the big "% dead" number: ~37 px tall at 96 dpi, readable from the back of a hall
REFIT_FILL = 0.6  # a plot's range is refitted when its data fill less than this share of it
RANGE_MARGIN = 0.08  # room left around the data when a range is refitted (share of the data's span)
STEP_ROOM = 0.25  # room left ahead of the newest step: the step axis is refitted when training reaches it
OUTER_ALPHA, INNER_ALPHA = 50, 110  # opacity of the 1-99% and 10-90% bands
# The colour (a role of ``style``, read when drawing, so themes apply) of hidden layer 1, 2, 3, ...
# and of the output layer, the same in the columns' titles and in the shared plots' lines.
HIDDEN_COLOURS = ("BLUE", "ORANGE", "GREEN", "SKY_BLUE", "YELLOW", "GREY", "DARK_GREY", "LIGHT_GREY")
OUTPUT_COLOUR = "PURPLE"
WARNING_COLOUR = "VERMILLION"

TITLE = N_("Layer health: how each layer's numbers spread and change as it trains")  # shown through tr()
CAPTION = N_("Look for bands that stay steady, updates about 1/1000 of the weights (the green band), and few "
           "dead or saturated units: a layer whose updates are far smaller has stopped learning, far larger is "
           "thrashing.")
WAITING = N_("Waiting for the network (press Start)")
HEALTHY = N_("healthy ≈ 1e-3")
# The big number under a hidden layer's title, by unit_problem's word.
PROBLEM_TEXTS = {"dead": N_("{percent} dead"), "saturated": N_("{percent} saturated")}

# Columns of a history row: step, weight quantiles, update quantiles, activation quantiles,
# log10 update ratio, dead fraction, saturated fraction.
_Q = len(QUANTILES)
WEIGHTS = slice(1, 1 + _Q)
UPDATES = slice(1 + _Q, 1 + 2 * _Q)
ACTIVATIONS = slice(1 + 2 * _Q, 1 + 3 * _Q)
RATIO, DEAD, SATURATED = 1 + 3 * _Q, 2 + 3 * _Q, 3 + 3 * _Q
ROW_LENGTH = 4 + 3 * _Q


# ---------------------------------------------------------------------------------------- numbers

def symlog(values: np.ndarray, floor: float = SYMLOG_FLOOR) -> np.ndarray:
    """``sign(v) · log10(1 + |v| / floor)`` of ``values`` (any shape): decades above ``floor``,
    signed; 0 stays 0 and NaN stays NaN."""
    v = np.asarray(values, np.float64)
    with np.errstate(all="ignore"):
        return np.sign(v) * np.log10(1.0 + np.abs(v) / floor)


def symlog_ticks(top: float, floor: float = SYMLOG_FLOOR) -> list[tuple[float, str]]:
    """Ticks ``(position, label)`` of a symmetric log axis spanning ``-top .. top`` (axis units):
    ±the largest power of ten well inside. Two labels only: the plots are ~60 px tall, and pyqtgraph
    drops labels that would overlap (a "0" between them did); the band's height against them reads
    as "updates reach ~1e-3"."""
    if not math.isfinite(top) or top <= 0:
        return []
    inside = TICK_INSIDE * top  # a label at the very edge is left out by pyqtgraph: keep it in
    power = math.floor(math.log10(floor * (10.0 ** inside - 1.0)) + 1e-9)
    y = float(symlog(10.0 ** power, floor))
    if not 0 < y <= inside * 1.001:
        return []
    return [(y, f"1e{power}"), (-y, f"-1e{power}")]


def even_sample(a: np.ndarray, limit: int = HISTOGRAM_SAMPLE) -> np.ndarray:
    """At most ``limit`` of ``a``'s values, evenly spread (every ``s``-th of the flattened array);
    ``(n,)``, a view when ``a`` is contiguous."""
    flat = np.asarray(a).reshape(-1)
    if flat.size <= limit:
        return flat
    return flat[::-(-flat.size // limit)]


def finite_values(a: np.ndarray) -> np.ndarray:
    """``a``'s finite values, ``(n,) float64`` (a diverged network's NaN and inf have no bin)."""
    a = np.asarray(a, np.float64)
    return a[np.isfinite(a)]


def histogram_range(*samples: np.ndarray) -> tuple[float, float] | None:
    """The span a histogram of ``samples`` (finite ``(n,)`` arrays) covers: the union of their
    ``mean ± HISTOGRAM_SPREAD · std`` (a single huge weight must not squeeze the rest into one bin);
    ``None`` when there are no values."""
    spans = []
    for s in samples:
        if s.size:
            mean, std = float(s.mean()), float(s.std())
            spans.append((mean - HISTOGRAM_SPREAD * std, mean + HISTOGRAM_SPREAD * std))
    if not spans:
        return None
    low, high = min(lo for lo, _ in spans), max(hi for _, hi in spans)
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    if high - low < 1e-12:  # all weights equal (e.g. zero): a small span around them
        low, high = low - 0.5, high + 0.5
    return low, high


def shares(values: np.ndarray, span: tuple[float, float], bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """``(bins,)`` share of ``values`` in each of ``bins`` equal bins over ``span`` (0 for no
    values): start and now stay comparable when the layer was resized and holds more or fewer
    weights. Equal bins given as a count and a range: NumPy then bins by arithmetic (~0.3 ms for
    65,536 values); given as an array of edges, it sorts the values (~2 ms)."""
    counts = np.histogram(values, bins=bins, range=span)[0].astype(np.float64)
    return counts / max(1, values.size)


def layer_title(h: LayerHealth) -> str:
    """``"Layer 1 (784→512)"``, ..., ``"Output (128→10)"``."""
    name = tr("Output") if h.is_output else tr("Layer {n}").format(n=h.layer)
    return f"{name} ({h.fan_in}→{h.fan_out})"


def unit_problem(h: LayerHealth, activation: str) -> tuple[str, float] | None:
    """``("dead", fraction)`` for a hidden ReLU-like layer, ``("saturated", fraction)`` for a
    sigmoid or tanh one, ``None`` when neither applies (the output layer, another activation)."""
    if h.is_output:
        return None
    if activation in RELU_LIKE:
        return "dead", h.dead_fraction
    if activation in SQUASHING:
        return "saturated", h.saturated_fraction
    return None


def percent_text(fraction: float) -> str:
    """``"43%"`` (whole percent, the language's way) of a fraction in [0, 1]; ``"?"`` when unknown."""
    return format_percent(fraction, 0) if math.isfinite(fraction) else "?"


def health_row(step: int, h: LayerHealth) -> np.ndarray:
    """``(ROW_LENGTH,) float64``: a history row (see the column constants) of layer health ``h``."""
    return np.array([step, *h.weight_quantiles, *h.update_quantiles, *h.activation_quantiles,
                     h.log10_update_ratio, h.dead_fraction, h.saturated_fraction], np.float64)


class ThinningHistory:
    """Rows ``(ROW_LENGTH,)`` in step order, at most ``capacity`` of them.

    When full, every other stored row is dropped (the first one stays) and from then on only every
    ``stride``-th new row is stored, so the points stay evenly spread over the whole run. The newest
    row is always returned by ``rows`` (stored or not), so a curve ends at the present. A row for
    the step of the newest replaces it (a paused run sends the same step again); a row for an
    earlier step drops the rows after it (a restore went back in time)."""

    def __init__(self, capacity: int = HISTORY_CAPACITY, width: int = ROW_LENGTH):
        if capacity < 4 or capacity % 2:
            raise ValueError("capacity must be an even number >= 4")
        self.capacity = capacity
        self._data = np.empty((capacity, width), np.float64)
        self._n = 0
        self.stride = 1
        self._since_stored = 0  # rows offered since the last stored one
        self._latest: np.ndarray | None = None  # the newest row when it was not stored

    def __len__(self) -> int:
        """Rows ``rows`` returns."""
        return self._n + (self._latest is not None)

    def last_step(self) -> float:
        if self._latest is not None:
            return float(self._latest[0])
        return float(self._data[self._n - 1, 0]) if self._n else -math.inf

    def add(self, row: np.ndarray) -> None:
        step = float(row[0])
        last = self.last_step()
        if step == last:
            if self._latest is not None:
                self._latest = row
            else:
                self._data[self._n - 1] = row
            return
        if step < last:
            self._n = int(np.searchsorted(self._data[:self._n, 0], step, side="left"))
            self._latest, self._since_stored = None, self.stride  # store this one
        self._since_stored += 1
        if self._since_stored < self.stride:
            self._latest = row
            return
        if self._n == self.capacity:
            kept = self._data[:self._n:2].copy()
            self._n = len(kept)
            self._data[:self._n] = kept
            self.stride *= 2
        self._data[self._n] = row
        self._n += 1
        self._since_stored, self._latest = 0, None

    def rows(self) -> np.ndarray:
        """``(len(self), ROW_LENGTH) float64`` copy of the rows, oldest first."""
        stored = self._data[:self._n]
        return np.vstack([stored, self._latest[None, :]]) if self._latest is not None else stored.copy()


# ---------------------------------------------------------------------------------------- drawing

def _colour(role: str, alpha: int = 255):
    c = pg.mkColor(getattr(style, role))
    c.setAlpha(alpha)
    return c


def layer_colour_role(index: int, count: int) -> str:
    """The ``style`` role colouring layer ``index`` (0-based) of ``count`` (the last is the output)."""
    return OUTPUT_COLOUR if index == count - 1 else HIDDEN_COLOURS[index % len(HIDDEN_COLOURS)]


def _small_plot(graphics: pg.GraphicsLayoutWidget, row: int, title: str, bottom: str | None,
                col: int = 0) -> pg.PlotItem:
    """A mouse-inert plot with a small title; x numbers only when ``bottom`` names the x axis."""
    plot = graphics.addPlot(row=row, col=col)
    _set_title(plot, title)
    style.style_plot(plot, bottom=bottom)
    plot.setMouseEnabled(x=False, y=False)  # a stray drag during a lecture must not lose the picture
    plot.hideButtons()
    plot.enableAutoRange(x=False, y=False)  # ranges are set when drawing, in one go (cheaper)
    plot.getAxis("left").enableAutoSIPrefix(False)
    plot.getAxis("bottom").enableAutoSIPrefix(False)
    if bottom is None:
        plot.getAxis("bottom").setStyle(showValues=False)
    plot.getAxis("left").setStyle(maxTickLevel=0)  # major ticks only: a plot ~60 px tall fits three numbers
    # Room for the tick numbers before the first paint (see style.reserve_tick_room); the same for
    # every plot, so the plots of a column line up.
    style.reserve_tick_room(plot.getAxis("left"), "-1e-4")
    style.cache_axes(plot)
    return plot


def _set_title(plot: pg.PlotItem, title: str) -> None:
    if plot.titleLabel.text != title:
        plot.setTitle(title, size=f"{style.zoomed_pt(style.SMALL_PT):.3g}pt", color=style.FOREGROUND)


def _fit_range(plot: pg.PlotItem, axis: int, low: float, high: float, room_ahead: bool = False,
               minimum_span: float = 1e-12) -> None:
    """Show ``low .. high`` on ``plot``'s x (``axis`` 0) or y (1) axis, changing the range only when
    the data leave it or fill less than ``REFIT_FILL`` of it: each change re-lays out the axis and
    its linked plots and re-renders their cached pictures, and most redraws move nothing. The new
    range has ``RANGE_MARGIN`` of room on both sides, or with ``room_ahead`` (the step axis)
    ``STEP_ROOM`` after ``high`` only, so that a growing run refits it rarely."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return
    if high - low < minimum_span:
        middle = (low + high) / 2
        low, high = middle - minimum_span, middle + minimum_span
    shown_low, shown_high = plot.getViewBox().viewRange()[axis]
    if shown_low <= low and high <= shown_high and high - low >= REFIT_FILL * (shown_high - shown_low):
        return
    span = high - low
    if room_ahead:
        low, high = low, high + STEP_ROOM * span
    else:
        low, high = low - RANGE_MARGIN * span, high + RANGE_MARGIN * span
    if axis == 0:
        plot.setXRange(low, high, padding=0)
    else:
        plot.setYRange(low, high, padding=0)


def _line_pen(role: str, width: float) -> QtGui.QPen:
    """A pen in role ``role``'s colour, as wide as the theme draws lines (High contrast: wider)."""
    return pg.mkPen(_colour(role), width=width * themes.current_theme().line_factor)


class QuantileBands:
    """Bands of quantiles over time in ``plot``: 1-99% (light), 10-90% (darker), the median (line),
    in the colour of role ``role``. Each band is one closed polygon (low edge out, high edge back)
    filled as a ``PlotCurveItem`` (``fillLevel="enclosed"``): half the work of a FillBetweenItem,
    which rebuilds its path once per edge curve changed."""

    def __init__(self, plot: pg.PlotItem, role: str):
        self.plot, self.role = plot, role
        self._outer = pg.PlotCurveItem(pen=pg.mkPen(None), fillLevel="enclosed")
        self._inner = pg.PlotCurveItem(pen=pg.mkPen(None), fillLevel="enclosed")
        self.median = pg.PlotCurveItem()
        for item in (self._outer, self._inner, self.median):
            plot.addItem(item)
        self._drawn = (np.zeros(0), np.zeros((0, len(QUANTILES))))
        self.follow_theme()

    def follow_theme(self) -> None:
        self._outer.setBrush(_colour(self.role, OUTER_ALPHA))
        self._inner.setBrush(_colour(self.role, INNER_ALPHA))
        self.median.setPen(_line_pen(self.role, 2))

    def show(self, steps: np.ndarray, q: np.ndarray) -> tuple[float, float]:
        """Draw ``q (n, len(QUANTILES))`` at ``steps (n,)``; rows with a non-finite quantile are left
        out. Returns the drawn values' (low, high), NaN for none."""
        keep = np.isfinite(q).all(axis=1)
        steps, q = steps[keep], q[keep]
        self._drawn = (steps, q)
        there_and_back = np.concatenate([steps, steps[::-1]])
        self._outer.setData(there_and_back, np.concatenate([q[:, 0], q[::-1, -1]]))
        self._inner.setData(there_and_back, np.concatenate([q[:, 1], q[::-1, -2]]))
        self.median.setData(steps, q[:, len(QUANTILES) // 2])
        if not len(q):
            return math.nan, math.nan
        return float(q[:, 0].min()), float(q[:, -1].max())

    def drawn(self) -> tuple[np.ndarray, np.ndarray]:
        """``(steps (n,), quantiles (n, len(QUANTILES)))`` now drawn (in axis units)."""
        return self._drawn[0].copy(), self._drawn[1].copy()


class LayerColumn(QtWidgets.QWidget):
    """One layer's column: its title, its big "% dead" number (hidden layers), its three bands over
    time (weights, update on the symmetric log axis, outputs) and its weight histogram.

    Args:
        index, count: the layer (0-based) and how many there are (the last is the output layer).
        x_link: the plot whose step axis the column's time plots follow.
    """

    def __init__(self, index: int, count: int, x_link: pg.PlotItem, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.index, self.is_output = index, index == count - 1
        self.role = layer_colour_role(index, count)
        self.history = ThinningHistory()
        self.start_sample: np.ndarray | None = None  # (n,) float64 finite weights first seen after clear()
        self._name = ""
        self._update_ticks: list = []
        self.title = info_label("", style.LABEL_PT, bold=True)
        self.title.setWordWrap(False)
        self.title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.big = reserve_lines(info_label("", BIG_PT, bold=True), 1)
        self.big.setWordWrap(False)
        self.big.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.graphics = style.graphics_widget()
        self.graphics.setMinimumSize(170, 4 * 80)
        # Short titles: a column is ~190 px wide in the tab area at 1080p (longer ones were cut off).
        outputs = tr("logits") if self.is_output else tr("activations")
        self.weights_plot = _small_plot(self.graphics, 0, tr("weights"), None)
        self.updates_plot = _small_plot(self.graphics, 1, tr("update ΔW (log)"), None)
        self.outputs_plot = _small_plot(self.graphics, 2, outputs, tr("step"))
        self.histogram_plot = _small_plot(self.graphics, 3, tr("weights: now / start"), tr("weight"))
        # The column's three step plots share one axis (stacked, the same width: a link is exact).
        # Not linked to x_link itself: pyqtgraph aligns linked views by their position on screen,
        # so columns side by side showed different steps (50-150, 250-350, ...); follow_steps copies
        # its range instead.
        self.x_link = x_link
        for plot in (self.weights_plot, self.updates_plot):
            plot.setXLink(self.outputs_plot)
        self.weight_bands = QuantileBands(self.weights_plot, self.role)
        self.update_bands = QuantileBands(self.updates_plot, self.role)
        self.output_bands = QuantileBands(self.outputs_plot, self.role)
        # stepMode is given with the data: pyqtgraph refuses it for an empty curve
        self.start_curve = pg.PlotCurveItem(fillLevel=0)
        self.now_curve = pg.PlotCurveItem(fillLevel=0)
        for curve in (self.start_curve, self.now_curve):
            self.histogram_plot.addItem(curve)
        self.histogram_plot.getAxis("left").setStyle(showValues=False)  # shares of weights: the shape is the point
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for label in (self.title, self.big):
            label.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter)
            layout.addWidget(label)
        layout.addWidget(self.graphics, 1)
        self.follow_theme()

    def follow_theme(self) -> None:
        for bands in (self.weight_bands, self.update_bands, self.output_bands):
            bands.follow_theme()
        self.start_curve.setPen(_line_pen("GREY", 1))
        self.start_curve.setBrush(_colour("GREY", 60))
        self.now_curve.setPen(_line_pen(self.role, 2))
        self.now_curve.setBrush(_colour(self.role, 80))
        self._show_title()

    def set_layer(self, h: LayerHealth) -> None:
        if layer_title(h) != self._name:
            self._name = layer_title(h)
            self._show_title()

    def _show_title(self) -> None:
        """The name in the text colour (an orange name on white would be hard to read), after a
        bar in the layer's colour: the colour of its lines in the shared plots."""
        set_text(self.title, f'<span style="color:{getattr(style, self.role)}">━</span> {self._name}')

    def follow_steps(self) -> None:
        """Show the step range of ``x_link`` (the shared plots') on the column's step plots."""
        low, high = self.x_link.getViewBox().viewRange()[0]
        if self.outputs_plot.getViewBox().viewRange()[0] != [low, high]:
            self.outputs_plot.setXRange(low, high, padding=0)

    def show_history(self) -> None:
        rows = self.history.rows()
        steps = rows[:, 0]
        low, high = self.weight_bands.show(steps, rows[:, WEIGHTS])
        _fit_range(self.weights_plot, 1, low, high)
        low, high = self.output_bands.show(steps, rows[:, ACTIVATIONS])
        _fit_range(self.outputs_plot, 1, low, high)
        low, high = self.update_bands.show(steps, symlog(rows[:, UPDATES]))
        top = max(abs(low), abs(high), 1.0) if math.isfinite(low) else 1.0
        _fit_range(self.updates_plot, 1, -top, top)
        shown_top = self.updates_plot.getViewBox().viewRange()[1][1]
        ticks = symlog_ticks(shown_top)
        if ticks != self._update_ticks:
            self._update_ticks = ticks
            self.updates_plot.getAxis("left").setTicks([ticks])

    def show_histogram(self, weights: np.ndarray) -> None:
        """Histogram of ``weights (fan_in, fan_out)`` (an even sample) over the start's."""
        now = finite_values(even_sample(weights))
        start = self.start_sample if self.start_sample is not None else now[:0]
        span = histogram_range(now, start)
        if span is None:
            self.now_curve.setData([], [], stepMode=None)
            self.start_curve.setData([], [], stepMode=None)
            return
        edges = np.linspace(span[0], span[1], HISTOGRAM_BINS + 1)
        now_shares, start_shares = shares(now, span), shares(start, span)
        self.start_curve.setData(edges, start_shares, stepMode="center")
        self.now_curve.setData(edges, now_shares, stepMode="center")
        _fit_range(self.histogram_plot, 0, span[0], span[1])
        _fit_range(self.histogram_plot, 1, 0.0, max(float(now_shares.max()), float(start_shares.max()), 1e-3))

    def histogram(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(edges (B+1,), start shares (B,), now shares (B,))`` now drawn (empty before the first)."""
        edges, start = self.start_curve.getData()
        _, now = self.now_curve.getData()
        empty = np.zeros(0)
        return (empty if edges is None else edges, empty if start is None else start, empty if now is None else now)


class LayerHealthPanel(QtWidgets.QWidget):
    """The layer health of the live run (see the module docstring), from ``snap.health`` (one
    ``LayerHealth`` per layer) and ``snap.params`` (for the weight histograms).

    Args:
        min_interval: s between redraws (0: on every snapshot with health, for tests).
        histogram_interval: s between weight histograms (0: at every redraw).
    """

    def __init__(self, min_interval: float = MIN_INTERVAL, histogram_interval: float = HISTOGRAM_INTERVAL,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._min_interval, self._histogram_interval = min_interval, histogram_interval
        self._columns: list[LayerColumn] = []
        self._latest: Snapshot | None = None  # newest snapshot with health
        self._key_state: tuple | None = None  # what the key label shows (see _draw_key)
        self._dirty = False  # recorded but not yet drawn
        self._last_draw = -math.inf
        self._last_histogram = -math.inf
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._draw_if_due)
        self._build()
        self.clear()

    # ------------------------------------------------------------------ public
    def show_snapshot(self, snap: Snapshot) -> None:
        """Record ``snap.health`` (if it has any) and redraw at most every ``min_interval`` s while
        visible. Call it with every live snapshot, also while the tab is hidden (else the history
        has gaps); snapshots without health return at once."""
        if not snap.health:
            return
        self._record(snap)
        self._dirty = True
        self._draw_if_due()

    def flush(self) -> None:
        """Draw what was recorded now (visible or not, due or not)."""
        self._timer.stop()
        if self._dirty:
            self._draw()

    def clear(self) -> None:
        """A new run: forget every layer's history and start histogram, show the empty state."""
        self._timer.stop()
        self._latest = None
        self._dirty = False
        self._last_histogram = -math.inf
        self._set_layer_count(0)
        for curve in self.ratio_curves + self.unit_curves:
            curve.setData([], [])
        set_text(self._message, tr(WAITING))
        self._message.setVisible(True)

    def layer_count(self) -> int:
        return len(self._columns)

    def layer_titles(self) -> list[str]:
        return [column._name for column in self._columns]

    def big_number_texts(self) -> list[str]:
        """Each layer's big number as plain text (``"43% dead"``, ``"⚠ 71% saturated"``, ``""``)."""
        return [re.sub("<[^>]*>", "", column.big.text()) for column in self._columns]

    def history_length(self, layer: int) -> int:
        """Points kept for layer ``layer`` (0-based)."""
        return len(self._columns[layer].history)

    def history_rows(self, layer: int) -> np.ndarray:
        """``(n, ROW_LENGTH)`` the history of layer ``layer`` (see the column constants)."""
        return self._columns[layer].history.rows()

    def column(self, layer: int) -> LayerColumn:
        return self._columns[layer]

    def message(self) -> str:
        return self._message.text() if not self._message.isHidden() else ""

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._message = info_label("", style.LABEL_PT, bold=True)
        self._key = info_label("")
        self._key.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self._columns_box = QtWidgets.QHBoxLayout()
        self._columns_box.setSpacing(6)
        self._shared = style.graphics_widget()
        self._shared.setMinimumHeight(170)
        self.ratio_plot = _small_plot(self._shared, 0, tr("update size ÷ weight size, per step (log scale)"),
                                      tr("step"))
        self.units_plot = _small_plot(self._shared, 0, tr("% dead units"), tr("step"), col=1)
        self.ratio_curves: list[pg.PlotCurveItem] = []  # one per layer
        self.unit_curves: list[pg.PlotCurveItem] = []  # one per hidden layer
        self._style_units_plot()
        self._add_healthy_band()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(style.title_label(tr(TITLE)))
        layout.addWidget(reserve_lines(info_label(tr(CAPTION)), 2))
        layout.addWidget(self._message)
        layout.addLayout(self._columns_box, 3)
        layout.addWidget(self._key)
        layout.addWidget(self._shared, 1)

    def _style_units_plot(self) -> None:
        plot = self.units_plot
        plot.setYRange(0, 100, padding=0.06)
        plot.getAxis("left").setTicks([[(v, f"{v}%") for v in (0, 25, 50, 75, 100)]])
        style.reserve_tick_room(plot.getAxis("left"), "100%")
        plot.setXLink(self.ratio_plot)
        self._warning_line = pg.InfiniteLine(WARNING_PERCENT, angle=0, movable=False,
                                             pen=pg.mkPen(getattr(style, WARNING_COLOUR), width=2,
                                                          style=QtCore.Qt.PenStyle.DashLine))
        plot.addItem(self._warning_line)

    def _add_healthy_band(self) -> None:
        """The shaded guide band around ``HEALTHY_LOG10_RATIO`` and its label."""
        self._healthy = pg.LinearRegionItem(HEALTHY_BAND, orientation="horizontal", movable=False, pen=pg.mkPen(None))
        self._healthy.setZValue(-10)
        self.ratio_plot.addItem(self._healthy)
        self._healthy_label = pg.TextItem(tr(HEALTHY), anchor=(0, 0.5))
        self._healthy_label.setFont(style.font(style.SMALL_PT))
        self.ratio_plot.addItem(self._healthy_label, ignoreBounds=True)
        self.ratio_plot.getAxis("left").setTicks([[(k, f"1e{k}") for k in range(-12, 3)]])
        self._follow_theme()

    def _set_layer_count(self, count: int) -> None:
        """``count`` columns and shared-plot lines (a change forgets the history: no layer matches)."""
        if count == len(self._columns):
            return
        for column in self._columns:
            self._columns_box.removeWidget(column)
            column.deleteLater()
        for curve in self.ratio_curves:
            self.ratio_plot.removeItem(curve)
        for curve in self.unit_curves:
            self.units_plot.removeItem(curve)
        self._columns = [LayerColumn(k, count, self.ratio_plot) for k in range(count)]
        for column in self._columns:
            self._columns_box.addWidget(column, 1)
        self.ratio_curves = [pg.PlotCurveItem(connect="finite") for _ in range(count)]
        self.unit_curves = [pg.PlotCurveItem(connect="finite") for _ in range(max(0, count - 1))]
        for curve in self.ratio_curves:
            self.ratio_plot.addItem(curve)
        for curve in self.unit_curves:
            self.units_plot.addItem(curve)
        self._colour_lines()
        self._key_state = None

    def _colour_lines(self) -> None:
        """The shared plots' lines in their layers' colours."""
        for curve, column in zip(self.ratio_curves + self.unit_curves, self._columns + self._columns):
            curve.setPen(_line_pen(column.role, 3))

    # ------------------------------------------------------------------ recording
    def _record(self, snap: Snapshot) -> None:
        self._set_layer_count(len(snap.health))
        for column, h in zip(self._columns, snap.health):
            column.history.add(health_row(snap.step, h))
            column.set_layer(h)
        self._latest = snap
        if self._columns and all(c.start_sample is None for c in self._columns):
            self._take_start(snap)

    def _take_start(self, snap: Snapshot) -> None:
        """The start histograms: the weights first seen after ``clear()`` (kept even while hidden)."""
        for k, column in enumerate(self._columns):
            weights = _layer_weights(snap, k)
            if weights is not None:
                sample = finite_values(even_sample(weights))
                column.start_sample = sample if sample.size else None

    # ------------------------------------------------------------------ drawing
    def _draw_if_due(self) -> None:
        if not self._dirty or not self.isVisible():
            return  # showEvent draws what waits
        wait = self._min_interval - (time.monotonic() - self._last_draw)
        if wait <= 0:
            self._draw()
        elif not self._timer.isActive():
            self._timer.start(max(1, round(wait * 1000)))

    def _draw(self) -> None:
        snap = self._latest
        self._dirty = False
        self._last_draw = time.monotonic()
        if snap is None or not self._columns:
            return
        self._message.setVisible(False)
        rows = [column.history.rows() for column in self._columns]
        first = min((float(r[0, 0]) for r in rows if len(r)), default=0.0)
        last = max((float(r[-1, 0]) for r in rows if len(r)), default=0.0)
        _fit_range(self.ratio_plot, 0, first, max(last, first + 1), room_ahead=True)  # every step axis follows it
        for column in self._columns:
            column.follow_steps()
            column.show_history()
        self._draw_histograms(snap)
        self._draw_shared(snap, rows)
        self._draw_big_numbers(snap)

    def _draw_histograms(self, snap: Snapshot) -> None:
        now = time.monotonic()
        if now - self._last_histogram < self._histogram_interval:
            return
        self._last_histogram = now
        for k, column in enumerate(self._columns):
            weights = _layer_weights(snap, k)
            if weights is not None:
                column.show_histogram(weights)

    def _draw_shared(self, snap: Snapshot, rows: Sequence[np.ndarray]) -> None:
        ratios = []
        for curve, r in zip(self.ratio_curves, rows):
            y = np.where(np.isfinite(r[:, RATIO]), r[:, RATIO], np.nan)  # -inf (unchanged) is not drawn
            curve.setData(r[:, 0], y, connect="finite")
            ratios.append(y[np.isfinite(y)])
        drawn = np.concatenate(ratios) if ratios else np.zeros(0)
        low = min(float(drawn.min()) if drawn.size else HEALTHY_BAND[0], HEALTHY_BAND[0] - 0.5)
        high = max(float(drawn.max()) if drawn.size else HEALTHY_BAND[1], HEALTHY_BAND[1] + 0.5)
        _fit_range(self.ratio_plot, 1, low, high)
        left = self.ratio_plot.getViewBox().viewRange()[0][0]
        # Compared as a point: a check of x alone left it at its initial (0, 0), i.e. at 1e0, over a
        # run whose axis starts at step 0 (seen under Xvfb).
        if (self._healthy_label.pos().x(), self._healthy_label.pos().y()) != (left, HEALTHY_LOG10_RATIO):
            self._healthy_label.setPos(left, HEALTHY_LOG10_RATIO)  # inside the band, at its left
        word = _unit_word(snap.settings.activation)
        _set_title(self.units_plot, _units_title(word))
        column = DEAD if word == "dead" else SATURATED
        for curve, r in zip(self.unit_curves, rows):
            curve.setData(r[:, 0], 100 * r[:, column], connect="finite")
        self._draw_key()

    def _draw_big_numbers(self, snap: Snapshot) -> None:
        for column, h in zip(self._columns, snap.health):
            problem = unit_problem(h, snap.settings.activation)
            if problem is None:
                set_text(column.big, "")
                continue
            word, fraction = problem
            text = tr(PROBLEM_TEXTS[word]).format(percent=percent_text(fraction))
            if math.isfinite(fraction) and 100 * fraction > WARNING_PERCENT:
                text = f'<span style="color:{getattr(style, WARNING_COLOUR)}">⚠ {text}</span>'
            set_text(column.big, text)

    def _draw_key(self) -> None:
        """Which line is which layer, in their colours (rich text: one label)."""
        roles = tuple(column.role for column in self._columns)
        colours = tuple(getattr(style, r) for r in roles)
        if (roles, colours) == self._key_state:
            return
        self._key_state = (roles, colours)
        names = [(tr("Output") if c.is_output else tr("Layer {n}").format(n=c.index + 1)) for c in self._columns]
        parts = [f'<span style="color:{colour}"><b>━ {name}</b></span>' for name, colour in zip(names, colours)]
        set_text(self._key, tr("Lines below: {lines}").format(lines="  ".join(parts)))

    def refresh_texts(self) -> None:
        """Rewrite the texts built from numbers or names in the current language, after a language
        switch: the layers' titles, the key, the big numbers, the units plot's title and the guide
        band's label (a pyqtgraph text item, which ``retranslate`` does not reach). They are kept
        between redraws, and a paused run sends no new health."""
        self._healthy_label.setText(tr(HEALTHY))
        snap = self._latest
        if snap is None or not self._columns:
            return
        for column, h in zip(self._columns, snap.health):
            column.set_layer(h)
        self._key_state = None
        self._draw_key()
        _set_title(self.units_plot, _units_title(_unit_word(snap.settings.activation)))
        self._draw_big_numbers(snap)

    # ------------------------------------------------------------------ theme and events
    def _follow_theme(self) -> None:
        """Fills, the guide band and its label in the current theme (``themes.recolour_views``
        recolours lines and axes, not fills nor text items)."""
        self._healthy.setBrush(_colour("GREEN", 55))
        self._healthy_label.setColor(style.GREEN)
        self._warning_line.setPen(pg.mkPen(getattr(style, WARNING_COLOUR), width=2, style=QtCore.Qt.PenStyle.DashLine))
        for column in self._columns:
            column.follow_theme()
        self._colour_lines()
        self._key_state = None
        if self._latest is not None and self._columns:
            self._draw_key()

    def changeEvent(self, event: QtCore.QEvent) -> None:
        super().changeEvent(event)
        # A theme change sets the application palette before it rebinds style's colours: follow it
        # once the change is complete.
        if event.type() in (QtCore.QEvent.Type.PaletteChange, QtCore.QEvent.Type.ApplicationPaletteChange):
            QtCore.QTimer.singleShot(0, self, self._follow_theme)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            QtCore.QTimer.singleShot(0, self, self._draw_if_due)


def _layer_weights(snap: Snapshot, layer: int) -> np.ndarray | None:
    """``W{layer+1} (fan_in, fan_out)`` of ``snap``, or ``None`` when the snapshot does not have it."""
    index = 2 * layer
    if index >= len(snap.params):
        return None
    weights = np.asarray(snap.params[index])
    return weights if weights.ndim == 2 and weights.size else None


def _units_title(word: str) -> str:
    """The units plot's title for ``_unit_word``'s word ("" when neither applies)."""
    if word == "dead":
        return tr("% dead units")
    if word == "saturated":
        return tr("% saturated units")
    return tr("% dead or saturated units (not measured for this activation)")


def _unit_word(activation: str) -> str:
    if activation in RELU_LIKE:
        return "dead"
    if activation in SQUASHING:
        return "saturated"
    return ""

