"""TimelinePanel: scrub back through the run ("what did the weights look like at step 200?") and
return to live with one click.

The snapshots are kept by ``core.timeline.Timeline``, whose memory stays bounded however long the
run: when full it drops every second snapshot, so the record always spans the whole run.

What the record holds is said plainly: a loaded session brings its curves' whole history (steps
0..N) but the weights of step N only, so the panel then shows the run's extent next to the one
moment that can be looked at ("loaded session: weights saved for step N only"), rather than a
slider that pretends the run was one snapshot long.
"""
from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.i18n import format_int, format_number, tr
from mnist_viz.core.snapshot import EVAL_COLUMNS, STEP_COLUMNS, Snapshot
from mnist_viz.core.timeline import Timeline
from mnist_viz.gui import style
from mnist_viz.gui.widgets import info_label, rewrite_due, set_text
from mnist_viz.runtime.memory import return_free_heap

POSITION_INTERVAL = 0.25  # s: "● LIVE  step N" rewritten at most 4 times a second, as the status line
_NO_STEPS = np.zeros((0, len(STEP_COLUMNS)), np.float64)
_NO_EVALS = np.zeros((0, len(EVAL_COLUMNS)), np.float64)
_NO_STEPS.flags.writeable = False
_NO_EVALS.flags.writeable = False


def without_deltas(snap: Snapshot) -> Snapshot:
    """``snap`` with empty ``new_steps`` / ``new_evals`` / ``new_markers``.

    A replayed snapshot must not hand its curve points to the curves panel a second time (those
    fields are deltas since the previous live snapshot); everything else is shared, not copied.
    """
    return dataclasses.replace(snap, new_steps=_NO_STEPS, new_evals=_NO_EVALS, new_markers=())


class TimelinePanel(QtWidgets.QWidget):
    """A slider over the kept snapshots, a "Live" button, and the memory the history takes.

    Args:
        max_items, max_bytes: bounds of the underlying ``Timeline``.

    Signals:
        scrubbed(object): the chosen past ``Snapshot`` (via ``without_deltas``: its curve deltas
            are emptied), or ``None`` when back to live.

    The window calls ``offer(snap)`` with every live snapshot (also while scrubbing: the history
    keeps growing and the slider stays on the chosen moment).
    """

    scrubbed = QtCore.Signal(object)

    def __init__(self, max_items: int = 240, max_bytes: int = 200_000_000, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.timeline = Timeline(max_items=max_items, max_bytes=max_bytes)
        self._selected: Snapshot | None = None  # the past snapshot shown; None = live
        self._latest: Snapshot | None = None
        self._emitted: Snapshot | None = None  # our last replayed copy, never to be offered back
        self._run_first_step: int | None = None  # earliest step of the run's curves (before any kept weights)
        self._build()
        # The position line's step changes with every snapshot: rewritten 33 times a second it was
        # unreadable, and each rewrite repainted the line and the window behind it (its parents).
        # Paced by the metric cards' rule (widgets.rewrite_due) at the status line's interval, from
        # the same snapshots: paused, the two lines say the same step.
        self.clock = time.monotonic
        self._position_shown_at = -math.inf
        self._update_labels()

    # ------------------------------------------------------------------ public
    @property
    def is_live(self) -> bool:
        return self._selected is None

    def selected_snapshot(self) -> Snapshot | None:
        """The kept snapshot being looked at (not the delta-free copy emitted), or None when live."""
        return self._selected

    def offer(self, snap: Snapshot) -> bool:
        """Record a live snapshot if the timeline wants it. Returns whether it was kept."""
        if snap is self._emitted:
            return False  # a replay handed back by mistake would look like a reset (older step)
        self._latest = snap
        thinnings = self.timeline.thinnings
        kept = self.timeline.offer(snap)
        if self.timeline.thinnings != thinnings:
            return_free_heap()  # half the record's arrays were just freed: let the RSS show it
        if kept and len(self.timeline) == 1:
            self._run_first_step = None  # a new record (first snapshot, reset or load): a new extent
        self._note_run_extent(snap)
        if kept and self._selected is not None and len(self.timeline) and self.timeline[0] is snap:
            self._selected = None  # the timeline restarted (training reset): the past is gone
            self.scrubbed.emit(None)
        now = self.clock()
        due = rewrite_due(snap, now, self._position_shown_at, POSITION_INTERVAL)
        # Live, the slider's handle stays at its end and the record's line grows by a snapshot at a
        # time: both are rewritten with the position line. A new range repainted the slider, and the
        # window behind it, on every kept snapshot. Looking back, the kept list shifts under the handle.
        if due or self._selected is not None:
            self._sync_slider()
            self._update_record_labels()
        if due:
            self._position_shown_at = now  # else the line keeps the step it says for now
            self._update_position()
        return kept

    def show_snapshot(self, snap: Snapshot) -> None:
        """Nothing: the timeline is fed by ``offer`` (a replayed snapshot must not be recorded)."""

    def scrub_to(self, index: int) -> None:
        """Look at kept snapshot ``index`` (0 = oldest); emits ``scrubbed``."""
        if not len(self.timeline):
            return
        index = int(np.clip(index, 0, len(self.timeline) - 1))
        self._selected = self.timeline[index]
        self._sync_slider()
        self._update_labels()
        self._emitted = without_deltas(self._selected)
        self.scrubbed.emit(self._emitted)

    def go_live(self) -> None:
        """Back to the live snapshots; emits ``scrubbed(None)``."""
        was_live = self.is_live
        self._selected = None
        self._sync_slider()
        self._update_labels()
        if not was_live:
            self.scrubbed.emit(None)

    def clear(self) -> None:
        """Training was reset: forget the history and go live."""
        self.timeline.clear()
        self._latest = None
        self._run_first_step = None
        self.go_live()
        self._sync_slider()
        self._update_labels()

    def run_range(self) -> tuple[int, int] | None:
        """``(first, last)`` step of the run as its curves know it (a loaded session's history starts
        at its step 0), or None before any snapshot."""
        if self._latest is None:
            return None
        first = self._latest.step if self._run_first_step is None else self._run_first_step
        return first, self._latest.step

    def kept_range(self) -> tuple[int, int] | None:
        """``(first, last)`` step with weights that can be looked at, or None when none are kept."""
        if not len(self.timeline):
            return None
        return self.timeline[0].step, self.timeline[len(self.timeline) - 1].step

    def extent_text(self) -> str:
        """What the record holds of the run when it does not reach back to the run's start, e.g.
        ``"loaded session: weights saved for step 1,200 only (curves: steps 0–1,200)"``; else ``""``."""
        return self._extent.text()

    def memory_text(self) -> str:
        return self._memory.text()

    def position_text(self) -> str:
        return self._position.text()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setMinimumHeight(30)
        groove = "QSlider::groove:horizontal { height: 10px; background: #BBBBBB; border-radius: 4px; }"
        handle = (f"QSlider::handle:horizontal {{ width: 26px; margin: -10px 0; background: {style.BLUE};"
                  " border-radius: 6px; }")
        self.slider.setStyleSheet(groove + handle)
        self.slider.setRange(0, 0)
        self.slider.setPageStep(1)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.live_button = QtWidgets.QPushButton(tr("● Live"))
        self.live_button.setCheckable(True)
        self.live_button.setChecked(True)
        self.live_button.setFont(style.font(style.LABEL_PT, bold=True))
        self.live_button.setToolTip(tr("Back to the network as it is now"))
        self.live_button.setMinimumWidth(120)
        self.live_button.setStyleSheet(f"QPushButton:checked {{ background: {style.BLUE}; color: white; }}")
        self.live_button.clicked.connect(self._on_live_clicked)
        self._position = info_label("", style.LABEL_PT + 2, bold=True)
        self._memory = info_label("")
        self._memory.setWordWrap(False)
        self._extent = info_label("", style.LABEL_PT, bold=True)
        self._extent.setStyleSheet(f"color: {style.VERMILLION};")
        self._extent.setVisible(False)
        # Two rows, not three: every pixel of height here is taken from the curves above it.
        title = QtWidgets.QLabel(tr("Look back:"))
        title.setFont(style.font(style.LABEL_PT, bold=True))
        top = QtWidgets.QHBoxLayout()
        top.addWidget(title)
        top.addWidget(self.slider, 1)
        top.addWidget(self.live_button)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self._position, 1)
        row.addWidget(self._extent, 1)  # both wrap, rather than widen the window on a narrow screen
        row.addWidget(self._memory)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addLayout(row)

    def _sync_slider(self) -> None:
        """Slider range = kept snapshots; position = the chosen one (or the end when live), without
        emitting: the kept list shifts under the slider as the timeline thins."""
        n = len(self.timeline)
        if self._selected is None:
            index = n - 1
        else:
            index = next((i for i in range(n) if self.timeline[i] is self._selected), None)
            if index is None:  # thinned away: stay near the same moment
                index = self.timeline.steps().index(self.timeline.nearest(self._selected.step).step)
        blocked = self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, n - 1))
        self.slider.setValue(max(0, index))
        self.slider.blockSignals(blocked)
        self.slider.setEnabled(n > 1)
        self.live_button.setChecked(self._selected is None)

    def _note_run_extent(self, snap: Snapshot) -> None:
        """Widen the run's known extent by the steps ``snap``'s curve rows cover (a loaded session's
        first snapshot carries its whole history, from step 0)."""
        steps = [snap.step]
        for rows in (snap.new_steps, snap.new_evals):
            if len(rows):
                steps.append(int(rows[:, 0].min()))
        if self._run_first_step is not None:
            steps.append(self._run_first_step)
        self._run_first_step = min(steps)

    def _extent_message(self) -> str:
        """``""`` when the kept weights reach back to the run's first step, else what they cover."""
        run, kept = self.run_range(), self.kept_range()
        # A gap of a step or two is only where the first snapshot happened to land: not news.
        if run is None or kept is None or kept[0] - run[0] <= max(2, (run[1] - run[0]) // 50):
            return ""
        steps = {"kept": format_int(kept[0]), "first": format_int(run[0]), "last": format_int(run[1])}
        if kept[0] == kept[1]:
            return tr("loaded session: weights saved for step {kept} only "
                      "(curves: steps {first}–{last})").format(**steps)
        return tr("weights kept from step {kept} (curves: steps {first}–{last})").format(**steps)

    def _update_labels(self) -> None:
        self._update_record_labels()
        self._update_position()

    def _update_record_labels(self) -> None:
        """What the record holds: the run's extent, or the snapshots kept and their memory."""
        extent = self._extent_message()
        if extent != self._extent.text():
            set_text(self._extent, extent)
            self._extent.setVisible(bool(extent))
            self._memory.setVisible(not extent)  # what the history holds says more than its size
            self.slider.setToolTip(extent)
        n = len(self.timeline)
        memory = tr("history: {n} snapshot, {mb} MB") if n == 1 else tr("history: {n} snapshots, {mb} MB")
        set_text(self._memory, memory.format(n=format_int(n), mb=format_number(self.timeline.nbytes / 1e6, 0)))

    def _update_position(self) -> None:
        """The moment shown: live and the latest step, or the step looked back at."""
        latest = self._latest
        if self._selected is None:
            if latest is None:
                text = tr("● LIVE")
            else:
                text = tr("● LIVE   step {step} · epoch {epoch}").format(
                    step=format_int(latest.step), epoch=format_number(latest.epoch, 2))
            colour = style.BLUE
        else:
            s = self._selected
            back = {"step": format_int(s.step), "epoch": format_number(s.epoch, 2)}
            if latest is None:
                text = tr("◀ Looking back: step {step} · epoch {epoch}").format(**back)
            else:
                text = tr("◀ Looking back: step {step} · epoch {epoch}   (now: step {now})").format(
                    now=format_int(latest.step), **back)
            colour = style.VERMILLION
        set_text(self._position, text)
        if self._position.property("colour") != colour:  # a restyle is costly; offer() runs ~30/s
            self._position.setProperty("colour", colour)
            self._position.setStyleSheet(f"color: {colour};")

    def refresh_texts(self) -> None:
        """Write the position, memory and extent lines again in the current language (after a
        language switch: while scrubbed or paused no snapshot comes to rewrite them)."""
        set_text(self._extent, "")  # _update_labels rewrites it only when it differs
        self._update_labels()

    # ------------------------------------------------------------------ events
    def _on_slider_value_changed(self, value: int) -> None:
        self.scrub_to(value)

    def _on_live_clicked(self, checked: bool) -> None:
        if checked:
            self.go_live()
        elif len(self.timeline):
            self.scrub_to(len(self.timeline) - 1)  # un-clicking Live freezes the present moment
