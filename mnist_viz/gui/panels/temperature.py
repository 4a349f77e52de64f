"""TemperaturePanel: "Softmax, played with" — what dividing the logits by a temperature T does.

For the selected probe image the panel takes the live network's logits ``z (10,)``
(``core.softmax_temperature.probe_logits``, exact, from the snapshot's weights) and shows
``softmax(z / T)`` as ten bars, with its entropy in bits against the maximum ``log2 10``. A slider
moves T from ``T_MIN`` to ``T_MAX`` on a log scale (T = 1 in the middle): low T makes the answer sure
(one-hot), high T unsure (uniform); T = 1 is the network's own answer.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.i18n import N_, format_number, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.softmax_temperature import (
    T_MAX,
    T_MIN,
    entropy_bits,
    max_entropy_bits,
    probe_logits,
    tempered_softmax,
)
from mnist_viz.gui import style
from mnist_viz.gui.class_labels import DIGIT_NAMES, are_digits, names_key, short_names
from mnist_viz.gui.widgets import info_label, set_text

N_CLASSES = 10
SLIDER_STEPS = 200  # slider positions from T_MIN to T_MAX (log scale: position 100 is T = 1)
NAME_CHARS = 8  # a class name under a bar, at most this many characters ("T-shirt", "Trouser")

TITLE = N_("Softmax, played with: the temperature T")
EXPLANATION = N_("The bars are softmax(z / T) of the network's logits z. Low T: sure, almost one-hot. "
                 "High T: unsure, almost uniform. T = 1: the network's own answer.")
WAITING = N_("Waiting for the network (press Start)")
NO_PROBE = N_("Choose a probe image in the Probe digits tab")
DIVERGED = N_("The network has diverged: its logits are not finite")
ENTROPY = N_("entropy {bits} bits (maximum log2 10 = {max} bits)")
T_TEXT = N_("T = {t}")
PROBE_TEXT = N_("probe image of class {name}; the network's logits: max {top}, min {bottom}")


def slider_to_temperature(position: int) -> float:
    """Slider ``position`` in 0..SLIDER_STEPS -> T on a log scale from T_MIN to T_MAX."""
    fraction = min(max(position, 0), SLIDER_STEPS) / SLIDER_STEPS
    return float(math.exp(math.log(T_MIN) + fraction * (math.log(T_MAX) - math.log(T_MIN))))


def temperature_to_slider(temperature: float) -> int:
    """The slider position nearest to ``temperature`` (clipped to T_MIN..T_MAX)."""
    t = min(max(float(temperature), T_MIN), T_MAX)
    return round((math.log(t) - math.log(T_MIN)) / (math.log(T_MAX) - math.log(T_MIN)) * SLIDER_STEPS)


class TemperaturePanel(QtWidgets.QWidget):
    """Ten bars of ``softmax(z / T)`` for one probe image, a log-scale T slider and the entropy."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._snap: Snapshot | None = None
        self._image: np.ndarray | None = None  # (784,) float32
        self._label: int | None = None
        self._names: tuple[str, ...] = DIGIT_NAMES
        self._logits: np.ndarray | None = None  # (10,) of the latest snapshot and probe
        self._probs = np.zeros(N_CLASSES)
        self._build()
        self.set_temperature(1.0)
        self._redraw()

    # ------------------------------------------------------------------ public
    def show_snapshot(self, snap: Snapshot) -> None:
        """Keep ``snap`` (the latest) and redraw from its weights."""
        self._snap = snap
        self._recompute_logits()
        self._redraw()

    def set_probe(self, image: np.ndarray, true_label: int) -> None:
        """Show ``image`` ``(784,)`` in [0, 1], of class ``true_label``."""
        image = np.asarray(image, np.float32).reshape(-1)
        if image.size != 784:
            raise ValueError(f"probe image must have 784 pixels, got {image.size}")
        self._image, self._label = image, int(true_label)
        self._recompute_logits()
        self._redraw()

    def set_class_names(self, names) -> None:
        """Write ``names`` (10 strings) under the bars instead of the digits 0-9."""
        names = tuple(str(n) for n in names)
        if len(names) != N_CLASSES:
            raise ValueError(f"need {N_CLASSES} class names, got {len(names)}")
        self._names = names
        texts = list(names) if are_digits(names) else short_names(names, NAME_CHARS)
        self._plot.getAxis("bottom").setTicks([list(enumerate(texts))])
        key = names_key(names)
        self._graphics.setToolTip(tr("Classes: {key}").format(key=key) if key else "")
        self._redraw()

    def clear(self) -> None:
        """Forget the run (the probe image stays chosen)."""
        self._snap = None
        self._logits = None
        self._redraw()

    def refresh_texts(self) -> None:
        """Rewrite the texts built from numbers in the current language (after a language switch)."""
        self._redraw()

    def set_temperature(self, temperature: float) -> None:
        self._slider.setValue(temperature_to_slider(temperature))

    @property
    def temperature(self) -> float:
        return slider_to_temperature(self._slider.value())

    @property
    def slider(self) -> QtWidgets.QSlider:
        return self._slider

    def probabilities(self) -> np.ndarray:
        """The ``(10,)`` bar heights now shown (zeros without a network or probe)."""
        return self._probs.copy()

    def entropy(self) -> float | None:
        """Entropy in bits of the bars now shown, or None when there are none."""
        return None if self._logits is None else entropy_bits(self._probs)

    def tick_texts(self) -> list[str]:
        """The class names written under the bars."""
        ticks = self._plot.getAxis("bottom")._tickLevels
        return [text for _, text in ticks[0]] if ticks else list(self._names)

    def message(self) -> str:
        return self._message.text()

    def entropy_text(self) -> str:
        return self._entropy.text()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self._slider.setRange(0, SLIDER_STEPS)
        self._slider.setPageStep(SLIDER_STEPS // 10)
        self._slider.setToolTip(tr("The temperature T, on a log scale from 0.1 to 10"))
        self._slider.valueChanged.connect(self._on_slider_moved)
        self._t_label = info_label("", style.LABEL_PT, bold=True)
        self._t_label.setMinimumWidth(110)
        one = QtWidgets.QPushButton(tr("T = 1"))
        one.setFont(style.font(style.LABEL_PT))
        one.setToolTip(tr("Back to the network's own answer"))
        one.clicked.connect(lambda: self.set_temperature(1.0))
        slider_row = QtWidgets.QHBoxLayout()
        slider_row.addWidget(info_label(tr("sure"), style.LABEL_PT))
        slider_row.addWidget(self._slider, 1)
        slider_row.addWidget(info_label(tr("unsure"), style.LABEL_PT))
        slider_row.addWidget(self._t_label)
        slider_row.addWidget(one)
        self._graphics = style.graphics_widget()
        self._plot = self._graphics.addPlot()
        style.style_plot(self._plot, left=tr("probability"), bottom=tr("class"))
        self._plot.setMouseEnabled(x=False, y=False)
        self._plot.hideButtons()
        self._plot.setRange(xRange=(-0.6, N_CLASSES - 0.4), yRange=(0, 1), padding=0.02)
        self._plot.getAxis("bottom").setTicks([list(enumerate(DIGIT_NAMES))])
        self._bars = pg.BarGraphItem(x=np.arange(N_CLASSES), height=np.zeros(N_CLASSES), width=0.75,
                                     brushes=[pg.mkBrush(style.GREY)] * N_CLASSES, pen=None)
        self._plot.addItem(self._bars)
        self._message = info_label("", style.LABEL_PT, bold=True)
        self._probe_text = info_label("", style.LABEL_PT)
        self._entropy = info_label("", style.LABEL_PT, bold=True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(style.title_label(tr(TITLE)))
        layout.addWidget(info_label(tr(EXPLANATION), style.LABEL_PT))
        layout.addLayout(slider_row)
        layout.addWidget(self._message)
        layout.addWidget(self._probe_text)
        layout.addWidget(self._entropy)
        layout.addWidget(self._graphics, 1)

    # ------------------------------------------------------------------ drawing
    def _recompute_logits(self) -> None:
        if self._snap is None or self._image is None:
            self._logits = None
            return
        self._logits = probe_logits(self._snap, self._image)

    def _redraw(self) -> None:
        t = self.temperature
        set_text(self._t_label, tr(T_TEXT).format(t=format_number(t, 2)))
        if self._logits is None:
            self._probs = np.zeros(N_CLASSES)
            self._bars.setOpts(height=self._probs)
            set_text(self._message, tr(self._empty_reason()))
            set_text(self._entropy, "")
            set_text(self._probe_text, "")
            return
        self._probs = tempered_softmax(self._logits, t)
        self._draw_bars()
        set_text(self._message, "")
        set_text(self._entropy, tr(ENTROPY).format(bits=format_number(entropy_bits(self._probs), 2),
                                                   max=format_number(max_entropy_bits(N_CLASSES), 2)))
        name = self._names[self._label] if self._label is not None and 0 <= self._label < N_CLASSES else "?"
        set_text(self._probe_text, tr(PROBE_TEXT).format(name=name, top=format_number(float(self._logits.max()), 2),
                                                         bottom=format_number(float(self._logits.min()), 2)))

    def _empty_reason(self) -> str:
        if self._snap is None:
            return WAITING
        if self._image is None:
            return NO_PROBE
        return DIVERGED

    def _draw_bars(self) -> None:
        # the true class in the "correct" colour, the network's top answer (if another) in "wrong"
        brushes = [pg.mkBrush(style.GREY)] * N_CLASSES
        top = int(self._probs.argmax())
        if self._label is not None and 0 <= self._label < N_CLASSES:
            brushes[top] = pg.mkBrush(style.WRONG)
            brushes[self._label] = pg.mkBrush(style.CORRECT)
        self._bars.setOpts(height=self._probs, brushes=brushes)

    # ------------------------------------------------------------------ events
    def _on_slider_moved(self, _position: int) -> None:
        self._redraw()
