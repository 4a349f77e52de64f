"""UnitInspectorPanel: one hidden unit up close — what it looks for, whom it votes for, how strongly
it fires on the selected probe digit and why (its arithmetic, z = Σ wᵢxᵢ + b with the live
numbers) — and a switch to turn it off (ablation) to see what the network loses without it.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.analysis import hidden_layer_count
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE, AdaptiveLevel
from mnist_viz.core.unit_arithmetic import TOP_COUNT, UnitArithmetic, snapshot_unit_arithmetic
from mnist_viz.gui import style
from mnist_viz.gui.style import diverging_lut, signed_brushes
from mnist_viz.gui.widgets import captioned, digit_bar_plot, info_label, legend_row, reserve_lines, set_text

# How long a requested ablation may wait for a snapshot that shows it before the button gives up
# and follows the snapshots again (a lost command must not leave the button lying).
PENDING_TIMEOUT = 3.0

ABLATE_TEXT = "Ablate (switch off)"
ABLATED_TEXT = "Switched off: click to switch back on"
VOTES_CAPTION = "Outgoing weights: its vote for each digit"
NO_UNIT_MESSAGE = "Click a tile in the weight mosaic to inspect that hidden unit"
TERMS_CAPTION = "Terms wᵢ·xᵢ: red pushes z up, blue pulls it down"
PUSHES_CAPTION = "a · outgoing weights: its push on each digit's score"
# Below ~130 px the digit is a smudge and the push plot drops its tick labels: scroll rather than shrink.
ARITHMETIC_MIN_HEIGHT = 140
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

    Signals:
        ablateRequested(int unit, bool enabled): the user switched the unit off (False) or back on.
    """

    ablateRequested = QtCore.Signal(int, bool)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._unit: int | None = None
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

    def set_unit(self, index: int | None) -> None:
        """Inspect hidden unit ``index`` of the first layer (None: nothing selected)."""
        self._unit = None if index is None else int(index)
        self._pending = None
        self._refresh()

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
        self._vote_plot, self._votes = digit_bar_plot(votes, 0, 0, "weight", (-1.0, 1.0))
        self._vote_plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(style.FOREGROUND, width=1.5)))
        self._vote_plot.getAxis("left").enableAutoSIPrefix(False)  # "(x0.001)" on the axis confuses a room
        self._vote_caption = info_label(VOTES_CAPTION, style.LABEL_PT)
        pictures = QtWidgets.QHBoxLayout()
        pictures.addWidget(captioned(info_label("Input weights: what the unit looks for", style.LABEL_PT), weights), 1)
        pictures.addWidget(captioned(self._vote_caption, votes), 1)

        self.ablate_button = QtWidgets.QPushButton(ABLATE_TEXT)
        self.ablate_button.setCheckable(True)
        self.ablate_button.setFont(style.font(style.LABEL_PT, bold=True))
        self.ablate_button.setToolTip("Force this unit's activation to 0 (its weights are kept) and watch the accuracy")
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
        layout.addLayout(arithmetic, 1)
        layout.addLayout(bottom)

    def _build_arithmetic(self) -> QtWidgets.QHBoxLayout:
        """The equation line (made here, placed by ``_build``), the heatmap of the terms and the
        bars of the class pushes, each over a one-line summary; the same two columns as above, so
        input weights sit over their terms and outgoing weights over their pushes."""
        self._equation = info_label("", style.TITLE_PT, bold=True)  # the line the room reads: the largest text
        self._equation.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
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
        self._push_caption = info_label(PUSHES_CAPTION, style.LABEL_PT)
        self._push_note = info_label("", style.LABEL_PT)
        for picture in (terms, pushes):
            picture.setMinimumHeight(ARITHMETIC_MIN_HEIGHT)
        terms_caption = info_label(TERMS_CAPTION, style.LABEL_PT)
        for label in (self._equation, terms_caption, self._terms_note, self._push_caption, self._push_note):
            reserve_lines(label, 2)  # each wraps to two lines in a half-width column
        row = QtWidgets.QHBoxLayout()
        for column in (captioned(terms_caption, _above(terms, self._terms_note)),
                       captioned(self._push_caption, _above(pushes, self._push_note))):
            # Held as a hard minimum: the wrapped labels' height-for-width let the layout give the
            # column less than its parts need, and the notes were drawn over the pictures.
            column.setMinimumHeight(column.minimumSizeHint().height())
            row.addWidget(column, 1)
        return row

    # ------------------------------------------------------------------ drawing
    def _refresh(self) -> None:
        snap, unit = self._snap, self._unit
        problem = self._problem(snap, unit)
        self._weights = self._outgoing = self._activation = None
        self._arithmetic = None
        if problem:
            self._show_nothing(problem)
            return
        self.ablate_button.setEnabled(True)
        W1 = np.nan_to_num(snap.W1) if snap.diverged else snap.W1  # inf/NaN have no colour
        level = self._level.update(W1)
        self._weights = np.asarray(snap.W1[:, unit]).reshape(SIDE, SIDE)
        first = self._image.image is None
        self._image.setImage(np.nan_to_num(self._weights), autoLevels=False, levels=(-level, level))
        if first:
            self._view.setRange(xRange=(0, SIDE), yRange=(0, SIDE), padding=0.0)
        set_text(self._legend_info, f"±{level:.2g}, the same colour scale as the mosaic")
        self._draw_votes(snap, unit)
        self._activation = self._probe_activation(snap, unit)
        self._draw_arithmetic(snap, unit, level)
        enabled = self._enabled_state(snap, unit)
        self._set_button(not enabled)
        set_text(self._title, f"Hidden unit {unit} of {snap.W1.shape[1]}" + ("" if enabled else "  (switched off)"))
        set_text(self._details, self._details_text(snap, unit))
        now, before = self._accuracy_texts(snap, unit, enabled)
        set_text(self._accuracy, now)
        set_text(self._accuracy_before_label, before)

    def _problem(self, snap: Snapshot | None, unit: int | None) -> str:
        """Why no unit can be shown (empty string when one can)."""
        if unit is None:
            return NO_UNIT_MESSAGE
        if snap is None:
            return f"Hidden unit {unit}: waiting for the network (press Start)"
        n = snap.W1.shape[1]
        if not 0 <= unit < n:
            return f"Unit {unit} no longer exists: the hidden layer now has {n} units. Click a tile to pick another."
        return ""

    def _show_nothing(self, text: str) -> None:
        set_text(self._title, text)
        set_text(self._details, "")
        set_text(self._legend_info, "")
        set_text(self._accuracy, "")
        set_text(self._accuracy_before_label, "")
        self._clear_arithmetic("")
        self._image.clear()
        self._votes.setOpts(height=np.zeros(10))
        self._set_button(False)
        self.ablate_button.setEnabled(False)

    def _draw_votes(self, snap: Snapshot, unit: int) -> None:
        if hidden_layer_count(snap) != 1:
            self._votes.setOpts(height=np.zeros(10))
            set_text(self._vote_caption, "Outgoing weights go to the next hidden layer, not to the digits")
            return
        set_text(self._vote_caption, VOTES_CAPTION)
        self._outgoing = np.asarray(snap.W_out[unit])
        shown = np.nan_to_num(self._outgoing, posinf=0.0, neginf=0.0)
        self._votes.setOpts(height=shown, brushes=signed_brushes(shown))
        top = _vote_range(np.nan_to_num(snap.W_out, posinf=0.0, neginf=0.0), shown)
        self._vote_plot.setRange(yRange=(-top, top), padding=0.0)

    # ------------------------------------------------------------------ the unit's arithmetic
    def _draw_arithmetic(self, snap: Snapshot, unit: int, level: float) -> None:
        images = self._probe_images
        if images is None or not 0 <= self._probe < len(images) or images.shape[1] != snap.W1.shape[0]:
            self._clear_arithmetic("Select a probe digit to see this unit's arithmetic on it")
            return
        if snap.diverged or not np.isfinite(snap.W1[:, unit]).all():
            self._clear_arithmetic("The weights are not finite numbers: there is no arithmetic to show")
            return
        with np.errstate(all="ignore"):  # huge but finite weights may overflow float32: shown as inf
            result = snapshot_unit_arithmetic(snap, images[self._probe], unit)
        self._arithmetic = result
        set_text(self._equation, f"Probe digit {self._probe + 1}:  " + equation_line(result))
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
        set_text(self._terms_note, f"□ {TOP_COUNT} largest each way: {signed(up)}, {signed(down)}   ·   grey: no ink")

    def _draw_pushes(self, result: UnitArithmetic, snap: Snapshot) -> None:
        pushes = result.class_contributions
        if pushes is None:
            self._pushes.setOpts(height=np.zeros(10))
            set_text(self._push_caption, f"a goes to the next hidden layer ({snap.params[2].shape[1]} units), "
                                         "not straight to the digit scores")
            set_text(self._push_note, "")
            return
        set_text(self._push_caption, PUSHES_CAPTION)
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
        if self._activation is None:
            fires = "no probe selected"
        else:
            off = " (switched off)" if unit < len(snap.unit_mask) and snap.unit_mask[unit] == 0 else ""
            fires = f"activation on probe digit {self._probe + 1}: {self._activation:.3g}{off}"
        return f"bias {bias:+.3g}   ·   {fires}"

    def _accuracy_texts(self, snap: Snapshot, unit: int, enabled: bool) -> tuple[str, str]:
        """``("Accuracy (latest evaluation): 92.7%", "was 93.9% before unit 5 was switched off")``."""
        acc = snap.last_eval_accuracy
        now = "Accuracy (latest evaluation): " + ("—" if not math.isfinite(acc) else f"{acc:.1%}")
        before = self._accuracy_before.get(unit)
        if enabled or before is None or not math.isfinite(before):
            return now, ""
        return now, f"was {before:.1%} before unit {unit} was switched off"

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
        self.ablate_button.setText(ABLATED_TEXT if checked else ABLATE_TEXT)
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
        self.ablate_button.setText(ABLATED_TEXT if checked else ABLATE_TEXT)
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
    tail = f"a = {f_of_z}" if result.enabled else f"{f_of_z}, switched off: a = 0"
    return f"{sum_part}  →  {result.activation_name}  →  {tail}"


def push_summary(result: UnitArithmetic) -> str:
    """``"most for 3 (+1.20), most against 7 (−0.80)"``, or why there is no push."""
    pushes = result.class_contributions
    if pushes is None:
        return ""
    if not np.any(pushes):
        return "a = 0: it adds nothing to any digit's score"
    d = decimals_for(*pushes.tolist())
    up, down = int(np.argmax(pushes)), int(np.argmin(pushes))
    parts = []
    if pushes[up] > 0:
        parts.append(f"most for {up} ({signed(float(pushes[up]), d)})")
    if pushes[down] < 0:
        parts.append(f"most against {down} ({signed(float(pushes[down]), d)})")
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


def _vote_range(all_votes: np.ndarray, votes: np.ndarray) -> float:
    """Half-height of the vote plot: the 99th percentile of every unit's ``|W_out|`` (``(H, 10)``),
    so a weak unit looks weak next to the others, but never less than this unit's own largest
    ``|vote|`` (``(10,)``), so its bars always fit. The maximum over all units made one outlier
    (a weight of 20 after a blow-up) flatten every other unit's bars to nothing."""
    typical = float(np.percentile(np.abs(all_votes), 99)) if all_votes.size else 0.0
    top = max(typical, float(np.max(np.abs(votes), initial=0.0))) * 1.1
    return top if math.isfinite(top) and top > 0 else 1.0
