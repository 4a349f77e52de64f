"""Training > Compare…: "Compare the current settings with: [knob ▾] [value]".

The dialog only builds the change (``{"optimizer": "adam"}``, ``{"hidden": (256,)}``) and checks
that it makes valid settings; ``gui.comparison.Comparison`` runs it.
"""
from __future__ import annotations

from typing import Any

from PySide6 import QtWidgets

from mnist_viz.core.activations import ACTIVATIONS
from mnist_viz.core.i18n import tr
from mnist_viz.core.network import INITS
from mnist_viz.core.optim import OPTIMIZERS, USUAL_LR
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import describe_value
from mnist_viz.gui import style
from mnist_viz.gui.comparison import KNOB_TITLES, describe_difference

CHOICES: dict[str, tuple[str, ...]] = {"optimizer": OPTIMIZERS, "activation": tuple(ACTIVATIONS), "init": INITS}


def parse_value(knob: str, text: str) -> Any:
    """The setting's value typed as ``text``: ``"0.01"`` → 0.01, ``"256, 128"`` → (256, 128).
    Raises ``ValueError`` in plain words."""
    text = text.strip()
    if knob in CHOICES:
        if text not in CHOICES[knob]:
            raise ValueError(tr("{setting} must be one of {choices}").format(setting=tr(KNOB_TITLES[knob]),
                                                                              choices=", ".join(CHOICES[knob])))
        return text
    try:
        if knob == "lr":
            return float(text)
        if knob == "batch_size":
            return int(text)
        if knob == "hidden":
            return tuple(int(part) for part in text.replace("-", ",").split(",") if part.strip())
    except ValueError:
        raise ValueError(tr("“{text}” is not a number for the {setting}").format(
            text=text, setting=tr(KNOB_TITLES[knob]))) from None
    raise ValueError(tr("cannot compare {setting}").format(setting=knob))


def suggested_value(knob: str, settings: Settings) -> str:
    """A value worth comparing against: Adam for SGD (and SGD for the rest), 10× the learning rate,
    256 units for a small layer (16 for a large one), batch 32 for a large batch (256 for a small)."""
    if knob == "optimizer":
        return "adam" if settings.optimizer != "adam" else "sgd"
    if knob == "lr":
        return f"{settings.lr * 10:g}"
    if knob == "hidden":
        return "16" if settings.hidden[0] >= 128 else "256"
    if knob == "batch_size":
        return "32" if settings.batch_size >= 64 else "256"
    choices = [c for c in CHOICES[knob] if c != getattr(settings, knob)]
    return choices[0]


def make_change(knob: str, text: str, settings: Settings, usual_lr: bool = False) -> dict[str, Any]:
    """``{knob: value}`` for ``text``, checked against ``settings``; ``ValueError`` says what is wrong.
    ``usual_lr``: for another optimizer, also its usual learning rate (``core.optim.USUAL_LR``)."""
    change: dict[str, Any] = {knob: parse_value(knob, text)}
    if usual_lr and knob == "optimizer" and USUAL_LR[change[knob]] != settings.lr:
        change["lr"] = USUAL_LR[change[knob]]
    other = settings.replace(**change)  # Settings says what does not fit
    if other == settings:
        raise ValueError(tr("that is the current {setting}: choose another value").format(
            setting=tr(KNOB_TITLES[knob])))
    return change


class CompareDialog(QtWidgets.QDialog):
    """Pick one knob and its other value; ``change()`` after ``exec()`` returns Accepted."""

    def __init__(self, settings: Settings, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("Compare two runs"))
        self.setFont(style.font(style.LABEL_PT))  # a dialog does not inherit the window's zoomed font
        self.settings = settings
        self._change: dict[str, Any] = {}
        self.knob = QtWidgets.QComboBox()
        for key, title in KNOB_TITLES.items():
            self.knob.addItem(tr(title), key)
        self.value = QtWidgets.QComboBox()
        self.value.setEditable(True)
        self.current = QtWidgets.QLabel()
        # Checked: Adam at SGD's 0.1 diverges within a few steps, which teaches nothing about Adam.
        self.usual_lr = QtWidgets.QCheckBox()
        self.usual_lr.setChecked(True)
        self.usual_lr.toggled.connect(self._check)
        self.problem = QtWidgets.QLabel()
        self.problem.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(tr("Start both runs"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.knob)
        row.addWidget(self.value, 1)
        layout = QtWidgets.QVBoxLayout(self)
        intro = QtWidgets.QLabel(tr("Compare the current settings with the same settings and one change. Both runs "
                                    "start again from step 0 with the same seed and train step for step."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.current)
        layout.addWidget(self.usual_lr)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.knob.currentIndexChanged.connect(self._on_knob_changed)
        self.value.currentTextChanged.connect(self._check)
        self._on_knob_changed()

    def _on_knob_changed(self, *_: object) -> None:
        knob = self.knob.currentData()
        self.value.blockSignals(True)
        self.value.clear()
        self.value.addItems([c for c in CHOICES.get(knob, ()) if c != getattr(self.settings, knob)])
        self.value.setEditable(knob not in CHOICES)
        self.value.setCurrentText(suggested_value(knob, self.settings))
        self.value.blockSignals(False)
        self.current.setText(tr("Now: {setting} {value}").format(setting=tr(KNOB_TITLES[knob]),
                                                                 value=describe_value(getattr(self.settings, knob))))
        self.usual_lr.setVisible(knob == "optimizer")
        self._check()

    def select(self, knob: str, text: str) -> None:
        """Choose ``knob`` and type ``text`` (tests, scripts)."""
        self.knob.setCurrentIndex(self.knob.findData(knob))
        self.value.setCurrentText(text)
        self._check()

    def _check(self, *_: object) -> None:
        knob, text = self.knob.currentData(), self.value.currentText()
        if knob == "optimizer" and text in USUAL_LR:
            self.usual_lr.setText(tr("with {optimizer}'s usual learning rate, {usual} (now {lr})").format(
                optimizer=text, usual=f"{USUAL_LR[text]:g}", lr=f"{self.settings.lr:g}"))
        try:
            self._change = make_change(knob, text, self.settings,
                                       usual_lr=self.usual_lr.isChecked() and not self.usual_lr.isHidden())
        except ValueError as e:
            self._change = {}
            self.problem.setText(str(e))
            self.problem.setStyleSheet(f"color: {style.VERMILLION}")
        else:
            other = self.settings.replace(**self._change)
            self.problem.setText(tr("Run A against run B: {difference}").format(
                difference=describe_difference(self.settings, other)))
            self.problem.setStyleSheet("")
        self.ok.setEnabled(bool(self._change))

    def change(self) -> dict[str, Any]:
        """The change for run B (``{}`` when the value typed is not valid)."""
        return dict(self._change)
