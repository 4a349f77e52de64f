"""MetricCards: the run's key numbers as a row of cards, large enough to read from the back of a hall.

The status line says everything in one line of label-sized text; a lecturer pointing at "test
accuracy" wants one big number to point at. Each card is a caption and a value; the values come
only from the snapshot (never computed from what the window guesses), and a value the run does not
have yet (no evaluation so far) reads "—", not 0.

Cards: epoch, learning rate (after any decay: what the optimizer uses now), training loss (mean of
the batches since the previous snapshot, smoothed), test (or validation) loss and accuracy (the
latest evaluation: the same images each time), the accuracy on the training batches seen since the
evaluation before it, and the time an epoch takes now (wall clock, ``RunClock``'s rate over the last
seconds of training: with a slow pace it reads the pace, e.g. 30 s, not the compute time).
"""
from __future__ import annotations

import math
import time

import numpy as np
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.i18n import N_, format_number, format_percent, format_significant, tr
from mnist_viz.core.snapshot import EVAL_COLUMNS, STEP_COLUMNS, Snapshot
from mnist_viz.gui import style
from mnist_viz.gui.run_clock import RunClock
from mnist_viz.gui.widgets import rewrite_due, set_text

VALUE_PT = style.TITLE_PT + 6  # the key numbers: ~32 px tall at 1080p, the titles' size and more
CAPTION_PT = style.SMALL_PT
LOSS = STEP_COLUMNS.index("loss")
EVAL_LOSS, EVAL_ACC, TRAIN_ACC = (EVAL_COLUMNS.index(c) for c in ("eval_loss", "eval_accuracy", "train_accuracy"))
RECENT_ROWS = 50  # batches a snapshot's training loss is taken from, at most
LOSS_SMOOTHING = 0.3  # weight of the newest snapshot's mean batch loss (snapshots arrive ~30/s)
CARDS = (("epoch", N_("epoch")), ("lr", N_("learning rate")), ("train_loss", N_("training loss")),
         ("eval_loss", N_("test loss")), ("eval_accuracy", N_("test accuracy")),
         ("train_accuracy", N_("on training batches")), ("epoch_time", N_("time per epoch")))
NO_VALUE = "—"
# Numbers that change 33 times a second cannot be read, and each changed QLabel re-lays out its row
# (measured: the GUI thread's share rose from ~0.5 to ~0.6 of a core with the cards at frame rate).
REFRESH_INTERVAL = 0.25  # s between two updates of the cards' text


class _Card(QtWidgets.QFrame):
    def __init__(self, caption: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.caption = QtWidgets.QLabel(tr(caption))
        self.caption.setFont(style.font(CAPTION_PT))
        self.value = QtWidgets.QLabel(NO_VALUE)
        self.value.setFont(style.font(VALUE_PT, bold=True))
        for label in (self.caption, self.value):
            label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(0)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)


class MetricCards(QtWidgets.QWidget):
    """A row of ``CARDS``; ``show_snapshot`` fills them, ``clear`` empties them (a new run)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.cards = {key: _Card(caption) for key, caption in CARDS}
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 2)
        layout.setSpacing(6)
        for card in self.cards.values():
            layout.addWidget(card, 1)
        self._train_loss = math.nan
        self._last_eval: np.ndarray | None = None  # (len(EVAL_COLUMNS),) the latest evaluation row
        self._run_clock = RunClock()
        self._epoch_time = math.nan
        self.clock = time.monotonic  # tests replace it
        self._shown_at = -math.inf

    def value(self, key: str) -> str:
        """The text a card shows now (tests read it)."""
        return self.cards[key].value.text()

    def clear(self) -> None:
        self._train_loss = math.nan
        self._last_eval = None
        self._run_clock = RunClock()
        self._epoch_time = math.nan
        self._shown_at = -math.inf
        for card in self.cards.values():
            set_text(card.value, NO_VALUE)

    def show_snapshot(self, snap: Snapshot) -> None:
        """Take in every snapshot (the losses and evaluations it carries); refresh the text at most
        every ``REFRESH_INTERVAL``, and at once when training pauses or stops."""
        self._follow(snap)
        now = self.clock()
        if not rewrite_due(snap, now, self._shown_at, REFRESH_INTERVAL):
            return
        self._shown_at = now
        self.rewrite(snap)

    def rewrite(self, snap: Snapshot) -> None:
        """Write every caption and value for ``snap`` now (also after a language switch: the
        numbers' separators change with it), without taking its losses in again."""
        for key, caption in CARDS:
            set_text(self.cards[key].caption, tr(caption))
        validation = snap.eval_split != "test"
        set_text(self.cards["eval_loss"].caption, tr("validation loss") if validation else tr("test loss"))
        set_text(self.cards["eval_accuracy"].caption, tr("validation accuracy") if validation else tr("test accuracy"))
        for key, text in self.texts(snap).items():
            set_text(self.cards[key].value, text)

    def _follow(self, snap: Snapshot) -> None:
        if len(snap.new_steps):
            # A loaded session's first snapshot replays its whole history: only its newest rows say
            # where training is now (the mean of all of them read 65.7 after a blow-up long past).
            losses = snap.new_steps[-RECENT_ROWS:, LOSS]
            mean = float(np.mean(losses[np.isfinite(losses)])) if np.isfinite(losses).any() else math.nan
            if math.isnan(self._train_loss) or not math.isfinite(mean) or len(snap.new_steps) > RECENT_ROWS:
                self._train_loss = mean
            else:
                self._train_loss += LOSS_SMOOTHING * (mean - self._train_loss)
        if len(snap.new_evals):
            self._last_eval = np.asarray(snap.new_evals[-1])
        self._measure_pace(snap)

    def _measure_pace(self, snap: Snapshot) -> None:
        """Wall seconds per epoch: the images of an epoch over ``RunClock``'s samples per second;
        while paused there is no rate, and the last value stays until training goes on."""
        self._run_clock.observe(snap, self.clock())
        rate = self._run_clock.samples_per_second
        if rate and snap.epoch > 0:
            self._epoch_time = (snap.samples / snap.epoch) / rate

    def texts(self, snap: Snapshot) -> dict[str, str]:
        """What each card reads for ``snap`` (after ``_follow``)."""
        lr = snap.settings.lr if math.isnan(snap.effective_lr) else snap.effective_lr
        row = self._last_eval
        return {"epoch": format_number(snap.epoch, 2), "lr": format_significant(lr, 3),
                "train_loss": _number(self._train_loss),
                "eval_loss": NO_VALUE if row is None else _number(row[EVAL_LOSS]),
                "eval_accuracy": NO_VALUE if row is None else _percent(row[EVAL_ACC]),
                "train_accuracy": NO_VALUE if row is None else _percent(row[TRAIN_ACC]),
                "epoch_time": _seconds(self._epoch_time) if math.isfinite(self._epoch_time) else NO_VALUE}


def _number(x: float) -> str:
    """Three decimals (a loss of 0.001 shows); from 1,000 on, four significant digits, so that a
    diverging loss fits its card ("1.235e+12", not ",290,407,00" cut at both sides)."""
    if not math.isfinite(x):
        return NO_VALUE
    return format_number(x, 3) if abs(x) < 1000 else format_significant(x, 4)


def _percent(x: float) -> str:
    return format_percent(x, 1) if math.isfinite(x) else NO_VALUE


def _seconds(s: float) -> str:
    if s >= 120:
        return tr("{n} min").format(n=format_number(s / 60, 0))
    return tr("{n} s").format(n=format_number(s, 2) if s < 10 else format_number(s, 0))
