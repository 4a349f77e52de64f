"""ControlsPanel: the knobs a lecturer turns — start/pause/step/reset, learning rate, the size of each
hidden layer (and, with a restart, how many there are: 1 to 3),
batch size, optimizer, dropout and moved/turned training images (augmentation), the pace (seconds per
epoch, slow motion, or full speed), activation, init, seed, and presets.

The panel never talks to the worker. It emits signals that the window forwards:

* ``liveChanged(dict)`` for settings the trainer takes on the next batch (``snapshot.LIVE_FIELDS``).
  One gesture is one change, so the curves get one readable marker ("lr 0.1 → 1") per gesture: a
  slider drag sends its value on release (the box shows it meanwhile); keys, the wheel, typing and
  bursts of moves send the last value after LIVE_DEBOUNCE_MS of quiet.
* ``restartRequested(Settings)`` for settings that need fresh weights (``snapshot.RESTART_FIELDS``);
  emitted only after the user agreed (``ask_restart``), since it throws the training away.

What is remembered between launches stays in sight: a training subset shows as a line ("Training on
500 of 60,000 images") with a button to use them all, and the pace is a combo of its own. A preset
holds while its settings do: changing one ends its budget and lr schedule (``presetEnded`` says so).
"""
from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import qdebounced

from mnist_viz.core.activations import ACTIVATIONS
from mnist_viz.core.i18n import N_, format_int, tr
from mnist_viz.core.network import INITS
from mnist_viz.core.optim import OPTIMIZERS
from mnist_viz.core.presets import Preset
from mnist_viz.core.snapshot import MAX_DROPOUT, MAX_ROTATE, MAX_SHIFT, Settings
from mnist_viz.gui import style
from mnist_viz.gui.widgets import guard_wheel

LR_MIN, LR_MAX = 1e-4, 5.0  # slider range; the box accepts a little more
LR_BOX_MIN, LR_BOX_MAX = 1e-5, 10.0
# The sliders stop only at round values, a few per decade / doubling, each several pixels wide: a
# drag lands exactly on 0.1, 1, 64 or 256, and the marker reads what the lecturer meant.
LR_MANTISSAS = (1, 1.5, 2, 3, 5, 7)
LR_STOPS = tuple(v for e in range(-4, 1) for m in LR_MANTISSAS if (v := float(f"{m * 10.0 ** e:.2g}")) <= LR_MAX)
HIDDEN_MIN, HIDDEN_MAX = 1, 512
# 1-7, then four stops per doubling (8 10 12 14, 16 20 24 28, ... 256 320 384 448), then 512
HIDDEN_STOPS = (*range(1, 8), *(2 ** k * q // 4 for k in range(3, 9) for q in (4, 5, 6, 7)), HIDDEN_MAX)
# Hidden layers the controls offer (the engine takes more: a settings file may hold them). A layer
# added in the window starts at a size that makes the classic funnel, e.g. 784-256-64-32-10.
MAX_LAYERS_IN_CONTROLS = 3
ADDED_LAYER_SIZES = (64, 32)  # layer 2, layer 3
LIVE_DEBOUNCE_MS = 400  # quiet time after the last key, wheel or typed change before it is sent
# The pace: a key names it in the store ("epoch:30" = one epoch in about 30 s, "steps:3" = 3 steps
# per second, "full" = no limit). An epoch pace becomes steps per second from the batch size and
# the training-set size (``pace_steps_per_second``), so it holds when either changes.
FULL_SPEED = "full"
CLASSROOM_PACE = "epoch:30"  # a first launch: the room sees the tiles form over the first half minute
# Labels and names are English (N_ marks them for the catalogs); tr() translates them where shown.
PACES = [(FULL_SPEED, N_("full speed")), ("epoch:10", N_("1 epoch ≈ 10 s")), ("epoch:30", N_("1 epoch ≈ 30 s")),
         ("epoch:60", N_("1 epoch ≈ 1 min")), ("steps:10", N_("slow motion: 10 steps/s")),
         ("steps:3", N_("slow motion: 3 steps/s")), ("steps:1", N_("slow motion: 1 step/s")),
         ("steps:0.5", N_("slow motion: 1 step per 2 s"))]
FIELD_NAMES = {"lr": N_("learning rate"), "hidden": N_("hidden units"), "hidden_layers": N_("number of hidden layers"),
               "batch_size": N_("batch size"), "optimizer": N_("optimizer"),
               "activation": N_("activation"), "init": N_("init"), "seed": N_("seed"),
               "train_subset": N_("training images"), "val_size": N_("validation split"), "dropout": N_("dropout"),
               "augment_shift": N_("image shift"), "augment_rotate": N_("image rotation")}
MNIST_TRAIN_IMAGES = 60_000  # until the window says how many its dataset has (set_dataset_size)
OPTIMIZER_LABELS = {"gd": N_("gd — full-batch gradient descent"), "sgd": N_("sgd — minibatch gradient descent"),
                    "momentum": N_("momentum — SGD with momentum"), "adam": N_("adam — adaptive steps")}
INIT_LABELS = {"small": N_("small — 0.01·N(0,1)"), "he": N_("he — for ReLU"),
               "xavier": N_("xavier — for sigmoid/tanh")}
CUSTOM_PRESET = N_("(custom)")


def _nearest_stop(stops: tuple, value: float) -> int:
    """Index of the stop nearest ``value`` on a log scale (clamped to the ends)."""
    value = min(max(value, stops[0]), stops[-1])
    return min(range(len(stops)), key=lambda i: abs(math.log(stops[i] / value)))


def lr_to_slider(lr: float) -> int:
    """Slider position of the stop nearest a learning rate (``LR_STOPS``)."""
    return _nearest_stop(LR_STOPS, lr)


def slider_to_lr(pos: int) -> float:
    """Learning rate at a slider position: a round value (``0.001``, ``0.15``, ``1``)."""
    return LR_STOPS[min(max(pos, 0), len(LR_STOPS) - 1)]


def hidden_to_slider(n: int) -> int:
    """Slider position of the stop nearest a hidden size (``HIDDEN_STOPS``)."""
    return _nearest_stop(HIDDEN_STOPS, n)


def slider_to_hidden(pos: int) -> int:
    return HIDDEN_STOPS[min(max(pos, 0), len(HIDDEN_STOPS) - 1)]


def with_layer_count(hidden: tuple[int, ...], count: int) -> tuple[int, ...]:
    """``hidden`` cut or extended to ``count`` layers; an added layer k (k >= 2) gets
    ``ADDED_LAYER_SIZES[k - 2]`` units (the last of them beyond), e.g. ``(256,)`` → ``(256, 64)``."""
    added = tuple(ADDED_LAYER_SIZES[min(k, len(ADDED_LAYER_SIZES)) - 1] for k in range(len(hidden), count))
    return (tuple(hidden) + added)[:max(1, count)]


def training_images(settings: Settings, dataset_images: int) -> int:
    """How many images the trainer trains on: the dataset's training images less a held-out
    validation split (``val_size``), cut to ``train_subset`` if one is set."""
    n = dataset_images - settings.val_size
    return min(n, settings.train_subset) if settings.train_subset else n


def pace_steps_per_second(pace: str, settings: Settings, dataset_images: int) -> float:
    """Steps per second for a pace key (``PACES``), 0 = no limit.

    ``"epoch:30"``: the steps of one epoch (``ceil(images / batch)``, 1 for full-batch gd) spread
    over 30 s, e.g. 60,000 images at batch 128 = 469 steps → 15.6 steps/s. ``"steps:3"``: 3."""
    kind, _, value = pace.partition(":")
    if kind == "steps":
        return float(value)
    if kind != "epoch":
        return 0.0
    images = max(1, training_images(settings, dataset_images))
    steps_per_epoch = 1 if settings.optimizer == "gd" else math.ceil(images / min(settings.batch_size, images))
    return steps_per_epoch / float(value)


def pace_for_preset(seconds_per_epoch: float | None) -> str:
    """The listed pace nearest a preset's ``seconds_per_epoch`` (``None``: full speed)."""
    if not seconds_per_epoch:
        return FULL_SPEED
    epochs = [key for key, _ in PACES if key.startswith("epoch:")]
    return min(epochs, key=lambda key: abs(math.log(float(key[6:]) / seconds_per_epoch)))


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
    (ten steps per decade) instead of adding a fixed amount.

    Signals:
        clamped(str): a typed value was outside the range and was set to the nearest end.
    """

    clamped = QtCore.Signal(str)

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

    def fixup(self, text: str) -> str:
        """A typed number outside the range becomes the nearest end, and ``clamped`` says so (Qt would
        silently bring back the old value: a lecturer typing 50 saw nothing happen)."""
        try:
            value = float(text)
        except ValueError:
            return super().fixup(text)
        if not math.isfinite(value):
            return super().fixup(text)
        nearest = min(max(value, self.minimum()), self.maximum())
        if nearest != value:
            self.clamped.emit(tr("Learning rate {text} is outside {low} to {high}: set to {nearest}").format(
                text=text, low=f"{self.minimum():g}", high=f"{self.maximum():g}", nearest=f"{nearest:g}"))
        return self.textFromValue(nearest)

    def stepBy(self, steps: int) -> None:
        self.setValue(float(f"{self.value() * 10 ** (steps / 10):.3g}"))


class CompactSpinBox(QtWidgets.QDoubleSpinBox):
    """A number box that shows its value as briefly as it can: ``0.3``, ``±10°``, never ``0.30`` or
    ``±10.0°`` (the prefix and suffix are the caller's); 0 shows ``specialValueText`` if set."""

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip())
        except ValueError:
            return self.value()


class _MouseHold(QtCore.QObject):
    """Whether the mouse button is held on ``slider`` anywhere, handle or groove, and
    ``on_release()`` when it is let go. A press on the groove steps the slider a page and repeats
    while held, without ``sliderPressed``: each step was a change of its own (one press, 2 markers)."""

    def __init__(self, slider: QtWidgets.QAbstractSlider, on_release) -> None:
        super().__init__(slider)
        self._slider, self._on_release, self._down = slider, on_release, False
        slider.installEventFilter(self)

    def held(self) -> bool:
        return self._down or self._slider.isSliderDown()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        kind = event.type()
        if kind == QtCore.QEvent.Type.MouseButtonPress:
            self._down = True
        elif kind == QtCore.QEvent.Type.MouseButtonRelease and self._down:
            self._down = False
            QtCore.QTimer.singleShot(0, self._on_release)  # after the slider has handled the release
        return False


class ControlsPanel(QtWidgets.QWidget):
    """The training controls, laid out top to bottom in one column.

    Signals:
        playToggled(bool): Start (True) or Pause (False) pressed.
        stepClicked(): train one batch.
        resetClicked(): fresh weights from the seed, same settings.
        liveChanged(dict): live settings changed, e.g. ``{"lr": 0.5}`` (one per gesture, last value wins).
        restartRequested(object): a ``Settings`` that needs fresh weights; the user already agreed.
        speedChanged(float): steps-per-second limit, 0 = unlimited (the pace, converted).
        presetApplied(object): a ``Preset`` was loaded (after its ``restartRequested``): train its
            budget; ``None`` when a changed setting ended it: train until paused.
        notice(str): something the lecturer should know, e.g. a typed value was out of range and clamped.
        presetEnded(str): a changed setting ended a preset's budget or lr schedule; says which, for
            the status bar.

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
    presetEnded = QtCore.Signal(str)
    notice = QtCore.Signal(str)

    def __init__(self, settings: Settings | None = None, presets: dict | None = None, parent=None):
        super().__init__(parent)
        self._settings = settings or Settings()
        self._presets = dict(presets or {})
        self._pending: dict = {}  # live changes waiting for the debounce
        self._playing = False
        self._has_progress = False
        self._preset: Preset | None = None  # the loaded preset while its settings hold
        self._dataset_images = MNIST_TRAIN_IMAGES
        self._sent_speed = 0.0  # the steps/s limit last announced (speedChanged)
        self._send_live = qdebounced(self._emit_live, timeout=LIVE_DEBOUNCE_MS)
        self._build()
        self._wheel_guard = guard_wheel(self)
        self.set_settings(self._settings)

    # ----------------------------------------------------------------- build
    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(8)
        layout.addWidget(style.title_label(tr("Training")))
        layout.addLayout(self._build_buttons())
        layout.addWidget(self._build_presets())
        layout.addWidget(self._build_subset_row())
        layout.addWidget(self._build_live_group())
        layout.addWidget(self._build_restart_group())
        layout.addStretch(1)
        self.setFont(style.font(style.SMALL_PT + 1))

    def _button(self, text: str, tip: str, slot) -> QtWidgets.QPushButton:
        button = QtWidgets.QPushButton(tr(text))
        button.setToolTip(tr(tip))
        button.setFont(style.font(style.LABEL_PT, bold=True))
        button.setMinimumHeight(44)
        # Buttons never keep the keyboard focus, so Space always means pause/resume (the window's
        # shortcut) instead of "press the button that was clicked last".
        button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        button.clicked.connect(slot)
        return button

    def _build_buttons(self) -> QtWidgets.QGridLayout:
        self.start_button = self._button(N_("▶ Start"), N_("Start or pause training (Space)"), self._on_start_clicked)
        self.step_button = self._button(N_("Step"), N_("Pause and train exactly one batch (S)"), self._on_step_clicked)
        self.reset_button = self._button(N_("Reset"),
                                         N_("Start again from fresh random weights drawn from the seed (R)"),
                                         self._on_reset_clicked)
        grid = QtWidgets.QGridLayout()
        grid.addWidget(self.start_button, 0, 0, 1, 2)
        grid.addWidget(self.step_button, 1, 0)
        grid.addWidget(self.reset_button, 1, 1)
        return grid

    def _build_presets(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox(tr("Preset"))
        self.preset_combo = _narrow_combo()
        self.preset_combo.addItem(tr(CUSTOM_PRESET), "")
        for name, preset in self._presets.items():
            self.preset_combo.addItem(tr(preset.title), name)
        self._set_preset_tips()
        self.preset_combo.setToolTip(tr("Load a named recipe: a classic tutorial's settings or a teaching scenario "
                                        "(restarts training)"))
        self.preset_combo.activated.connect(self._on_preset_activated)
        self.preset_note = QtWidgets.QLabel("")
        self.preset_note.setWordWrap(True)
        self.preset_note.setToolTip(tr("What this preset shows"))
        self.preset_note.hide()  # until a preset is chosen
        form = QtWidgets.QVBoxLayout(box)
        form.addWidget(self.preset_combo)
        form.addWidget(self.preset_note)
        return box

    def _build_live_group(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox(tr("Live (acts on the next batch)"))
        form = QtWidgets.QFormLayout(box)
        form.setRowWrapPolicy(QtWidgets.QFormLayout.RowWrapPolicy.WrapAllRows)
        form.addRow(tr("Learning rate"), self._build_lr())
        self._hidden_form = form
        self.hidden_sliders: list[QtWidgets.QSlider] = []
        self.hidden_boxes: list[QtWidgets.QSpinBox] = []
        self.hidden_labels: list[QtWidgets.QLabel] = []
        self._hidden_holds: list[_MouseHold] = []
        for layer in range(MAX_LAYERS_IN_CONTROLS):
            label = QtWidgets.QLabel(tr("Hidden units"))
            self.hidden_labels.append(label)
            form.addRow(label, self._build_hidden(layer))
        self.hidden_slider, self.hidden_box = self.hidden_sliders[0], self.hidden_boxes[0]  # the first layer's
        self.batch_box = QtWidgets.QSpinBox()
        self.batch_box.setRange(1, 60_000)
        self.batch_box.setStepType(QtWidgets.QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.batch_box.setKeyboardTracking(False)
        self.batch_box.setToolTip(tr("Images per step (ignored by full-batch gd, which uses them all)"))
        self.batch_box.valueChanged.connect(self._on_batch_changed)
        form.addRow(tr("Batch size"), self.batch_box)
        self.optimizer_combo = self._combo(OPTIMIZERS, OPTIMIZER_LABELS,
                                           N_("How the gradient becomes a step; switching starts the new "
                                              "optimizer's memory (momentum, Adam averages) from zero"))
        self.optimizer_combo.activated.connect(self._on_optimizer_activated)
        form.addRow(tr("Optimizer"), self.optimizer_combo)
        form.addRow(tr("Dropout (units off per image)"), self._build_dropout())
        form.addRow(tr("Move training images"), self._build_augment())
        form.addRow(tr("Pace"), self._build_pace())
        _wrap_labels(form)
        return box

    def _build_dropout(self) -> QtWidgets.QDoubleSpinBox:
        self.dropout_box = CompactSpinBox()
        self.dropout_box.setRange(0.0, MAX_DROPOUT)
        self.dropout_box.setDecimals(2)
        self.dropout_box.setSingleStep(0.1)
        self.dropout_box.setSpecialValueText(tr("off"))
        self.dropout_box.setKeyboardTracking(False)
        self.dropout_box.setToolTip(tr("While training, switch each hidden unit off for an image with this chance "
                                       "(0.5 = half of them), a new draw for every image and step, so no unit can "
                                       "rely on another. Evaluating always uses every unit"))
        self.dropout_box.valueChanged.connect(self._on_dropout_changed)
        return self.dropout_box

    def _build_augment(self) -> QtWidgets.QWidget:
        """Two boxes in one row: how far each training image may be moved, and turned."""
        self.shift_box = CompactSpinBox()
        self.shift_box.setRange(0, MAX_SHIFT)
        self.shift_box.setDecimals(0)
        self.shift_box.setPrefix("±")
        self.shift_box.setSuffix(" px")
        self.shift_box.setSpecialValueText(tr("no shift"))
        self.shift_box.setToolTip(tr("While training, move each image by a random whole number of pixels, up to "
                                     "this far left/right and up/down (0 to {max}); test images stay as they are"
                                     ).format(max=MAX_SHIFT))
        self.rotate_box = CompactSpinBox()
        self.rotate_box.setRange(0.0, MAX_ROTATE)
        self.rotate_box.setDecimals(1)
        self.rotate_box.setSingleStep(5.0)
        self.rotate_box.setPrefix("±")
        self.rotate_box.setSuffix("°")
        self.rotate_box.setSpecialValueText(tr("no turn"))
        self.rotate_box.setToolTip(tr("While training, turn each image by a random angle up to this many degrees "
                                      "either way (0 to {max}); test images stay as they are"
                                      ).format(max=f"{MAX_ROTATE:g}"))
        for box in (self.shift_box, self.rotate_box):
            box.setKeyboardTracking(False)
        self.shift_box.valueChanged.connect(self._on_shift_changed)
        self.rotate_box.valueChanged.connect(self._on_rotate_changed)
        row = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.shift_box, 1)
        layout.addWidget(self.rotate_box, 1)
        return row

    def _build_pace(self) -> QtWidgets.QWidget:
        self.pace_combo = _narrow_combo()
        for key, label in PACES:
            self.pace_combo.addItem(tr(label), key)
        self.pace_combo.setToolTip(tr("How fast training runs: an epoch spread over some seconds so the room can "
                                      "follow, slow motion for explaining single steps, or full speed"))
        self.pace_combo.currentIndexChanged.connect(self._update_speed)
        self.full_speed_button = QtWidgets.QPushButton(tr("Full speed"))
        self.full_speed_button.setToolTip(tr("Train as fast as this computer can"))
        self.full_speed_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.full_speed_button.clicked.connect(lambda: self.set_pace(FULL_SPEED))
        self.pace_note = QtWidgets.QLabel("")  # what an epoch pace means in steps per second
        row = QtWidgets.QWidget()
        grid = QtWidgets.QGridLayout(row)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.pace_combo, 0, 0)
        grid.addWidget(self.full_speed_button, 0, 1)
        grid.addWidget(self.pace_note, 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        return row

    def _build_subset_row(self) -> QtWidgets.QWidget:
        """The line that says the run trains on part of the images (remembered from a scenario such
        as overfitting), with the one click that trains on all of them; hidden for the full set."""
        self.subset_row = QtWidgets.QFrame()
        self.subset_row.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.subset_label = QtWidgets.QLabel("")
        self.subset_label.setWordWrap(True)
        self.subset_label.setFont(style.font(style.SMALL_PT + 1, bold=True))
        self.use_all_button = QtWidgets.QPushButton(tr("Use all"))
        self.use_all_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.use_all_button.setToolTip(tr("Train on every training image, evaluate on the test set "
                                          "(restarts training)"))
        self.use_all_button.clicked.connect(lambda: self.request_restart({"train_subset": 0, "val_size": 0}))
        layout = QtWidgets.QVBoxLayout(self.subset_row)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.subset_label)
        layout.addWidget(self.use_all_button, 0, QtCore.Qt.AlignmentFlag.AlignLeft)
        self.subset_row.hide()
        return self.subset_row

    def _build_lr(self) -> QtWidgets.QWidget:
        self.lr_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.lr_slider.setRange(0, len(LR_STOPS) - 1)
        self.lr_slider.setPageStep(len(LR_MANTISSAS))  # a decade
        self.lr_slider.setToolTip(tr("Learning rate, logarithmic from {low} to {high} "
                                     "(the box takes any value; Up / Down keys double / halve it)"
                                     ).format(low=f"{LR_MIN:g}", high=f"{LR_MAX:g}"))
        self.lr_slider.valueChanged.connect(self._on_lr_slider_moved)
        self.lr_slider.sliderReleased.connect(self._on_lr_slider_released)
        self._lr_hold = _MouseHold(self.lr_slider, self._on_lr_slider_released)
        self.lr_box = LogSpinBox()
        self.lr_box.clamped.connect(self.notice)
        self.lr_box.setRange(LR_BOX_MIN, LR_BOX_MAX)
        self.lr_box.setToolTip(tr("Type a learning rate, e.g. 0.01 or 3e-4; arrows step ×1.26"))
        self.lr_box.valueChanged.connect(self._on_lr_typed)
        return self._slider_row(self.lr_slider, self.lr_box)

    def _build_hidden(self, layer: int) -> QtWidgets.QWidget:
        """The size row of hidden layer ``layer`` (0-based): a slider on ``HIDDEN_STOPS`` and a box."""
        slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        slider.setRange(0, len(HIDDEN_STOPS) - 1)
        slider.setPageStep(4)  # a doubling
        slider.valueChanged.connect(lambda pos: self._on_hidden_slider_moved(layer, pos))
        slider.sliderReleased.connect(lambda: self._on_hidden_slider_released(layer))
        self._hidden_holds.append(_MouseHold(slider, lambda: self._on_hidden_slider_released(layer)))
        box = QtWidgets.QSpinBox()
        box.setRange(HIDDEN_MIN, HIDDEN_MAX)
        box.setKeyboardTracking(False)
        box.valueChanged.connect(lambda n: self._on_hidden_typed(layer, n))
        self.hidden_sliders.append(slider)
        self.hidden_boxes.append(box)
        self._set_hidden_tips(layer)
        return self._slider_row(slider, box)

    def _set_hidden_tips(self, layer: int) -> None:
        """The tooltips of hidden layer ``layer``'s slider and box (they name the layer)."""
        which = tr("the first layer") if layer == 0 else tr("hidden layer {n}").format(n=layer + 1)
        self.hidden_sliders[layer].setToolTip(tr(
            "Units of {which}, 1 to 512 (logarithmic; the box takes any number). Resizes the running network: "
            "growing adds fresh units, shrinking keeps the most useful ones").format(which=which))
        self.hidden_boxes[layer].setToolTip(tr("Type a number of units for {which}, 1 to 512").format(which=which))

    def refresh_texts(self) -> None:
        """Rewrite the texts built from numbers or names in the current language (after a language
        switch: ``retranslate`` leaves texts that are in no catalog)."""
        for layer in range(len(self.hidden_sliders)):
            self._set_hidden_tips(layer)
        self.set_playing(self._playing)
        self._show_hidden_sizes(self._settings.hidden)
        self._show_subset()
        self._update_speed()
        self._set_preset_tips()
        if self._preset is not None:
            self._show_preset_note(self._preset)

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
            combo.addItem(tr(labels[value]) if value in labels else value, value)
        combo.setToolTip(tr(tip))
        return combo

    def _build_restart_group(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox(tr("Needs a restart (asks first)"))
        box.setToolTip(tr("These define the starting weights, so changing one starts training again"))
        form = QtWidgets.QFormLayout(box)
        form.setRowWrapPolicy(QtWidgets.QFormLayout.RowWrapPolicy.WrapLongRows)
        self.activation_combo = self._combo(ACTIVATIONS, {}, N_("Hidden-unit nonlinearity (restarts training)"))
        self.activation_combo.activated.connect(lambda _: self._on_restart_field("activation", self.activation_combo))
        form.addRow(tr("Activation"), self.activation_combo)
        self.init_combo = self._combo(INITS, INIT_LABELS, N_("How the starting weights are drawn (restarts training)"))
        self.init_combo.activated.connect(lambda _: self._on_restart_field("init", self.init_combo))
        form.addRow(tr("Init"), self.init_combo)
        self.seed_box = QtWidgets.QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        self.seed_box.setKeyboardTracking(False)
        self.seed_box.setToolTip(tr("Random seed for the starting weights and the batch order (restarts training)"))
        self.seed_box.valueChanged.connect(self._on_seed_changed)
        form.addRow(tr("Seed"), self.seed_box)
        self.layers_combo = _narrow_combo()
        for count in range(1, MAX_LAYERS_IN_CONTROLS + 1):
            self.layers_combo.addItem(str(count), count)
        self.layers_combo.setToolTip(tr("How many hidden layers the network has, e.g. 2 for 784-256-64-10 "
                                        "(restarts training; each layer's size then changes live)"))
        self.layers_combo.activated.connect(self._on_layer_count_activated)
        form.insertRow(0, tr("Hidden layers"), self.layers_combo)
        _wrap_labels(form)
        return box

    # ------------------------------------------------------------ state in
    def settings(self) -> Settings:
        """The settings the controls show, including changes not yet sent."""
        return self._settings

    def set_settings(self, settings: Settings) -> None:
        """Show ``settings`` without emitting anything (e.g. after a reset or a preset)."""
        self._settings = settings
        widgets = (self.lr_slider, self.lr_box, *self.hidden_sliders, *self.hidden_boxes, self.batch_box,
                   self.optimizer_combo, self.activation_combo, self.init_combo, self.seed_box, self.layers_combo,
                   self.dropout_box, self.shift_box, self.rotate_box)
        blockers = [QtCore.QSignalBlocker(w) for w in widgets]
        self.lr_slider.setValue(lr_to_slider(settings.lr))
        self.lr_box.setValue(settings.lr)
        self._show_hidden_sizes(settings.hidden)
        self.batch_box.setValue(settings.batch_size)
        self.batch_box.setEnabled(settings.optimizer != "gd")
        for combo, value in ((self.optimizer_combo, settings.optimizer), (self.activation_combo, settings.activation),
                             (self.init_combo, settings.init)):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        self.seed_box.setValue(settings.seed)
        self.dropout_box.setValue(settings.dropout)
        self.shift_box.setValue(settings.augment_shift)
        self.rotate_box.setValue(settings.augment_rotate)
        del blockers
        self._show_subset()
        self._update_speed()  # an epoch pace follows the batch size and the training-set size

    def _show_hidden_sizes(self, hidden: tuple[int, ...]) -> None:
        """One size row per hidden layer (rows of absent layers hidden) and the layer count."""
        for layer, (slider, box, label) in enumerate(zip(self.hidden_sliders, self.hidden_boxes, self.hidden_labels)):
            present = layer < len(hidden)
            self._hidden_form.setRowVisible(label, present)
            if present:
                slider.setValue(hidden_to_slider(hidden[layer]))
                box.setValue(hidden[layer])
            # One layer: "Hidden units", as before; several: which layer each row sizes.
            label.setText(tr("Hidden units") if len(hidden) == 1 else tr("Layer {n} units").format(n=layer + 1))
        while self.layers_combo.count() > MAX_LAYERS_IN_CONTROLS:  # a count from an earlier settings file
            self.layers_combo.removeItem(self.layers_combo.count() - 1)
        index = self.layers_combo.findData(len(hidden))
        if index < 0:  # deeper than the controls offer (a settings file): shown, its extra layers kept
            self.layers_combo.addItem(str(len(hidden)), len(hidden))
            index = self.layers_combo.count() - 1
        self.layers_combo.setCurrentIndex(index)

    def set_dataset_size(self, n_images: int) -> None:
        """How many training images the dataset has (the subset line and the pace use it)."""
        self._dataset_images = int(n_images)
        self._show_subset()
        self._update_speed()

    def _show_subset(self) -> None:
        s, total = self._settings, self._dataset_images
        n = training_images(s, total)
        held = tr("; {n} held out for validation").format(n=format_int(s.val_size)) if s.val_size else ""
        self.subset_label.setText(tr("Training on {n} of {total} images{held}").format(
            n=format_int(n), total=format_int(total), held=held))
        self.use_all_button.setText(tr("Use all {total} images").format(total=format_int(total)))
        self.subset_row.setVisible(n != total)

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        self.start_button.setText(tr("❚❚ Pause") if playing else tr("▶ Start"))

    def set_has_progress(self, has_progress: bool) -> None:
        """Whether training has taken steps (only then does a restart ask first)."""
        self._has_progress = has_progress

    def is_editing(self) -> bool:
        """True while the user is mid-change (a held slider, a change not yet sent): the window then
        leaves the widgets alone instead of syncing them to the trainer's settings."""
        return bool(self._pending) or self._lr_hold.held() or any(hold.held() for hold in self._hidden_holds)

    def pace(self) -> str:
        """The chosen pace's key (``PACES``), e.g. ``"epoch:30"`` or ``"full"``."""
        return str(self.pace_combo.currentData())

    def set_pace(self, key: str) -> None:
        """Choose a listed pace by its key; emits ``speedChanged`` if the steps/s limit changes.
        Raises ``ValueError`` for a key that is not listed."""
        index = self.pace_combo.findData(key)
        if index < 0:
            raise ValueError(f"unknown pace {key!r}")
        self.pace_combo.setCurrentIndex(index)

    def speed_limit(self) -> float:
        """The pace in steps per second for the present settings, 0 = no limit."""
        return pace_steps_per_second(self.pace(), self._settings, self._dataset_images)

    def set_speed_limit(self, value: float) -> None:
        """Choose the listed slow-motion rate nearest ``value`` steps/s (0 = full speed)."""
        if value <= 0:
            self.set_pace(FULL_SPEED)
            return
        steps = [key for key, _ in PACES if key.startswith("steps:")]
        self.set_pace(min(steps, key=lambda key: abs(math.log(float(key[6:]) / value))))

    def _update_speed(self) -> None:
        """Announce the steps/s limit when the pace or what it depends on changed."""
        limit = self.speed_limit()
        epoch_pace = self.pace().startswith("epoch:")
        if epoch_pace:
            batch = (tr("full batch") if self._settings.optimizer == "gd"
                     else tr("batch {n}").format(n=self._settings.batch_size))
            rate = (tr("{n} steps/s").format(n=f"{limit:.3g}") if limit >= 1
                    else tr("1 step every {n} s").format(n=f"{1 / limit:.2g}"))
            self.pace_note.setText(tr("= {rate} at {batch}").format(rate=rate, batch=batch))
        self.pace_note.setVisible(epoch_pace)
        self.full_speed_button.setEnabled(limit > 0)
        if limit != self._sent_speed:
            self._sent_speed = limit
            self.speedChanged.emit(limit)

    # ---------------------------------------------------------- live changes
    def set_lr(self, lr: float) -> None:
        """Set the learning rate as if typed (clamped to the box's range)."""
        self.lr_box.setValue(float(f"{min(max(lr, LR_BOX_MIN), LR_BOX_MAX):.3g}"))

    def scale_lr(self, factor: float) -> None:
        """Multiply the learning rate (the Up / Down shortcuts)."""
        self.set_lr(self._settings.lr * factor)

    def set_hidden(self, n: int, layer: int = 0) -> None:
        """Set hidden layer ``layer``'s size (0-based) as if typed."""
        self.hidden_boxes[layer].setValue(n)

    def flush(self) -> None:
        """Send debounced changes now (tests; before a restart)."""
        self._send_live.flush()

    def _queue_live(self, **changes) -> None:
        """Send ``changes`` after the debounce's quiet time. Values the trainer already has and that
        are not waiting to be sent are dropped (a slider pressed and released in place)."""
        changes = {k: v for k, v in changes.items() if k in self._pending or getattr(self._settings, k) != v}
        if not changes:
            return
        changes.update(self._end_preset(min(changes)))
        self._settings = self._settings.replace(**changes)
        self._pending.update(changes)
        self._send_live()
        self._update_speed()

    def _end_preset(self, field: str) -> dict:
        """A setting the loaded preset defines was changed: the preset no longer holds, so its budget
        and lr schedule end. Returns the live change that ends the schedule (``lr_decay`` 1)."""
        preset, self._preset = self._preset, None
        if preset is None:
            return {}
        self.preset_combo.setCurrentIndex(0)  # "(custom)"
        decay = self._settings.lr_decay
        ended = [text for text, applies in (
            (tr("its budget ({budget})").format(budget=preset.budget), preset.stops_at_budget),
            (tr("its lr schedule (×{decay} per epoch)").format(decay=f"{decay:g}"), decay != 1.0)) if applies]
        if preset.stops_at_budget:
            self.presetApplied.emit(None)  # train until paused
        if ended:
            what = tr(FIELD_NAMES[field]) if field in FIELD_NAMES else field
            message = (tr("Preset “{title}” ended: you changed the {field}; {ended} no longer apply.") if len(ended) > 1
                       else tr("Preset “{title}” ended: you changed the {field}; {ended} no longer applies."))
            self.presetEnded.emit(message.format(title=tr(preset.title), field=what, ended=tr(" and ").join(ended)))
        return {"lr_decay": 1.0} if decay != 1.0 else {}

    def _emit_live(self) -> None:
        changes, self._pending = self._pending, {}
        if changes:
            self.liveChanged.emit(changes)

    def _on_lr_slider_moved(self, pos: int) -> None:
        lr = slider_to_lr(pos)
        with QtCore.QSignalBlocker(self.lr_box):
            self.lr_box.setValue(lr)
        if not self._lr_hold.held():  # keys, wheel; a drag or a held click on the groove sends on release
            self._queue_live(lr=lr)

    def _on_lr_slider_released(self) -> None:
        self._queue_live(lr=slider_to_lr(self.lr_slider.value()))
        self.flush()

    def _on_lr_typed(self, lr: float) -> None:
        with QtCore.QSignalBlocker(self.lr_slider):
            self.lr_slider.setValue(lr_to_slider(lr))
        self._queue_live(lr=float(f"{lr:.3g}"))

    def _resized(self, layer: int, n: int) -> tuple[int, ...]:
        """The hidden sizes with layer ``layer`` (0-based) set to ``n``."""
        hidden = list(self._settings.hidden)
        hidden[layer] = n
        return tuple(hidden)

    def _on_hidden_slider_moved(self, layer: int, pos: int) -> None:
        n = slider_to_hidden(pos)
        with QtCore.QSignalBlocker(self.hidden_boxes[layer]):
            self.hidden_boxes[layer].setValue(n)
        if not self._hidden_holds[layer].held():  # a drag (or a held click on the groove) resizes once, on release
            self._queue_live(hidden=self._resized(layer, n))

    def _on_hidden_slider_released(self, layer: int) -> None:
        if layer >= len(self._settings.hidden):
            return
        self._queue_live(hidden=self._resized(layer, slider_to_hidden(self.hidden_sliders[layer].value())))
        self.flush()

    def _on_hidden_typed(self, layer: int, n: int) -> None:
        with QtCore.QSignalBlocker(self.hidden_sliders[layer]):
            self.hidden_sliders[layer].setValue(hidden_to_slider(n))
        self._queue_live(hidden=self._resized(layer, n))

    def _on_batch_changed(self, n: int) -> None:
        self._queue_live(batch_size=n)

    def _on_dropout_changed(self, p: float) -> None:
        self._queue_live(dropout=round(p, 2))

    def _on_shift_changed(self, pixels: float) -> None:
        self._queue_live(augment_shift=round(pixels))

    def _on_rotate_changed(self, degrees: float) -> None:
        self._queue_live(augment_rotate=round(degrees, 1))

    def _on_optimizer_activated(self, _index: int) -> None:
        name = self.optimizer_combo.currentData()
        self.batch_box.setEnabled(name != "gd")
        self._queue_live(optimizer=name)

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

    def _on_layer_count_activated(self, _index: int) -> None:
        self.set_layer_count(int(self.layers_combo.currentData()))

    def set_layer_count(self, count: int, confirm: bool | None = None) -> bool:
        """Restart with ``count`` hidden layers (after asking, unless ``confirm`` is given): the kept
        layers keep their sizes, added ones start at ``ADDED_LAYER_SIZES``. Returns whether it restarted."""
        hidden = with_layer_count(self._settings.hidden, count)
        if hidden == self._settings.hidden:
            return False
        return self.request_restart({"hidden": hidden}, confirm, what="hidden_layers")

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
        question = tr("Load the preset “{title}”?").format(title=tr(preset.title))
        if self.apply_settings(preset.settings, question, confirm):
            self.preset_combo.setCurrentIndex(index)
            self._show_preset_note(preset)
            self._preset = preset
            # A recipe promises a time ("under a second"): it runs at full speed. A scenario the room
            # watches step by step sets its own pace. Either way the pace combo shows it.
            self.set_pace(pace_for_preset(preset.seconds_per_epoch))
            self.presetApplied.emit(preset)  # after restartRequested: the budget applies to the new run
            return True
        self.preset_combo.setCurrentIndex(0 if self._preset is None else self.preset_combo.findData(self._preset.name))
        return False

    def _set_preset_tips(self) -> None:
        """Each preset's description as its combo entry's tooltip, in the current language
        (``retranslate`` switches the entries' texts, not their tooltips)."""
        for index in range(1, self.preset_combo.count()):  # 0 is "(custom)"
            preset = self._presets.get(self.preset_combo.itemData(index))
            if preset is not None:
                self.preset_combo.setItemData(index, tr(preset.description), QtCore.Qt.ItemDataRole.ToolTipRole)

    def _show_preset_note(self, preset: Preset) -> None:
        self.preset_note.setText(tr("{description}\n\nWatch: {what_to_watch}").format(
            description=tr(preset.description), what_to_watch=tr(preset.what_to_watch)))
        self.preset_note.show()

    def forget_preset(self) -> None:
        """Show no preset: "(custom)" and no notes (Restore defaults)."""
        self._preset = None
        self.preset_combo.setCurrentIndex(0)
        self.preset_note.hide()

    def request_restart(self, changes: dict, confirm: bool | None = None, what: str | None = None) -> bool:
        """Restart with ``changes`` applied to the current settings, after asking (or with
        ``confirm`` given, without asking). On refusal the widgets go back. ``what``: the
        ``FIELD_NAMES`` key the question names instead of the changed fields (``"hidden_layers"``).
        Returns whether it restarted."""
        fields = (tr(FIELD_NAMES[what]) if what
                  else ", ".join(tr(FIELD_NAMES[name]) if name in FIELD_NAMES else name for name in sorted(changes)))
        schedule = {"lr_decay": 1.0} if self._preset is not None and self._settings.lr_decay != 1.0 else {}
        preset = self._preset
        if not self.apply_settings(self._settings.replace(**schedule, **changes),
                                   tr("Changing the {fields} needs fresh weights.").format(fields=fields), confirm):
            return False
        self._preset = preset
        self._end_preset(what or min(changes))
        return True

    def apply_settings(self, settings: Settings, question: str, confirm: bool | None = None) -> bool:
        """Restart training with ``settings`` if the user agrees; emits ``restartRequested``."""
        if confirm is None:
            confirm = not self._has_progress or self.ask_restart(question)
        if not confirm:
            self.set_settings(self._settings)  # put the widget the user touched back
            return False
        self._send_live.cancel()
        self._pending.clear()  # the restart carries every setting, including unsent live ones
        self._preset = None  # a preset being loaded sets itself again after this
        self.set_settings(settings)
        self.restartRequested.emit(settings)
        return True

    def ask_restart(self, question: str) -> bool:
        """Ask whether to throw the current training away. Tests replace this method."""
        answer = QtWidgets.QMessageBox.question(
            self, tr("Restart training?"), tr("{question}\n\nThis starts training again from new random weights; "
                                              "what the network has learned so far is lost.").format(question=question),
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.Cancel,
            QtWidgets.QMessageBox.StandardButton.Cancel)
        return answer == QtWidgets.QMessageBox.StandardButton.Yes


def _wrap_labels(form: QtWidgets.QFormLayout) -> None:
    """The form's labels wrap instead of widening the column: a long caption in another language
    ("Dropout (abgeschaltete Neuronen pro Bild)", 367 px) set the whole column's minimum width."""
    for row in range(form.rowCount()):
        item = form.itemAt(row, QtWidgets.QFormLayout.ItemRole.LabelRole)
        label = item.widget() if item is not None else None
        if isinstance(label, QtWidgets.QLabel):
            label.setWordWrap(True)
