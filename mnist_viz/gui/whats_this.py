"""What's this? (Shift+F1): every control and panel explains itself, with its current value, in a
sentence or two a first-year student understands.

Qt's What's This mode sends a ``QEvent.WhatsThis`` help event to the widget clicked (and, while the
pointer moves, ``QueryWhatsThis`` to ask whether it has something to say); a widget with no text of
its own passes both on to its parent, and so on up. One filter, installed on each registered widget,
answers both when they reach it: the first registered widget they reach is the nearest, and its
explainer is called at that moment, so the text says today's learning rate, not the one at start-up.
Every other event of those widgets passes through after one type comparison (normal clicks are
untouched). The filter is not put on the application: there Python was called for every event of
every object (a paint, a timer, a posted call), ~4,200 a second while training (counted), 0.3-0.6 ms
of the GUI thread's frame.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.i18n import N_, format_int, format_percent, tr
from mnist_viz.core.snapshot import eval_split_name
from mnist_viz.gui.panels.controls import training_images

if TYPE_CHECKING:
    from mnist_viz.core.snapshot import Snapshot
    from mnist_viz.gui.window import MainWindow

Explainer = Callable[[], str]
_HELP_EVENTS = (QtCore.QEvent.Type.WhatsThis, QtCore.QEvent.Type.QueryWhatsThis)
NO_SNAPSHOT = N_("Nothing yet: press Start (Space) and this fills in as the network trains.")


class Explainers(QtCore.QObject):
    """Widgets → callables that return their explanation (short HTML), asked when shown.

    ``register`` installs it on each widget: in What's This mode a click on a widget shows the text
    of the widget's own explainer or else its nearest registered ancestor's.
    ``last_text`` holds the text shown last (tests, and what a screen reader could read again)."""

    def __init__(self, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._explainers: dict[QtWidgets.QWidget, Explainer] = {}
        self.last_text = ""
        self.latest_numbers: _Latest | None = None

    def register(self, widget: QtWidgets.QWidget, explain: Explainer) -> None:
        self._explainers[widget] = explain
        widget.installEventFilter(self)
        widget.destroyed.connect(lambda: self._explainers.pop(widget, None))

    def registered(self) -> list[QtWidgets.QWidget]:
        return list(self._explainers)

    def explainer_for(self, widget: QtWidgets.QWidget | None) -> Explainer | None:
        """The explainer of ``widget`` or of its nearest registered ancestor (``None``: none)."""
        while widget is not None:
            explain = self._explainers.get(widget)
            if explain is not None:
                return explain
            widget = widget.parentWidget()
        return None

    def text_for(self, widget: QtWidgets.QWidget | None) -> str:
        """The explanation now, or "" when there is none. A failing explainer says so instead of
        taking the window down (it is a help text, never worth a crash)."""
        explain = self.explainer_for(widget)
        if explain is None:
            return ""
        try:
            return explain()
        except Exception as e:  # any bug in a help text must not crash the lecture
            return tr("No explanation available ({error}).").format(error=type(e).__name__)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() not in _HELP_EVENTS or not isinstance(watched, QtWidgets.QWidget):
            return False
        if self.explainer_for(watched) is None:
            return False  # Qt carries on: a widget's own whatsThis(), then its parent
        if event.type() == QtCore.QEvent.Type.QueryWhatsThis:
            event.accept()  # the pointer shows "?" instead of "no help here"
            return True
        self.show_for(watched, event.globalPos() if isinstance(event, QtGui.QHelpEvent) else QtGui.QCursor.pos())
        return True

    def show_for(self, widget: QtWidgets.QWidget, global_pos: QtCore.QPoint) -> str:
        """Show ``widget``'s explanation at ``global_pos``; returns the text shown."""
        self.last_text = self.text_for(widget)
        if self.last_text:
            QtWidgets.QWhatsThis.showText(global_pos, self.last_text, widget)
        return self.last_text


def whats_this_action(window: QtWidgets.QWidget) -> QtGui.QAction:
    """Help > What's this? (Shift+F1): the pointer becomes "?"; the next click explains a widget."""
    action = QtGui.QAction(tr("What's this?"), window)
    action.setShortcut(QtGui.QKeySequence(QtCore.Qt.Modifier.SHIFT | QtCore.Qt.Key.Key_F1))
    action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    action.setStatusTip(tr("Click any control or panel to see what it does and what it shows now"))
    action.triggered.connect(QtWidgets.QWhatsThis.enterWhatsThisMode)
    return action


# ---------------------------------------------------------------------------- texts
def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _say(name: str, value: str, what: str) -> str:
    """ "<b>Learning rate: 0.1.</b> How big a step ..." """
    return f"<b>{name}: {value}.</b> {what}"


class _Latest:
    """The last training loss and accuracy the window painted: a snapshot carries only the rows
    that are new since the previous one, so a snapshot with none would otherwise say nothing."""

    def __init__(self, window: MainWindow):
        self.loss = self.accuracy = float("nan")
        self.step = 0
        window.snapshotShown.connect(self._take)

    def _take(self, snap: Snapshot) -> None:
        if len(snap.new_steps):
            _, _, _, self.loss, self.accuracy = (float(v) for v in snap.new_steps[-1][:5])
            self.step = int(snap.new_steps[-1][0])


def _control_texts(window: MainWindow) -> dict[str, Explainer]:
    """Explainers of the controls panel's widgets, by attribute name."""
    c = window.controls
    s = c.settings
    classes = len(window.data.class_names)
    layers = lambda: "-".join(str(n) for n in (784, *s().hidden, classes))  # noqa: E731
    images = lambda: training_images(s(), len(window.data.x_train))  # noqa: E731

    def lr() -> str:
        text = _say(tr("Learning rate"), _fmt(s().lr), tr(
            "How big a step the weights take downhill each update. Too big and the loss jumps up; "
            "too small and it barely moves."))
        snap = window.latest
        if snap is not None and math.isfinite(snap.effective_lr) and not math.isclose(snap.effective_lr, s().lr):
            text += " " + tr("With the schedule it is {lr} now.").format(lr=_fmt(snap.effective_lr))
        return text

    def batch() -> str:
        if s().optimizer == "gd":
            return _say(tr("Batch size"), str(s().batch_size), tr(
                "Ignored now: full-batch gradient descent looks at all {n} images before each step.").format(
                n=format_int(images())))
        steps = math.ceil(images() / min(s().batch_size, max(1, images())))
        return _say(tr("Batch size"), str(s().batch_size), tr(
            "How many images the network looks at before each weight update; {steps} updates make one pass "
            "(epoch) over the {n} training images. Bigger batches give smoother but fewer steps.").format(
            steps=format_int(steps), n=format_int(images())))

    def playing() -> bool:
        return window.latest is not None and window.latest.loop.playing

    step = lambda: format_int(window.latest.step) if window.latest is not None else "0"  # noqa: E731
    texts: dict[str, Explainer] = {
        "lr_slider": lr, "lr_box": lr, "batch_box": batch,
        "layers_combo": lambda: _say(tr("Hidden layers"), str(len(s().hidden)), tr(
            "How many layers of hidden units sit between the 784 pixels and the {k} answers: now {arch}. "
            "Changing it starts training again.").format(k=classes, arch=layers())),
        "optimizer_combo": lambda: _say(tr("Optimizer"), s().optimizer, tr(
            "The rule that turns the gradient (which way is downhill) into a step: sgd steps straight down, "
            "momentum keeps rolling, adam sizes each weight's step on its own.")),
        "activation_combo": lambda: _say(tr("Activation"), s().activation, tr(
            "The bend each hidden unit puts on its input; without it the layers would add up to one straight "
            "line and could not learn curvy boundaries. Changing it restarts training.")),
        "init_combo": lambda: _say(tr("Init"), s().init, tr(
            "How the random starting weights are drawn; too small or too large and the signal fades or blows "
            "up through the layers. Changing it restarts training.")),
        "seed_box": lambda: _say(tr("Seed"), str(s().seed), tr(
            "The number that fixes the random starting weights and the order of the images: the same seed "
            "gives the same run again. Changing it restarts training.")),
        "dropout_box": lambda: _say(tr("Dropout"), tr("off") if not s().dropout else f"{s().dropout:g}", tr(
            "The chance that each hidden unit is switched off for an image while training, so no unit can "
            "rely on another; it fights overfitting. Testing always uses every unit.")),
        "shift_box": lambda: _say(tr("Image shift"), tr("±{n} px").format(n=s().augment_shift), tr(
            "Each training image is moved by up to this many pixels, so the network learns that a digit is the "
            "same digit a little to the left. Test images are not moved.")),
        "rotate_box": lambda: _say(tr("Image rotation"), f"±{s().augment_rotate:g}°", tr(
            "Each training image is turned by a random angle up to this, so a slanted 7 is still a 7. "
            "Test images are not turned.")),
        "pace_combo": lambda: _say(tr("Pace"), c.pace_combo.currentText(), tr(
            "How fast training runs so the room can follow: {rate}. It changes nothing the network learns, "
            "only how quickly you watch it.").format(
            rate=tr("no limit") if not c.speed_limit() else tr("{n} steps/s").format(n=_fmt(c.speed_limit())))),
        "full_speed_button": lambda: _say(tr("Full speed"), tr("on") if not c.speed_limit() else tr("off"), tr(
            "Drops the pace limit and trains as fast as this computer can.")),
        "start_button": lambda: _say(tr("Start / Pause"), tr("training") if playing() else tr("paused"), tr(
            "Starts or pauses training (Space). At step {step}; pausing keeps everything it has learned.").format(
            step=step())),
        "step_button": lambda: _say(tr("Step"), tr("at step {step}").format(step=step()), tr(
            "Pauses and trains exactly one batch (S), so you can watch a single weight update.")),
        "reset_button": lambda: _say(tr("Reset"), tr("seed {seed}").format(seed=s().seed), tr(
            "Throws away what was learned and starts again from fresh random weights drawn from the seed (R).")),
        "preset_combo": lambda: _say(tr("Preset"), c.preset_combo.currentText(), tr(
            "Ready-made settings: a classic tutorial's recipe or a teaching scenario with something to watch. "
            "Loading one restarts training.")),
        "use_all_button": lambda: _say(tr("Training images"), tr("{n} of {total}").format(
            n=format_int(images()), total=format_int(len(window.data.x_train))), tr(
            "A run on fewer images learns them by heart sooner (overfitting); this button trains on all of "
            "them (restarts training).")),
    }
    texts["subset_label"] = texts["use_all_button"]
    texts["preset_note"] = texts["preset_combo"]
    return texts


def _hidden_text(window: MainWindow, layer: int) -> Explainer:
    def explain() -> str:
        hidden = window.controls.settings().hidden
        name = tr("Hidden units, layer {n}").format(n=layer + 1)
        if layer >= len(hidden):
            return _say(name, tr("not used"), tr("This network has {k} hidden layer(s); "
                                                  "choose more under Hidden layers.").format(k=len(hidden)))
        return _say(name, str(hidden[layer]), tr(
            "How many hidden units this layer has; each learns one pattern to look for. More units can learn "
            "more, and you can resize them while it trains."))
    return explain


def _snap_text(window: MainWindow, name: str, shows: Callable[[Snapshot], str], what: str) -> Explainer:
    """An explainer saying ``shows(latest snapshot)`` then ``what``, or what it will show."""
    def explain() -> str:
        snap = window.latest
        value = shows(snap) if snap is not None else tr("waiting for training")
        text = _say(name, value, what)
        return text if snap is not None else f"{text} {tr(NO_SNAPSHOT)}"
    return explain


def _at_step(snap: Snapshot) -> str:
    return tr("step {step}").format(step=format_int(snap.step))


def _accuracy(snap: Snapshot) -> str:
    acc = snap.last_eval_accuracy
    return (tr("{split} accuracy {acc} at step {step}").format(split=eval_split_name(snap.eval_split),
                                                              acc=format_percent(acc, 1), step=format_int(snap.step))
            if math.isfinite(acc) else _at_step(snap))


def _panel_texts(window: MainWindow, latest: _Latest) -> dict[str, Explainer]:
    """Explainers of the panels and tabs, by the window's attribute name."""
    w = window

    def loss(snap: Snapshot) -> str:
        if not math.isfinite(latest.loss):
            return _at_step(snap)
        return tr("Loss {loss} at step {step}").format(loss=_fmt(latest.loss), step=format_int(latest.step))

    def arch(snap: Snapshot) -> str:
        return "-".join(str(n) for n in (784, *snap.settings.hidden, len(w.data.class_names)))

    def tiles(snap: Snapshot) -> str:
        return tr("{n} units, network {arch}").format(n=snap.settings.hidden[0], arch=arch(snap))

    def unit(_snap: Snapshot) -> str:
        n = w.unit_inspector.unit
        return (tr("unit {n} of layer {layer}").format(n=n, layer=w.unit_inspector.layer) if n is not None
                else tr("no unit chosen"))

    def drawing(_snap: Snapshot) -> str:
        guess = w.drawing.answer()
        return tr("reads it as {name}").format(name=w.data.class_names[guess]) if guess is not None else tr("empty")

    def probes(snap: Snapshot) -> str:
        labels = w.probes.probe_labels()
        if len(labels) != len(snap.probe_probs):  # a probe just pinned: its answer comes with the next snapshot
            return tr("{n} digits").format(n=len(labels))
        right = int((snap.probe_probs.argmax(axis=1) == labels).sum())
        return tr("{right} of {n} right").format(right=right, n=len(labels))

    def playing(snap: Snapshot) -> str:
        return tr("training") if snap.loop.playing else tr("paused")

    def moment(_snap: Snapshot) -> str:
        return tr("live") if w.timeline.is_live else tr("looking back at step {step}").format(
            step=format_int(w.timeline.selected_snapshot().step))

    specs = {
        "curves": (tr("Curves"), loss, tr(
            "The loss (how wrong the network is, lower is better) and the accuracy, over training. "
            "A marker shows each change you made.")),
        "weights": (tr("Weight mosaic"), tiles, tr(
            "Each tile is one hidden unit's 784 input weights as a 28×28 picture: ink on red pixels switches "
            "the unit on, ink on blue ones off. Noise turns into strokes as it learns; click a tile to inspect it.")),
        "output_weights": (tr("Output weights"), arch, tr(
            "Row d shows how strongly each unit of the last hidden layer votes for digit d: red for, "
            "blue against.")),
        "probes": (tr("Probe digits"), probes, tr(
            "A few test images and the network's probabilities for each: the bars sharpen as it learns.")),
        "samples": (tr("Training images"), _at_step, tr("Examples of what the network trains on, as it sees them.")),
        "drawing": (tr("Draw"), drawing, tr("Draw a digit with the mouse and the live network says what it sees.")),
        "unit_inspector": (tr("Unit"), unit, tr(
            "One hidden unit up close: its weights and the images that excite it most.")),
        "templates": (tr("Templates"), _at_step, tr(
            "For each class, the picture the network looks for: the first-layer weights combined by the "
            "output weights.")),
        "activation_space": (tr("Space"), _at_step, tr(
            "2,000 test digits placed by what the last hidden layer makes of them (squashed to 2-D with PCA): "
            "clusters that separate mean the classes are easy to tell apart.")),
        "confusion": (tr("Errors"), _accuracy, tr(
            "Which digit the network says (columns) for each true digit (rows); off the diagonal are its "
            "mistakes. Click a cell to see them.")),
        "health": (tr("Health"), _at_step, tr(
            "Each layer's weights, update sizes and activations over training: dead units never switch on, "
            "saturated ones are stuck on.")),
        "robustness": (tr("Robustness"), _accuracy, tr(
            "How accuracy falls when the test images are spoiled with noise, turns, shifts or blots.")),
        "weight_surgery": (tr("Weights lab"), _accuracy, tr(
            "Add noise to the weights or prune the smallest ones and see what it costs; Restore undoes it.")),
        "coach": (tr("Coach"), _at_step, tr(
            "Hints in plain words from the live numbers (learning rate too high or too low, overfitting, dead "
            "or saturated units, a plateau), each with a button that applies the fix.")),
        "dataset_view": (tr("Data"), _at_step, tr(
            "The dataset itself: the average image of each class, how many images each class has, how the "
            "pixel values are spread, and random examples.")),
        "temperature": (tr("Softmax T"), _at_step, tr(
            "The selected probe's answer with a temperature: dividing the scores by T above 1 makes the "
            "network less sure, below 1 more sure.")),
        "backprop": (tr("Backprop step"), _at_step, tr(
            "One training step taken apart: forward pass, loss, backward pass (gradients), update. "
            "Step walks through the stages.")),
        "timeline": (tr("Look back"), moment, tr(
            "Drag back to see the network as it was at an earlier moment; the curves stay live.")),
        "status_label": (tr("Status"), playing, tr("Epoch, step, speed, time and learning rate of the run.")),
        "metrics": (tr("Metric cards"), _accuracy, tr("The run's headline numbers, large enough for the back row.")),
        "banner": (tr("Divergence banner"), lambda snap: snap.diverged or tr("all fine"), tr(
            "Appears when training blew up (the loss became huge or not a number), usually from a too-large "
            "learning rate; it offers to go back to the last good weights.")),
    }
    return {attr: _snap_text(w, *spec) for attr, spec in specs.items()}


def install(window: MainWindow) -> Explainers:
    """Register an explainer for every control and panel of ``window``. Returns the registry (also
    ``window.explainers``); a second call returns the first's."""
    if isinstance(getattr(window, "explainers", None), Explainers):
        return window.explainers
    explainers = Explainers(window)
    latest = explainers.latest_numbers = _Latest(window)  # held here: the connection alone may not keep it
    c = window.controls
    explainers.register(c, lambda: _say(tr("Training controls"), tr("learning rate {lr}").format(
        lr=_fmt(c.settings().lr)), tr("The knobs: the top group acts on the next batch, the bottom one restarts.")))
    for attr, explain in _control_texts(window).items():
        explainers.register(getattr(c, attr), explain)
    for layer in range(len(c.hidden_sliders)):
        explainers.register(c.hidden_sliders[layer], _hidden_text(window, layer))
        explainers.register(c.hidden_boxes[layer], _hidden_text(window, layer))
    for attr, explain in _panel_texts(window, latest).items():
        explainers.register(getattr(window, attr), explain)
    view = window.compare.view
    explainers.register(view, lambda: _say(tr("Compare"), tr("on") if view.isVisible() else tr("off"), tr(
        "A second run with one setting changed, trained side by side: its mosaic and probes show here.")))
    window.explainers = explainers
    return explainers
