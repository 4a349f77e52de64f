"""The coach's cards (issue 14): the current hints of ``core.coach`` in large type, each with one
button that applies its fix and one that dismisses it, and a "Mute hints" switch for a lecture.

Meant to sit under the learning curves or as a tab. The panel keeps a ``CoachFeed``: give it every
snapshot (``show_snapshot``, also while it is hidden: a snapshot's rows are sent once) or give it
hints yourself (``show_hints``). While a run trains, its rules judge at most every
``JUDGE_INTERVAL`` (each snapshot's rows are kept in between); a snapshot of a stopped or paused run,
or one where a knob changed, is judged at once. A dismissed or applied hint stays away until its
rule stops raising it, or for at most ``SUPPRESS_CALLS`` updates.
"""
from __future__ import annotations

import time

from PySide6 import QtCore, QtWidgets

from mnist_viz.core.coach import CoachFeed, Hint
from mnist_viz.core.i18n import tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.gui import style
from mnist_viz.gui.widgets import info_label, set_text

# The rules' judgement of a running run at 10 a second instead of every frame (33 a second): 0.46 of
# the GUI thread's 12.6 ms a frame went to it at 784-512-10 (frame_breakdown.py, 2026-12-04), and a card
# needs two judgements in a row to show (core.coach.Coach), 0.1-0.2 s, sooner than anyone reads it.
JUDGE_INTERVAL = 0.1  # s
SUPPRESS_CALLS = 100  # updates a dismissed hint stays away while still raised (~10 s of a running run)


def fix_button_text(hint: Hint) -> str:
    """The Apply button's label: the fix in words, and whether it restarts training."""
    if hint.needs_restart:
        return tr("{fix} (restarts training)").format(fix=hint.fix_label)
    return hint.fix_label


class HintCard(QtWidgets.QFrame):
    """One hint: bold title, text, [fix] and [Dismiss]."""

    def __init__(self, hint: Hint, on_apply, on_dismiss):
        super().__init__()
        self.hint = hint
        self.setObjectName(f"coach_card_{hint.id}")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        layout = QtWidgets.QVBoxLayout(self)
        self.title = info_label(hint.title, style.LABEL_PT + 1, bold=True)
        self.text = info_label(hint.text, style.LABEL_PT)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        row = QtWidgets.QHBoxLayout()
        # Parented at once: a parentless button that is made visible is shown as a window of its own,
        # for the moment until the layout takes it, and that takes the keyboard from the main window
        # (a Down key pressed just after a hint came was lost, seen in test_keyboard_shortcuts).
        self.apply_button = QtWidgets.QPushButton(fix_button_text(hint), self)
        self.apply_button.setObjectName("coach_apply")
        self.apply_button.setVisible(bool(hint.fix))
        self.dismiss_button = QtWidgets.QPushButton(tr("Dismiss"), self)
        self.dismiss_button.setObjectName("coach_dismiss")
        for button in (self.apply_button, self.dismiss_button):
            button.setFont(style.font(style.LABEL_PT))
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.apply_button.clicked.connect(lambda: on_apply(self.hint))
        self.dismiss_button.clicked.connect(lambda: on_dismiss(self.hint))

    def show_hint(self, hint: Hint) -> None:
        """Refresh the numbers in the texts (the same rule, a later snapshot)."""
        self.hint = hint
        set_text(self.title, hint.title)
        set_text(self.text, hint.text)
        set_text(self.apply_button, fix_button_text(hint))


class CoachPanel(QtWidgets.QWidget):
    """Cards for the current hints. Signals: ``fixRequested(fix: dict, hint_id: str)`` when Apply is
    pressed (the window applies it as the controls' changes, and leaves a marker), ``mutedChanged(bool)``."""

    fixRequested = QtCore.Signal(dict, str)
    mutedChanged = QtCore.Signal(bool)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("coach_panel")
        self.feed = CoachFeed()
        self._judged_at = -float("inf")  # time.monotonic() of the rules' last judgement
        self._cards: dict[str, HintCard] = {}
        self._suppressed: dict[str, int] = {}  # hint id -> updates it stays away
        self._hints: list[Hint] = []
        layout = QtWidgets.QVBoxLayout(self)
        header = QtWidgets.QHBoxLayout()
        self.title = style.title_label(tr("Coach"))
        self.mute_button = QtWidgets.QPushButton(tr("Mute hints"))
        self.mute_button.setObjectName("coach_mute")
        self.mute_button.setCheckable(True)
        self.mute_button.setFont(style.font(style.LABEL_PT))
        self.mute_button.toggled.connect(self._muted_toggled)
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.mute_button)
        layout.addLayout(header)
        self.empty = info_label("", style.LABEL_PT)
        layout.addWidget(self.empty)
        self.cards_box = QtWidgets.QVBoxLayout()
        layout.addLayout(self.cards_box)
        layout.addStretch(1)
        self.refresh_texts()

    # ------------------------------------------------------------------ Panel protocol
    def show_snapshot(self, snap: Snapshot) -> None:
        self.feed.add(snap)
        now = time.monotonic()
        running = snap.loop is not None and snap.loop.playing and not snap.diverged
        if not running or snap.new_markers or now - self._judged_at >= JUDGE_INTERVAL:
            self._judged_at = now
            self.show_hints(self.feed.judge(snap))

    def clear(self) -> None:
        self.feed = CoachFeed()
        self._judged_at = -float("inf")
        self._suppressed.clear()
        self.show_hints([])

    # ------------------------------------------------------------------ hints
    def show_hints(self, hints: list[Hint]) -> None:
        """Show ``hints`` as cards, except those dismissed or applied recently (see the module doc)."""
        raised = {h.id for h in hints}
        for hint_id in list(self._suppressed):
            self._suppressed[hint_id] -= 1
            if hint_id not in raised or self._suppressed[hint_id] <= 0:  # cleared, or long enough ago
                del self._suppressed[hint_id]
        self._hints = [h for h in hints if h.id not in self._suppressed]
        self._rebuild()

    def current_hints(self) -> list[Hint]:
        """The hints on cards now (muted or not)."""
        return list(self._hints)

    def _rebuild(self) -> None:
        wanted = {h.id: h for h in self._hints}
        for hint_id in [i for i in self._cards if i not in wanted]:
            card = self._cards.pop(hint_id)
            self.cards_box.removeWidget(card)
            card.setParent(None)  # gone from the panel now, not at the next event loop turn
            card.deleteLater()
        for hint in self._hints:
            if hint.id in self._cards:
                self._cards[hint.id].show_hint(hint)
            else:
                self._cards[hint.id] = HintCard(hint, self._apply, self._dismiss)
                self.cards_box.addWidget(self._cards[hint.id])
        for card in self._cards.values():
            card.setVisible(not self.is_muted())
        self.refresh_texts()

    def _apply(self, hint: Hint) -> None:
        self._dismiss(hint)
        if hint.fix:
            self.fixRequested.emit(dict(hint.fix), hint.id)

    def _dismiss(self, hint: Hint) -> None:
        self._suppressed[hint.id] = SUPPRESS_CALLS
        self._hints = [h for h in self._hints if h.id != hint.id]
        self._rebuild()

    # ------------------------------------------------------------------ muting
    def set_muted(self, muted: bool) -> None:
        self.mute_button.setChecked(bool(muted))  # emits mutedChanged once if it changed

    def is_muted(self) -> bool:
        return self.mute_button.isChecked()

    def _muted_toggled(self, muted: bool) -> None:
        for card in self._cards.values():
            card.setVisible(not muted)
        self.refresh_texts()
        self.mutedChanged.emit(muted)

    def refresh_texts(self) -> None:
        """The empty-state line, in the current language (call after a language switch)."""
        if self.is_muted():
            text = tr("Hints are muted.")
        elif self._hints:
            text = ""
        else:
            text = tr("No hints: the run looks healthy.")
        set_text(self.empty, text)
        self.empty.setVisible(bool(text))
