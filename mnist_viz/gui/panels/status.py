"""The status line under the panels: what training is doing, in one large line.

Its speed and its training time are measured here, on the wall clock, from successive snapshots
(``RunClock``). The trainer's own ``samples_per_second`` and ``elapsed`` count only the time spent
inside ``Trainer.step``: under a 10 steps/s limit a step takes ~2 ms and the loop sleeps the rest,
so they read "41,450 samples/s" and "0:00 trained" after 8 s of training at a real ~1,280 samples/s.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6 import QtWidgets

from mnist_viz.core.i18n import N_, format_int, format_number, format_percent, format_significant, tr
from mnist_viz.core.snapshot import Snapshot, eval_split_name
from mnist_viz.gui import style
from mnist_viz.gui.run_clock import RunClock

REFRESH_INTERVAL = 0.25  # s between two rewrites of the line while training runs
IDLE_TEXT = N_("❚❚ Paused — press Start (Space)")  # shown through tr()


def _format_duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def status_text(snap: Snapshot, playing: bool, samples_per_second: float | None = None,
                trained_seconds: float | None = None) -> str:
    """The status line: state, epoch, step (of a preset's budget), throughput while running (with
    the speed limit, if any), training time, learning rate, accuracy.

    ``samples_per_second`` and ``trained_seconds`` are the wall-clock measures of ``RunClock``;
    without them the trainer's own are used (time inside the training steps only)."""
    reason = snap.trouble.label if snap.trouble else tr("see the banner")
    state = (tr("⚠ Stopped: {reason}").format(reason=reason) if snap.diverged
             else tr("● Running") if playing else tr("❚❚ Paused"))
    lr = snap.settings.lr if math.isnan(snap.effective_lr) else snap.effective_lr
    acc = "" if math.isnan(snap.last_eval_accuracy) else "     " + tr("{split} acc {accuracy}").format(
        split=eval_split_name(snap.eval_split), accuracy=format_percent(snap.last_eval_accuracy, 1))
    preset = snap.loop.budget  # the recipe whose budget the run trains, or None
    of_epochs = (tr(" of {n}").format(n=f"{preset.epochs:g}")
                 if preset is not None and preset.epochs is not None else "")
    of_steps = (tr(" of {n}").format(n=format_int(preset.iterations))
                if preset is not None and preset.iterations is not None else "")
    trained = snap.elapsed if trained_seconds is None else trained_seconds
    epoch = tr("epoch {epoch}").format(epoch=format_number(snap.epoch, 2))
    step = tr("step {step}").format(step=format_int(snap.step))
    return (f"{state}     {epoch}{of_epochs}     {step}{of_steps}     "
            f"{_speed_text(snap, playing, samples_per_second)}"
            f"{tr('{duration} trained').format(duration=_format_duration(trained))}     "
            f"lr {format_significant(lr, 3)}{acc}")


def _speed_text(snap: Snapshot, playing: bool, samples_per_second: float | None) -> str:
    """``"1,280 samples/s (limited)     "`` (the pace in the controls sets it), or ``""`` while
    paused: a paused run trains no samples, and its last speed would read as a current one."""
    if not playing:
        return ""
    limit = snap.loop.speed_limit
    if samples_per_second is None:
        if limit > 0:  # the trainer's own rate ignores the limit's sleeps: better nothing than that
            return tr("limit {n} steps/s").format(n=f"{limit:.3g}") + "     "
        samples_per_second = snap.samples_per_second  # at full speed close to the real one
    limited = tr(" (limited)") if limit > 0 else ""  # short: the line is cut at its end on a narrow screen
    return tr("{n} samples/s").format(n=format_number(samples_per_second, 0)) + f"{limited}     "


class StatusLine(QtWidgets.QLabel):
    """``status_text`` of the latest snapshot, in the label font, bold: the back row reads the state,
    the epoch and the accuracy from here. On a narrow screen the end of the line is cut rather than
    the window pushed wider.

    ``clock`` (seconds, monotonic) times the snapshots' arrivals; tests replace it."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(tr(IDLE_TEXT), parent)
        self.setFont(style.font(style.LABEL_PT, bold=True))
        self.setMinimumWidth(1)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.clock: Callable[[], float] = time.monotonic
        self.run_clock = RunClock()
        self._shown_state: tuple | None = None  # (run, playing, stopped) the text was last written for
        self._shown_at = -math.inf

    def show_snapshot(self, snap: Snapshot) -> None:
        """Time every snapshot; rewrite the line at most every ``REFRESH_INTERVAL`` while training
        runs (a step count changing 33 times a second is a blur, and each new text re-lays out the
        status bar), at once when the state changes."""
        now = self.clock()
        self.run_clock.observe(snap, now)
        state = (snap.loop.run_id, snap.loop.playing, bool(snap.diverged))
        if state == self._shown_state and now - self._shown_at < REFRESH_INTERVAL:
            return
        self._shown_state, self._shown_at = state, now
        self.setText(status_text(snap, snap.loop.playing, self.run_clock.samples_per_second,
                                 self.run_clock.trained_seconds))

    def clear(self) -> None:
        self._shown_state = None
        self.setText(tr(IDLE_TEXT))

    def rewrite(self, snap: Snapshot | None) -> None:
        """Write the line for ``snap`` again now (after a language switch), without timing it;
        ``None``: the idle text."""
        if snap is None:
            self.setText(tr(IDLE_TEXT))
            return
        self.setText(status_text(snap, snap.loop.playing, self.run_clock.samples_per_second,
                                 self.run_clock.trained_seconds))
