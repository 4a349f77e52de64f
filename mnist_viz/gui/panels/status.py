"""The status line under the panels: what training is doing, in one large line."""
from __future__ import annotations

import math

from PySide6 import QtWidgets

from mnist_viz.core.snapshot import Snapshot
from mnist_viz.gui import style

IDLE_TEXT = "❚❚ Paused — press Start (Space)"


def _format_duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def status_text(snap: Snapshot, playing: bool) -> str:
    """The status line: state, epoch, step (of a preset's budget), throughput while running,
    training time, learning rate, accuracy."""
    state = (f"⚠ Stopped: {snap.trouble.label if snap.trouble else 'see the banner'}" if snap.diverged
             else "● Running" if playing else "❚❚ Paused")
    lr = snap.settings.lr if math.isnan(snap.effective_lr) else snap.effective_lr
    acc = "" if math.isnan(snap.last_eval_accuracy) else f"     {snap.eval_split} acc {snap.last_eval_accuracy:.1%}"
    preset = snap.loop.budget  # the recipe whose budget the run trains, or None
    # A paused run trains no samples: its last speed would read as a current one.
    speed = f"{snap.samples_per_second:,.0f} samples/s     " if playing else ""
    of_epochs = f" of {preset.epochs:g}" if preset is not None and preset.epochs is not None else ""
    of_steps = f" of {preset.iterations:,}" if preset is not None and preset.iterations is not None else ""
    return (f"{state}     epoch {snap.epoch:.2f}{of_epochs}     step {snap.step:,}{of_steps}     "
            f"{speed}{_format_duration(snap.elapsed)} trained     "
            f"lr {lr:.3g}{acc}")


class StatusLine(QtWidgets.QLabel):
    """``status_text`` of the latest snapshot, in the label font, bold: the back row reads the state,
    the epoch and the accuracy from here. On a narrow screen the end of the line is cut rather than
    the window pushed wider."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(IDLE_TEXT, parent)
        self.setFont(style.font(style.LABEL_PT, bold=True))
        self.setMinimumWidth(1)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)

    def show_snapshot(self, snap: Snapshot) -> None:
        self.setText(status_text(snap, snap.loop.playing))

    def clear(self) -> None:
        self.setText(IDLE_TEXT)
