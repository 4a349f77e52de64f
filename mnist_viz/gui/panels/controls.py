"""ControlsPanel: the knobs a lecturer turns — start/pause/step/reset, learning rate, hidden size,
batch size, optimizer, activation, init, seed, a speed limit for slow motion, and presets.

The panel never talks to the worker. It emits signals that the window forwards:

* ``liveChanged(dict)`` for settings the trainer takes on the next batch (``snapshot.LIVE_FIELDS``).
  Changes are debounced: a slider drag or a burst of 1,000 moves becomes one change carrying the
  last value, so the curves get one readable marker ("lr 0.001 → 0.5") per gesture, not hundreds.
* ``restartRequested(Settings)`` for settings that need fresh weights (``snapshot.RESTART_FIELDS``);
  emitted only after the user agreed (``ask_restart``), since it throws the training away.
"""
from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import qdebounced

from mnist_viz.core.activations import ACTIVATIONS
from mnist_viz.core.network import INITS
from mnist_viz.core.optim import OPTIMIZERS
from mnist_viz.core.snapshot import Settings
from mnist_viz.gui import style
from mnist_viz.gui.widgets import guard_wheel

LR_MIN, LR_MAX = 1e-4, 5.0  # slider range; the box accepts a little more
LR_BOX_MIN, LR_BOX_MAX = 1e-5, 10.0
LR_TICKS_PER_DECADE = 20  # slider stops at 2-digit values (0.001, 0.0011, ... 0.1): readable markers
HIDDEN_MIN, HIDDEN_MAX = 1, 512
HIDDEN_TICKS_PER_DOUBLING = 100  # the hidden slider is logarithmic too: 8 vs 16 matters, 500 vs 508 does not
LIVE_DEBOUNCE_MS = 250  # quiet time after the last move before a change is sent
SPEEDS = [(0.0, "unlimited"), (200.0, "200 steps/s"), (50.0, "50 steps/s"), (10.0, "10 steps/s"),
          (3.0, "3 steps/s"), (1.0, "1 step/s"), (0.5, "1 step per 2 s")]
OPTIMIZER_LABELS = {"gd": "gd — full-batch gradient descent", "sgd": "sgd — minibatch gradient descent",
                    "momentum": "momentum — SGD with momentum", "adam": "adam — adaptive steps"}
INIT_LABELS = {"small": "small — 0.01·N(0,1)", "he": "he — for ReLU", "xavier": "xavier — for sigmoid/tanh"}
CUSTOM_PRESET = "(custom)"


def lr_to_slider(lr: float) -> int:
    """Slider position of a learning rate on the log scale, clamped to the slider's range."""
    lr = min(max(lr, LR_MIN), LR_MAX)
    return round(LR_TICKS_PER_DECADE * math.log10(lr / LR_MIN))


def slider_to_lr(pos: int) -> float:
    """Learning rate at a slider position, rounded to 2 significant digits: whole decades land
    exactly (``0.001``, ``0.1``, ``1``), so the markers read like what the lecturer meant."""
    return min(LR_MAX, float(f"{LR_MIN * 10 ** (pos / LR_TICKS_PER_DECADE):.2g}"))


def hidden_to_slider(n: int) -> int:
    return round(HIDDEN_TICKS_PER_DOUBLING * math.log2(min(max(n, HIDDEN_MIN), HIDDEN_MAX)))


def slider_to_hidden(pos: int) -> int:
    return min(HIDDEN_MAX, max(HIDDEN_MIN, round(2 ** (pos / HIDDEN_TICKS_PER_DOUBLING))))


def _narrow_combo() -> QtWidgets.QComboBox:
    """A combo box whose width follows the panel, not its longest entry (the popup still shows
    entries in full), so long preset titles cannot push the controls off the screen."""
    combo = QtWidgets.QComboBox()
    combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    combo.view().setMinimumWidth(320)
    return combo


class LogSpinBox(QtWidgets.QDoubleSpinBox):
    """A number box for values spanning decades (learning rates): shows 3 significant digits
    (``0.001``, ``2.5e-05``), accepts any typed number, and its arrows multiply by ~1.26
    (ten steps per decade) instead of adding a fixed amount."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(10)  # internal precision only; the text comes from textFromValue
        self.setKeyboardTracking(False)  # act on Enter / focus-out, not on each typed digit

    def textFromValue(self, value: float) -> str:
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            value = float(text)
        except ValueError:
            return QtGui.QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum()
        return (QtGui.QValidator.State.Acceptable if ok else QtGui.QValidator.State.Intermediate), text, pos

    def stepBy(self, steps: int) -> None:
        self.setValue(float(f"{self.value() * 10 ** (steps / 10):.3g}"))


class ControlsPanel(QtWidgets.QWidget):
    """The training controls, laid out top to bottom in one column.

    Signals:
        playToggled(bool): Start (True) or Pause (False) pressed.
        stepClicked(): train one batch.
        resetClicked(): fresh weights from the seed, same settings.
        liveChanged(dict): live settings changed, e.g. ``{"lr": 0.5}`` (debounced, last value wins).
        restartRequested(object): a ``Settings`` that needs fresh weights; the user already agreed.
        speedChanged(float): steps-per-second limit, 0 = unlimited.
        presetApplied(object): a ``Preset`` was loaded (after its ``restartRequested``): train its budget.

    Tests drive it with the widget attributes (``lr_slider``, ``hidden_slider`` ...), ``flush()``
    to send debounced changes at once, and by replacing ``ask_restart`` to answer the question.
    """

    playToggled = QtCore.Signal(bool)
    stepClicked = QtCore.Signal()
    resetClicked = QtCore.Signal()
    liveChanged = QtCore.Signal(dict)
    restartRequested = QtCore.Signal(object)
    speedChanged = QtCore.Signal(float)
    presetApplied = QtCore.Signal(object)

    def __init__(self, settings: Settings | None = None, presets: dict | None = None, parent=None):
        super().__init__(parent)
        self._settings = settings or Settings()
        self._presets = dict(presets or {})
        self._pending: dict = {}  # live changes waiting for the debounce
        self._playing = False
        self._has_progress = False
        self._send_live = qdebounced(self._emit_live, timeout=LIVE_DEBOUNCE_MS)
        self._build()
        self._wheel_guard = guard_wheel(self)
        self.set_settings(self._settings)

    # ----------------------------------------------------------------- build
    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(8)
        layout.addWidget(style.title_label("Training"))
        layout.addLayout(self._build_buttons())
        layout.addWidget(self._build_presets())
        layout.addWidget(self._build_live_group())
        layout.addWidget(self._build_restart_group())
        layout.addStretch(1)
        self.setFont(style.font(style.SMALL_PT + 1))

    def _button(self, text: str, tip: str, slot) -> QtWidgets.QPushButton:
        button = QtWidgets.QPushButton(text)
        button.setToolTip(tip)
        button.setFont(style.font(style.LABEL_PT, bold=True))
        button.setMinimumHeight(44)
        # Buttons never keep the keyboard focus, so Space always means pause/resume (the window's
        # shortcut) instead of "press the button that was clicked last".
        button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button

    def _build_buttons(self) -> QtWidgets.QGridLayout:
        self.start_button = self._button("▶ Start", "Start or pause training (Space)", self._on_start_clicked)
        self.step_button = self._button("Step", "Pause and train exactly one batch (S)", self._on_step_clicked)
        self.reset_button = self._button("Reset", "Start again from fresh random weights drawn from the seed (R)",
                                         self._on_reset_clicked)
        grid = QtWidgets.QGridLayout()
        grid.addWidget(self.start_button, 0, 0, 1, 2)
        grid.addWidget(self.step_button, 1, 0)
        grid.addWidget(self.reset_button, 1, 1)
        return grid

    def _build_presets(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Preset")
        self.preset_combo = _narrow_combo()
        self.preset_combo.addItem(CUSTOM_PRESET, "")
        for name, preset in self._presets.items():
            self.preset_combo.addItem(preset.title, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, preset.description,
                                          QtCore.Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.setToolTip("Load a named recipe: a classic tutorial's settings or a teaching scenario "
                                     "(restarts training)")
        self.preset_combo.activated.connect(self._on_preset_activated)
        self.preset_note = QtWidgets.QLabel("")
        self.preset_note.setWordWrap(True)
        self.preset_note.setToolTip("What this preset shows")
        self.preset_note.hide()  # until a preset is chosen
        form = QtWidgets.QVBoxLayout(box)
        form.addWidget(self.preset_combo)
        form.addWidget(self.preset_note)
        return box

    def _build_live_group(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Live (acts on the next batch)")
        form = QtWidgets.QFormLayout(box)
        form.setRowWrapPolicy(QtWidgets.QFormLayout.RowWrapPolicy.WrapAllRows)
        form.addRow("Learning rate", self._build_lr())
        form.addRow("Hidden units", self._build_hidden())
        self.batch_box = QtWidgets.QSpinBox()
        self.batch_box.setRange(1, 60_000)
        self.batch_box.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.batch_box.setKeyboardTracking(False)
        self.batch_box.setToolTip("Images per step (ignored by full-batch gd, which uses them all)")
        self.batch_box.valueChanged.connect(self._on_batch_changed)
        form.addRow("Batch size", self.batch_box)
        self.optimizer_combo = self._combo(OPTIMIZERS, OPTIMIZER_LABELS,
                                           "How the gradient becomes a step; switching starts the new "
                                           "optimizer's memory (momentum, Adam averages) from zero")
        self.optimizer_combo.activated.connect(self._on_optimizer_activated)
        form.addRow("Optimizer", self.optimizer_combo)
        self.speed_combo = _narrow_combo()
        for value, label in SPEEDS:
            self.speed_combo.addItem(label, value)
        self.speed_combo.setToolTip("Slow motion for explaining single steps: at most this many steps per second")
        self.speed_combo.currentIndexChanged.connect(self._on_speed_changed)
        form.addRow("Speed limit", self.speed_combo)
        return box

    def _build_lr(self) -> QtWidgets.QWidget:
        self.lr_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.lr_slider.setRange(0, lr_to_slider(LR_MAX))
        self.lr_slider.setPageStep(LR_TICKS_PER_DECADE)
        self.lr_slider.setToolTip(f"Learning rate, logarithmic from {LR_MIN:g} to {LR_MAX:g} "
                                  "(Up / Down keys double / halve it)")
        self.lr_slider.valueChanged.connect(self._on_lr_slider_moved)
        self.lr_box = LogSpinBox()
        self.lr_box.setRange(LR_BOX_MIN, LR_BOX_MAX)
        self.lr_box.setToolTip("Type a learning rate, e.g. 0.01 or 3e-4; arrows step ×1.26")
        self.lr_box.valueChanged.connect(self._on_lr_typed)
        return self._slider_row(self.lr_slider, self.lr_box)

    def _build_hidden(self) -> QtWidgets.QWidget:
        self.hidden_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.hidden_slider.setRange(hidden_to_slider(HIDDEN_MIN), hidden_to_slider(HIDDEN_MAX))
        self.hidden_slider.setPageStep(HIDDEN_TICKS_PER_DOUBLING)
        self.hidden_slider.setToolTip("Hidden units of the first layer, 1 to 512 (logarithmic). Resizes the "
                                      "running network: growing adds fresh units, shrinking keeps the most "
                                      "useful ones")
        self.hidden_slider.valueChanged.connect(self._on_hidden_slider_moved)
        self.hidden_box = QtWidgets.QSpinBox()
        self.hidden_box.setRange(HIDDEN_MIN, HIDDEN_MAX)
        self.hidden_box.setKeyboardTracking(False)
        self.hidden_box.setToolTip("Type a number of hidden units, 1 to 512")
        self.hidden_box.valueChanged.connect(self._on_hidden_typed)
        return self._slider_row(self.hidden_slider, self.hidden_box)

    @staticmethod
    def _slider_row(slider: QtWidgets.QSlider, box: QtWidgets.QAbstractSpinBox) -> QtWidgets.QWidget:
        row = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        box.setMinimumWidth(86)
        layout.addWidget(slider, 1)
        layout.addWidget(box)
        return row

    @staticmethod
    def _combo(values, labels: dict, tip: str) -> QtWidgets.QComboBox:
        combo = _narrow_combo()
        for value in values:
            combo.addItem(labels.get(value, value), value)
        combo.setToolTip(tip)
        return combo

    def _build_restart_group(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Needs a restart (asks first)")
        box.setToolTip("These define the starting weights, so changing one starts training again")
        form = QtWidgets.QFormLayout(box)
        form.setRowWrapPolicy(QtWidgets.QFormLayout.RowWrapPolicy.WrapLongRows)
        self.activation_combo = self._combo(ACTIVATIONS, {}, "Hidden-unit nonlinearity (restarts training)")
        self.activation_combo.activated.connect(lambda _: self._on_restart_field("activation", self.activation_combo))
        form.addRow("Activation", self.activation_combo)
        self.init_combo = self._combo(INITS, INIT_LABELS, "How the starting weights are drawn (restarts training)")
        self.init_combo.activated.connect(lambda _: self._on_restart_field("init", self.init_combo))
        form.addRow("Init", self.init_combo)
        self.seed_box = QtWidgets.QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setKeyboardTracking(False)
        self.seed_box.setToolTip("Random seed for the starting weights and the batch order (restarts training)")
        self.seed_box.valueChanged.connect(self._on_seed_changed)
        form.addRow("Seed", self.seed_box)
        return box

    # ------------------------------------------------------------ state in
    def settings(self) -> Settings:
        """The settings the controls show, including changes not yet sent."""
        return self._settings

    def set_settings(self, settings: Settings) -> None:
        """Show ``settings`` without emitting anything (e.g. after a reset or a preset)."""
        self._settings = settings
        widgets = (self.lr_slider, self.lr_box, self.hidden_slider, self.hidden_box, self.batch_box,
                   self.optimizer_combo, self.activation_combo, self.init_combo, self.seed_box)
        blockers = [QtCore.QSignalBlocker(w) for w in widgets]
        self.lr_slider.setValue(lr_to_slider(settings.lr))
        self.lr_box.setValue(settings.lr)
        self.hidden_slider.setValue(hidden_to_slider(settings.hidden[0]))
        self.hidden_box.setValue(settings.hidden[0])
        self.batch_box.setValue(settings.batch_size)
        self.batch_box.setEnabled(settings.optimizer != "gd")
        for combo, value in ((self.optimizer_combo, settings.optimizer), (self.activation_combo, settings.activation),
                             (self.init_combo, settings.init)):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        self.seed_box.setValue(settings.seed)
        del blockers

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        self.start_button.setText("❚❚ Pause" if playing else "▶ Start")

    def set_has_progress(self, has_progress: bool) -> None:
        """Whether training has taken steps (only then does a restart ask first)."""
        self._has_progress = has_progress

    def is_editing(self) -> bool:
        """True while the user is mid-change (a held slider, a change not yet sent): the window then
        leaves the widgets alone instead of syncing them to the trainer's settings."""
        return bool(self._pending) or self.lr_slider.isSliderDown() or self.hidden_slider.isSliderDown()

    def speed_limit(self) -> float:
        return float(self.speed_combo.currentData())

    def set_speed_limit(self, value: float) -> None:
        """Select the listed speed nearest ``value`` (0 = unlimited); emits ``speedChanged``."""
        index = min(range(self.speed_combo.count()), key=lambda i: abs(self.speed_combo.itemData(i) - value))
        self.speed_combo.setCurrentIndex(index)

    # ---------------------------------------------------------- live changes
    def set_lr(self, lr: float) -> None:
        """Set the learning rate as if typed (clamped to the box's range)."""
        self.lr_box.setValue(float(f"{min(max(lr, LR_BOX_MIN), LR_BOX_MAX):.3g}"))

    def scale_lr(self, factor: float) -> None:
        """Multiply the learning rate (the Up / Down shortcuts)."""
        self.set_lr(self._settings.lr * factor)

    def set_hidden(self, n: int) -> None:
        self.hidden_box.setValue(n)

    def flush(self) -> None:
        """Send debounced changes now (tests; before a restart)."""
        self._send_live.flush()

    def _queue_live(self, **changes) -> None:
        self._settings = self._settings.replace(**changes)
        self._pending.update(changes)
        self._send_live()

    def _emit_live(self) -> None:
        changes, self._pending = self._pending, {}
        if changes:
            self.liveChanged.emit(changes)

    def _on_lr_slider_moved(self, pos: int) -> None:
        lr = slider_to_lr(pos)
        with QtCore.QSignalBlocker(self.lr_box):
            self.lr_box.setValue(lr)
        self._queue_live(lr=lr)

    def _on_lr_typed(self, lr: float) -> None:
        with QtCore.QSignalBlocker(self.lr_slider):
            self.lr_slider.setValue(lr_to_slider(lr))
        self._queue_live(lr=float(f"{lr:.3g}"))

    def _on_hidden_slider_moved(self, pos: int) -> None:
        n = slider_to_hidden(pos)
        with QtCore.QSignalBlocker(self.hidden_box):
            self.hidden_box.setValue(n)
        self._queue_live(hidden=(n, *self._settings.hidden[1:]))

    def _on_hidden_typed(self, n: int) -> None:
        with QtCore.QSignalBlocker(self.hidden_slider):
            self.hidden_slider.setValue(hidden_to_slider(n))
        self._queue_live(hidden=(n, *self._settings.hidden[1:]))

    def _on_batch_changed(self, n: int) -> None:
        self._queue_live(batch_size=n)

    def _on_optimizer_activated(self, _index: int) -> None:
        name = self.optimizer_combo.currentData()
        self.batch_box.setEnabled(name != "gd")
        self._queue_live(optimizer=name)

    def _on_speed_changed(self, _index: int) -> None:
        self.speedChanged.emit(self.speed_limit())

    # -------------------------------------------------------------- buttons
    def _on_start_clicked(self) -> None:
        self.set_playing(not self._playing)
        self.playToggled.emit(self._playing)

    def _on_step_clicked(self) -> None:
        self.set_playing(False)
        self.stepClicked.emit()

    def _on_reset_clicked(self) -> None:
        self.resetClicked.emit()

    # ------------------------------------------------------------- restarts
    def _on_restart_field(self, name: str, combo: QtWidgets.QComboBox) -> None:
        self.request_restart({name: combo.currentData()})

    def _on_seed_changed(self, seed: int) -> None:
        self.request_restart({"seed": seed})

    def choose_preset(self, name: str, confirm: bool | None = None) -> bool:
        """Load preset ``name`` as if picked from the list (asks first when training has progressed,
        unless ``confirm`` is given). Returns whether it was loaded."""
        index = self.preset_combo.findData(name)
        if index < 0:
            raise ValueError(f"unknown preset {name!r}")
        self.preset_combo.setCurrentIndex(index)
        return self._on_preset_activated(index, confirm)

    def _on_preset_activated(self, index: int, confirm: bool | None = None) -> bool:
        name = self.preset_combo.itemData(index)
        if not name:
            return False
        preset = self._presets[name]
        if self.apply_settings(preset.settings, f"Load the preset “{preset.title}”?", confirm):
            self.preset_note.setText(f"{preset.description}\n\nWatch: {preset.what_to_watch}")
            self.preset_note.show()
            self.presetApplied.emit(preset)  # after restartRequested: the budget applies to the new run
            return True
        self.preset_combo.setCurrentIndex(0)
        return False

    def request_restart(self, changes: dict, confirm: bool | None = None) -> bool:
        """Restart with ``changes`` applied to the current settings, after asking (or with
        ``confirm`` given, without asking). On refusal the widgets go back. Returns whether it
        restarted."""
        fields = ", ".join(sorted(changes))
        return self.apply_settings(self._settings.replace(**changes), f"Changing {fields} needs fresh weights.",
                                   confirm)

    def apply_settings(self, settings: Settings, question: str, confirm: bool | None = None) -> bool:
        """Restart training with ``settings`` if the user agrees; emits ``restartRequested``."""
        if confirm is None:
            confirm = not self._has_progress or self.ask_restart(question)
        if not confirm:
            self.set_settings(self._settings)  # put the widget the user touched back
            return False
        self._send_live.cancel()
        self._pending.clear()  # the restart carries every setting, including unsent live ones
        self.set_settings(settings)
        self.restartRequested.emit(settings)
        return True

    def ask_restart(self, question: str) -> bool:
        """Ask whether to throw the current training away. Tests replace this method."""
        answer = QtWidgets.QMessageBox.question(
            self, "Restart training?", f"{question}\n\nThis starts training again from new random weights; "
            "what the network has learned so far is lost.",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.Cancel,
            QtWidgets.QMessageBox.StandardButton.Cancel)
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

