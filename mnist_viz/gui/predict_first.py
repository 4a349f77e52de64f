"""Predict first: a teaching scenario's question to the class, shown before the run, answered with it.

Predicting before watching is what makes a demonstration teach (Crouch et al. 2004): the class
commits to an answer ("what will the loss do?"), watches the run, then sees the answer with why.

Where it goes: either in a layout (the top of the window's right column, like the divergence
banner), or floating over the top of a container (``float_over``): on a 768-pixel projector the
panels under it already have no height to spare, so a card in the layout would make the window taller
than the screen. Its life:

1. ``ask(preset)``: the question in large type and its 2-4 choices as big buttons A-D (hidden for a
   preset without a question). The lecturer clicks the class's prediction (or presses A-D).
2. "Run it ▶" emits ``runRequested`` (the window starts training); "Skip the question" hides the
   card and emits it too. Training started any other way (the Start button) counts the same.
   While the run plays the card shrinks to two lines (the prediction, the countdown, "Show the
   answer"), so the panels can be watched.
3. "Show the answer", or by itself after the question's ``reveal_after`` seconds of training (or
   as soon as the guard or the watchdog stops the run: that *is* what happened), marks the right
   choice green with a ✓, the class's wrong one orange with a ✗, says whether the class was right,
   and explains why.
4. × (or Esc) closes it.

The seconds of training come from the live snapshots (``show_snapshot``: ``Snapshot.elapsed`` of
the scenario's run, which counts only time spent training, paced waits included) or are told
directly (``note_training_seconds``).
"""
from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.i18n import format_int, tr
from mnist_viz.core.presets import CHOICE_LETTERS, Question
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.gui import style
from mnist_viz.gui.widgets import set_text

PROMPT_PT = 22  # ≈ 29 px at 96 dpi (a 1080p screen): read from the back of a lecture hall
CHOICE_PT = style.LABEL_PT + 1
LETTER_PT = style.LABEL_PT + 4
WHY_PT = style.SMALL_PT + 2
CHOICE_MIN_CHARS = 24  # a choice button is at least this many average characters wide, or the row wraps

PLAIN, PREDICTED, RIGHT, WRONG = "plain", "predicted", "right", "wrong"  # the looks of a choice
# Right is green, the class's wrong guess orange (Okabe-Ito, apart under the common colour
# blindnesses) and each has its glyph too; blue is already taken by "the class predicted this".
RIGHT_COLOUR = style.GREEN  # kept fixed: black text stays readable on it in every theme


class ChoiceButton(QtWidgets.QFrame):
    """One choice: a big letter and a word-wrapped text, clickable like a button (mouse, Space).

    A frame rather than a QPushButton: a push button cannot wrap its text, and the choices are
    sentences on a 600-pixel card.

    Signals:
        clicked(): pressed and released over it, or Space while it has the focus.
    """

    clicked = QtCore.Signal()

    def __init__(self, letter: str, text: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("choiceButton")
        self.letter = letter
        self.look = PLAIN
        self.letter_label = QtWidgets.QLabel(letter)
        self.letter_label.setFont(style.font(LETTER_PT, bold=True))
        self.text_label = QtWidgets.QLabel(text)
        self.text_label.setWordWrap(True)
        self.text_label.setFont(style.font(CHOICE_PT))
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(10)
        layout.addWidget(self.letter_label, 0, QtCore.Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.text_label, 1)
        for label in (self.letter_label, self.text_label):
            label.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred)
        self.restyle()

    def text(self) -> str:
        return self.text_label.text()

    def set_look(self, look: str) -> None:
        """``PLAIN``, ``PREDICTED`` (thick accent border), ``RIGHT`` (green, ✓) or ``WRONG`` (orange, ✗)."""
        self.look = look
        glyph = {RIGHT: f"{style.CORRECT_GLYPH} ", WRONG: f"{style.WRONG_GLYPH} "}.get(look, "")
        set_text(self.letter_label, f"{glyph}{self.letter}")
        font = self.text_label.font()
        font.setBold(look != PLAIN)
        self.text_label.setFont(font)
        self.restyle()

    def restyle(self) -> None:
        """The look in the colours of the theme now on."""
        border, width, fill, ink = {
            PLAIN: (style.GREY, 2, "palette(button)", ""),
            PREDICTED: (style.ACCENT, 5, "palette(button)", ""),
            RIGHT: (RIGHT_COLOUR, 5, RIGHT_COLOUR, "black"),
            WRONG: (style.WRONG, 5, style.WRONG, "black"),
        }[self.look]
        sheet = (f"QFrame#choiceButton {{ border: {width}px solid {border}; border-radius: 6px; background: {fill}; }}"
                 + (f" QFrame#choiceButton QLabel {{ color: {ink}; }}" if ink else ""))
        if self.styleSheet() != sheet:
            self.setStyleSheet(sheet)

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:
        if event.button() == QtCore.Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.key() == QtCore.Qt.Key.Key_Space:
            self.clicked.emit()
        else:
            super().keyPressEvent(event)  # the card's keys (A-D, Enter, Esc) reach the card


class PredictFirstCard(QtWidgets.QFrame):
    """A teaching scenario's question to the class before its run, and the answer with it.

    Plain QFrame, hidden until ``ask``: put it at the top of the right column, above the panels, or
    let it float there (``float_over``).

    Signals:
        runRequested(): "Run it ▶" or "Skip the question": start training.
        revealed(object): the answer was shown; ``True``/``False`` = the class's prediction was
            right/wrong, ``None`` = no prediction was made.
    """

    runRequested = QtCore.Signal()
    revealed = QtCore.Signal(object)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("predictFirstCard")
        self.question: Question | None = None
        self.predicted: int | None = None  # index of the class's prediction
        self.ran = False  # training has run since the question was asked
        self.answer_shown = False
        self.trained_seconds = 0.0  # training time of the scenario's run(s) since ask
        self._last_run: int | None = None  # run_id of the newest snapshot seen, asked or not
        self._reset_clock()
        self.choice_buttons: list[ChoiceButton] = []
        self._columns = 0
        self._container: QtWidgets.QWidget | None = None  # floating over it (float_over), or None
        self._below: QtWidgets.QWidget | None = None
        self._above: QtWidgets.QWidget | None = None
        self._build()
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.restyle()
        self.hide()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        # Height is what a 768-pixel projector lacks: one line on top carries the title, the hint or
        # countdown, later the verdict, and the close button; the buttons go in one row under the choices.
        self.heading = QtWidgets.QLabel(tr("Predict first"))
        self.heading.setFont(style.font(style.SMALL_PT + 1, bold=True))
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        self.status.setFont(style.font(style.SMALL_PT + 1))
        self.verdict = QtWidgets.QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setFont(style.font(CHOICE_PT, bold=True))
        self.close_button = QtWidgets.QToolButton()
        self.close_button.setText("×")
        self.close_button.setFont(style.font(LETTER_PT, bold=True))
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip(tr("Close the question (Esc)"))
        self.close_button.setFocusPolicy(QtCore.Qt.FocusPolicy.TabFocus)
        self.close_button.clicked.connect(self.dismiss)
        top = QtWidgets.QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.heading, 0, QtCore.Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.status, 1, QtCore.Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.verdict, 1, QtCore.Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.close_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        self.prompt = QtWidgets.QLabel()
        self.prompt.setWordWrap(True)
        self.prompt.setFont(style.font(PROMPT_PT, bold=True))
        self.predicted_line = QtWidgets.QLabel()  # while the run plays: the class's prediction, in words
        self.predicted_line.setWordWrap(True)
        self.predicted_line.setFont(style.font(CHOICE_PT, bold=True))
        self.choice_grid = QtWidgets.QGridLayout()
        self.choice_grid.setContentsMargins(0, 0, 0, 0)
        self.choice_grid.setSpacing(6)
        self.why = QtWidgets.QLabel()
        self.why.setWordWrap(True)
        self.why.setFont(style.font(WHY_PT))
        self.layout_ = QtWidgets.QVBoxLayout(self)
        self.layout_.setContentsMargins(10, 2, 4, 6)
        self.layout_.setSpacing(4)
        self.layout_.addLayout(top)
        self.layout_.addWidget(self.prompt)
        self.layout_.addLayout(self.choice_grid)
        self.layout_.addWidget(self.why)
        self.layout_.addLayout(self._build_actions())

    def _build_actions(self) -> QtWidgets.QLayout:
        self.skip_button = self._action(tr("Skip the question"), tr("Hide the question and start training"), self.skip)
        self.answer_button = self._action(tr("Show the answer"), tr("Show the right answer and why, now"), self.reveal)
        self.run_button = self._action(tr("Run it ▶"), tr("Start training and watch what happens (Enter)"), self.run,
                                       bold=True)
        actions = QtWidgets.QHBoxLayout()
        actions.setSpacing(6)
        actions.addWidget(self.predicted_line, 1)  # beside "Show the answer" while the run plays
        for button in (self.skip_button, self.answer_button, self.run_button):
            actions.addWidget(button)
        return actions

    def _action(self, text: str, tip: str, slot, bold: bool = False) -> QtWidgets.QPushButton:
        button = QtWidgets.QPushButton(text)
        button.setFont(style.font(style.LABEL_PT, bold=bold))
        button.setMinimumHeight(38)
        button.setToolTip(tip)
        button.setFocusPolicy(QtCore.Qt.FocusPolicy.TabFocus)  # a click leaves the card's keys working
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------------ asking
    def ask(self, preset) -> None:
        """Put ``preset.question`` to the class; a preset without one (or ``None``) hides the card."""
        question = getattr(preset, "question", None)
        if question is None:
            self.clear()
        else:
            self.ask_question(question)

    def ask_question(self, question: Question) -> None:
        """Show ``question`` with no prediction made, nothing run and the answer hidden."""
        self.question = question
        self.predicted = None
        self.ran = self.answer_shown = False
        self._reset_clock()
        self._stale_run = self._last_run  # snapshots of the run the question was asked over do not count
        set_text(self.prompt, tr(question.prompt))
        self._make_choices(question)
        set_text(self.why, tr(question.why))
        self._refresh()
        self.show()
        self.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)  # A-D, Enter and Esc work at once

    def clear(self) -> None:
        """Hide the card and forget the question."""
        self.question = None
        self.predicted = None
        self.ran = self.answer_shown = False
        self._reset_clock()
        self._make_choices(None)
        self.hide()

    def dismiss(self) -> None:
        """× or Esc: close the card (the question is forgotten; training is left as it is)."""
        self.clear()

    def choose(self, index: int) -> None:
        """The class predicts choice ``index`` (0 = A). Ignored once the answer is shown."""
        if self.question is None or self.answer_shown or not 0 <= index < len(self.question.choices):
            return
        self.predicted = index
        self._refresh()

    def run(self) -> None:
        """Run it ▶: ask the window to start training (once)."""
        if self.question is None or self.ran:
            return
        self.ran = True
        self._refresh()
        self.runRequested.emit()

    def skip(self) -> None:
        """No question this time: hide the card and start training at once."""
        if self.question is None:
            return
        ran = self.ran
        self.clear()
        if not ran:
            self.runRequested.emit()

    def reveal(self) -> None:
        """Show the right answer (green ✓), the class's wrong guess (orange ✗) and why."""
        if self.question is None or self.answer_shown:
            return
        self.answer_shown = True
        self._refresh()
        self.revealed.emit(None if self.predicted is None else self.predicted == self.question.answer)

    def refresh_texts(self) -> None:
        """The question, its choices, why and the card's status lines in the current language
        (after a language switch: they are set from the question, not once at build time)."""
        q = self.question
        if q is None:
            return
        set_text(self.prompt, tr(q.prompt))
        set_text(self.why, tr(q.why))
        for button, text in zip(self.choice_buttons, q.choices):
            set_text(button.text_label, tr(text))
        self._refresh()

    @property
    def is_asking(self) -> bool:
        """A question is open and its answer not yet shown."""
        return self.question is not None and not self.answer_shown

    # ------------------------------------------------------------------ training time
    def _reset_clock(self) -> None:
        self.trained_seconds = 0.0
        self._stale_run = None
        self._counted_run: int | None = None
        self._run_start = 0.0  # Snapshot.elapsed when the counted run was first seen
        self._earlier_runs = 0.0  # seconds trained in earlier runs since ask (a reset in between)

    def show_snapshot(self, snap: Snapshot) -> None:
        """Count the training time of the scenario's run (a live snapshot; call it for every one, the
        card shown or not, so it knows which run a question is asked over). A run stopped by the
        guard or the watchdog shows the answer: what the class was asked about has happened."""
        run = snap.loop.run_id
        self._last_run = run
        if not self.is_asking or run == self._stale_run:
            return
        if run != self._counted_run:  # the scenario's fresh run, or a reset during it
            self._earlier_runs = self.trained_seconds
            self._counted_run, self._run_start = run, _seconds(snap.elapsed)
        trained = self._earlier_runs + max(0.0, _seconds(snap.elapsed) - self._run_start)
        if snap.loop.playing and not self.ran:
            self.ran = True  # started with the Start button instead of Run it
            self._refresh()
        if snap.trouble is not None or snap.diverged:
            self.trained_seconds = trained
            self.reveal()
            return
        self.note_training_seconds(trained)

    def note_training_seconds(self, seconds: float) -> None:
        """The scenario's run has trained ``seconds`` since the question was asked: show the
        countdown, and the answer once the question's ``reveal_after`` has passed."""
        if not self.is_asking:
            return
        self.trained_seconds = _seconds(seconds)
        limit = self.question.reveal_after if self.question is not None else None
        if limit is not None and self.trained_seconds >= limit:
            self.reveal()
        elif not self.ran and self.trained_seconds > 0:
            self.ran = True
            self._refresh()
        else:
            set_text(self.status, self._status_text())  # ~30 times a second: only the countdown

    # ------------------------------------------------------------------ showing
    def _make_choices(self, question: Question | None) -> None:
        for button in self.choice_buttons:
            self.choice_grid.removeWidget(button)
            button.deleteLater()
        self.choice_buttons = []
        if question is None:
            return
        for index, text in enumerate(question.choices):
            button = ChoiceButton(question.letter(index), tr(text), self)
            button.clicked.connect(lambda index=index: self.choose(index))
            self.choice_buttons.append(button)
        self._columns = 0  # lay them out afresh

    def _refresh(self) -> None:
        """Every part shown or hidden, and every text, for the state now."""
        q = self.question
        if q is None:
            return
        shown = self._shown_choices()
        for index, button in enumerate(self.choice_buttons):
            button.set_look(self._look(index))
            button.setVisible(index in shown)
        self._columns = 0
        self._arrange_choices()
        set_text(self.verdict, self._verdict_text() if self.answer_shown else "")
        set_text(self.predicted_line, "" if self.answer_shown else self._verdict_text())
        set_text(self.status, self._status_text())
        self.heading.setVisible(not self.answer_shown)
        # While the run plays the panels need the room (the class has heard the question); with the
        # answer the question steps back, for the answer and why.
        self.prompt.setVisible(not self._watching())
        _set_font_size(self.prompt, CHOICE_PT if self.answer_shown else PROMPT_PT)
        for label in (self.verdict, self.predicted_line, self.status):
            label.setVisible(bool(label.text()))
        self.why.setVisible(self.answer_shown)
        self.run_button.setVisible(not self.ran)
        self.skip_button.setVisible(not self.ran and not self.answer_shown)
        self.answer_button.setVisible(not self.answer_shown)
        self._place_soon()

    def _watching(self) -> bool:
        """The run plays and the class has made its prediction: the card is two lines."""
        return self.ran and not self.answer_shown and self.predicted is not None

    def _shown_choices(self) -> list[int]:
        """While asking: every choice. While the run plays with a prediction made: none (the line
        "the class predicted B" says it, and the panels get the room). With the answer: the right
        one, and the class's wrong one."""
        q = self.question
        assert q is not None
        if self.answer_shown:
            return sorted({q.answer} | ({self.predicted} if self.predicted is not None else set()))
        if self._watching():
            return []
        return list(range(len(q.choices)))

    def _look(self, index: int) -> str:
        q = self.question
        assert q is not None
        if self.answer_shown:
            return RIGHT if index == q.answer else WRONG if index == self.predicted else PLAIN
        return PREDICTED if index == self.predicted else PLAIN

    def _verdict_text(self) -> str:
        q = self.question
        assert q is not None
        p = self.predicted
        right = f"{q.letter(q.answer)}: {tr(q.answer_text)}"
        if self.answer_shown:
            if p is None:
                return tr("The answer is {right}.").format(right=right)  # only the right choice is shown: say it whole
            if p == q.answer:
                return tr("{glyph} The class predicted {letter}: right!").format(glyph=style.CORRECT_GLYPH,
                                                                                  letter=q.letter(p))
            return tr("The class predicted {letter}; the answer is {answer}.").format(letter=q.letter(p),
                                                                                     answer=q.letter(q.answer))
        if self.ran and p is not None:
            return tr("The class predicted {letter}: {choice}").format(letter=q.letter(p), choice=tr(q.choices[p]))
        return ""

    def _status_text(self) -> str:
        q = self.question
        assert q is not None
        if self.answer_shown:
            return ""
        if not self.ran:
            if self.predicted is None:
                return tr("Click the class's prediction (A–D), then Run it")
            return tr("The class predicted {letter}: Run it to see").format(letter=q.letter(self.predicted))
        if q.reveal_after is None:
            return tr("Watch; show the answer when the class has seen it")
        left = max(0, math.ceil(q.reveal_after - self.trained_seconds))
        return tr("Watch: the answer in {seconds} s of training").format(seconds=format_int(left))

    def _arrange_choices(self) -> bool:
        """The shown choices in as many columns as fit the card's width (one row of 4 on a wide
        screen, 2 x 2 at 1024 x 768), rows balanced: 4 in 3 columns would leave one alone."""
        if self.question is None:
            return False
        shown = [self.choice_buttons[i] for i in self._shown_choices()]
        if not shown:
            return False
        room = max(1, self.contentsRect().width() - 20)
        metrics = QtGui.QFontMetrics(style.font(CHOICE_PT))
        fit = max(1, room // max(1, metrics.averageCharWidth() * CHOICE_MIN_CHARS))
        rows = math.ceil(len(shown) / min(len(shown), fit))
        columns = math.ceil(len(shown) / rows)
        if columns == self._columns and all(self.choice_grid.indexOf(b) >= 0 for b in shown):
            return False
        self._columns = columns
        for button in self.choice_buttons:
            self.choice_grid.removeWidget(button)
        for k, button in enumerate(shown):
            self.choice_grid.addWidget(button, k // columns, k % columns)
        for column in range(4):
            self.choice_grid.setColumnStretch(column, 1 if column < columns else 0)
        return True

    def restyle(self) -> None:
        """The card's frame and the choices in the theme now on."""
        # opaque: floating, it covers the panels under it
        sheet = (f"QFrame#predictFirstCard {{ border: 3px solid {style.ACCENT}; border-radius: 8px; "
                 f"background: palette(window); }}")
        if self.styleSheet() != sheet:
            self.setStyleSheet(sheet)
        style.colour_title(self.heading)
        # the one action the card is for stands out (the others are the app's ordinary buttons)
        run_sheet = (f"QPushButton {{ border: 3px solid {style.ACCENT}; border-radius: 4px; padding: 2px 14px; "
                     f"background: palette(button); }}")
        if self.run_button.styleSheet() != run_sheet:
            self.run_button.setStyleSheet(run_sheet)
        for button in self.choice_buttons:
            button.restyle()

    # ------------------------------------------------------------------ floating
    def float_over(self, container: QtWidgets.QWidget, below: QtWidgets.QWidget | None = None,
                   above: QtWidgets.QWidget | None = None) -> None:
        """Float over the top of ``container`` (its full width, as tall as the card's text needs),
        under ``below`` (a child of ``container``, e.g. the divergence banner) while that is shown,
        instead of taking room in a layout. Once the run has started it moves to the bottom, just
        over ``above`` (e.g. the timeline) if given: the curves and the mosaic at the top are what
        the class watches for the answer. It follows their sizes."""
        self.setParent(container)
        self._container, self._below, self._above = container, below, above
        container.installEventFilter(self)
        for neighbour in (below, above):
            if neighbour is not None:
                neighbour.installEventFilter(self)
        self.hide()
        self._place()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() in (QtCore.QEvent.Type.Resize, QtCore.QEvent.Type.Show, QtCore.QEvent.Type.Hide,
                            QtCore.QEvent.Type.Move):
            self._place_soon()
        return False

    def _place_soon(self) -> None:
        """Place it now and once more when the layout has settled (hidden parts, new text)."""
        if self._container is not None:
            self._place()
            QtCore.QTimer.singleShot(0, self, self._place)

    def _place(self) -> None:
        container = self._container
        if container is None or not self.isVisible():
            return
        top = 0
        if self._below is not None and self._below.isVisible():
            top = self._below.mapTo(container, QtCore.QPoint(0, self._below.height())).y() + 2
        width = container.width()
        self.layout_.invalidate()  # its parts shown or hidden since: measure afresh
        height = min(max(self.minimumSizeHint().height(), self.heightForWidth(width)), max(0, container.height() - top))
        if self.ran:  # at the bottom, over the timeline's top edge if it is shown
            bottom = container.height()
            if self._above is not None and self._above.isVisible():
                bottom = self._above.mapTo(container, QtCore.QPoint(0, 0)).y() - 2
            top = max(top, bottom - height)
        self.setGeometry(0, top, width, height)
        self.raise_()

    # ------------------------------------------------------------------ events
    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        self._place_soon()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._arrange_choices():
            self._place_soon()  # another number of rows: another height

    def changeEvent(self, event: QtCore.QEvent) -> None:
        super().changeEvent(event)
        # A theme change sets the application palette first and rebinds style's colours after:
        # restyle on the next turn of the event loop, when both are the new theme's.
        if event.type() in (QtCore.QEvent.Type.PaletteChange, QtCore.QEvent.Type.ApplicationPaletteChange):
            QtCore.QTimer.singleShot(0, self, self.restyle)

    def event(self, event: QtCore.QEvent) -> bool:
        # Esc closes the card before a window-wide Esc shortcut (the lecture view's) takes it.
        if (event.type() == QtCore.QEvent.Type.ShortcutOverride and self.question is not None
                and isinstance(event, QtGui.QKeyEvent) and event.key() == QtCore.Qt.Key.Key_Escape):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        key = event.key()
        letters = {QtCore.Qt.Key.Key_A.value + i: i for i in range(len(CHOICE_LETTERS))}  # A-D: choice 0-3
        if self.question is None:
            super().keyPressEvent(event)
        elif key == QtCore.Qt.Key.Key_Escape:
            self.dismiss()
        elif key in letters and not event.modifiers() & _COMMAND_MODIFIERS:
            self.choose(letters[key])
        elif key in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
            self.run() if not self.ran else self.reveal()
        else:
            super().keyPressEvent(event)


def _set_font_size(label: QtWidgets.QLabel, point_size: float) -> None:
    """``label`` in bold at ``point_size`` (zoomed like every ``style.font``), if not already."""
    font = style.font(point_size, bold=True)
    if label.font().pointSizeF() != font.pointSizeF():
        label.setFont(font)


_COMMAND_MODIFIERS = (QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.AltModifier
                      | QtCore.Qt.KeyboardModifier.MetaModifier)  # Ctrl+C is not "the class predicts C"


def _seconds(value: float) -> float:
    """A time in seconds, or 0 for NaN/inf/negative (a snapshot of a broken run must not crash it)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0
