"""The trouble banner: training stopped by the guard (a NaN/inf step refused) or the watchdog (the loss
exploded, accuracy collapsed to chance, a layer died), said in plain words, with the ways out."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from mnist_viz.core.i18n import tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.gui import style
from mnist_viz.gui.widgets import set_text

COMPACT_BELOW = 900  # px of screen height below which the banner shows headline and buttons only


class DivergenceBanner(QtWidgets.QFrame):
    """A plain-language notice of why training stopped, with the ways out.

    Signals:
        restoreClicked(): go back to the best recent weights.
        restoreLowerClicked(): the same, with a lower learning rate (``Trainer.restore_last_good``).
    """

    restoreClicked = QtCore.Signal()
    restoreLowerClicked = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("divergenceBanner")
        # Black on pale orange: readable on a washed-out projector, not a red/green cue.
        self.setStyleSheet("#divergenceBanner { background: #FCE3B0; border: 3px solid #E69F00; }"
                           "#divergenceBanner QLabel { color: black; }")
        # A bold headline the back row reads, the numbers under it smaller, the ways out in a row
        # beneath: side by side with the buttons, the text took 13 lines at 1024x768 and pushed the
        # curves and the status line off the screen.
        self.headline = QtWidgets.QLabel()
        self.headline.setWordWrap(True)
        self.headline.setFont(style.font(style.LABEL_PT, bold=True))
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setFont(style.font(style.SMALL_PT + 1))
        self.restore_button = QtWidgets.QPushButton(tr("Restore best recent weights"))
        self.restore_button.setToolTip(tr("Go back to the best of the recently kept weights (scored on 2,000 "
                                          "evaluation images), same learning rate"))
        self.restore_lower_button = QtWidgets.QPushButton(tr("Lower learning rate and restore"))
        self.restore_lower_button.setToolTip(tr("Divide the learning rate by 10 (or go back to the rate the "
                                                "restored weights were trained with, if that is lower), restore "
                                                "them, continue"))
        for button in (self.restore_button, self.restore_lower_button):
            button.setFont(style.font(style.LABEL_PT))
            button.setMinimumHeight(36)
        self.restore_button.clicked.connect(self.restoreClicked)
        self.restore_lower_button.clicked.connect(self.restoreLowerClicked)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.restore_lower_button)
        buttons.addWidget(self.restore_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        layout.addWidget(self.headline)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.compact = False
        self.hide()

    def show_snapshot(self, snap: Snapshot) -> None:
        if snap.trouble is not None:
            self.show_message(snap.trouble.headline, snap.trouble.detail)
        else:
            self.show_message(snap.diverged)

    def clear(self) -> None:
        self.show_message("")

    def show_message(self, headline: str, detail: str = "") -> None:
        """Show ``headline`` (bold) over ``detail``; an empty headline hides the banner. On a screen
        less than ``COMPACT_BELOW`` pixels high the banner is ``compact``: the detail goes to the
        headline's tooltip (its lines pushed the status line off a 768-pixel projector) and the
        window gives the banner the look-back slider's room."""
        if not headline and not detail and self.isHidden() and not self.headline.text() and not self.message.text():
            return  # the usual frame: nothing went wrong, and nothing is shown (~0.1 ms of widget calls)
        screen = self.screen()
        compact = screen is not None and screen.availableGeometry().height() < COMPACT_BELOW
        self.compact = compact
        set_text(self.headline, headline)
        self.headline.setToolTip(detail)
        set_text(self.message, detail)
        self.message.setVisible(bool(detail) and not compact)
        self.setVisible(bool(headline))
