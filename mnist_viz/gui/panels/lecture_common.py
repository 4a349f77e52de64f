"""Small pieces shared by the lecture-tool panels (drawing, unit inspector, templates, confusion,
timeline): running the network of a snapshot, a clock-based throttle, and colour tables.

The network helpers are NumPy only; ``Throttle`` is a QObject because it needs a timer to deliver
the last value once the quiet period is over.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.analysis import network_from_params
from mnist_viz.core.network import MLP, softmax
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.gui.panels import style

N_CLASSES = 10


# ------------------------------------------------------------------------------ the network

def hidden_layer_count(snap: Snapshot) -> int:
    """Number of hidden layers of the network in ``snap`` (``params`` is ``[W0, b0, ..., W_out, b_out]``)."""
    return max(0, len(snap.params) // 2 - 1)


def snapshot_network(snap: Snapshot) -> MLP:
    """The network exactly as it was in ``snap`` (weights shared, not copied; ablated units off).

    ``snap.unit_mask`` is the first hidden layer's mask; deeper layers have no ablation, so they
    get all-ones masks (``network_from_params`` needs one mask per hidden layer).
    """
    masks = [snap.unit_mask] + [np.ones(snap.params[2 * layer].shape[1], np.float32)
                                for layer in range(1, hidden_layer_count(snap))]
    return network_from_params(snap.params, snap.settings.activation, masks)


def network_answer(snap: Snapshot, x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Softmax and first-hidden-layer activations of the snapshot's network for some images.

    Args:
        x: ``(N, 784)`` images in [0, 1].
    Returns:
        ``(probs (N, 10) float32, hidden (N, H) float32)``, or ``None`` when the snapshot holds no
        parameters or its weights are broken (diverged: NaN/inf answers mean nothing).
    """
    if len(snap.params) < 4:
        return None
    net = snapshot_network(snap)
    # Diverged weights make NaN/inf on the way; that is expected here and reported as None.
    with np.errstate(all="ignore"):
        logits, cache = net.forward(np.asarray(x, np.float32).reshape(-1, snap.params[0].shape[0]), keep=True)
        probs = softmax(logits)
    if not np.isfinite(probs).all():
        return None
    return probs.astype(np.float32), cache[0]


# ------------------------------------------------------------------------------ colours

def ink_lut() -> np.ndarray:
    """``(256, 3) uint8`` white-to-black: digits as dark ink on white paper, like the probe strip."""
    return np.repeat(np.arange(255, -1, -1, dtype=np.uint8)[:, None], 3, axis=1)


def diverging_lut(n: int = 256) -> np.ndarray:
    """``(n, 3) uint8`` of the weight colormap (``style.DIVERGING_MAP``) for float images shown with
    symmetric levels ``(-level, +level)``: blue negative, white zero, red positive."""
    return pg.colormap.get(style.DIVERGING_MAP).getLookupTable(0.0, 1.0, n, alpha=False).astype(np.uint8)


def signed_brushes(values: np.ndarray) -> list:
    """Bar brushes for signed values in the weight colours: red-ish positive, blue-ish negative."""
    lut = diverging_lut(9)
    pos, neg = pg.mkBrush(*lut[-1]), pg.mkBrush(*lut[0])
    return [pos if v >= 0 else neg for v in np.asarray(values).ravel()]


# ------------------------------------------------------------------------------ widgets

def info_label(text: str = "", point_size: int = style.SMALL_PT + 1, bold: bool = False) -> QtWidgets.QLabel:
    """A word-wrapped explanatory label in the panels' font."""
    label = QtWidgets.QLabel(text)
    label.setFont(style.font(point_size, bold))
    label.setWordWrap(True)
    return label


def set_text(label: QtWidgets.QLabel, text: str) -> None:
    """``label.setText`` only when the text changes: a QLabel relayout costs more than a frame's
    NumPy work, and most frames change nothing."""
    if label.text() != text:
        label.setText(text)


def captioned(caption: QtWidgets.QLabel, widget: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """``widget`` under a word-wrapped caption. Captions are Qt labels rather than pyqtgraph labels
    because a pyqtgraph layout cannot wrap text and clips itself when the panel is narrow."""
    box = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    caption.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter)
    layout.addWidget(caption)
    layout.addWidget(widget, 1)
    return box


def digit_bar_plot(graphics: pg.GraphicsLayoutWidget, row: int, col: int, left: str,
                   y_range: tuple[float, float] = (0.0, 1.0)) -> tuple[pg.PlotItem, pg.BarGraphItem]:
    """A fixed, mouse-inert plot with one bar per digit 0-9 (digits on the bottom axis)."""
    plot = graphics.addPlot(row=row, col=col)
    style.style_plot(plot, left=left, bottom="digit")
    plot.showGrid(x=False, y=True, alpha=0.25)
    plot.getAxis("bottom").setTicks([[(d, str(d)) for d in range(N_CLASSES)]])
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setRange(xRange=(-0.6, N_CLASSES - 0.4), yRange=y_range, padding=0.02)
    bars = pg.BarGraphItem(x=np.arange(N_CLASSES), height=np.zeros(N_CLASSES), width=0.75,
                           brushes=[pg.mkBrush(style.GREY)] * N_CLASSES, pen=None)
    plot.addItem(bars)
    return plot, bars


def legend_row(text_left: str = "− negative",
               text_right: str = "positive +") -> tuple[QtWidgets.QWidget, QtWidgets.QLabel]:
    """``− negative [blue-white-red strip] positive +   <info>``; returns the row and its info label."""
    row = QtWidgets.QWidget()
    layout = QtWidgets.QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    bar = QtWidgets.QLabel()
    bar.setPixmap(style.colour_bar_gradient(140, 16))
    left, right, info = info_label(text_left), info_label(text_right), info_label()
    for label in (left, right, info):
        label.setWordWrap(False)
    layout.addWidget(left)
    layout.addWidget(bar)
    layout.addWidget(right)
    layout.addSpacing(16)
    layout.addWidget(info, 1)
    return row, info


# ------------------------------------------------------------------------------ throttle

_NOTHING = object()


class Throttle(QtCore.QObject):
    """Call ``callback(value)`` at most once per ``interval`` seconds, by the clock.

    ``submit(value)`` runs at once when the interval has passed since the last run; otherwise the
    value is kept (the latest wins) and delivered by a single-shot timer when the interval ends,
    so the last state is always shown even if no further value arrives (e.g. training paused).
    """

    def __init__(self, interval: float, callback, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.interval = float(interval)
        self._callback = callback
        self._last = -float("inf")
        self._pending = _NOTHING
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    @property
    def pending(self) -> bool:
        return self._pending is not _NOTHING

    def submit(self, value) -> None:
        wait = self._last + self.interval - time.monotonic()
        if wait <= 0:
            self._pending = _NOTHING
            self._timer.stop()
            self._run(value)
            return
        self._pending = value
        if not self._timer.isActive():
            self._timer.start(max(1, int(wait * 1000) + 1))

    def flush(self) -> None:
        """Deliver the pending value now (if any)."""
        self._timer.stop()
        if self._pending is not _NOTHING:
            value, self._pending = self._pending, _NOTHING
            self._run(value)

    def cancel(self) -> None:
        self._timer.stop()
        self._pending = _NOTHING

    def _run(self, value) -> None:
        self._last = time.monotonic()
        self._callback(value)

    def _on_timeout(self) -> None:
        self.flush()
