"""Small widget builders shared by the panels: explanatory labels, captions, the digit bar plot and
the weight-colour legend row. Colours and fonts come from ``style``."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.analysis import N_CLASSES
from mnist_viz.core.i18n import tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.gui import style


def info_label(text: str = "", point_size: int = style.SMALL_PT + 1, bold: bool = False) -> QtWidgets.QLabel:
    """A word-wrapped explanatory label in the panels' font."""
    label = QtWidgets.QLabel(text)
    label.setFont(style.font(point_size, bold))
    label.setWordWrap(True)
    return label


def reserve_lines(label: QtWidgets.QLabel, lines: int) -> QtWidgets.QLabel:
    """Keep room for ``lines`` lines of ``label``'s text. A word-wrapped label's minimum height is
    one line, so a page fitted to its minimum squeezed a wrapped caption over the picture below it
    (the Unit tab at 1080p); with the room reserved, the page scrolls instead."""
    label.setMinimumHeight(lines * QtGui.QFontMetrics(label.font()).lineSpacing() + 2)
    return label


def rewrite_due(snap: Snapshot, now: float, shown_at: float, interval: float) -> bool:
    """Whether a line of live numbers last written at ``shown_at`` (seconds, monotonic) is written
    again for ``snap`` at ``now``: at most every ``interval`` while training runs (numbers changing
    33 times a second are a blur), at once when it pauses, stops or diverges (the last ones must show).
    Lines paced by it from the same snapshots change together."""
    return not snap.loop.playing or bool(snap.diverged) or now - shown_at >= interval


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
    """A fixed, mouse-inert plot with one bar per digit 0-9 (digits on the bottom axis); fill the
    bars with ``setOpts(height=(10,) values)``."""
    plot = graphics.addPlot(row=row, col=col)
    style.style_plot(plot, left=left, bottom=tr("digit"))
    plot.showGrid(x=False, y=True, alpha=0.25)
    plot.getAxis("bottom").setTicks([[(d, str(d)) for d in range(N_CLASSES)]])
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setRange(xRange=(-0.6, N_CLASSES - 0.4), yRange=y_range, padding=0.02)
    bars = pg.BarGraphItem(x=np.arange(N_CLASSES), height=np.zeros(N_CLASSES), width=0.75,
                           brushes=[pg.mkBrush(style.GREY)] * N_CLASSES, pen=None)
    plot.addItem(bars)
    return plot, bars


class GradientStrip(QtWidgets.QWidget):
    """The diverging map as a horizontal strip that takes the width it is given (140 px when there is
    room, down to 48 px on a 1024-px screen, where a fixed 140-px picture made the window too wide)."""

    PREFERRED, MINIMUM, HEIGHT = 140, 48, 16

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(self.MINIMUM, self.HEIGHT)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(self.PREFERRED, self.HEIGHT)

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:
        QtGui.QPainter(self).drawPixmap(self.rect(), style.colour_bar_gradient(max(1, self.width()), self.HEIGHT))


def legend_row(text_left: str | None = None,
               text_right: str | None = None) -> tuple[QtWidgets.QWidget, QtWidgets.QLabel]:
    """``− negative [blue-white-red strip] positive +   <info>``; returns the row and its info label.
    The info text changes while training: it gets the row's leftover width (cut at the right edge if
    need be), so it never changes the panel's width nor the window's column widths. The ends say
    "− negative" and "positive +" unless told otherwise (in the current language)."""
    row = QtWidgets.QWidget()
    layout = QtWidgets.QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    left = info_label(tr("− negative") if text_left is None else text_left)
    right = info_label(tr("positive +") if text_right is None else text_right)
    info = info_label()
    for label in (left, right, info):
        label.setWordWrap(False)
    info.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
    layout.addWidget(left)
    layout.addWidget(GradientStrip(), 1)
    layout.addWidget(right)
    layout.addSpacing(12)
    layout.addWidget(info, 2)
    return row, info


class WheelOnlyWhenFocused(QtCore.QObject):
    """Event filter: a combo box, spin box or slider takes the mouse wheel only once it has focus
    (a click or Tab). Otherwise the wheel scrolls the column it sits in, as in a browser form:
    scrolling the controls past the Activation box turned it to "sigmoid" and offered a restart."""

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() != QtCore.QEvent.Type.Wheel or not isinstance(watched, QtWidgets.QWidget) \
                or watched.hasFocus():
            return False
        area = watched.parentWidget()
        while area is not None and not isinstance(area, QtWidgets.QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:
            QtCore.QCoreApplication.sendEvent(area.viewport(), event)
        return True


def guard_wheel(root: QtWidgets.QWidget) -> WheelOnlyWhenFocused:
    """Apply ``WheelOnlyWhenFocused`` to every combo box, spin box and slider under ``root``; the
    filter is parented to ``root`` (returned for tests)."""
    guard = WheelOnlyWhenFocused(root)
    for kind in (QtWidgets.QComboBox, QtWidgets.QAbstractSpinBox, QtWidgets.QAbstractSlider):
        for widget in root.findChildren(kind):
            widget.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)  # a wheel no longer focuses it
            widget.installEventFilter(guard)
    return guard

