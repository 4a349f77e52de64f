"""RobustnessPanel: the live network on spoiled test images (``core.robustness``).

A slider per spoiler (noise, rotation, shift, stroke thickness, occlusion) spoils the test images;
the preview shows ten of them (one per class) as the sliders leave them, each with the network's
answer. Below, each spoiler's robustness curve: accuracy on all 10,000 test images at its five
amounts, the slider's amount marked on it; the per-class accuracy under the sliders' settings; and
a confidence threshold: the network answers only when its largest probability reaches it, so it
answers fewer images (coverage) and gets more of those right.

Cost: a curve is five forward passes of the whole test set (plus the spoiling), ~0.1 s each at
784-512-10 on one BLAS thread, as the window runs (``benchmarks/robustness_bench.py``). So each
computation measures one spoiler's curve, in turn (round-robin), and the per-class numbers under
the sliders' settings, at most every ``MIN_INTERVAL`` s, on a thread of the panel's own like
``ActivationSpacePanel``'s (results of an older run, ``clear``, are dropped). The test set spoiled
at the sliders' settings is kept between computations as ``uint8`` (7.8 MB), made again only when
a slider moves. The preview (ten images) is spoiled and answered on the GUI thread: it follows a
slider at once.
"""
from __future__ import annotations

import contextlib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets
from superqt import QLabeledDoubleSlider, QLabeledSlider
from superqt.utils import qthrottled

from mnist_viz.core import robustness as rb
from mnist_viz.core.analysis import N_CLASSES, snapshot_unit_masks
from mnist_viz.core.i18n import N_, format_int, format_number, format_percent, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE
from mnist_viz.gui import style
from mnist_viz.gui.class_labels import DIGIT_NAMES, are_digits, names_key, short_names
from mnist_viz.gui.widgets import info_label, reserve_lines, set_text

MIN_INTERVAL = 1.0  # s between computations: one curve a second, all five in five seconds
SEED = 0  # of the noise and the occluding squares: the same spoiled images every time
THRESHOLDS = np.linspace(0.0, 1.0, 101)  # where the coverage/accuracy curves are drawn
DEFAULT_THRESHOLD = 0.9
PREVIEW_GAP = 2  # px between the preview's images
GRAPHICS_MIN_HEIGHT = 320  # px: two rows of plots with 13-pt ticks
CURVE_COLOURS = {"noise": style.BLUE, "rotate": style.ORANGE, "shift": style.GREEN,
                 "thickness": style.VERMILLION, "occlude": style.PURPLE}
# Shown through tr() (marked here; the language may change after import).
WAITING = N_("Waiting for the network (press Start)")
NOT_28X28 = N_("The robustness lab needs 28x28 images.")
DIVERGED = N_("The network has diverged (see the banner): its answers are not numbers; "
              "the curves show the last moment that had them.")
STOPPED = N_("Training stopped (see the banner): these are the weights it stopped with.")
EXPLANATION = N_("Spoil the test images with the sliders and watch the network cope. Each curve: accuracy on all "
               "10,000 test images at five amounts of one spoiler (the dashed line: the slider's amount).")

# The spoilers' titles and units as core.robustness.SPOILERS words them (the core stays free of the
# catalogs): marked here so they are collected, shown through tr(spoiler.title), tr(spoiler.unit).
SPOILER_WORDS = (N_("Gaussian noise"), N_("Rotation"), N_("Shift right"), N_("Stroke thickness"), N_("Occlusion"),
                 N_("σ"), N_("degrees"), N_("pixels"), N_("fraction of the side"))

Amounts = tuple[tuple[str, float], ...]  # the sliders' settings, ((kind, amount), ...) in SPOILERS order


@dataclass(frozen=True)
class _Spoiled:
    """The test set spoiled at ``amounts``: ``images (N, 784) uint8`` (``rb.to_bytes``)."""

    amounts: Amounts
    images: np.ndarray


@dataclass(frozen=True)
class _Job:
    """What one computation needs, handed to the panel's thread (nothing in it is changed there)."""

    snap: Snapshot
    kind: str  # the spoiler whose curve this round measures
    amounts: Amounts
    spoiled: _Spoiled | None  # the sliders' spoiled test set, if one for ``amounts`` is cached
    x: np.ndarray  # (N, 784) float32 test images
    y: np.ndarray  # (N,) their classes
    generation: int


@dataclass(frozen=True)
class _Result:
    """One computation: the curve of ``kind`` (``accuracies (5,)``), and under the sliders'
    ``spoiled`` set the softmax ``probs (N, 10)`` and ``per_class (10,)``; ``None`` for a network
    whose answers are not numbers (diverged)."""

    job: _Job
    accuracies: np.ndarray | None
    spoiled: _Spoiled
    probs: np.ndarray | None
    per_class: np.ndarray | None
    seconds: float


def compute(job: _Job) -> _Result:
    """One round (no Qt: safe on any thread, one at a time)."""
    t0 = time.perf_counter()
    snap = job.snap
    params, activation, masks = snap.params, snap.settings.activation, snapshot_unit_masks(snap)
    spoiled = job.spoiled
    if spoiled is None or spoiled.amounts != job.amounts:
        spoiled = _Spoiled(job.amounts, rb.to_bytes(rb.spoil_together(job.x, dict(job.amounts), SEED)))
    probs = rb.probabilities(params, activation, spoiled.images, masks)
    if not np.isfinite(probs).all():
        return _Result(job, None, spoiled, None, None, time.perf_counter() - t0)
    per_class = rb.per_class_accuracy(job.y, probs.argmax(axis=1))
    _, accuracies = rb.robustness_curve(params, activation, job.x, job.y, job.kind, seed=SEED, unit_masks=masks)
    return _Result(job, accuracies, spoiled, probs, per_class, time.perf_counter() - t0)


def large_value_label(slider: QLabeledSlider, decimals: int) -> None:
    """The slider's value box in the panels' large font, wide enough for it. superqt sizes the box
    (a QLineEdit child) for its font when the decimals are set, so they are set after the font."""
    for box in slider.findChildren(QtWidgets.QLineEdit):
        box.setFont(style.font(style.LABEL_PT))
    if isinstance(slider, QLabeledDoubleSlider):
        slider.setDecimals(decimals)
    else:
        slider.setRange(slider.minimum(), slider.maximum() + 1)  # a range change resizes the box
        slider.setRange(slider.minimum(), slider.maximum() - 1)


def preview_indices(y: np.ndarray) -> np.ndarray:
    """The first test image of each class present in ``y (N,)``, in class order."""
    return np.array([int(np.argmax(y == c)) for c in range(N_CLASSES) if np.any(y == c)], np.int64)


class RobustnessPanel(QtWidgets.QWidget):
    """Sliders that spoil the test images, their preview, each spoiler's robustness curve, the
    per-class accuracy under the sliders and a confidence threshold (see the module docstring).

    Args:
        dataset: its ``x_test (N, 784)``, ``y_test (N,)`` and ``class_names`` are used.
        min_interval: s between computations (0: every snapshot at once, on the GUI thread: tests).
    """

    _computed = QtCore.Signal(object)  # a _Result, emitted on the computing thread

    def __init__(self, dataset, min_interval: float = MIN_INTERVAL, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._throttle = qthrottled(self._render, timeout=round(min_interval * 1000), parent=self)
        self._in_background = min_interval > 0
        self._executor: ThreadPoolExecutor | None = None
        self._running: Future | None = None
        self._running_job: _Job | None = None  # the job of ``_running``
        self._waiting: Snapshot | None = None
        self._generation = 0
        self._next_kind = 0  # index into SPOILERS of the next curve to measure
        self._spoiled: _Spoiled | None = None  # the cache: the sliders' spoiled test set
        self._latest: Snapshot | None = None
        self._shown: _Result | None = None
        self._probs: np.ndarray | None = None  # (N, 10) under the sliders, for the threshold
        self._probs_y: np.ndarray | None = None
        self._curve_steps: dict[str, int] = {}
        self._computed.connect(self._apply)
        self._build()
        self._take_dataset(dataset)
        self.clear()

    # ------------------------------------------------------------------ public
    def show_snapshot(self, snap: Snapshot) -> None:
        """Answer the preview from ``snap`` now; measure a curve and the per-class accuracy at most
        every ``min_interval`` s (on the panel's thread)."""
        self._latest = snap
        self._show_preview_answers(snap)
        self._throttle(snap)
        if not self._throttle.timeout():
            self._throttle.flush()

    def flush(self) -> None:
        """Compute a snapshot held back by the throttle now and wait for the computations in flight."""
        self._throttle.flush()
        while self._running is not None:
            result = self._running.result()
            self._running = None
            self._apply(result)

    def clear(self) -> None:
        """A new run: empty curves and bars; the sliders keep their settings."""
        self._throttle.cancel()
        self._generation += 1
        self._waiting = None
        self._latest = None
        self._probs = None
        self._curve_steps.clear()
        for item in self._curves.values():
            item.setData([], [])
        self._class_bars.setOpts(height=np.zeros(N_CLASSES))
        self._coverage_item.setData([], [])
        self._answered_item.setData([], [])
        set_text(self._preview_caption, "")
        set_text(self._summary, "")
        set_text(self._threshold_text, "")
        self._show_message(WAITING)

    def set_dataset(self, dataset) -> None:
        self._take_dataset(dataset)
        self.clear()

    def amounts(self) -> dict[str, float]:
        """``{kind: amount}`` the sliders are set to."""
        return {kind: float(slider.value()) for kind, slider in self._sliders.items()}

    def set_amount(self, kind: str, amount: float) -> None:
        self._sliders[kind].setValue(amount)

    def set_threshold(self, threshold: float) -> None:
        self._threshold.setValue(threshold)

    def curve(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """``(amounts, accuracies)`` drawn for ``kind`` (empty before it is measured)."""
        x, y = self._curves[kind].getData()
        return (np.zeros(0), np.zeros(0)) if x is None else (np.asarray(x), np.asarray(y))

    def per_class(self) -> np.ndarray:
        """``(10,)`` per-class accuracy the bars show (under the sliders' settings)."""
        return np.asarray(self._class_bars.opts["height"], np.float64)

    def preview_images(self) -> np.ndarray:
        """``(P, 784) float32`` the preview shows."""
        return self._preview_x.copy()

    def message(self) -> str:
        return self._message.text() if self._message.isVisible() else ""

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(style.title_label(tr("Robustness: the network on spoiled test images")))
        # Room for the wrapped lines: a word-wrapped label's minimum is one line, and a page fitted
        # to its minimum drew the sliders over the rest (widgets.reserve_lines).
        layout.addWidget(reserve_lines(info_label(tr(EXPLANATION)), 3))
        self._message = info_label("", style.LABEL_PT, bold=True)
        layout.addWidget(self._message)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self._build_sliders(), 2)
        top.addLayout(self._build_preview(), 3)
        layout.addLayout(top)
        self._graphics = style.graphics_widget()
        self._graphics.setMinimumHeight(GRAPHICS_MIN_HEIGHT)  # below it the page scrolls: plots stay readable
        self._build_plots()
        layout.addWidget(self._graphics, 1)
        self._summary = info_label()
        layout.addWidget(self._summary)
        layout.addLayout(self._build_threshold())

    def _build_sliders(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        grid = QtWidgets.QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        self._sliders: dict[str, QLabeledSlider] = {}
        self._slider_labels: dict[str, QtWidgets.QLabel] = {}
        for row, spoiler in enumerate(rb.SPOILERS.values()):
            label = QtWidgets.QLabel()
            label.setFont(style.font(style.LABEL_PT))
            slider = self._slider(spoiler)
            grid.addWidget(label, row, 0)
            grid.addWidget(slider, row, 1)
            self._sliders[spoiler.name] = slider
            self._slider_labels[spoiler.name] = label
        self._name_sliders()
        reset = QtWidgets.QPushButton(tr("All to 0 (clean images)"))
        reset.setFont(style.font(style.LABEL_PT))
        reset.clicked.connect(self._reset_sliders)
        grid.addWidget(reset, len(rb.SPOILERS), 0, 1, 2)
        return box

    def _slider(self, spoiler: rb.Spoiler) -> QLabeledSlider:
        """A labelled horizontal slider over the spoiler's range (whole steps for whole amounts)."""
        horizontal = QtCore.Qt.Orientation.Horizontal
        slider = QLabeledSlider(horizontal) if spoiler.integer else QLabeledDoubleSlider(horizontal)
        if spoiler.integer:
            slider.setRange(int(spoiler.low), int(spoiler.high))
            slider.setSingleStep(int(spoiler.step))
        else:
            slider.setRange(spoiler.low, spoiler.high)
            slider.setSingleStep(spoiler.step)
        slider.setValue(0)
        large_value_label(slider, 0 if spoiler.step >= 1 else 2)
        slider.setMinimumWidth(220)
        slider.valueChanged.connect(self._on_amounts_changed)
        return slider

    def _name_sliders(self) -> None:
        """Each slider's label and tooltip, ``"Rotation (degrees)"``, in the current language."""
        for spoiler in rb.SPOILERS.values():
            title, unit = tr(spoiler.title), tr(spoiler.unit)
            self._slider_labels[spoiler.name].setText(tr("{title} ({unit})").format(title=title, unit=unit))
            self._sliders[spoiler.name].setToolTip(tr("{title}: {low} to {high} {unit}").format(
                title=title, low=f"{spoiler.low:g}", high=f"{spoiler.high:g}", unit=unit))

    def _build_preview(self) -> QtWidgets.QVBoxLayout:
        column = QtWidgets.QVBoxLayout()
        self._preview_widget, _view, self._preview_image = style.image_in_view(lut=style.ink_lut(), levels=(0, 1))
        self._preview_widget.setFixedHeight(120)  # the plots below need the height more
        self._preview_caption = info_label("", style.LABEL_PT, bold=True)
        self._preview_caption.setTextFormat(QtCore.Qt.TextFormat.RichText)
        column.addWidget(self._preview_widget)
        column.addWidget(self._preview_caption)
        column.addStretch(1)
        return column

    def _build_plots(self) -> None:
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._markers: dict[str, pg.InfiniteLine] = {}
        for col, spoiler in enumerate(rb.SPOILERS.values()):
            plot = self._graphics.addPlot(row=0, col=col)
            self._fixed_plot(plot, tr("accuracy %") if col == 0 else None, tr(spoiler.unit))
            plot.setTitle(tr(spoiler.title), size=f"{style.zoomed_pt(style.LABEL_PT):.3g}pt", color=style.FOREGROUND)
            span = spoiler.points[-1] - spoiler.points[0]
            plot.setRange(xRange=(spoiler.points[0] - 0.05 * span, spoiler.points[-1] + 0.05 * span),
                          yRange=(0, 100), padding=0)
            colour = CURVE_COLOURS[spoiler.name]
            self._curves[spoiler.name] = plot.plot([], [], pen=pg.mkPen(colour, width=3), symbol="o", symbolSize=10,
                                                   symbolBrush=colour, symbolPen=None)
            marker = pg.InfiniteLine(0, angle=90, pen=pg.mkPen(style.FOREGROUND, width=2,
                                                               style=QtCore.Qt.PenStyle.DashLine))
            plot.addItem(marker, ignoreBounds=True)
            self._markers[spoiler.name] = marker
        self._class_plot = self._graphics.addPlot(row=1, col=0, colspan=3)
        self._fixed_plot(self._class_plot, tr("accuracy %"), tr("class"))
        self._class_plot.setTitle(tr("Per class, under the sliders"), size=f"{style.zoomed_pt(style.LABEL_PT):.3g}pt",
                                  color=style.FOREGROUND)
        self._class_plot.setRange(xRange=(-0.6, N_CLASSES - 0.4), yRange=(0, 100), padding=0.02)
        self._class_bars = pg.BarGraphItem(x=np.arange(N_CLASSES), height=np.zeros(N_CLASSES), width=0.75,
                                           brush=pg.mkBrush(style.BLUE), pen=None)
        self._class_plot.addItem(self._class_bars)
        self._threshold_plot = self._graphics.addPlot(row=1, col=3, colspan=2)
        self._fixed_plot(self._threshold_plot, "%", tr("confidence threshold"))
        self._title_threshold_plot()
        self._threshold_plot.setRange(xRange=(0, 1), yRange=(0, 100), padding=0.02)
        self._coverage_item = self._threshold_plot.plot([], [], pen=pg.mkPen(style.GREY, width=3))
        self._answered_item = self._threshold_plot.plot([], [], pen=pg.mkPen(style.BLUE, width=3))
        self._threshold_line = pg.InfiniteLine(DEFAULT_THRESHOLD, angle=90,
                                               pen=pg.mkPen(style.FOREGROUND, width=2,
                                                            style=QtCore.Qt.PenStyle.DashLine))
        self._threshold_plot.addItem(self._threshold_line, ignoreBounds=True)

    def _title_threshold_plot(self) -> None:
        # The title is the legend (a pyqtgraph legend covered the curves on a small plot).
        self._threshold_plot.setTitle(f'<span style="color:{style.GREY}">━ {tr("answered")}</span> &nbsp; '
                                      f'<span style="color:{style.BLUE}">━ {tr("right among answered")}</span>',
                                      size=f"{style.zoomed_pt(style.LABEL_PT):.3g}pt")

    def _fixed_plot(self, plot: pg.PlotItem, left: str | None, bottom: str) -> None:
        """Styled, mouse-inert (a stray drag in a lecture must not lose the picture)."""
        style.style_plot(plot, left=left, bottom=bottom)
        for name in ("left", "bottom"):
            plot.getAxis(name).enableAutoSIPrefix(False)  # "σ (x0.001)" read as nonsense
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()

    def _build_threshold(self) -> QtWidgets.QHBoxLayout:
        row = QtWidgets.QHBoxLayout()
        label = QtWidgets.QLabel(tr("Confidence threshold"))
        label.setFont(style.font(style.LABEL_PT))
        self._threshold = QLabeledDoubleSlider(QtCore.Qt.Orientation.Horizontal)
        self._threshold.setRange(0.0, 1.0)
        self._threshold.setSingleStep(0.01)
        self._threshold.setDecimals(2)
        self._threshold.setValue(DEFAULT_THRESHOLD)
        large_value_label(self._threshold, 2)
        self._threshold.setMinimumWidth(220)
        self._threshold.valueChanged.connect(self._show_threshold)
        self._threshold_text = info_label("", style.LABEL_PT, bold=True)
        row.addWidget(label)
        row.addWidget(self._threshold, 1)
        row.addWidget(self._threshold_text, 2)
        return row

    def _take_dataset(self, dataset) -> None:
        x = np.asarray(dataset.x_test)
        self._usable = x.ndim == 2 and x.shape[1] == rb.PIXELS
        self._x = np.ascontiguousarray(x, np.float32) if self._usable else np.zeros((0, rb.PIXELS), np.float32)
        self._y = np.asarray(dataset.y_test, np.int64) if self._usable else np.zeros(0, np.int64)
        self._spoiled = None  # of the old images
        self._names = tuple(getattr(dataset, "class_names", DIGIT_NAMES))
        axis = self._class_plot.getAxis("bottom")
        axis.setTicks([list(enumerate(short_names(self._names, 7)))])  # "T-shirt", "Pullov."; the tooltip names all
        axis.setLabel(tr("digit") if are_digits(self._names) else tr("class"))
        self._class_plot.setToolTip(names_key(self._names))
        self._preview_index = preview_indices(self._y)
        self._update_preview()

    # ------------------------------------------------------------------ sliders and preview
    def _current_amounts(self) -> Amounts:
        return tuple((kind, float(slider.value())) for kind, slider in self._sliders.items())

    def _reset_sliders(self) -> None:
        for slider in self._sliders.values():
            slider.setValue(0)

    def _on_amounts_changed(self, _value=None) -> None:
        self._update_preview()
        for kind, amount in self.amounts().items():
            self._markers[kind].setValue(amount)
        if self._latest is not None:
            self._show_preview_answers(self._latest)
            self._throttle(self._latest)  # the per-class bars and the threshold follow the sliders
            if not self._throttle.timeout():
                self._throttle.flush()

    def _update_preview(self) -> None:
        """The preview images spoiled at the sliders' settings, side by side."""
        originals = self._x[self._preview_index]
        self._preview_x = rb.spoil_together(originals, dict(self._current_amounts()), SEED)
        n = len(self._preview_x)
        strip = np.zeros((SIDE, max(1, n * (SIDE + PREVIEW_GAP) - PREVIEW_GAP)), np.float32)
        for k, image in enumerate(self._preview_x):
            left = k * (SIDE + PREVIEW_GAP)
            strip[:, left:left + SIDE] = image.reshape(SIDE, SIDE)
        self._preview_image.setImage(strip, levels=(0, 1))

    def _show_preview_answers(self, snap: Snapshot) -> None:
        """The network's answer for each preview image: ✓ 7 or ✗ 3, under the strip."""
        if len(snap.params) < 4 or len(self._preview_x) == 0:
            return
        probs = rb.probabilities(snap.params, snap.settings.activation, self._preview_x, snapshot_unit_masks(snap))
        if not np.isfinite(probs).all():
            set_text(self._preview_caption, "")
            return
        names = short_names(self._names, 6)
        words = []
        for answer, truth in zip(probs.argmax(axis=1), self._y[self._preview_index]):
            right = answer == truth
            colour = style.CORRECT if right else style.WRONG
            glyph = style.CORRECT_GLYPH if right else style.WRONG_GLYPH
            words.append(f'<span style="color:{colour}">{glyph} {names[int(answer)]}</span>')
        set_text(self._preview_caption, tr("Network: {answers}").format(answers="&nbsp;&nbsp;".join(words)))

    # ------------------------------------------------------------------ computing
    def _render(self, snap: Snapshot) -> None:
        if len(snap.params) < 4 or not self._usable or len(self._x) == 0:
            self._show_message(tr(WAITING) if self._usable else tr(NOT_28X28))
            return
        if not self._in_background:
            self._apply(compute(self._job(snap)))
        elif self._running is not None:
            self._waiting = snap
        else:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="robustness")
            self._running_job = self._job(snap)
            self._running = self._executor.submit(self._compute_and_send, self._running_job)

    def _job(self, snap: Snapshot) -> _Job:
        kinds = list(rb.SPOILERS)
        kind = kinds[self._next_kind % len(kinds)]
        self._next_kind += 1
        return _Job(snap, kind, self._current_amounts(), self._spoiled, self._x, self._y, self._generation)

    def _compute_and_send(self, job: _Job) -> _Result:
        result = compute(job)
        with contextlib.suppress(RuntimeError):  # the panel was deleted meanwhile (the window closed)
            self._computed.emit(result)
        return result

    def _apply(self, result: _Result) -> None:
        """On the GUI thread: show a computed round, then start the one waiting. The round's signal
        can arrive before its future counts as done (it is emitted from inside the computation): the
        round is over when its own result comes, whatever the future says yet. Asking only
        ``done()`` left a waiting snapshot parked for good, and the curves stopped following the
        training (seen under Xvfb at the window's default pace)."""
        if self._running is not None and (self._running.done() or result.job is self._running_job):
            self._running = None
        if result is self._shown:  # flush() showed it already; this is its queued signal
            return
        self._shown = result
        if result.job.generation == self._generation and result.job.x is self._x:
            self._show_result(result)
        if self._running is None and self._waiting is not None:
            snap, self._waiting = self._waiting, None
            self._render(snap)

    def _show_result(self, result: _Result) -> None:
        job = result.job
        self._spoiled = result.spoiled
        if result.accuracies is None:
            self._show_message(tr(DIVERGED))
            return
        spoiler = rb.SPOILERS[job.kind]
        self._curves[job.kind].setData(np.array(spoiler.points), 100 * result.accuracies)
        self._curve_steps[job.kind] = job.snap.step
        if job.amounts == self._current_amounts():  # else the sliders moved since: the next round shows them
            self._probs, self._probs_y = result.probs, job.y
            self._class_bars.setOpts(height=100 * np.nan_to_num(result.per_class))
            self._show_threshold_curves()
        self._show_message(tr(STOPPED) if job.snap.diverged else "")
        self._show_summary(result)

    def _show_summary(self, result: _Result) -> None:
        """The line under the plots: what the latest round measured and how often rounds come."""
        job = result.job
        every = self._throttle.timeout() / 1000
        pace = (tr("one spoiler's curve every {seconds} s, in turn").format(seconds=f"{every:g}") if every
                else tr("one spoiler's curve at a time, in turn"))
        set_text(self._summary, tr("{n} test images · latest: {spoiler} at step {step} ({seconds} s) · {pace}").format(
            n=format_int(len(job.y)), spoiler=tr(rb.SPOILERS[job.kind].title), step=format_int(job.snap.step),
            seconds=format_number(result.seconds, 2), pace=pace))

    # ------------------------------------------------------------------ threshold
    def _show_threshold_curves(self) -> None:
        if self._probs is None:
            return
        coverages, accuracies = rb.coverage_curve(self._probs, self._probs_y, THRESHOLDS)
        self._coverage_item.setData(THRESHOLDS, 100 * coverages)
        shown = np.isfinite(accuracies)
        self._answered_item.setData(THRESHOLDS[shown], 100 * accuracies[shown])
        self._show_threshold()

    def _show_threshold(self, _value=None) -> None:
        threshold = float(self._threshold.value())
        self._threshold_line.setValue(threshold)
        if self._probs is None:
            return
        coverage, accuracy = rb.coverage_accuracy(self._probs, self._probs_y, threshold)
        right = (tr("none answered") if np.isnan(accuracy)
                 else tr("{accuracy} of those right").format(accuracy=format_percent(accuracy, 1)))
        set_text(self._threshold_text, tr("Answers {coverage} of the images · {right}").format(
            coverage=format_percent(coverage, 1), right=right))

    def refresh_texts(self) -> None:
        """Rewrite the texts built from numbers or names in the current language, after a language
        switch (``retranslate`` leaves texts in no catalog): the sliders' labels and tips, the
        threshold plot's title, the preview's answers, the summary and the threshold line, kept
        between rounds. The messages are whole catalog texts: ``retranslate`` switches them."""
        self._name_sliders()
        self._title_threshold_plot()
        if self._latest is not None:
            self._show_preview_answers(self._latest)
        shown = self._shown
        if shown is not None and shown.accuracies is not None and shown.job.generation == self._generation:
            self._show_summary(shown)
        self._show_threshold()

    def _show_message(self, text: str) -> None:
        set_text(self._message, text)
        self._message.setVisible(bool(text))
