"""BackpropStepPanel: one training step, slowly — forward, loss, backward, update, one click each.

Each click of "Next stage ▶" shows the next stage of the same step, for the batch the next step
trains on (``core.backprop_step``; the training process pauses to compute it):

1. Forward: the batch's first images with the network's answer under each (wrong ones marked).
2. Loss: each image's loss ``-log p(true digit)`` under it, and the batch's mean loss, large.
3. Backward: ``-lr · ∂L/∂W1`` as one 28×28 tile per hidden unit, on the weight mosaic's colour
   scale, so the room sees how small one step is next to the weights (an "amplify ×N" switch makes
   it visible), and the size of the gradient of every layer.
4. Update: the step is taken (the window sends the ordinary Step); then the size of the change of
   each layer's weights, ``||ΔW|| / ||W||``, from the layer health of the snapshot after the step.

The panel only asks: ``explainRequested`` (the window sends ``ExplainStep``) and ``stepRequested``
(the window sends ``Step``). The next click after stage 4 starts again at stage 1 with a new batch.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.backprop_step import StepExplanation
from mnist_viz.core.health import HEALTHY_LOG10_RATIO
from mnist_viz.core.i18n import N_, format_int, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE, AdaptiveLevel, grid_layout, mosaic_layout, quantize_symmetric, tile_mosaic
from mnist_viz.gui import style
from mnist_viz.gui.widgets import info_label, legend_row, reserve_lines, set_text

STAGES = (N_("Forward"), N_("Loss"), N_("Backward"), N_("Update"))  # shown through tr()
IDLE, FORWARD, LOSS, BACKWARD, UPDATE = range(5)  # the panel's stage: IDLE before the first click
GAP_X = 3  # px between digits side by side
LABEL_BAND = 12  # px under each digit where its answer or loss is written
PAPER = 255
BAR_FLOOR = -7.0  # log10 ratio where the update bars start (one ten-millionth of the weights)
# What momentum and Adam do with the gradient instead of stepping along it, in a sentence each.
OPTIMIZER_WORDS = {
    "momentum": N_("This run uses momentum, which steps along a running sum of this and earlier gradients, "
                   "so its real step is not this one: stage 4 measures it."),
    "adam": N_("This run uses Adam, which divides each weight's gradient by its recent typical size, "
               "so its real step is not this one: stage 4 measures it."),
}
OPTIMIZER_NAMES = {"sgd": "SGD", "gd": N_("gradient descent"), "momentum": N_("momentum"), "adam": "Adam"}
START_TEXT = N_("Press “Next stage ▶” to take one training step apart: the network sees a batch (forward), "
              "scores it (loss), works out how each weight should change (backward), and changes it (update). "
              "Training pauses while you do.")
RULE_OF_THUMB = N_("rule of thumb ≈ 0.001")
CANNOT_EXPLAIN = N_("The step cannot be taken apart now: {reason}")
WENT_ON = N_("Training went on (now at step {step}) since this batch was taken. "
             "Press “Next stage ▶” to take the next step apart.")


class BackpropStepPanel(QtWidgets.QWidget):
    """The four stages of one step, one per click (see the module docstring).

    Signals:
        explainRequested(): stage 1 needs the next step taken apart (send ``ExplainStep``).
        stepRequested(): stage 4: take the step (send ``Step``).
    """

    explainRequested = QtCore.Signal()
    stepRequested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._stage = IDLE
        self._explanation: StepExplanation | None = None
        self._last: Snapshot | None = None
        self._after: Snapshot | None = None  # the snapshot of the explained step, once it is taken
        self._weight_level: float | None = None  # the weight mosaic's ±level, when the window tells it
        self._gradient_level: float | None = None
        self._level_source = ""
        self._amplification = 1
        self._digit_labels: list[QtWidgets.QGraphicsSimpleTextItem] = []
        self._digit_grid = (1, 1)
        self._mosaic_grid = (1, 1)
        self._notice: tuple[str, dict] | None = None  # (msgid, its fields) of the notice shown, if any
        self._build()
        self._render()

    # ------------------------------------------------------------------ public
    @property
    def stage(self) -> int:
        """0 before the first click, then 1 Forward, 2 Loss, 3 Backward, 4 Update."""
        return self._stage

    @property
    def explanation(self) -> StepExplanation | None:
        return self._explanation

    @property
    def gradient_level(self) -> float | None:
        """The colour range ``±level`` of the gradient mosaic (before amplification), or ``None``."""
        return self._gradient_level

    @property
    def amplification(self) -> int:
        """``N`` of "amplify ×N": the gradient tiles are shown ×N when amplified."""
        return self._amplification

    def message(self) -> str:
        """The stage's explanatory text now shown."""
        return self._text.text()

    def gradient_image(self) -> np.ndarray | None:
        """The displayed gradient mosaic, ``uint8`` colour indices (``style.diverging_lut_indexed``)."""
        return self._mosaic_image.image

    def digits_image(self) -> np.ndarray | None:
        """The displayed batch, ``uint8`` (0 = ink, 255 = paper)."""
        return self._digits_image.image

    def digit_texts(self) -> list[str]:
        """What is written under each digit now (answers in stage 1, losses in stage 2)."""
        return [item.text() for item in self._digit_labels]

    def set_amplified(self, amplified: bool) -> None:
        self._amplify_box.setChecked(bool(amplified))

    def set_weight_level(self, level: float | None) -> None:
        """The weight mosaic's colour range ``±level`` (``WeightsPanel.level``), which the gradient
        tiles share; ``None`` or a bad number: the panel works it out from the last snapshot's W1."""
        new = float(level) if level is not None and math.isfinite(level) and level > 0 else None
        if new != self._weight_level:  # called with every snapshot: redraw only for a new scale
            self._weight_level = new
            if self._stage == BACKWARD:
                self._render()

    def advance(self) -> None:
        """The next stage (what "Next stage ▶" does; the window may route the Step button here while
        this tab is shown)."""
        if self._stage in (IDLE, UPDATE) or (self._stage == FORWARD and self._explanation is None):
            self._ask_for_batch()
        elif self._stage == BACKWARD:
            self._stage, self._after = UPDATE, None
            self.stepRequested.emit()
        else:
            self._stage += 1
        self._render()

    def show_explanation(self, explanation: object) -> None:
        """The step the training process took apart (``StepExplanation``): shown from stage 1."""
        if not isinstance(explanation, StepExplanation):
            return
        self._explanation, self._after, self._stage = explanation, None, FORWARD
        self._relayout_digits()
        self._render()

    def show_refusal(self, failed: object) -> None:
        """The training process could not take the step apart (a ``CommandFailed`` for "explain
        step", e.g. training stopped after a blow-up): say why and start again. Others are ignored."""
        waiting = self._stage == FORWARD and self._explanation is None
        if getattr(failed, "command", None) != "explain step" or not waiting:
            return
        self._stage = IDLE
        self._render((CANNOT_EXPLAIN, {"reason": getattr(failed, "reason", "")}))

    def show_snapshot(self, snap: Snapshot) -> None:
        """Keep ``snap`` (its W1 sets the gradient scale when the window gives none); in stage 4 the
        snapshot of the explained step brings the real update sizes. A step this panel did not ask for
        makes the explanation out of date: the panel starts again."""
        self._last = snap
        e = self._explanation
        if e is None:
            return
        if self._stage in (FORWARD, LOSS, BACKWARD) and snap.step >= e.step:
            self._explanation, self._stage = None, IDLE
            self._render((WENT_ON, {"step": int(snap.step)}))
        elif self._stage == UPDATE and self._after is None and snap.step >= e.step and snap.health:
            self._after = snap
            self._render()

    def clear(self) -> None:
        """Back to the start (training was reset or a new run began)."""
        self._stage, self._explanation, self._after, self._last = IDLE, None, None, None
        self._render()

    def changeEvent(self, event: QtCore.QEvent) -> None:
        # A theme change: the current stage's accent colour is in its rich text, not in a palette.
        if event.type() == QtCore.QEvent.Type.PaletteChange:
            QtCore.QTimer.singleShot(0, self, self._highlight_stage)
        super().changeEvent(event)

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        # One wrapping line of rich text, not seven labels in a row: the row of labels set the panel's
        # minimum width (~400 px) above the 340-px tab area of a 1024x768 window.
        self._stages = info_label("", style.LABEL_PT + 1)
        self._stages.setTextFormat(QtCore.Qt.TextFormat.RichText)
        title = QtWidgets.QHBoxLayout()  # the button beside the title, so the stage row stays narrow
        heading = style.title_label(tr("One training step, slowly (backpropagation)"))
        heading.setMinimumWidth(140)  # wraps to three lines beside the button in a 340-px tab (1024x768)
        title.addWidget(heading, 1)
        self.next_button = QtWidgets.QPushButton(tr("Next stage ▶"))
        self.next_button.setFont(style.font(style.TITLE_PT, bold=True))
        self.next_button.setMinimumHeight(52)
        self.next_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # Space stays pause/resume
        self.next_button.clicked.connect(self.advance)
        title.addWidget(self.next_button)
        self._text = reserve_lines(info_label("", style.LABEL_PT), 3)
        self._big = QtWidgets.QLabel("")
        self._big.setFont(style.font(style.TITLE_PT + 10, bold=True))
        self._numbers = info_label("", style.LABEL_PT)
        self._pages = QtWidgets.QStackedWidget()
        self._pages.addWidget(self._digits_page())
        self._pages.addWidget(self._gradient_page())
        self._pages.addWidget(self._update_page())
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(title)
        layout.addWidget(self._stages)
        layout.addWidget(self._text)
        layout.addWidget(self._big)
        layout.addWidget(self._numbers)
        layout.addWidget(self._pages, 1)
        self.setMinimumHeight(420)

    def _digits_page(self) -> QtWidgets.QWidget:
        self._digits_graphics, self._digits_view, self._digits_image = style.image_in_view(
            levels=(0, 255), on_resized=self._relayout_digits)
        return self._digits_graphics

    def _gradient_page(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        legend, self._legend_info = legend_row(tr("− down"), tr("up +"))  # short: the row sets the minimum width
        self._amplify_box = QtWidgets.QCheckBox(tr("Amplify"))
        self._amplify_box.setFont(style.font(style.LABEL_PT))
        self._amplify_box.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self._amplify_box.toggled.connect(lambda _: self._render())
        self._mosaic_graphics, self._mosaic_view, self._mosaic_image = style.image_in_view(
            style.diverging_lut_indexed(), on_resized=self._on_mosaic_resized)
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._amplify_box)
        layout.addWidget(legend)
        layout.addWidget(self._mosaic_graphics, 1)
        return page

    def _update_page(self) -> QtWidgets.QWidget:
        graphics = style.graphics_widget()
        plot = graphics.addPlot()
        style.style_plot(plot, left=tr("change of the weights ÷ their size"))
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.showGrid(x=False, y=True, alpha=style.GRID_ALPHA)
        plot.getAxis("left").setTicks([[(p, _power_text(p)) for p in range(int(BAR_FLOOR), 1)]])
        plot.setYRange(BAR_FLOOR, 0, padding=0.02)
        plot.addLegend(offset=(-10, 10), labelTextSize=f"{style.zoomed_pt(style.SMALL_PT + 1):.3g}pt",
                       labelTextColor=style.FOREGROUND)
        self._proposed_bars = pg.BarGraphItem(x=[], y0=[], y1=[], width=0.35, brush=pg.mkBrush(style.GREY),
                                              pen=None, name=tr("plain SGD: −lr · gradient"))
        self._real_bars = pg.BarGraphItem(x=[], y0=[], y1=[], width=0.35, brush=pg.mkBrush(style.BLUE), pen=None,
                                          name=tr("the step taken"))
        plot.addItem(self._proposed_bars)
        plot.addItem(self._real_bars)
        healthy = pg.InfiniteLine(HEALTHY_LOG10_RATIO, angle=0, pen=pg.mkPen(style.GREEN, width=2,
                                                                             style=QtCore.Qt.PenStyle.DashLine),
                                  label=tr(RULE_OF_THUMB), labelOpts={"position": 0.12, "color": style.GREEN})
        healthy.label.setFont(style.font(style.SMALL_PT + 1))
        plot.addItem(healthy)
        self._healthy_line = healthy
        self._update_plot = plot
        return graphics

    # ------------------------------------------------------------------ stages
    def _ask_for_batch(self) -> None:
        self._explanation, self._after, self._stage = None, None, FORWARD
        self.explainRequested.emit()

    def refresh_texts(self) -> None:
        """Rewrite the stage's texts in the current language, after a language switch (they are built
        from numbers, and kept until the next click; ``retranslate`` leaves texts in no catalog)."""
        self._healthy_line.label.setFormat(tr(RULE_OF_THUMB))  # a pyqtgraph text item: retranslate misses it
        self._render(self._notice)

    def _render(self, notice: tuple[str, dict] | None = None) -> None:
        """Show the present stage (``notice``: ``(msgid, fields)`` of a sentence to show instead of the
        stage's text when there is no explanation; whole numbers in ``fields`` are formatted here)."""
        self._notice = notice
        self._highlight_stage()
        e = self._explanation
        set_text(self._big, "")
        self._big.setVisible(False)
        set_text(self._numbers, "")
        if e is None:
            self._pages.setCurrentIndex(0)
            self._show_digit_texts([])
            self._digits_image.clear()
            waiting = tr("Taking the next batch (training pauses)…") if self._stage == FORWARD else tr(START_TEXT)
            set_text(self._text, _notice_text(notice) if notice else waiting)
            return
        if self._stage in (FORWARD, LOSS):
            self._render_batch(e)
        elif self._stage == BACKWARD:
            self._render_backward(e)
        else:
            self._render_update(e)

    def _highlight_stage(self) -> None:
        """The four stages in one line, the current one bold, in the accent colour, after a ▶."""
        parts = []
        for i, name in enumerate(STAGES):
            text = f"{i + 1}&nbsp;{tr(name)}"
            if i + 1 == self._stage:
                text = f'<b style="color:{style.ACCENT}">▶&nbsp;{text}</b>'
            parts.append(text)
        set_text(self._stages, " → ".join(parts))
        set_text(self.next_button, tr("Next batch ▶") if self._stage == UPDATE else tr("Next stage ▶"))

    def _render_batch(self, e: StepExplanation) -> None:
        self._pages.setCurrentIndex(0)
        batch = (tr("the whole training set ({size} images: full-batch gradient descent); the first "
                    "{shown} are shown") if e.full_batch else
                 tr("a batch of {size} training images; the first {shown} are shown")).format(
            size=format_int(e.batch_size), shown=e.n_images)
        if self._stage == FORWARD:
            right = int(np.count_nonzero(e.correct))
            set_text(self._text, tr("1 Forward — step {step} trains on {batch}. Under each: the network's "
                                    "answer now, before the step ({right_glyph} right, {wrong_glyph} "
                                    "wrong). {right} of these {shown} are right; "
                                    "{accuracy} of the whole batch.").format(
                step=format_int(e.step), batch=batch, right_glyph=style.CORRECT_GLYPH,
                wrong_glyph=style.WRONG_GLYPH, right=right, shown=e.n_images, accuracy=_percent(e.batch_accuracy)))
            self._show_digit_texts([f"{p}{style.CORRECT_GLYPH if ok else style.WRONG_GLYPH}"
                                    for p, ok in zip(e.predictions, e.correct)])
            return
        set_text(self._text, _loss_text(e))
        set_text(self._big, tr("mean loss {loss}").format(loss=_number(e.mean_loss)))
        self._big.setVisible(True)
        self._show_digit_texts([_short_loss(v) for v in e.image_losses])

    def _render_backward(self, e: StepExplanation) -> None:
        self._pages.setCurrentIndex(1)
        words = OPTIMIZER_WORDS.get(e.optimizer)
        honest = "" if words is None else " " + tr(words)
        set_text(self._text, tr("3 Backward — backpropagation gives each weight's gradient ∂L/∂W (how the loss "
                                "changes as that weight grows). Plain gradient descent moves each weight by "
                                "−lr · ∂L/∂W (lr = {lr}): each tile is that change for one hidden unit's 784 input "
                                "weights, in the weight mosaic's colours.").format(lr=f"{e.lr:.3g}") + honest)
        set_text(self._numbers, tr("Size of the gradient:   {sizes}").format(sizes="   ".join(
            f"{_layer_name(k, e.n_layers)} {_number(g)}" for k, g in enumerate(e.grad_norms))))
        self._render_mosaic(e)

    def _render_update(self, e: StepExplanation) -> None:
        self._pages.setCurrentIndex(2)
        snap = self._after
        real = _real_ratios(snap, e) if snap is not None else None
        proposed = np.array(e.sgd_log10_ratios, np.float64)
        layers = np.arange(1, e.n_layers + 1, dtype=np.float64)
        self._set_bars(self._proposed_bars, layers - 0.2, proposed)
        self._set_bars(self._real_bars, layers + 0.2, real if real is not None else np.full(e.n_layers, np.nan))
        self._update_plot.getAxis("bottom").setTicks([[(k + 1, _layer_name(k, e.n_layers))
                                                       for k in range(e.n_layers)]])
        self._update_plot.setXRange(0.4, e.n_layers + 0.6, padding=0)
        if snap is None:
            set_text(self._text, tr("4 Update — taking step {step}…").format(step=format_int(e.step)))
            return
        if snap.step != e.step or real is None:
            set_text(self._text, tr("4 Update — training went on past step {step} (now {now}), so the change of "
                                    "that one step cannot be shown. Press “Next batch ▶” to start again.").format(
                step=format_int(e.step), now=format_int(snap.step)))
            return
        same = tr("For plain SGD the two bars agree: the step is −lr · gradient.") if e.plain_sgd else (
            tr("With {optimizer} the step taken differs from −lr · gradient (grey).").format(
                optimizer=tr(OPTIMIZER_NAMES.get(e.optimizer, e.optimizer))))
        set_text(self._text, tr("4 Update — step {step} is taken: every weight moved by its share of the step. "
                                "Bars: how much each layer's weights changed, relative to their size "
                                "(‖ΔW‖ ÷ ‖W‖, a log scale).").format(step=format_int(e.step)) + " " + same)
        set_text(self._numbers, tr("Change of the weights:   {changes}").format(changes="   ".join(
            f"{_layer_name(k, e.n_layers)} {_percent(10.0 ** r)}" for k, r in enumerate(real))))

    # ------------------------------------------------------------------ pictures
    def _relayout_digits(self) -> None:
        e = self._explanation
        if e is None or e.n_images == 0 or e.images.shape[1:] != (SIDE * SIDE,):
            self._digits_image.clear()
            return
        rows, cols = grid_layout(e.n_images, _aspect(self._digits_view), SIDE + GAP_X, SIDE + LABEL_BAND)
        self._digit_grid = (rows, cols)
        ink = (PAPER - np.rint(np.clip(np.nan_to_num(e.images), 0, 1) * PAPER)).astype(np.uint8)  # (k, 784)
        mosaic = tile_mosaic(np.ascontiguousarray(ink.T), rows, cols, PAPER, gap=(LABEL_BAND, GAP_X))
        self._digits_image.setImage(np.ascontiguousarray(mosaic), autoLevels=False, levels=(0, 255))
        self._digits_view.setRange(xRange=(0, mosaic.shape[1]), yRange=(0, mosaic.shape[0] + LABEL_BAND), padding=0)
        if self._stage in (FORWARD, LOSS):
            self._render_batch(e)

    def _show_digit_texts(self, texts: list[str]) -> None:
        """Write ``texts[k]`` under digit ``k``, in the right/wrong colour of its answer."""
        for item in self._digit_labels:
            self._digits_view.removeItem(item)
        self._digit_labels = []
        e = self._explanation
        if e is None or self._digits_image.image is None:
            return
        cols = self._digit_grid[1]
        for k, (text, ok) in enumerate(zip(texts, e.correct)):
            r, c = divmod(k, cols)
            colour = style.CORRECT if ok else style.WRONG
            self._digit_labels.append(style.add_band_label(
                self._digits_view, text, LABEL_BAND + 1, c * (SIDE + GAP_X) + SIDE / 2,
                r * (SIDE + LABEL_BAND) + SIDE - 1, colour))

    def _level_for_gradient(self) -> tuple[float, str]:
        """The gradient tiles' ``±level`` and where it comes from, in words."""
        if self._weight_level is not None:
            return self._weight_level, tr("the weight mosaic's scale")
        W1 = self._last.W1 if self._last is not None else None
        if W1 is not None and W1.size:
            level = AdaptiveLevel().target(np.nan_to_num(W1))  # the weight mosaic's rule
            if math.isfinite(level):
                return level, tr("the weights' scale (99th percentile of |W1|)")
        e = self._explanation
        own = AdaptiveLevel().target(np.nan_to_num(e.sgd_update_W1)) if e is not None else math.nan
        return (own if math.isfinite(own) else 1e-3), tr("its own scale (no weights seen yet)")

    def _render_mosaic(self, e: StepExplanation) -> None:
        update = e.sgd_update_W1
        if update.ndim != 2 or update.shape[0] != SIDE * SIDE or update.shape[1] == 0:
            self._mosaic_image.clear()
            set_text(self._legend_info, tr("no first-layer weights to show"))
            return
        level, source = self._level_for_gradient()
        self._gradient_level = level
        n = self._amplification = _amplification(update, level)
        self._amplify_box.setText(tr("Amplify ×{n}").format(n=format_int(n)) if n > 1
                                  else tr("Amplify (not needed: the step shows as it is)"))
        self._amplify_box.setEnabled(n > 1)
        factor = n if self._amplify_box.isChecked() and n > 1 else 1
        shown = np.nan_to_num(update) * np.float32(factor)
        q = quantize_symmetric(shown, level, style.NORMAL_BASE, np.empty(shown.shape, np.uint8),
                               np.empty(shown.shape, np.float32))
        rows, cols = self._mosaic_grid = mosaic_layout(update.shape[1], _aspect(self._mosaic_view))
        mosaic = tile_mosaic(q, rows, cols, style.SEPARATOR_INDEX, empty=style.EMPTY_INDEX)
        self._mosaic_image.setImage(np.ascontiguousarray(mosaic), autoLevels=False)
        self._mosaic_view.setRange(xRange=(0, mosaic.shape[1]), yRange=(0, mosaic.shape[0]), padding=0)
        text = tr("±{level}: {source}, shown ×{factor}") if factor > 1 else tr("±{level}: {source}")
        set_text(self._legend_info, text.format(level=f"{level:.2g}", source=source, factor=format_int(factor)))

    def _on_mosaic_resized(self) -> None:
        e = self._explanation
        if self._stage != BACKWARD or e is None or e.sgd_update_W1.ndim != 2:
            return
        if mosaic_layout(e.sgd_update_W1.shape[1], _aspect(self._mosaic_view)) != self._mosaic_grid:
            self._render_mosaic(e)

    @staticmethod
    def _set_bars(bars: pg.BarGraphItem, x: np.ndarray, ratios: np.ndarray) -> None:
        """Bars from the floor up to each finite ``log10`` ratio (none where it is unknown)."""
        ok = np.isfinite(ratios)
        bars.setOpts(x=x[ok], y0=np.full(int(ok.sum()), BAR_FLOOR), y1=np.clip(ratios[ok], BAR_FLOOR, 1.0))


# ---------------------------------------------------------------------------- words and numbers
def _loss_text(e: StepExplanation) -> str:
    sentences = [tr("2 Loss — each image's loss is −log(the probability the network gives the true digit): "
                    "near 0 when it is sure and right, large when it is wrong. The step lowers the mean loss of all "
                    "{size} images.").format(size=format_int(e.batch_size))]
    if e.n_images:
        best, worst = int(np.argmin(e.image_losses)), int(np.argmax(e.image_losses))
        sentences.append(tr("Here: p = {p_best} gives loss {loss_best}; p = {p_worst} gives {loss_worst}.").format(
            p_best=f"{e.true_class_probs[best]:.2f}", loss_best=_number(e.image_losses[best], 2),
            p_worst=f"{e.true_class_probs[worst]:.2f}", loss_worst=_number(e.image_losses[worst], 2)))
    if e.l2:
        sentences.append(tr("(The mean includes the weight-decay term, {term}.)").format(
            term=_number(e.mean_loss - e.data_loss)))
    return " ".join(sentences)


def _notice_text(notice: tuple[str, dict]) -> str:
    """A notice ``(msgid, fields)`` in the current language, its whole numbers formatted."""
    msgid, fields = notice
    return tr(msgid).format(**{k: format_int(v) if isinstance(v, int) else v for k, v in fields.items()})


def _real_ratios(snap: Snapshot, e: StepExplanation) -> np.ndarray | None:
    """``(L,)`` log10 ``||ΔW|| / ||W||`` of the step ``snap`` ends with, if it is ``e``'s step."""
    if snap.step != e.step or len(snap.health) != e.n_layers:
        return None
    return np.array([h.log10_update_ratio for h in snap.health], np.float64)


def _amplification(update: np.ndarray, level: float) -> int:
    """The largest of 1, 2, 5, 10, 20, 50, ... that keeps the update's 99th percentile of ``|value|``
    within ``level`` (so the strongest changes show in full colour, the rest fainter); 1 when the
    update already shows at that scale, or is unknown."""
    target = AdaptiveLevel().target(np.nan_to_num(update)) if update.size else math.nan
    if not (math.isfinite(target) and math.isfinite(level)) or target >= level / 2:
        return 1
    power = 10 ** math.floor(math.log10(level / target))
    return int(max(m * power for m in (1, 2, 5) if m * power * target <= level))


def _layer_name(k: int, n_layers: int) -> str:
    return tr("output") if k == n_layers - 1 else tr("layer {n}").format(n=k + 1)


def _number(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}" if math.isfinite(value) else tr("not a number")


def _short_loss(value: float) -> str:
    """At most four characters, to fit under a digit: ``0.09``, ``2.30``, ``17``."""
    if not math.isfinite(value):
        return "?"
    return f"{value:.2f}" if value < 9.995 else f"{value:.0f}"


def _percent(fraction: float) -> str:
    if not math.isfinite(fraction):
        return tr("unknown")
    return f"{100 * fraction:.2g}%" if fraction < 0.1 else f"{100 * fraction:.0f}%"


def _power_text(power: int) -> str:
    """``10⁻³`` for -3, ``1`` for 0."""
    if power == 0:
        return "1"
    return "10" + str(power).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _aspect(view: pg.ViewBox) -> float:
    rect = view.boundingRect()
    return rect.width() / rect.height() if rect.width() >= 10 and rect.height() >= 10 else 1.6
