"""CurvesPanel: training loss and accuracy as training goes, with labelled markers where a knob
was turned (``lr 0.001 → 1``), so the room sees cause and effect on one time axis.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.snapshot import STEP_COLUMNS, DecimatingSeries, Marker, Snapshot
from mnist_viz.core.trainer import restored_step
from mnist_viz.core.watchdog import MARKER_LABELS
from mnist_viz.gui import style

# Our own per-step buffer: the snapshot's columns plus the smoothed loss and accuracy, computed
# on the raw rows before any decimation so the smoothing does not depend on the buffer's stride.
CURVE_COLUMNS = (*STEP_COLUMNS, "loss_smooth", "accuracy_smooth")
EVAL_CURVE_COLUMNS = ("step", "epoch", "samples", "eval_loss", "eval_accuracy")
X_AXES = {"epochs": ("epoch", "epochs"), "samples": ("samples", "training images seen")}
LOSS_FLOOR = 1e-6  # a cross-entropy of exactly 0 would be -inf on the log axis
TROUBLE_LABELS = frozenset(MARKER_LABELS.values())
Y_RANGE_SLACK = 0.05  # decades the loss axis may be off before it is re-set (each change re-lays out the axis)


def exponential_moving_average(values: np.ndarray, alpha: float, previous: float = math.nan) -> np.ndarray:
    """``ema[t] = (1 - alpha) * ema[t-1] + alpha * values[t]``, starting from ``previous`` (or from
    ``values[0]`` when ``previous`` is nan). ``values: (n,)``; returns ``(n,) float64``.

    Vectorised in chunks (closed form with powers of ``1 - alpha``) because a snapshot can carry
    thousands of rows after a pause; the chunking keeps the powers far from under/overflow.
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values)
    if values.size == 0:
        return out
    beta = 1.0 - alpha
    prev = values[0] if math.isnan(previous) else previous
    chunk = 128
    t = np.arange(chunk, dtype=np.float64)
    decay = beta ** t  # beta^t
    inverse = beta ** -t  # beta^-t: at most beta^-127, ~50 for alpha = 0.03
    for start in range(0, values.size, chunk):
        x = values[start:start + chunk]
        m = x.size
        # ema[t] = beta^(t+1) * prev + alpha * beta^t * sum_{j<=t} beta^-j x[j]
        out[start:start + m] = beta * decay[:m] * prev + alpha * decay[:m] * np.cumsum(x * inverse[:m])
        prev = out[start + m - 1]
    return out


def _key_html() -> str:
    """The legend as one line of text, each entry in its curve's colour. It sits above the plots:
    a legend box inside a plot always ends up over some curve."""
    key = [(style.BLUE, "━━", "training (smoothed)"), (style.SKY_BLUE, "━━", "each batch"),
           (style.VERMILLION, "●", "test / validation")]
    return "&nbsp;&nbsp;&nbsp;".join(f"<span style='color:{colour}; font-weight:bold'>{glyph}</span>&nbsp;{text}"
                                     for colour, glyph, text in key)


def log_ticks(low: float, high: float, px_per_decade: float) -> list[list[tuple[float, str]]]:
    """Ticks for a log10 axis showing ``10**low .. 10**high``: as many of 1-2-5 per decade as fit
    ``MIN_TICK_SPACING_PX`` apart, or every n-th power of ten when even one per decade is too many.
    Returns pyqtgraph's ``[major [(log10 value, label)], minor [(log10 value, "")]]``.

    (pyqtgraph's own log ticks label every minor tick when less than a decade is shown, and pile
    labels on top of each other when a blow-up stretches the axis over 30 decades.)
    """
    labelled = (1,)
    for mantissas in ((1, 2, 5), (1, 3)):  # densest first
        # The closest labelled pair: 2 -> 5 (0.4 decade) or 1 -> 3 (0.48 decade).
        if min(np.diff(np.log10([*mantissas, 10]))) * px_per_decade >= MIN_TICK_SPACING_PX:
            labelled = mantissas
            break
    decade_step = max(1, math.ceil(MIN_TICK_SPACING_PX / max(px_per_decade, 1e-9)))
    major, minor = [], []
    for exponent in range(math.floor(low) - 1, math.ceil(high) + 1):
        if exponent % decade_step:
            continue
        for mantissa in range(1, 10) if decade_step == 1 else (1,):
            value = mantissa * 10.0 ** exponent
            if mantissa in labelled:
                major.append((math.log10(value), f"{value:g}"))
            else:
                minor.append((math.log10(value), ""))
    return [major, minor]


MIN_TICK_SPACING_PX = 28  # closer labels run into each other at TICK_PT


def _finite_rows(rows: np.ndarray) -> np.ndarray:
    """``rows (k, c)`` as float64 without the rows holding NaN/inf: one infinite loss would make
    the moving average infinite for good and the log axis meaningless."""
    rows = np.asarray(rows, dtype=np.float64)
    if len(rows) == 0:
        return rows
    keep = np.isfinite(rows).all(axis=1)
    return rows if keep.all() else rows[keep]



def decimate_for_display(x: np.ndarray, y: np.ndarray, max_points: int, peaks: bool = False
                         ) -> tuple[np.ndarray, np.ndarray]:
    """At most ~``max_points`` of ``(x, y)`` (x increasing) for drawing; the arrays themselves when
    they already fit. ``peaks``: each bin of rows becomes its min and max (keeps the envelope of a
    noisy curve, as pyqtgraph's "peak" downsampling); else the first row of each bin (for smooth
    curves). The last row is always kept, so the line reaches the newest point.

    pyqtgraph's own auto-downsampling only starts at 5 points per pixel and its "peak" method then
    keeps 2 per bin, so a full buffer of 10k points went to the painter every frame."""
    n = len(x)
    if n <= max_points or max_points < 4:
        return x, y
    bins = max_points // 2 if peaks else max_points - 1
    ds = -(-(n - 1) // bins)  # rows per bin (the last row is added separately)
    full = ((n - 1) // ds) * ds
    starts = x[:full:ds]
    if peaks:
        block = y[:full].reshape(-1, ds)
        xs = np.repeat(starts, 2)
        ys = np.empty(2 * len(starts), dtype=y.dtype)
        ys[0::2], ys[1::2] = block.min(axis=1), block.max(axis=1)
    else:
        xs, ys = starts, y[:full:ds]
    # The few rows after the last whole bin, and the newest row.
    return np.concatenate([xs, x[full:]]), np.concatenate([ys, y[full:]])


class CurvesPanel(QtWidgets.QWidget):
    """Loss (top, log scale) and accuracy in % (bottom) against epochs or training images seen.

    Loss: each batch's loss (faint), its moving average (bold), and the evaluation loss (dots).
    Accuracy: moving average of each batch's accuracy, and the evaluation accuracy (dots).
    Memory is bounded by ``DecimatingSeries`` buffers; at most ``MAX_MARKERS`` markers are drawn.

    Signals:
        xAxisChanged(str): "epochs" or "samples", after the user switched the x axis.
    """

    xAxisChanged = QtCore.Signal(str)
    MAX_MARKERS = 50
    STEP_CAPACITY = 10_000  # points per curve: more than a projector has pixels across
    POINTS_PER_PX = 2  # drawn points per pixel of plot width for the step curves (see decimate_for_display)
    EVAL_PX_PER_POINT = 2  # evaluation dots are 9 px wide: more than one per 2 px only overlap

    def __init__(self, parent: QtWidgets.QWidget | None = None, x_axis: str = "epochs", smoothing: float = 0.03):
        super().__init__(parent)
        if x_axis not in X_AXES:
            raise ValueError(f"x_axis must be one of {', '.join(X_AXES)}, got {x_axis!r}")
        self._x_axis = x_axis
        self._alpha = smoothing
        self.steps = DecimatingSeries(CURVE_COLUMNS, self.STEP_CAPACITY)
        self.evals = DecimatingSeries(EVAL_CURVE_COLUMNS, 4_000)
        self._ema_loss = math.nan
        self._ema_acc = math.nan
        # Steps undone by a restore, (from, to]: the blow-up they hold does not set the loss axis.
        self._undone: list[tuple[float, float]] = []
        self._loss_range = (math.nan, math.nan)
        self._markers: deque[tuple[Marker, pg.InfiniteLine, pg.InfiniteLine]] = deque()
        self._marker_count = 0  # markers ever added: staggers the label heights
        self._log_ticks: list = []  # ticks now on the loss axis (see log_ticks)
        self._step_budget = 0  # points per step curve at the last redraw (see _on_plot_resized)
        self._build()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._graphics = style.graphics_widget()
        self._graphics.setMinimumHeight(230)  # two readable plots, whatever the other panels want
        self.loss_plot = self._graphics.addPlot(row=0, col=0)
        self.accuracy_plot = self._graphics.addPlot(row=1, col=0)
        self.accuracy_plot.setXLink(self.loss_plot)
        self._style_plots()
        self.loss_raw = self._curve(self.loss_plot, style.SKY_BLUE, 1, alpha=90, name="each batch")
        self.loss_smooth = self._curve(self.loss_plot, style.BLUE, 4, name="training (smoothed)")
        self.loss_eval = self._curve(self.loss_plot, style.VERMILLION, 3, symbol=True, name="test / validation")
        self.accuracy_smooth = self._curve(self.accuracy_plot, style.BLUE, 4, name="training (smoothed)")
        self.accuracy_eval = self._curve(self.accuracy_plot, style.VERMILLION, 3, symbol=True, name="test / validation")
        self._x_choice = QtWidgets.QComboBox()
        self._x_choice.addItems(list(X_AXES))
        self._x_choice.setCurrentText(self._x_axis)
        self._x_choice.setFont(style.font(style.SMALL_PT + 1))
        self._x_choice.currentTextChanged.connect(self._on_x_choice_changed)
        header = QtWidgets.QHBoxLayout()
        header.addWidget(style.title_label("Learning curves"), 1)
        x_label = QtWidgets.QLabel("x axis:")
        x_label.setFont(style.font(style.SMALL_PT + 1))
        header.addWidget(x_label)
        header.addWidget(self._x_choice)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        key = QtWidgets.QLabel(_key_html())
        key.setFont(style.font(style.SMALL_PT + 1))
        key.setWordWrap(True)
        layout.addLayout(header)
        layout.addWidget(key)
        layout.addWidget(self._graphics, 1)

    def _style_plots(self) -> None:
        x_label = X_AXES[self._x_axis][1]
        # The plots share the x axis: its numbers and name under the lower one are enough (the grid
        # lines above line up with them), and on a 720-pixel-high projector the room goes to the curve.
        # What each y axis measures is in the plot's title: a rotated axis label longer than a short
        # plot ran into the next plot's.
        for plot, title, bottom in ((self.loss_plot, "Loss (cross-entropy)", None),
                                    (self.accuracy_plot, "Accuracy (% correct)", x_label)):
            plot.setTitle(title, size=f"{style.LABEL_PT}pt", bold=True, color=style.FOREGROUND)
            style.style_plot(plot, bottom=bottom)
            plot.setMouseEnabled(x=False, y=False)  # a stray drag must not freeze the auto-range
            plot.hideButtons()
            plot.getAxis("bottom").enableAutoSIPrefix(self._x_axis == "samples")
        self.loss_plot.getAxis("bottom").setStyle(showValues=False)
        # Log scale: the loss falls by orders of magnitude, and a blow-up stays on screen.
        self.loss_plot.setLogMode(y=True)
        self.loss_plot.enableAutoRange(y=False)  # see _fit_loss_y: a blow-up that was undone must not set the scale
        self.loss_plot.getAxis("left").enableAutoSIPrefix(False)  # "(x1e+30)" on a log axis misleads
        self.loss_plot.getViewBox().sigYRangeChanged.connect(self._on_loss_range_changed)
        self.loss_plot.getViewBox().sigResized.connect(self._on_loss_range_changed)
        self.loss_plot.getViewBox().sigResized.connect(self._on_plot_resized)
        self._on_loss_range_changed()
        self.accuracy_plot.setYRange(0, 100, padding=0.02)
        self.accuracy_plot.enableAutoRange(y=False)
        # The x range is set by _fit_x, in round steps: auto-ranging x on every frame re-lays out
        # the axes and paints the plots twice per frame (measured: 18-25 ms of a ~30 ms frame).
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.enableAutoRange(x=False)
        self._x_limit = 0.0
        self.accuracy_plot.getAxis("left").setTickSpacing(major=20, minor=10)
        style.cache_axes(self.loss_plot, self.accuracy_plot)

    @staticmethod
    def _curve(plot: pg.PlotItem, colour: str, width: float, alpha: int = 255, symbol: bool = False,
               name: str | None = None) -> pg.PlotDataItem:
        c = pg.mkColor(colour)
        c.setAlpha(alpha)
        pen = pg.mkPen(c, width=width)
        opts = dict(symbol="o", symbolSize=9, symbolBrush=pg.mkBrush(colour), symbolPen=None) if symbol else {}
        # No clipToView / auto-downsampling: the x range always spans all the data, and the
        # points are decimated to the plot's width before setData (_redraw_steps, _redraw_evals).
        return plot.plot(pen=pen, name=name, **opts)

    # ------------------------------------------------------------------ public
    @property
    def x_axis(self) -> str:
        return self._x_axis

    def set_x_axis(self, name: str) -> None:
        """Plot against ``"epochs"`` or ``"samples"`` (training images seen)."""
        if name not in X_AXES:
            raise ValueError(f"x axis must be one of {', '.join(X_AXES)}, got {name!r}")
        if name == self._x_axis:
            return
        self._x_axis = name
        self._reset_x()
        if self._x_choice.currentText() != name:
            self._x_choice.setCurrentText(name)  # re-enters through _on_x_choice_changed, a no-op now
        style.style_axis(self.accuracy_plot.getAxis("bottom"), X_AXES[name][1])
        for plot in (self.loss_plot, self.accuracy_plot):
            # "epochs (x0.001)" confuses; "training images seen (x1e+06)" is what one wants.
            plot.getAxis("bottom").enableAutoSIPrefix(name == "samples")
        self._redraw_steps()
        self._redraw_evals()
        for marker, *lines in self._markers:
            for line in lines:
                line.setValue(self._marker_x(marker))
        self.xAxisChanged.emit(name)

    def marker_count(self) -> int:
        """Markers now drawn (the newest ``MAX_MARKERS``)."""
        return len(self._markers)

    def show_snapshot(self, snap: Snapshot) -> None:
        """Append ``snap.new_steps (k, 5)``, ``snap.new_evals (k, 6)`` and ``snap.new_markers``;
        each curve gets at most one ``setData``."""
        steps = _finite_rows(snap.new_steps)
        restores = [(m.step, restored_step(m.label)) for m in snap.new_markers if restored_step(m.label) is not None]
        if len(steps):
            self._append_steps(steps, [at for at, _ in restores])
        for at, back_to in restores:
            self._undone.append((float(back_to), float(at)))
        if len(steps) or restores:
            self._redraw_steps()
        evals = _finite_rows(snap.new_evals)
        if len(evals):
            self.evals.extend(evals[:, :len(EVAL_CURVE_COLUMNS)])
            self._redraw_evals()
        if len(steps) or restores or len(evals):
            self._fit_loss_y()  # once for both kinds of rows
        for marker in snap.new_markers:
            self._add_marker(marker)

    def clear(self) -> None:
        """Forget every point and marker (training was reset)."""
        self.steps = DecimatingSeries(CURVE_COLUMNS, self.STEP_CAPACITY)
        self.evals = DecimatingSeries(EVAL_CURVE_COLUMNS, 4_000)
        self._ema_loss = self._ema_acc = math.nan
        self._undone.clear()
        self._loss_range = (math.nan, math.nan)
        while self._markers:
            self._remove_oldest_marker()
        self._marker_count = 0
        for curve in (self.loss_raw, self.loss_smooth, self.loss_eval, self.accuracy_smooth, self.accuracy_eval):
            curve.setData([], [])
        self._reset_x()

    # ------------------------------------------------------------------ data
    def _append_steps(self, rows: np.ndarray, restarts: list[int] = ()) -> None:
        """Append ``rows (k, 5)`` with their smoothed loss and accuracy. The smoothing starts again
        after each step in ``restarts`` (a restore): averaging the restored run with the blow-up
        before it kept the smoothed loss at 1e20-1e30 for thousands of steps."""
        cuts = np.searchsorted(rows[:, 0], sorted(restarts), side="right")
        for part_index, part in enumerate(np.split(rows, cuts)):
            if part_index:
                self._ema_loss = self._ema_acc = math.nan
            if len(part):
                loss = np.maximum(part[:, 3], LOSS_FLOOR)
                loss_smooth = exponential_moving_average(loss, self._alpha, self._ema_loss)
                acc_smooth = exponential_moving_average(part[:, 4], self._alpha, self._ema_acc)
                self._ema_loss, self._ema_acc = loss_smooth[-1], acc_smooth[-1]
                self.steps.extend(np.column_stack([part[:, :3], loss, part[:, 4], loss_smooth, acc_smooth]))

    def _plot_width_px(self) -> float:
        """Width of the plots' data area in pixels (a typical one before the first layout)."""
        width = self.loss_plot.getViewBox().width()
        return width if width >= 50 else 800.0

    def _redraw_steps(self) -> None:
        x = self.steps.column(X_AXES[self._x_axis][0])
        budget = int(self.POINTS_PER_PX * self._plot_width_px())
        self._step_budget = budget
        self.loss_raw.setData(*decimate_for_display(x, self.steps.column("loss"), budget, peaks=True))
        self.loss_smooth.setData(*decimate_for_display(x, self.steps.column("loss_smooth"), budget))
        self.accuracy_smooth.setData(*decimate_for_display(x, 100.0 * self.steps.column("accuracy_smooth"), budget))
        self._fit_x(x)

    def _fit_loss_y(self) -> None:
        """Range the loss axis over the batch and evaluation losses, leaving out the steps a restore
        undid: while the trouble is on screen, unrestored, the blow-up sets the scale (it is the
        lesson); once restored it is still drawn, clipped at the top of the plot."""
        step, loss = self.steps.column("step"), self.steps.column("loss")
        eval_step, eval_loss = self.evals.column("step"), self.evals.column("eval_loss")
        values = [loss[self._kept(step)], eval_loss[self._kept(eval_step)]]
        values = np.concatenate([np.maximum(v, LOSS_FLOOR) for v in values])
        if not len(values):
            return
        low, high = float(np.log10(values.min())), float(np.log10(values.max()))
        old_low, old_high = self._loss_range
        if not (abs(low - old_low) < Y_RANGE_SLACK and abs(high - old_high) < Y_RANGE_SLACK):
            self._loss_range = (low, high)
            self.loss_plot.setYRange(low, max(high, low + 0.1), padding=0.05)

    def _kept(self, step: np.ndarray) -> np.ndarray:
        """Which of ``step`` set the loss axis: all but those undone by a restore (bool mask)."""
        keep = np.ones(len(step), bool)
        for start, end in self._undone:
            keep &= ~((step > start) & (step <= end))
        return keep

    def _redraw_evals(self) -> None:
        x = self.evals.column(X_AXES[self._x_axis][0])
        budget = int(self._plot_width_px() / self.EVAL_PX_PER_POINT)
        self.loss_eval.setData(*decimate_for_display(x, np.maximum(self.evals.column("eval_loss"), LOSS_FLOOR),
                                                     budget))
        self.accuracy_eval.setData(*decimate_for_display(x, 100.0 * self.evals.column("eval_accuracy"), budget))
        self._fit_x(x)

    def _on_plot_resized(self, *_) -> None:
        """Re-decimate for the new width when the plot grew or shrank noticeably (presentation
        zoom, a splitter drag); small changes keep the current points."""
        budget = int(self.POINTS_PER_PX * self._plot_width_px())
        if len(self.steps) > min(budget, self._step_budget) and abs(budget - self._step_budget) > 0.2 * budget:
            self._redraw_steps()
            self._redraw_evals()

    def _fit_x(self, x: np.ndarray) -> None:
        """Widen the shared x range when the data reaches its end: to a round value about 20% past
        the newest point, so the axis changes a few times per run, not on every frame."""
        if len(x) == 0 or x[-1] <= self._x_limit:
            return
        self._x_limit = style.nice_ceiling(1.2 * float(x[-1]))
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setXRange(0, self._x_limit, padding=0)

    def _reset_x(self) -> None:
        self._x_limit = 0.0
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setXRange(0, 1, padding=0)

    # ------------------------------------------------------------------ markers
    def _marker_x(self, marker: Marker) -> float:
        return float(marker.epoch if self._x_axis == "epochs" else marker.samples)

    def _add_marker(self, marker: Marker) -> None:
        x = self._marker_x(marker)
        colour = (style.VERMILLION if marker.label in TROUBLE_LABELS
                  else style.GREEN if restored_step(marker.label) is not None else style.DARK_GREY)
        pen = pg.mkPen(colour, width=2, style=QtCore.Qt.PenStyle.DashLine)
        # Stagger label heights so that markers close together do not print over each other.
        # (pyqtgraph puts the label left of the line once the line is in the right half of the view.)
        position = (0.92, 0.72, 0.52, 0.32)[self._marker_count % 4]
        self._marker_count += 1
        labelled = pg.InfiniteLine(pos=x, angle=90, pen=pen, movable=False, label=marker.label,
                                   labelOpts=dict(position=position, color=style.FOREGROUND, movable=False,
                                                  fill=pg.mkBrush(255, 255, 255, 220)))
        labelled.label.setFont(style.font(style.SMALL_PT))
        plain = pg.InfiniteLine(pos=x, angle=90, pen=pen, movable=False)
        self.loss_plot.addItem(labelled, ignoreBounds=True)
        self.accuracy_plot.addItem(plain, ignoreBounds=True)
        self._markers.append((marker, labelled, plain))
        while len(self._markers) > self.MAX_MARKERS:
            self._remove_oldest_marker()

    def _remove_oldest_marker(self) -> None:
        _, labelled, plain = self._markers.popleft()
        self.loss_plot.removeItem(labelled)
        self.accuracy_plot.removeItem(plain)

    # ------------------------------------------------------------------ events
    def _on_loss_range_changed(self, *_) -> None:
        """Re-pick the loss axis ticks for the new range (only a changed list reaches the axis)."""
        view = self.loss_plot.getViewBox()
        low, high = view.viewRange()[1]
        if not (math.isfinite(low) and math.isfinite(high)) or high - low > 400:
            return
        ticks = log_ticks(low, high, view.height() / max(high - low, 1e-9))
        if ticks != self._log_ticks:
            self._log_ticks = ticks
            self.loss_plot.getAxis("left").setTicks(ticks)

    def _on_x_choice_changed(self, name: str) -> None:
        self.set_x_axis(name)
