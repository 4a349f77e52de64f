"""UnitInspectorPanel: one hidden unit up close — what it looks for, whom it votes for, how strongly
it fires on the selected probe digit and why (its arithmetic, z = Σ wᵢxᵢ + b with the live
numbers) — and a switch to turn it off (ablation) to see what the network loses without it.

A unit of a deeper layer (``inspect(layer, unit)``, layer >= 2) has no pixel weights, so it is shown
by what can honestly be said about it: its *linear view* (``analysis.linear_view``, labelled as
such: it ignores the activation's bends), the test images that excite it most (a fixed set of the
first 2,000 test images, ``set_test_images``; recomputed at most ~3 times a second while training),
its arithmetic with the previous layer's activations as the xᵢ, and its outgoing weights (to the
next layer's units, or to the digits from the last hidden layer). Switching off is for layer 1 only.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.analysis import (
    hidden_layer_count,
    layer_activations,
    linear_view,
    snapshot_unit_masks,
    top_indices,
)
from mnist_viz.core.i18n import N_, format_int, format_percent, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE, AdaptiveLevel
from mnist_viz.core.unit_arithmetic import TOP_COUNT, UnitArithmetic, snapshot_unit_arithmetic, unit_arithmetic
from mnist_viz.gui import style
from mnist_viz.gui.style import diverging_lut, signed_brushes
from mnist_viz.gui.widgets import captioned, digit_bar_plot, info_label, legend_row, reserve_lines, set_text

# How long a requested ablation may wait for a snapshot that shows it before the button gives up
# and follows the snapshots again (a lost command must not leave the button lying).
PENDING_TIMEOUT = 3.0

# Texts shown through tr() (marked here, translated where they are shown: the language may change).
ABLATE_TEXT = N_("Ablate (switch off)")
ABLATED_TEXT = N_("Switched off: click to switch back on")
VOTES_CAPTION = N_("Outgoing weights: its vote for each digit")
NO_UNIT_MESSAGE = N_("Click a tile in the weight mosaic to inspect that hidden unit")
TERMS_CAPTION = N_("Terms wᵢ·xᵢ: red pushes z up, blue pulls it down")
PUSHES_CAPTION = N_("a · outgoing weights: its push on each digit's score")
# Below ~130 px the digit is a smudge and the push plot drops its tick labels: scroll rather than shrink.
ARITHMETIC_MIN_HEIGHT = 140
# Deeper units: the test images that excite them most, out of the first TEST_SUBSET test images.
TEST_SUBSET = 2000
TOP_IMAGES = 12  # two rows of six: enough to see what they share, large enough to read
TOP_COLUMNS = 6
TOP_MIN_INTERVAL = 0.33  # s between recomputations while training (a forward pass of 2,000 images)
INPUT_WEIGHTS_CAPTION = N_("Input weights: what the unit looks for")
# One line, like the layer-1 caption: a wrapped three-line caption squeezed the tile to ~50 px at 1080p.
# The mosaic's caption says the rest ("...through the layers below, ignoring the bends...").
LINEAR_VIEW_CAPTION = N_("Linear view (ignores the activation's bends)")
TOP_CAPTION = N_("The test images that excite it most")
ABLATE_TIP = N_("Force this unit's activation to 0 (its weights are kept) and watch the accuracy")
NO_DEEP_ABLATION_TIP = N_("Switching a unit off works for layer-1 units only")
NO_ARITHMETIC = N_("Select a probe digit to see this unit's arithmetic on it")
NOT_FINITE = N_("The weights are not finite numbers: there is no arithmetic to show")
MINUS = "\u2212"  # a real minus sign: "-" is a hyphen, short and easy to miss from the back of a hall


class UnitInspectorPanel(QtWidgets.QWidget):
    """One hidden unit ``u`` of the first layer, from the latest snapshot:

    * its 784 input weights ``W1[:, u]`` as a large 28x28 image, blue negative / white zero / red
      positive, with the same symmetric, slowly adapting level rule as the weight mosaic (computed
      over all of ``W1``, so the colours match the unit's tile);
    * its outgoing weights ``W_out[u] (10,)`` as bars (one hidden layer only: deeper networks send
      it to the next hidden layer instead);
    * its activation on the selected probe, ``probe_hidden[i, u]``;
    * its arithmetic on the selected probe image ``x (784,)`` (given by ``set_probe_images``): the
      terms ``wᵢxᵢ`` as a 28x28 heatmap over the digit, the equation ``z = Σ wᵢxᵢ + b → f → a`` with
      the live numbers, and ``a · W_out[u] (10,)``, its term in each class score, as bars;
    * the latest evaluation accuracy, so the room sees the effect of switching it off.

    A unit of hidden layer ``k >= 2`` (``inspect(k, unit)``) shows its linear view
    ``(W1 @ ... @ Wk)[:, unit]`` instead of input weights, its top-activating test images (given by
    ``set_test_images``) instead of the pixel terms, and its arithmetic with layer ``k-1``'s
    activations as the xᵢ.

    Signals:
        ablateRequested(int unit, bool enabled): the user switched the unit off (False) or back on.
    """

    ablateRequested = QtCore.Signal(int, bool)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._unit: int | None = None
        self._layer = 1  # 1-based hidden layer of the unit
        self._deep_levels: dict[int, AdaptiveLevel] = {}  # layer -> the linear view's colour scale
        self._test_images: np.ndarray | None = None  # (N, 784) float32
        self._test_labels: np.ndarray | None = None  # (N,) int
        self._test_acts: tuple[tuple, int, np.ndarray, int] | None = None  # (params, layer, (N, H) acts, step)
        self._test_acts_time = -math.inf
        self._top: np.ndarray | None = None  # (k,) indices into the test images shown
        self._top_retry = QtCore.QTimer(self)  # a throttled recomputation, made when training pauses
        self._top_retry.setSingleShot(True)
        self._top_retry.timeout.connect(self._refresh)
        self._bars_mode: tuple[int | None, int] = (None, 10)  # (next layer or None for digits, bars)
        self._probe = 0
        self._snap: Snapshot | None = None
        self._level = AdaptiveLevel()
        self._weights: np.ndarray | None = None  # (28, 28) shown
        self._outgoing: np.ndarray | None = None  # (10,) shown
        self._activation: float | None = None
        self._probe_images: np.ndarray | None = None  # (P, 784) float32
        self._arithmetic: UnitArithmetic | None = None  # on the selected probe image
        self._push_top = 0.0  # half-height of the push plot now set
        self._pending: tuple[int, bool, float] | None = None  # (unit, enabled, time requested)
        self._accuracy_before: dict[int, float] = {}  # unit -> accuracy when it was switched off
        self._build()
        self._refresh()

    # ------------------------------------------------------------------ public
    @property
    def unit(self) -> int | None:
        return self._unit

    @property
    def layer(self) -> int:
        """The 1-based hidden layer of the unit inspected."""
        return self._layer

    def set_unit(self, index: int | None) -> None:
        """Inspect hidden unit ``index`` of the first layer (None: nothing selected)."""
        self.inspect(1, index)

    def inspect(self, layer: int, unit: int | None) -> None:
        """Inspect unit ``unit`` of hidden layer ``layer`` (1-based; connect
        ``WeightsPanel.deepUnitClicked``). ``unit`` None: nothing selected."""
        self._layer = max(1, int(layer))
        self._unit = None if unit is None else int(unit)
        self._pending = None
        self._refresh()

    def set_test_images(self, images: np.ndarray | None, labels: np.ndarray | None = None) -> None:
        """The test images ``(N, 784)`` (and their ``(N,)`` labels) a deeper unit's top-activating
        images are picked from; the first ``TEST_SUBSET`` are used. None: no top images."""
        if images is None or np.size(images) == 0:
            self._test_images = self._test_labels = None
        else:
            self._test_images = np.array(np.atleast_2d(images)[:TEST_SUBSET], np.float32)
            self._test_labels = None if labels is None else np.asarray(labels)[:len(self._test_images)]
        self._test_acts = None
        self._refresh()

    def top_images(self) -> np.ndarray | None:
        """Indices into the test images of the top-activating images now shown (highest first), or None."""
        return None if self._top is None else self._top.copy()

    def top_text(self) -> str:
        """What the line under the top images says (their digits and activations, or why there are none)."""
        return self._top_note.text()

    def set_probe_index(self, index: int) -> None:
        """Report the activation on probe ``index`` (connect ``ProbesPanel.selectedChanged``)."""
        self._probe = int(index)
        self._refresh()

    def set_probe_images(self, images: np.ndarray | None) -> None:
        """The ``(P, 784)`` probe images (connect ``ProbesPanel.probesChanged``); the arithmetic is
        shown for image ``set_probe_index`` of them. None: no images, no arithmetic."""
        shaped = None if images is None else np.atleast_2d(np.array(images, np.float32))
        self._probe_images = shaped if shaped is not None and shaped.size else None
        self._refresh()

    def show_snapshot(self, snap: Snapshot) -> None:
        self._snap = snap
        self._refresh()

    def clear(self) -> None:
        """Training was reset: forget the snapshot and the colour scale; keep the chosen unit."""
        self._snap = None
        self._pending = None
        self._accuracy_before.clear()
        self._level.reset()
        for level in self._deep_levels.values():
            level.reset()
        self._test_acts = None
        self._refresh()

    def refresh_texts(self) -> None:
        """Rewrite the texts built from numbers (title, equation, notes, the outgoing bars' axis) in
        the current language, after a language switch: they are kept between snapshots, and
        ``retranslate`` leaves texts that are in no catalog."""
        self._bars_mode = (None, -1)  # no mode: the bars' axis title is set again
        self._refresh()

    def weights_image(self) -> np.ndarray | None:
        """The ``(28, 28)`` input weights now shown (``W1[:, unit]`` reshaped), or None."""
        return None if self._weights is None else self._weights.copy()

    def outgoing_weights(self) -> np.ndarray | None:
        """The ``(10,)`` outgoing weights the bars show (``W_out[unit]``), or None."""
        return None if self._outgoing is None else self._outgoing.copy()

    def probe_activation(self) -> float | None:
        return self._activation

    def arithmetic(self) -> UnitArithmetic | None:
        """The unit's arithmetic on the selected probe image now shown, or None."""
        return self._arithmetic

    def equation_text(self) -> str:
        """The equation line, e.g. ``"z = Σ wᵢxᵢ + b = 3.41 + (−0.52) = 2.89 → relu → a = 2.89"``."""
        return self._equation.text()

    def terms_image(self) -> np.ndarray | None:
        """The ``(28, 28)`` terms ``wᵢxᵢ`` the heatmap shows, or None."""
        return None if self._arithmetic is None else self._arithmetic.contributions.reshape(SIDE, SIDE).copy()

    def message(self) -> str:
        """The panel's headline, e.g. ``"Hidden unit 17 of 128"`` or why nothing is shown."""
        return self._title.text()

    @property
    def level(self) -> float | None:
        return self._level.level

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._title = style.title_label("")
        self._details = info_label("", style.LABEL_PT)
        legend, self._legend_info = legend_row()
        weights, self._view, self._image = style.image_in_view(diverging_lut())
        self._view.setBorder(pg.mkPen(style.DARK_GREY, width=1))
        votes = style.graphics_widget()
        self._vote_plot, self._votes = digit_bar_plot(votes, 0, 0, tr("weight"), (-1.0, 1.0))
        self._vote_plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(style.FOREGROUND, width=1.5)))
        self._vote_plot.getAxis("left").enableAutoSIPrefix(False)  # "(x0.001)" on the axis confuses a room
        self._vote_caption = info_label(tr(VOTES_CAPTION), style.LABEL_PT)
        pictures = QtWidgets.QHBoxLayout()
        self._weights_caption = info_label(tr(INPUT_WEIGHTS_CAPTION), style.LABEL_PT)
        reserve_lines(self._weights_caption, 2)  # the linear view's caption wraps to two lines
        pictures.addWidget(captioned(self._weights_caption, weights), 1)
        pictures.addWidget(captioned(self._vote_caption, votes), 1)

        self.ablate_button = QtWidgets.QPushButton(tr(ABLATE_TEXT))
        self.ablate_button.setCheckable(True)
        self.ablate_button.setFont(style.font(style.LABEL_PT, bold=True))
        self.ablate_button.setToolTip(tr(ABLATE_TIP))
        # Checked = switched off: orange + glyph in the wording, never colour alone.
        self.ablate_button.setStyleSheet(f"QPushButton:checked {{ background: {style.ORANGE}; color: black; }}")
        self.ablate_button.toggled.connect(self._on_ablate_toggled)
        self._accuracy = info_label("", style.TITLE_PT, bold=True)
        self._accuracy_before_label = info_label("", style.LABEL_PT)
        accuracy = QtWidgets.QVBoxLayout()
        accuracy.setSpacing(0)
        accuracy.addWidget(self._accuracy)
        accuracy.addWidget(self._accuracy_before_label)
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.ablate_button)
        bottom.addSpacing(12)
        bottom.addLayout(accuracy, 1)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self._title)
        layout.addWidget(self._details)
        layout.addWidget(legend)
        layout.addLayout(pictures, 1)
        arithmetic = self._build_arithmetic()
        layout.addWidget(self._equation)
        layout.addWidget(self._inputs_note)
        layout.addLayout(arithmetic, 1)
        layout.addLayout(bottom)

    def _build_arithmetic(self) -> QtWidgets.QHBoxLayout:
        """The equation line (made here, placed by ``_build``), the heatmap of the terms and the
        bars of the class pushes, each over a one-line summary; the same two columns as above, so
        input weights sit over their terms and outgoing weights over their pushes."""
        self._equation = info_label("", style.TITLE_PT, bold=True)  # the line the room reads: the largest text
        self._equation.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self._inputs_note = info_label("", style.LABEL_PT)  # deeper units: what their xᵢ are
        self._inputs_note.hide()
        terms, self._terms_view, self._terms_image = style.image_in_view()
        self._terms_lut = diverging_lut()
        self._terms_view.setBorder(pg.mkPen(style.DARK_GREY, width=1))
        # Outlined squares on the largest terms: where the unit's evidence comes from, at a glance.
        # A bit larger than a pixel, and thin, so the marked pixel's own colour still shows inside.
        self._top_marks = pg.ScatterPlotItem(symbol="s", size=1.25, pxMode=False, brush=None,
                                             pen=pg.mkPen(style.FOREGROUND, width=1.5))
        self._terms_view.addItem(self._top_marks)
        self._terms_view.setRange(xRange=(0, SIDE), yRange=(0, SIDE), padding=0.0)
        pushes = style.graphics_widget()
        self._push_plot, self._pushes = digit_bar_plot(pushes, 0, 0, "a·w", (-1.0, 1.0))
        self._push_plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(style.FOREGROUND, width=1.5)))
        self._push_plot.getAxis("left").enableAutoSIPrefix(False)
        style.reserve_tick_room(self._push_plot.getAxis("left"), MINUS + "0.08")  # else the end ticks go missing
        self._terms_note = info_label("", style.LABEL_PT)
        self._push_caption = info_label(tr(PUSHES_CAPTION), style.LABEL_PT)
        self._push_note = info_label("", style.LABEL_PT)
        for picture in (terms, pushes):
            picture.setMinimumHeight(ARITHMETIC_MIN_HEIGHT)
        terms_caption = info_label(tr(TERMS_CAPTION), style.LABEL_PT)
        for label in (self._equation, terms_caption, self._terms_note, self._push_caption, self._push_note):
            reserve_lines(label, 2)  # each wraps to two lines in a half-width column
        # Left column: the pixel terms for a layer-1 unit, the top-activating images for a deeper one.
        self._left_column = QtWidgets.QStackedWidget()
        self._left_column.addWidget(captioned(terms_caption, _above(terms, self._terms_note)))
        self._left_column.addWidget(self._build_top_images())
        row = QtWidgets.QHBoxLayout()
        for column in (self._left_column, captioned(self._push_caption, _above(pushes, self._push_note))):
            # Held as a hard minimum: the wrapped labels' height-for-width let the layout give the
            # column less than its parts need, and the notes were drawn over the pictures.
            column.setMinimumHeight(column.minimumSizeHint().height())
            row.addWidget(column, 1)
        return row

    def _build_top_images(self) -> QtWidgets.QWidget:
        """The deeper unit's top-activating test images, two rows of six, over a line naming them."""
        top, self._top_view, self._top_image = style.image_in_view(style.ink_lut(), levels=(0.0, 1.0))
        self._top_view.setBorder(pg.mkPen(style.DARK_GREY, width=1))
        top.setMinimumHeight(ARITHMETIC_MIN_HEIGHT)
        self._top_caption = info_label(tr(TOP_CAPTION), style.LABEL_PT)
        self._top_note = info_label("", style.LABEL_PT)
        for label in (self._top_caption, self._top_note):
            reserve_lines(label, 2)
        return captioned(self._top_caption, _above(top, self._top_note))

    # ------------------------------------------------------------------ drawing
    def _refresh(self) -> None:
        snap, unit = self._snap, self._unit
        problem = self._problem(snap, unit)
        self._weights = self._outgoing = self._activation = None
        self._arithmetic = None
        self._top = None
        if problem:
            self._show_nothing(problem)
            return
        if self._layer > 1:
            self._refresh_deep(snap, unit)
            return
        self._show_layer_one_parts()
        self.ablate_button.setEnabled(True)
        W1 = np.nan_to_num(snap.W1) if snap.diverged else snap.W1  # inf/NaN have no colour
        level = self._level.update(W1)
        self._weights = np.asarray(snap.W1[:, unit]).reshape(SIDE, SIDE)
        first = self._image.image is None
        self._image.setImage(np.nan_to_num(self._weights), autoLevels=False, levels=(-level, level))
        if first:
            self._view.setRange(xRange=(0, SIDE), yRange=(0, SIDE), padding=0.0)
        set_text(self._legend_info, tr("±{level}, the same colour scale as the mosaic").format(level=f"{level:.2g}"))
        self._draw_votes(snap, unit)
        self._activation = self._probe_activation(snap, unit)
        self._draw_arithmetic(snap, unit, level)
        enabled = self._enabled_state(snap, unit)
        self._set_button(not enabled)
        title = (tr("Hidden unit {unit} of {n}") if hidden_layer_count(snap) == 1
                 else tr("Layer 1 unit {unit} of {n}")).format(unit=unit, n=snap.W1.shape[1])
        set_text(self._title, title if enabled else tr("{title}  (switched off)").format(title=title))
        set_text(self._details, self._details_text(snap, unit))
        now, before = self._accuracy_texts(snap, unit, enabled)
        set_text(self._accuracy, now)
        set_text(self._accuracy_before_label, before)

    def _problem(self, snap: Snapshot | None, unit: int | None) -> str:
        """Why no unit can be shown (empty string when one can)."""
        if unit is None:
            return tr(NO_UNIT_MESSAGE)
        if snap is None:
            return tr("Hidden unit {unit}: waiting for the network (press Start)").format(unit=unit)
        if self._layer > 1:
            return self._deep_problem(snap, self._layer, unit)
        n = snap.W1.shape[1]
        if not 0 <= unit < n:
            return tr("Unit {unit} no longer exists: the hidden layer now has {n} units. "
                      "Click a tile to pick another.").format(unit=unit, n=n)
        return ""

    # ------------------------------------------------------------------ a unit of a deeper layer
    def _deep_problem(self, snap: Snapshot, layer: int, unit: int) -> str:
        """Why unit ``unit`` of hidden layer ``layer`` (>= 2) cannot be shown ('' when it can)."""
        layers = hidden_layer_count(snap)
        if layer > layers:
            gone = (tr("Layer {layer} no longer exists: the network now has {n} hidden layer. "
                       "Click a tile to pick another unit.") if layers == 1 else
                    tr("Layer {layer} no longer exists: the network now has {n} hidden layers. "
                       "Click a tile to pick another unit."))
            return gone.format(layer=layer, n=layers)
        n = snap.params[2 * layer - 2].shape[1]
        if not 0 <= unit < n:
            return tr("Unit {unit} of layer {layer} no longer exists: layer {layer} now has {n} units. "
                      "Click a tile to pick another.").format(unit=unit, layer=layer, n=n)
        return ""

    def _show_layer_one_parts(self) -> None:
        """The widgets a layer-1 unit uses (after a deeper one used others)."""
        set_text(self._weights_caption, tr(INPUT_WEIGHTS_CAPTION))
        self._left_column.setCurrentIndex(0)
        self._inputs_note.hide()
        self.ablate_button.setToolTip(tr(ABLATE_TIP))

    def _refresh_deep(self, snap: Snapshot, unit: int) -> None:
        """Show unit ``unit`` of hidden layer ``self._layer`` >= 2 (``_deep_problem`` found none)."""
        layer, layers = self._layer, hidden_layer_count(snap)
        set_text(self._weights_caption, tr(LINEAR_VIEW_CAPTION))
        self._left_column.setCurrentIndex(1)
        self._inputs_note.show()
        self._set_button(False)
        self.ablate_button.setEnabled(False)
        self.ablate_button.setToolTip(tr(NO_DEEP_ABLATION_TIP))
        n = snap.params[2 * layer - 2].shape[1]
        set_text(self._title, tr("Layer {layer} unit {unit} of {n}").format(layer=layer, unit=unit, n=n))
        self._draw_linear_view(snap, layer, unit)
        W_next = snap.params[2 * layer]
        if layer == layers:
            set_text(self._vote_caption, tr(VOTES_CAPTION))
        else:
            set_text(self._vote_caption, tr("Outgoing weights to the {n} units of layer {layer}").format(
                n=W_next.shape[1], layer=layer + 1))
        self._outgoing = np.asarray(W_next[unit])
        self._draw_outgoing(W_next, unit, None if layer == layers else layer + 1)
        self._draw_deep_arithmetic(snap, layer, unit)
        self._draw_top_images(snap, layer, unit)
        bias = float(snap.params[2 * layer - 1][unit])
        set_text(self._details, self._bias_line(bias, self._fires_text("")))
        now, _ = self._accuracy_texts(snap, unit, True)
        set_text(self._accuracy, now)
        set_text(self._accuracy_before_label, "")

    def _draw_linear_view(self, snap: Snapshot, layer: int, unit: int) -> None:
        """The unit's linear view, on the scale of the whole layer's (as the mosaic does)."""
        with np.errstate(all="ignore"):  # large weights may overflow the products: shown clipped
            view = np.nan_to_num(linear_view(snap.params, layer), posinf=0.0, neginf=0.0)
        level = self._deep_levels.setdefault(layer, AdaptiveLevel()).update(view)
        self._weights = view[:, unit].reshape(SIDE, SIDE)
        first = self._image.image is None
        self._image.setImage(self._weights, autoLevels=False, levels=(-level, level))
        if first:
            self._view.setRange(xRange=(0, SIDE), yRange=(0, SIDE), padding=0.0)
        set_text(self._legend_info, tr("±{level}, the colour scale of the layer-{layer} mosaic").format(
            level=f"{level:.2g}", layer=layer))

    def _draw_deep_arithmetic(self, snap: Snapshot, layer: int, unit: int) -> None:
        """``z = Σ wᵢxᵢ + b`` with xᵢ the previous layer's activations on the selected probe, computed
        by the engine; the push on each digit when the unit feeds the digit scores."""
        images = self._probe_images
        if images is None or not 0 <= self._probe < len(images) or images.shape[1] != snap.W1.shape[0]:
            self._clear_arithmetic(tr(NO_ARITHMETIC))
            set_text(self._inputs_note, "")
            return
        W, b = snap.params[2 * layer - 2], snap.params[2 * layer - 1]
        with np.errstate(all="ignore"):
            x = layer_activations(snap.params, snap.settings.activation, images[self._probe:self._probe + 1],
                                  layer - 1, snapshot_unit_masks(snap))[0]
        if snap.diverged or not (np.isfinite(x).all() and np.isfinite(W[:, unit]).all()):
            self._clear_arithmetic(tr(NOT_FINITE))
            set_text(self._inputs_note, "")
            return
        W_out = snap.W_out if layer == hidden_layer_count(snap) else None
        with np.errstate(all="ignore"):
            result = unit_arithmetic(x, W, b, unit, snap.settings.activation, W_out)
        self._arithmetic, self._activation = result, result.output
        set_text(self._equation, tr("Probe digit {n}:  {equation}").format(n=self._probe + 1,
                                                                           equation=equation_line(result)))
        set_text(self._inputs_note, inputs_note(result, layer - 1))
        self._draw_pushes(result, snap)

    def _draw_top_images(self, snap: Snapshot, layer: int, unit: int) -> None:
        """The test images on which the unit fires most, with their digits and activations."""
        acts = self._test_activations(snap, layer)
        if acts is None or not np.isfinite(acts[0][:, unit]).any():
            self._top_image.clear()
            set_text(self._top_caption, tr(TOP_CAPTION))
            set_text(self._top_note, tr("No test images to choose from") if self._test_images is None
                     else tr("The weights are not finite numbers: no activations to rank"))
            return
        column, step = acts[0][:, unit], acts[1]
        chosen, lowest = top_indices(column, TOP_IMAGES), float(np.nanmin(column))
        chosen = chosen[column[chosen] > lowest]  # ties at the bottom (a = 0 for ReLU) excite it no more
        self._top = chosen
        set_text(self._top_caption, tr("The test images that excite it most (of {n}; step {step})").format(
            n=format_int(len(column)), step=format_int(step)))
        if len(chosen) == 0:
            self._top_image.clear()
            set_text(self._top_note, tr("It gives the same activation ({a}) on every one of these test "
                                        "images: none excites it more than another").format(a=f"{lowest:.3g}"))
            return
        self._top_image.setImage(image_grid(self._test_images[chosen], TOP_COLUMNS), autoLevels=False,
                                 levels=(0.0, 1.0))
        rows = -(-TOP_IMAGES // TOP_COLUMNS)
        self._top_view.setRange(xRange=(0, TOP_COLUMNS * (SIDE + 2) - 2), yRange=(0, rows * (SIDE + 2) - 2),
                                padding=0.0)
        set_text(self._top_note, top_summary(column[chosen], None if self._test_labels is None
                                             else self._test_labels[chosen]))

    def _test_activations(self, snap: Snapshot, layer: int) -> tuple[np.ndarray, int] | None:
        """``((N, H_layer) activations on the test images, the step they are from)``, computed once
        per snapshot and at most every ``TOP_MIN_INTERVAL`` s while training (the images shown then
        may be a few steps old: their caption says which step). None without images or numbers."""
        if self._test_images is None or self._test_images.shape[1] != snap.W1.shape[0]:
            return None
        cached = self._test_acts
        if cached is not None and cached[1] == layer and cached[0] is snap.params:
            return cached[2], cached[3]
        # The same layer of a network a little further on (not a resize, not a look back in time):
        # the cached images may stand for a moment.
        same_layer = (cached is not None and cached[1] == layer and snap.step > cached[3]
                      and cached[2].shape[1] == snap.params[2 * layer - 2].shape[1])
        wait = TOP_MIN_INTERVAL - (time.monotonic() - self._test_acts_time)
        if cached is not None and same_layer and wait > 0:
            self._top_retry.start(int(wait * 1000) + 1)  # then with the newest snapshot, even if training paused
            return cached[2], cached[3]
        acts = layer_activations(snap.params, snap.settings.activation, self._test_images, layer,
                                 snapshot_unit_masks(snap))
        if not np.isfinite(acts).any():
            return None
        self._test_acts = (snap.params, layer, acts, snap.step)
        self._test_acts_time = time.monotonic()
        return acts, snap.step

    def _show_nothing(self, text: str) -> None:
        set_text(self._title, text)
        set_text(self._details, "")
        set_text(self._legend_info, "")
        set_text(self._accuracy, "")
        set_text(self._accuracy_before_label, "")
        self._clear_arithmetic("")
        self._image.clear()
        self._set_bars(np.zeros(10), None)
        self._top_image.clear()
        set_text(self._top_note, "")
        set_text(self._inputs_note, "")
        self._set_button(False)
        self.ablate_button.setEnabled(False)

    def _draw_votes(self, snap: Snapshot, unit: int) -> None:
        if hidden_layer_count(snap) != 1:
            self._set_bars(np.zeros(10), None)
            set_text(self._vote_caption, tr("Outgoing weights go to the next hidden layer, not to the digits"))
            return
        set_text(self._vote_caption, tr(VOTES_CAPTION))
        self._outgoing = np.asarray(snap.W_out[unit])
        self._draw_outgoing(snap.W_out, unit, None)

    def _draw_outgoing(self, W_next: np.ndarray, unit: int, next_layer: int | None) -> None:
        """Bars of ``W_next[unit]``: per digit (``next_layer`` None, ``W_next`` = ``W_out (H, 10)``)
        or per unit of hidden layer ``next_layer`` (``W_next (H, H_next)``)."""
        shown = np.nan_to_num(np.asarray(W_next[unit]), posinf=0.0, neginf=0.0)
        self._set_bars(shown, next_layer)
        top = _vote_range(np.nan_to_num(W_next, posinf=0.0, neginf=0.0), shown)
        self._vote_plot.setRange(yRange=(-top, top), padding=0.0)

    def _set_bars(self, heights: np.ndarray, next_layer: int | None) -> None:
        """The outgoing-weight bars: one per digit (``next_layer`` None) or one per unit of hidden
        layer ``next_layer``, the bottom axis saying which."""
        n = len(heights)
        axis = self._vote_plot.getAxis("bottom")
        mode = (next_layer, n)
        if self._bars_mode != mode:
            self._bars_mode = mode
            if next_layer is None:
                axis.setTicks([[(d, str(d)) for d in range(10)]])
                style.style_axis(axis, tr("digit"))
            else:
                axis.setTicks(None)  # pyqtgraph's own ticks: a layer may have 1 or 512 units
                style.style_axis(axis, tr("unit of layer {layer}").format(layer=next_layer))
            self._vote_plot.setRange(xRange=(-0.6, n - 0.4), padding=0.02)
        self._votes.setOpts(x=np.arange(n), height=heights, width=0.75 if n <= 64 else 1.0,
                            brushes=signed_brushes(heights) if np.any(heights) else [pg.mkBrush(style.GREY)] * n)

    # ------------------------------------------------------------------ the unit's arithmetic
    def _draw_arithmetic(self, snap: Snapshot, unit: int, level: float) -> None:
        images = self._probe_images
        if images is None or not 0 <= self._probe < len(images) or images.shape[1] != snap.W1.shape[0]:
            self._clear_arithmetic(tr(NO_ARITHMETIC))
            return
        if snap.diverged or not np.isfinite(snap.W1[:, unit]).all():
            self._clear_arithmetic(tr(NOT_FINITE))
            return
        with np.errstate(all="ignore"):  # huge but finite weights may overflow float32: shown as inf
            result = snapshot_unit_arithmetic(snap, images[self._probe], unit)
        self._arithmetic = result
        set_text(self._equation, tr("Probe digit {n}:  {equation}").format(n=self._probe + 1,
                                                                           equation=equation_line(result)))
        self._draw_terms(result, images[self._probe], level)
        self._draw_pushes(result, snap)

    def _clear_arithmetic(self, text: str) -> None:
        set_text(self._equation, text)
        set_text(self._terms_note, "")
        set_text(self._push_note, "")
        self._terms_image.clear()
        self._top_marks.setData([], [])
        self._pushes.setOpts(height=np.zeros(10))

    def _draw_terms(self, result: UnitArithmetic, x: np.ndarray, level: float) -> None:
        """The terms ``wᵢxᵢ`` on the input weights' colour scale ``±level``, pixels without ink in
        grey: where the ink is full (x = 1) the term is the weight, in the very colour of the picture
        above, so the heatmap reads as "the unit's weights, seen through the digit"."""
        terms = result.contributions
        self._terms_image.setImage(terms_rgb(terms, x, level, self._terms_lut), autoLevels=False)
        marked = np.concatenate([result.top_positive, result.top_negative])
        rows, cols = np.divmod(marked, SIDE)
        self._top_marks.setData(cols + 0.5, rows + 0.5)
        up = float(terms[result.top_positive].sum())
        down = float(terms[result.top_negative].sum())
        set_text(self._terms_note, tr("□ {n} largest each way: {up}, {down}   ·   grey: no ink").format(
            n=TOP_COUNT, up=signed(up), down=signed(down)))

    def _draw_pushes(self, result: UnitArithmetic, snap: Snapshot) -> None:
        pushes = result.class_contributions
        if pushes is None:
            self._pushes.setOpts(height=np.zeros(10))
            following = snap.params[2 * self._layer].shape[1]  # the layer after this unit's
            set_text(self._push_caption, tr("a goes to the next hidden layer ({n} units), "
                                            "not straight to the digit scores").format(n=following))
            set_text(self._push_note, "")
            return
        set_text(self._push_caption, tr(PUSHES_CAPTION))
        shown = np.nan_to_num(pushes, posinf=0.0, neginf=0.0)
        self._pushes.setOpts(height=shown, brushes=signed_brushes(shown))
        top = float(np.max(np.abs(shown), initial=0.0))
        top = style.nice_ceiling(top * 1.05) if top > 0 else 1.0
        if top != self._push_top:  # a new scale re-lays out the axis: only when it changes
            self._push_top = top
            # Room for the end ticks' labels: pyqtgraph drops a label that would stick out of the plot.
            self._push_plot.setRange(yRange=(-1.25 * top, 1.25 * top), padding=0.0)
            # Three ticks only: pyqtgraph's own crowd and overlap when the row is short (a small window).
            end = f"{top:g}"  # nice_ceiling's 1, 1.5, 2, ... x 10^k: short, e.g. "0.08"
            self._push_plot.getAxis("left").setTicks([[(-top, MINUS + end), (0.0, "0"), (top, end)], []])
        set_text(self._push_note, push_summary(result))

    def _probe_activation(self, snap: Snapshot, unit: int) -> float | None:
        hidden = snap.probe_hidden
        if hidden.ndim != 2 or not 0 <= self._probe < hidden.shape[0] or unit >= hidden.shape[1] or snap.diverged:
            return None
        return float(hidden[self._probe, unit])

    def _details_text(self, snap: Snapshot, unit: int) -> str:
        bias = float(snap.b1[unit]) if unit < len(snap.b1) else math.nan
        off = tr(" (switched off)") if unit < len(snap.unit_mask) and snap.unit_mask[unit] == 0 else ""
        return self._bias_line(bias, self._fires_text(off))

    def _fires_text(self, off: str) -> str:
        """``"activation on probe digit 3: 2.89"`` (``off``: a note after it), or that none is selected."""
        if self._activation is None:
            return tr("no probe selected")
        return tr("activation on probe digit {n}: {a}").format(n=self._probe + 1, a=f"{self._activation:.3g}") + off

    @staticmethod
    def _bias_line(bias: float, fires: str) -> str:
        return tr("bias {bias}   ·   {fires}").format(bias=f"{bias:+.3g}", fires=fires)

    def _accuracy_texts(self, snap: Snapshot, unit: int, enabled: bool) -> tuple[str, str]:
        """``("Accuracy (latest evaluation): 92.7%", "was 93.9% before unit 5 was switched off")``."""
        acc = snap.last_eval_accuracy
        now = tr("Accuracy (latest evaluation): {accuracy}").format(
            accuracy="—" if not math.isfinite(acc) else format_percent(acc, 1))
        before = self._accuracy_before.get(unit)
        if enabled or before is None or not math.isfinite(before):
            return now, ""
        return now, tr("was {accuracy} before unit {unit} was switched off").format(
            accuracy=format_percent(before, 1), unit=unit)

    # ------------------------------------------------------------------ ablation state
    def _enabled_state(self, snap: Snapshot, unit: int) -> bool:
        """Whether the unit is on, as the snapshot says — or as just requested, until a snapshot
        confirms it (the command travels to the worker; the next snapshot or two still show the
        old mask, and the button must not flicker back)."""
        mask = snap.unit_mask
        actual = bool(mask[unit] != 0) if unit < len(mask) else True
        if self._pending is not None:
            p_unit, p_enabled, when = self._pending
            if p_unit == unit and actual != p_enabled and time.monotonic() - when < PENDING_TIMEOUT:
                return p_enabled
            self._pending = None
        return actual

    def _set_button(self, checked: bool) -> None:
        blocked = self.ablate_button.blockSignals(True)  # reflecting state is not a user request
        self.ablate_button.setChecked(checked)
        self.ablate_button.setText(tr(ABLATED_TEXT) if checked else tr(ABLATE_TEXT))
        self.ablate_button.blockSignals(blocked)

    # ------------------------------------------------------------------ events
    def _on_ablate_toggled(self, checked: bool) -> None:
        unit = self._unit
        if unit is None:
            return
        enabled = not checked
        self._pending = (unit, enabled, time.monotonic())
        if not enabled and self._snap is not None:
            self._accuracy_before[unit] = self._snap.last_eval_accuracy
        self.ablate_button.setText(tr(ABLATED_TEXT) if checked else tr(ABLATE_TEXT))
        self.ablateRequested.emit(unit, enabled)
        self._refresh()


def _above(widget: QtWidgets.QWidget, note: QtWidgets.QLabel) -> QtWidgets.QWidget:
    """``widget`` over a one-line ``note``."""
    box = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    note.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter)
    layout.addWidget(widget, 1)
    layout.addWidget(note)
    return box


def decimals_for(*values: float) -> int:
    """Decimals that show the largest ``|value|`` with about three significant digits (2 to 5):
    2.89 has 2; a sigmoid network's z = 0.0312 needs 4, or "0.03 + 0.00 = 0.03" says nothing."""
    largest = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if largest == 0:
        return 2
    return int(min(5, max(2, 2 - math.floor(math.log10(largest)))))


def number(value: float, decimals: int) -> str:
    """``value`` with a real minus sign, e.g. ``"−0.52"``."""
    return f"{value:.{decimals}f}".replace("-", MINUS)


def signed(value: float, decimals: int = 2) -> str:
    """``"+1.92"`` or ``"−0.87"``."""
    return ("+" if value >= 0 else "") + number(value, decimals)


def equation_line(result: UnitArithmetic) -> str:
    """``"z = Σ wᵢxᵢ + b = 3.41 + (−0.52) = 2.89 → relu → a = 2.89"``; a switched-off unit ends
    ``"→ relu → 2.89, switched off: a = 0"`` (the network passes 0 on, whatever f(z) is)."""
    d = decimals_for(result.weighted_sum, result.bias, result.z, result.activation)
    bias = number(result.bias, d)
    if result.bias < 0:
        bias = f"({bias})"
    sum_part = f"z = Σ wᵢxᵢ + b = {number(result.weighted_sum, d)} + {bias} = {number(result.z, d)}"
    f_of_z = number(result.activation, d)
    tail = f"a = {f_of_z}" if result.enabled else tr("{value}, switched off: a = 0").format(value=f_of_z)
    return f"{sum_part}  →  {result.activation_name}  →  {tail}"


def push_summary(result: UnitArithmetic) -> str:
    """``"most for 3 (+1.20), most against 7 (−0.80)"``, or why there is no push."""
    pushes = result.class_contributions
    if pushes is None:
        return ""
    if not np.any(pushes):
        return tr("a = 0: it adds nothing to any digit's score")
    d = decimals_for(*pushes.tolist())
    up, down = int(np.argmax(pushes)), int(np.argmin(pushes))
    parts = []
    if pushes[up] > 0:
        parts.append(tr("most for {digit} ({push})").format(digit=up, push=signed(float(pushes[up]), d)))
    if pushes[down] < 0:
        parts.append(tr("most against {digit} ({push})").format(digit=down, push=signed(float(pushes[down]), d)))
    return ", ".join(parts)


def terms_rgb(terms: np.ndarray, x: np.ndarray, level: float, lut: np.ndarray | None = None) -> np.ndarray:
    """``(28, 28, 3) uint8`` picture of the terms ``(784,)`` in the weight colours on the symmetric
    scale ``±level`` (white = 0); pixels without ink (``x (784,) <= 0``) in light grey, so the digit's
    shape shows even where its weights are near zero. ``lut``: ``diverging_lut()``, if already made
    (making it costs ~0.1 ms, a fifth of this picture's cost per snapshot)."""
    lut = diverging_lut() if lut is None else lut
    scaled = np.nan_to_num(terms / level if level > 0 else np.zeros_like(terms), posinf=1.0, neginf=-1.0)
    index = np.rint((np.clip(scaled, -1.0, 1.0) + 1.0) * 0.5 * (len(lut) - 1)).astype(np.intp)
    rgb = lut[index]
    rgb[np.asarray(x).reshape(-1) <= 0] = QtGui.QColor(style.LIGHT_GREY).getRgb()[:3]
    return rgb.reshape(SIDE, SIDE, 3)


def inputs_note(result: UnitArithmetic, previous_layer: int) -> str:
    """What the xᵢ of a deeper unit are and which of them push its z most, e.g. ``"Here the xᵢ are the
    32 activations of layer 1 on this digit. Largest terms: units 3 (+0.52), 17 (+0.31)"``."""
    d = decimals_for(*result.contributions.tolist())
    terms = result.contributions
    sentences = [tr("Here the xᵢ are the {n} activations of layer {layer} on this digit, not pixels.").format(
        n=len(terms), layer=previous_layer)]
    up = ", ".join(f"{i} ({signed(float(terms[i]), d)})" for i in result.top_positive[:3])
    down = ", ".join(f"{i} ({signed(float(terms[i]), d)})" for i in result.top_negative[:3])
    if up:
        sentences.append(tr("Largest terms from its units {units}.").format(units=up))
    if down:
        sentences.append(tr("Most negative: {units}.").format(units=down))
    return " ".join(sentences)


def top_summary(activations: np.ndarray, labels: np.ndarray | None) -> str:
    """``"Digits 7 7 1 7 9 7 · a from 3.21 down to 1.84"`` for the top images' ``(k,)`` activations and labels."""
    d = decimals_for(*activations.tolist())
    span = f"a = {number(float(activations[0]), d)}" if len(activations) == 1 else \
        tr("a from {high} down to {low}").format(high=number(float(activations[0]), d),
                                                 low=number(float(activations[-1]), d))
    if labels is None:
        return span
    return tr("Digits {digits}   ·   {span}").format(digits=" ".join(str(int(v)) for v in labels), span=span)


def image_grid(images: np.ndarray, columns: int, gap: int = 2, fill: float = 0.35) -> np.ndarray:
    """``(k, 784)`` images as one ``(rows * 30 - 2, columns * 30 - 2)`` picture, row-major, ``gap``
    pixels of grey ``fill`` between them (empty places grey too)."""
    count = len(images)
    rows = max(1, -(-count // columns))
    pitch = SIDE + gap
    grid = np.full((rows * pitch - gap, columns * pitch - gap), fill, np.float32)
    for i, image in enumerate(np.asarray(images, np.float32).reshape(-1, SIDE, SIDE)):
        r, c = divmod(i, columns)
        grid[r * pitch:r * pitch + SIDE, c * pitch:c * pitch + SIDE] = image
    return grid


def _vote_range(all_votes: np.ndarray, votes: np.ndarray) -> float:
    """Half-height of the vote plot: the 99th percentile of every unit's ``|W_out|`` (``(H, 10)``),
    so a weak unit looks weak next to the others, but never less than this unit's own largest
    ``|vote|`` (``(10,)``), so its bars always fit. The maximum over all units made one outlier
    (a weight of 20 after a blow-up) flatten every other unit's bars to nothing."""
    typical = float(np.percentile(np.abs(all_votes), 99)) if all_votes.size else 0.0
    top = max(typical, float(np.max(np.abs(votes), initial=0.0))) * 1.1
    return top if math.isfinite(top) and top > 0 else 1.0
