"""WeightSurgeryPanel: damage the live network's weights and see what it costs (issue 14).

Two sliders: Gaussian noise on every weight, σ as a multiple of each weight matrix's own std
(0 to 2), and magnitude pruning, the fraction of each weight matrix's smallest weights set to 0
(0 to 0.99; ``core.surgery``). Apply asks the training process to pause and alter the network
(``alterRequested``); its answer (``show_result``) is a line in large print, "test accuracy
97.8% → 91.2% (noise 0.5×std, 80% pruned)", and the next snapshot shows the altered weights in
every other view. Restore (``restoreRequested``) puts the trained weights back bit for bit. Each
Apply alters the intact weights, so the sliders say what is done, not what is added.

Start (or Step) trains on from the altered weights: the training process then keeps them, leaves a
marker "weights altered: …" on the curves and forgets the intact copy; the panel sees the marker in
the next snapshot and disables Restore. The panel only sends requests and shows answers: it holds
no weights.
"""
from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets
from superqt import QLabeledDoubleSlider

from mnist_viz.core.i18n import N_, format_percent, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.surgery import MAX_PRUNE, describe_alteration
from mnist_viz.gui import style
from mnist_viz.gui.panels.robustness import large_value_label
from mnist_viz.gui.widgets import info_label, reserve_lines, set_text

MAX_NOISE = 2.0  # × each weight matrix's std: at 2 the noise is twice the weights' own spread
NOISE_STEP = 0.05
PRUNE_STEP = 0.01
ANSWERED_COMMANDS = ("alter weights", "restore weights")  # protocol.command_name of the panel's commands
KEPT_MARKER = "weights altered:"  # how the training process's marker for kept weights starts (runtime.loop)
EXPLANATION = N_("How robust is what the network learned? Add noise to every weight (σ as a multiple of each "
               "layer's own weight spread) or cut the smallest weights to 0, then Apply. Restore puts the "
               "trained weights back exactly; Start trains on from the damaged ones.")
NOTHING_YET = N_("Move a slider and press Apply.")
KEPT = N_("Training went on from the altered weights (marker on the curves); they are the run's weights now.")
# The evaluation split's name in the result line; another split keeps its own name.
ACCURACY_OF = {"test": N_("test accuracy"), "validation": N_("validation accuracy")}


def result_line(accuracy_before: float, accuracy_after: float, noise: float, prune: float,
                split: str = "test") -> str:
    """``"test accuracy 97.8% → 91.2% (noise 0.5×std, 80% pruned)"`` (the alteration in the core's
    words, as on the curves' marker)."""
    return tr("{accuracy} {before} → {after} ({alteration})").format(
        accuracy=accuracy_name(split), before=_percent(accuracy_before), after=_percent(accuracy_after),
        alteration=describe_alteration(noise, prune))


def accuracy_name(split: str) -> str:
    """``"test accuracy"`` in the current language (``split``: "test", "validation", ...)."""
    known = ACCURACY_OF.get(split)
    return tr(known) if known else tr("{split} accuracy").format(split=split)


def _percent(value: float) -> str:
    return format_percent(value, 1) if math.isfinite(value) else "–"


class WeightSurgeryPanel(QtWidgets.QWidget):
    """Sliders and buttons for ``AlterWeights``/``RestoreWeights``, and the accuracy they cost.

    Signals:
        alterRequested(float, float): Apply pressed: ``(noise × std, prune fraction)``.
        restoreRequested(): Restore pressed.
    """

    alterRequested = QtCore.Signal(float, float)
    restoreRequested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(style.title_label(tr("Weights lab: noise and pruning")))
        layout.addWidget(reserve_lines(info_label(tr(EXPLANATION)), 3))
        grid = QtWidgets.QGridLayout()
        self.noise = self._slider(MAX_NOISE, NOISE_STEP, tr("σ of the noise on each weight, in units of its "
                                                           "layer's weight std (0 = none)"))
        self.prune = self._slider(MAX_PRUNE, PRUNE_STEP, tr("fraction of each layer's smallest weights set to 0"))
        for row, (text, slider) in enumerate(((tr("Noise σ (× std)"), self.noise),
                                              (tr("Pruned fraction"), self.prune))):
            grid.addWidget(info_label(text, style.LABEL_PT), row, 0)
            grid.addWidget(slider, row, 1)
        layout.addLayout(grid)
        buttons = QtWidgets.QHBoxLayout()
        self.apply_button = self._button(tr("Apply"), self._on_apply)
        self.restore_button = self._button(tr("Restore trained weights"), self.restoreRequested.emit)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.result = reserve_lines(info_label(tr(NOTHING_YET), style.TITLE_PT, bold=True), 2)
        self.status = reserve_lines(info_label(""), 2)
        layout.addWidget(self.result)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.altered = False
        self._altered_step: int | None = None  # the step of the altered weights, from the next snapshot
        self._answer: tuple | None = None  # show_result's arguments, for refresh_texts
        self.restore_button.setEnabled(False)

    def _slider(self, maximum: float, step: float, tip: str) -> QLabeledDoubleSlider:
        slider = QLabeledDoubleSlider(QtCore.Qt.Orientation.Horizontal)
        slider.setRange(0.0, maximum)
        slider.setSingleStep(step)
        slider.setValue(0.0)
        large_value_label(slider, 2)
        slider.setMinimumWidth(260)
        slider.setToolTip(tip)
        return slider

    def _button(self, text: str, slot) -> QtWidgets.QPushButton:
        button = QtWidgets.QPushButton(text)
        button.setFont(style.font(style.LABEL_PT))
        button.clicked.connect(slot)
        return button

    # --------------------------------------------------------------- requests
    def _on_apply(self) -> None:
        set_text(self.status, tr("Altering the weights…"))
        self.alterRequested.emit(float(self.noise.value()), float(self.prune.value()))

    # ---------------------------------------------------------------- answers
    def show_result(self, accuracy_before: float, accuracy_after: float, noise: float, prune: float,
                    restored: bool = False, split: str = "test") -> None:
        """The training process's answer (``protocol.WeightsAltered``): accuracy of the intact and
        of the present weights; ``restored``: the answer to Restore."""
        self._answer = (accuracy_before, accuracy_after, noise, prune, restored, split)
        self.altered = not restored
        self._altered_step = None
        self.restore_button.setEnabled(self.altered)
        self._show_result_line()
        if restored:
            set_text(self.status, tr("The trained weights are back, bit for bit."))
        else:
            set_text(self.status, tr("Training is paused. Restore undoes this; Start trains on from these weights."))

    def show_answer(self, answer: object) -> None:
        """``show_result`` of a ``protocol.WeightsAltered`` (what ``worker.weightsAltered`` brings)."""
        self.show_result(getattr(answer, "accuracy_before", math.nan), getattr(answer, "accuracy_after", math.nan),
                         getattr(answer, "noise", 0.0), getattr(answer, "prune", 0.0),
                         bool(getattr(answer, "restored", False)), str(getattr(answer, "split", "test")))

    def show_refusal(self, failed: object) -> None:
        """A refused Apply or Restore (a ``CommandFailed`` for "alter weights" or "restore weights"):
        its reason, in plain words. Refusals of other commands are ignored."""
        if getattr(failed, "command", None) in ANSWERED_COMMANDS:
            set_text(self.status, f"⚠ {getattr(failed, 'reason', '')}")  # the training process's words

    # ------------------------------------------------------------ Panel protocol
    def show_snapshot(self, snap: Snapshot) -> None:
        """Only watches for training going on from the altered weights: the marker, or (when this tab
        was hidden as the marker's snapshot came) a later step than the altered one, or playing."""
        if not self.altered:
            return
        if self._altered_step is None:
            self._altered_step = snap.step  # the first snapshot after the answer shows the altered weights
        went_on = snap.step > self._altered_step or snap.loop.playing
        if went_on or any(m.label.startswith(KEPT_MARKER) for m in snap.new_markers):
            self.altered = False
            self.restore_button.setEnabled(False)
            set_text(self.status, tr(KEPT))

    def clear(self) -> None:
        """A new run (reset, load): its weights are not the ones altered."""
        self.altered = False
        self._altered_step = None
        self.restore_button.setEnabled(False)
        self._answer = None
        set_text(self.result, tr(NOTHING_YET))
        set_text(self.status, "")

    def refresh_texts(self) -> None:
        """The result line in the current language (after a language switch: it is built from
        numbers, which ``retranslate`` leaves). The status lines are whole catalog texts: ``retranslate``
        switches them; a refusal's reason stays in the training process's words."""
        if self._answer is not None:
            self._show_result_line()

    def _show_result_line(self) -> None:
        """The large line of the last answer (``self._answer``)."""
        before, after, noise, prune, restored, split = self._answer
        if restored:
            set_text(self.result, tr("{accuracy} {after} (trained weights restored)").format(
                accuracy=accuracy_name(split), after=_percent(after)))
        else:
            set_text(self.result, result_line(before, after, noise, prune, split))
