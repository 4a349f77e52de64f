"""Toast: a message over the bottom of the panels for a while, instead of over the status line.

Qt's status bar shows a message *in place of* its widgets: for 10-15 s after "Session saved" or a
restore the room lost the status line (state, epoch, accuracy). The window keeps calling
``statusBar().showMessage`` as before; ``Toast.follow`` takes each message off the status bar at once
and shows it here, on a solid band above the status line, in the same large bold type.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from mnist_viz.gui import style

DEFAULT_MS = 15_000
MARGIN = 8  # px between the band and the window's edges


class Toast(QtWidgets.QLabel):
    """A word-wrapped band over the bottom of ``parent`` (the window's central widget)."""

    def __init__(self, parent: QtWidgets.QWidget):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setFont(style.font(style.LABEL_PT, bold=True))
        self.setAutoFillBackground(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.Box)
        self.setMargin(6)
        self.setBackgroundRole(self.palette().ColorRole.ToolTipBase)
        self.setForegroundRole(self.palette().ColorRole.ToolTipText)
        self.hide()
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        parent.installEventFilter(self)  # follow the parent's size

    def follow(self, bar: QtWidgets.QStatusBar, ms: int = DEFAULT_MS) -> None:
        """Show every message ``bar`` is given here instead, for ``ms`` milliseconds."""
        def take(text: str) -> None:
            if text:
                self.show_message(text, ms)
                # the status line back on the next turn of the event loop (cleared inside this
                # emission, the message never reached the bar's other listeners)
                QtCore.QTimer.singleShot(0, bar.clearMessage)
        bar.messageChanged.connect(take)

    def show_message(self, text: str, ms: int = DEFAULT_MS) -> None:
        self.setText(text)
        self._place()
        self.show()
        self.raise_()
        self._timer.start(ms)

    def mousePressEvent(self, event) -> None:  # a click dismisses it
        self.hide()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        width = max(100, parent.width() - 2 * MARGIN)
        self.setFixedWidth(width)
        self.setFixedHeight(self.heightForWidth(width))
        self.move(MARGIN, parent.height() - self.height() - MARGIN)
