"""DrawingPanel: the lecturer (or a student) draws a digit and the live network says what it sees.

The drawing is preprocessed exactly as MNIST's digits were (``core.preprocess.to_mnist``: bounding
box scaled into 20x20, centred by centre of mass in 28x28) and shown as the network sees it, with
the 10 softmax bars and the first hidden layer's activations. Both are recomputed from every
snapshot's parameters, so the answer changes as the network learns.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import qthrottled

from mnist_viz.core.analysis import N_CLASSES, network_answer
from mnist_viz.core.i18n import N_, format_percent, tr
from mnist_viz.core.preprocess import EmptyDrawingError, to_mnist
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE
from mnist_viz.gui import style
from mnist_viz.gui.style import ink_lut
from mnist_viz.gui.widgets import captioned, digit_bar_plot, info_label, set_text

CANVAS = 280  # the pad's image is 280 x 280: ten canvas pixels per MNIST pixel
PEN_WIDTH = 20.0  # canvas pixels; after scaling to the 20x20 box a stroke is ~2 px wide, as in MNIST
LIVE_INTERVAL = 0.05  # s between recomputations while a stroke is being drawn

EMPTY_MESSAGE = N_("Draw a digit in the box")
NO_NETWORK_MESSAGE = N_("No network yet: press Start")
DIVERGED_MESSAGE = N_("No answer: the network's outputs are not finite (NaN/inf)")


class DrawingPad(QtWidgets.QWidget):
    """A square drawing surface over a ``CANVAS x CANVAS`` grayscale image (0 = paper, 255 = ink),
    painted with a thick, round, anti-aliased pen by mouse, pen or tablet. Shown as dark ink on
    white paper, scaled to the largest square that fits the widget.

    Signals:
        strokeMoved(): ink was added during a stroke.
        strokeFinished(): a stroke ended (pen/button released).
    """

    strokeMoved = QtCore.Signal()
    strokeFinished = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._canvas = QtGui.QImage(CANVAS, CANVAS, QtGui.QImage.Format.Format_Grayscale8)
        self._canvas.fill(0)
        self._last: QtCore.QPointF | None = None  # canvas position of the pen during a stroke
        self._has_ink = False
        self.setMinimumSize(170, 170)  # fits the tab area at 1080 px; the ink is resampled to 28x28 anyway
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)
        self.setCursor(QtCore.Qt.CursorShape.CrossCursor)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TabletTracking, False)
        self.setProperty("noEnlarge", True)  # a double-click here draws a dot; it must not zoom the panel

    # ------------------------------------------------------------------ public
    def is_empty(self) -> bool:
        return not self._has_ink

    def canvas_array(self) -> np.ndarray:
        """``(CANVAS, CANVAS) float32`` ink in [0, 1] (a copy)."""
        return qimage_gray_array(self._canvas).astype(np.float32) / 255.0

    def canvas_image(self) -> QtGui.QImage:
        return self._canvas.copy()

    def clear(self) -> None:
        self._canvas.fill(0)
        self._has_ink = False
        self._last = None
        self.update()

    def begin_stroke(self, pos: QtCore.QPointF) -> None:
        """Put the pen down at canvas position ``pos`` (a dot if it is lifted again at once)."""
        self._last = QtCore.QPointF(pos)
        self._paint_segment(pos, pos)

    def extend_stroke(self, pos: QtCore.QPointF) -> None:
        """Draw from the last pen position to canvas position ``pos``."""
        if self._last is None:
            return
        self._paint_segment(self._last, pos)
        self._last = QtCore.QPointF(pos)

    def end_stroke(self) -> None:
        if self._last is None:
            return
        self._last = None
        self.strokeFinished.emit()

    def canvas_to_widget(self, pos: QtCore.QPointF) -> QtCore.QPointF:
        """Widget coordinates of canvas position ``pos`` (for tests that drive the mouse)."""
        square = self._square()
        s = square.width() / CANVAS
        return QtCore.QPointF(square.left() + pos.x() * s, square.top() + pos.y() * s)

    def widget_to_canvas(self, pos: QtCore.QPointF) -> QtCore.QPointF:
        square = self._square()
        s = CANVAS / square.width()
        return QtCore.QPointF((pos.x() - square.left()) * s, (pos.y() - square.top()) * s)

    # ------------------------------------------------------------------ drawing
    def _paint_segment(self, a: QtCore.QPointF, b: QtCore.QPointF) -> None:
        painter = QtGui.QPainter(self._canvas)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(stroke_pen())
        if a == b:
            painter.drawPoint(a)
        else:
            painter.drawLine(a, b)
        painter.end()
        self._has_ink = True
        self.update()
        self.strokeMoved.emit()

    def _square(self) -> QtCore.QRectF:
        """The area of the widget the canvas is drawn in: the largest centred square."""
        side = max(1.0, min(self.width(), self.height()) - 4.0)
        return QtCore.QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor(style.LIGHT_GREY))
        paper = self._canvas.copy()
        paper.invertPixels()  # stored as ink = 255 (what to_mnist wants); shown as black on white
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        square = self._square()
        painter.drawImage(square, paper)
        painter.setPen(QtGui.QPen(QtGui.QColor(style.DARK_GREY), 2))
        painter.drawRect(square)
        if not self._has_ink:
            painter.setPen(QtGui.QColor(style.GREY))
            painter.setFont(style.font(style.LABEL_PT))
            painter.drawText(square, QtCore.Qt.AlignmentFlag.AlignCenter, tr("draw here"))
        painter.end()

    # ------------------------------------------------------------------ events
    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        if event.button() == QtCore.Qt.MouseButton.LeftButton:
            self.begin_stroke(self.widget_to_canvas(event.position()))
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        if self._last is not None and event.buttons() & QtCore.Qt.MouseButton.LeftButton:
            self.extend_stroke(self.widget_to_canvas(event.position()))
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:
        if event.button() == QtCore.Qt.MouseButton.LeftButton:
            self.end_stroke()
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QtGui.QTabletEvent) -> None:
        # Handled here (and accepted) so Qt does not also synthesize mouse events for the pen.
        pos = self.widget_to_canvas(event.position())
        kind = event.type()
        if kind == QtCore.QEvent.Type.TabletPress:
            self.begin_stroke(pos)
        elif kind == QtCore.QEvent.Type.TabletMove and self._last is not None:
            self.extend_stroke(pos)
        elif kind == QtCore.QEvent.Type.TabletRelease:
            self.end_stroke()
        event.accept()


def stroke_pen() -> QtGui.QPen:
    """The pad's pen: white ink, ``PEN_WIDTH`` canvas pixels, round caps and joins."""
    return QtGui.QPen(QtGui.QColor(255, 255, 255), PEN_WIDTH, QtCore.Qt.PenStyle.SolidLine,
                      QtCore.Qt.PenCapStyle.RoundCap, QtCore.Qt.PenJoinStyle.RoundJoin)


def qimage_gray_array(image: QtGui.QImage) -> np.ndarray:
    """``(h, w) uint8`` copy of a ``Format_Grayscale8`` QImage (rows may be padded in memory)."""
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return raw.reshape(h, stride)[:, :w].copy()


class DrawingPanel(QtWidgets.QWidget):
    """Draw a digit; see it as the network sees it (28x28) and the network's answer.

    Signals:
        pinRequested(object): the drawing as a ``(784,) float32`` network input in [0, 1], for the
            window to add to the probe strip ("Pin to probes"; disabled while the pad is empty).
    """

    pinRequested = QtCore.Signal(object)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._snap: Snapshot | None = None
        self._input: np.ndarray | None = None  # (784,) float32
        self._probs: np.ndarray | None = None  # (10,)
        self._hidden: np.ndarray | None = None  # (H,)
        self._live = qthrottled(self._on_live_tick, timeout=round(LIVE_INTERVAL * 1000), parent=self)
        self._build()
        self._update_input()

    # ------------------------------------------------------------------ public
    def draw_stroke(self, points: list[tuple[float, float]]) -> None:
        """Draw one stroke through canvas points ``[(x, y), ...]`` (0..280, y down) exactly as the
        mouse would: pen down at the first point, lines to the others, pen up."""
        if not points:
            return
        self.pad.begin_stroke(QtCore.QPointF(*points[0]))
        for p in points[1:]:
            self.pad.extend_stroke(QtCore.QPointF(*p))
        self.pad.end_stroke()

    def clear(self) -> None:
        """Erase the drawing and its answer (the Clear button). As the panel contract's reset hook
        it also erases the drawing; a window that wants the drawing to survive a training reset can
        simply not call it: the next snapshot recomputes the answer from the new network."""
        self.pad.clear()
        self._live.cancel()
        self._update_input()

    def network_input(self) -> np.ndarray | None:
        """The ``(784,) float32`` input the network gets (``to_mnist`` of the pad), or None if empty."""
        return None if self._input is None else self._input.copy()

    def probabilities(self) -> np.ndarray | None:
        """``(10,)`` softmax the bars show, or None (nothing drawn, no network, or outputs that are not finite)."""
        return None if self._probs is None else self._probs.copy()

    def hidden_activations(self) -> np.ndarray | None:
        """``(H,)`` first-hidden-layer activations shown, or None."""
        return None if self._hidden is None else self._hidden.copy()

    def message(self) -> str:
        """The headline now shown, e.g. ``"Draw a digit in the box"`` or ``"The network says 7 (93%)"``."""
        return self._message.text()

    def answer(self) -> int | None:
        """The digit the network now reads in the drawing, or None (nothing drawn, no network)."""
        return None if self._probs is None else int(self._probs.argmax())

    def displayed_heights(self) -> np.ndarray:
        return np.asarray(self._bars.opts["height"], dtype=np.float64)

    def show_snapshot(self, snap: Snapshot) -> None:
        """Recompute the answer with ``snap``'s parameters (one ``(1, 784)`` forward pass)."""
        self._snap = snap
        self._refresh_answer()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self.pad = DrawingPad()
        self.pad.strokeMoved.connect(self._on_stroke_moved)
        self.pad.strokeFinished.connect(self._on_stroke_finished)
        self.clear_button = QtWidgets.QPushButton(tr("Clear"))
        self.pin_button = QtWidgets.QPushButton(tr("Pin to probes"))
        self.pin_button.setToolTip(tr("Add this drawing to the probe digits, to watch it during training"))
        for button in (self.clear_button, self.pin_button):
            button.setFont(style.font(style.LABEL_PT))
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self.pin_button.clicked.connect(self._on_pin_clicked)
        self._message = info_label("", style.TITLE_PT + 4, bold=True)

        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.pin_button)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.pad, 1)
        left.addLayout(buttons)
        right = QtWidgets.QGridLayout()
        seen_caption = info_label(tr("What the network sees (28×28)"), style.LABEL_PT)
        right.addWidget(captioned(seen_caption, self._build_seen()), 0, 0)
        right.addWidget(captioned(info_label(tr("Its answer (softmax)"), style.LABEL_PT), self._build_bars()), 0, 1)
        right.addWidget(self._build_hidden(), 1, 0, 1, 2)
        right.setColumnStretch(0, 2)
        right.setColumnStretch(1, 3)
        right.setRowStretch(0, 3)
        right.setRowStretch(1, 2)
        body = QtWidgets.QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 5)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        # One heading, and it is the answer: "Draw a digit in the box", then "The network says 7 (93% sure)".
        layout.addWidget(self._message)
        layout.addLayout(body, 1)

    def _build_seen(self) -> pg.GraphicsLayoutWidget:
        graphics = style.graphics_widget()
        graphics.setMinimumSize(80, 80)
        self._seen_view = style.image_view_box()
        self._seen_view.setBorder(pg.mkPen(style.DARK_GREY, width=1))
        graphics.addItem(self._seen_view)
        self._seen = pg.ImageItem(np.zeros((SIDE, SIDE), np.float32), axisOrder="row-major", levels=(0.0, 1.0),
                                  lut=ink_lut())
        self._seen_view.addItem(self._seen)
        self._seen_view.setRange(xRange=(0, SIDE), yRange=(0, SIDE), padding=0.0)
        return graphics

    def _build_bars(self) -> pg.GraphicsLayoutWidget:
        graphics = style.graphics_widget()
        _, self._bars = digit_bar_plot(graphics, 0, 0, tr("probability"))
        return graphics

    def _build_hidden(self) -> pg.GraphicsLayoutWidget:
        graphics = style.graphics_widget()
        graphics.setMinimumHeight(130)  # title, axis and some bars even when the panel is short
        self._hidden_plot = graphics.addPlot()
        style.style_plot(self._hidden_plot, bottom=tr("hidden unit"))
        # No y-axis label: on a short plot it was cut ("activ…"); the title says what the bars are,
        # and the axis carries two ticks, 0 and the largest activation, which never overlap.
        self._hidden_plot.setTitle(tr("Hidden-layer activations for this drawing"), size=f"{style.LABEL_PT}pt",
                                   color=style.FOREGROUND)
        self._hidden_plot.setMouseEnabled(x=False, y=False)
        self._hidden_plot.hideButtons()
        self._hidden_bars = style.unit_bars(self._hidden_plot)
        return graphics

    # ------------------------------------------------------------------ computing
    def _update_input(self) -> None:
        """Preprocess the pad the MNIST way and recompute the answer."""
        try:
            self._input = to_mnist(self.pad.canvas_array()) if not self.pad.is_empty() else None
        except EmptyDrawingError:
            self._input = None  # ink fainter than the threshold counts as nothing drawn
        image = np.zeros((SIDE, SIDE), np.float32) if self._input is None else self._input.reshape(SIDE, SIDE)
        self._seen.setImage(image, autoLevels=False, levels=(0.0, 1.0))
        self.pin_button.setEnabled(self._input is not None)
        self._refresh_answer()

    def _refresh_answer(self) -> None:
        answer = None
        if self._input is not None and self._snap is not None:
            answer = network_answer(self._snap, self._input[None, :])
        if answer is None:
            self._probs = self._hidden = None
            self._bars.setOpts(height=np.zeros(N_CLASSES))
            style.show_units(self._hidden_bars, None)
            self._set_hidden_ticks(0.0)
            set_text(self._message, tr(self._why_no_answer()))
            return
        self._probs, self._hidden = answer[0][0], answer[1][0]
        top = int(self._probs.argmax())
        brushes = [pg.mkBrush(style.GREY)] * N_CLASSES
        brushes[top] = pg.mkBrush(style.BLUE)
        self._bars.setOpts(height=self._probs, brushes=brushes)
        style.show_units(self._hidden_bars, self._hidden)
        self._set_hidden_ticks(float(np.max(self._hidden, initial=0.0)))
        set_text(self._message, tr("The network says {top} ({p} sure)").format(
            top=top, p=format_percent(self._probs[top], 0)))

    def refresh_texts(self) -> None:
        """Rewrite the headline (the answer or why there is none) in the current language, after a
        language switch: it is kept between snapshots and is in no catalog once it holds a number."""
        self._refresh_answer()
        self.pad.update()  # "draw here" is painted in the current language

    def _set_hidden_ticks(self, largest: float) -> None:
        ticks = [(0.0, "0")] + ([(largest, f"{largest:.2g}")] if largest > 0 else [])
        self._hidden_plot.getAxis("left").setTicks([ticks, []])

    def _why_no_answer(self) -> str:
        if self._input is None:
            return EMPTY_MESSAGE
        if self._snap is None or len(self._snap.params) < 4:
            return NO_NETWORK_MESSAGE
        return DIVERGED_MESSAGE

    # ------------------------------------------------------------------ events
    def _on_stroke_moved(self) -> None:
        self._live()  # live answer while drawing, at most every LIVE_INTERVAL

    def _on_live_tick(self) -> None:
        self._update_input()

    def _on_stroke_finished(self) -> None:
        self._live.cancel()
        self._update_input()

    def _on_clear_clicked(self) -> None:
        self.clear()

    def _on_pin_clicked(self) -> None:
        if self._input is not None:
            self.pinRequested.emit(self._input.copy())
