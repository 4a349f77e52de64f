"""The Predict first card (issue 12, item 6): a teaching scenario's question before its run, the
class's prediction, Run it, and the answer with why, by hand or after enough training."""
import dataclasses

import pytest
from PySide6 import QtCore, QtGui

from mnist_viz.core.presets import PRESETS, Question, get_preset
from mnist_viz.core.snapshot import LoopState, Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui import style, themes
from mnist_viz.gui.predict_first import PLAIN, PREDICTED, RIGHT, WRONG, PredictFirstCard

TEACHING = [name for name, p in PRESETS.items() if p.kind == "teaching"]
WIDTH_AT_1024 = 680  # the window's right column at 1024 x 768 (1024 - 330 controls - margins)


@pytest.fixture(scope="module")
def real_snap(small_mnist):
    """One real snapshot; the tests vary its run, clock and state with ``dataclasses.replace``."""
    trainer = Trainer(small_mnist, Settings(hidden=(16,), train_subset=500))
    trainer.train(iterations=2)
    return trainer.snapshot()


def snap_at(real_snap, run, elapsed, playing=True, **changes):
    return dataclasses.replace(real_snap, elapsed=elapsed, loop=LoopState(run_id=run, playing=playing), **changes)


@pytest.fixture
def card(shown):
    return shown(PredictFirstCard(), WIDTH_AT_1024, 300)


def visible_choices(card):
    return [b.letter for b in card.choice_buttons if b.isVisible()]


def test_ask_shows_the_question_and_its_choices_as_lettered_buttons(card, qtbot):
    q = get_preset("dead-relu").question
    card.ask(get_preset("dead-relu"))
    assert card.isVisible() and card.prompt.text() == q.prompt
    assert [b.text() for b in card.choice_buttons] == list(q.choices)
    assert visible_choices(card) == ["A", "B", "C", "D"][:len(q.choices)]
    assert not card.why.isVisible() and not card.verdict.isVisible()  # the answer stays hidden
    # read from the back of a hall: at least 28 px at 96 dpi (a 1080p screen)
    assert card.prompt.font().pointSizeF() * 96 / 72 >= 28


def test_a_preset_without_a_question_hides_the_card(card):
    card.ask(get_preset("overfit"))
    assert card.isVisible()
    card.ask(get_preset("fast"))  # a recipe: no question
    assert card.isHidden() and card.question is None and card.choice_buttons == []
    card.ask(get_preset("overfit"))
    card.ask(None)
    assert card.isHidden()
    card.ask(get_preset("overfit"))
    card.clear()
    assert card.isHidden()


def test_clicking_a_choice_then_run_emits_run_requested_once(card, qtbot):
    card.ask(get_preset("lr-too-high"))
    runs = []
    card.runRequested.connect(lambda: runs.append(1))
    qtbot.mouseClick(card.choice_buttons[1], QtCore.Qt.MouseButton.LeftButton)
    assert card.predicted == 1 and card.choice_buttons[1].look == PREDICTED
    assert "The class predicted B" in card.status.text()
    qtbot.mouseClick(card.run_button, QtCore.Qt.MouseButton.LeftButton)
    card.run()  # a second press (the button has gone) starts nothing more
    qtbot.keyClick(card, QtCore.Qt.Key.Key_Return)  # Enter while running shows the answer, runs nothing
    assert runs == [1]
    assert not card.run_button.isVisible()


def test_while_the_run_plays_the_card_shrinks_to_the_prediction(card, qtbot):
    card.ask(get_preset("sigmoid-saturation"))
    qtbot.wait(1)  # the layout settles on the event loop, as in the window
    asking = card.heightForWidth(WIDTH_AT_1024)
    card.choose(0)
    card.run()
    qtbot.wait(1)
    assert visible_choices(card) == [] and card.predicted_line.text().startswith("The class predicted A: Spread")
    assert card.answer_button.isVisible() and card.heightForWidth(WIDTH_AT_1024) < asking - 60


def test_letter_keys_choose_and_escape_closes(card, qtbot):
    card.ask(get_preset("overfit"))
    card.setFocus()
    qtbot.keyClick(card, QtCore.Qt.Key.Key_C)
    assert card.predicted == 2
    qtbot.keyClick(card, QtCore.Qt.Key.Key_C, QtCore.Qt.KeyboardModifier.ControlModifier)  # a shortcut, not a vote
    qtbot.keyClick(card, QtCore.Qt.Key.Key_A, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert card.predicted == 2
    qtbot.keyClick(card, QtCore.Qt.Key.Key_Escape)
    assert card.isHidden() and card.question is None


def test_reveal_marks_the_right_answer_green_and_the_wrong_prediction_and_explains(card, qtbot):
    q = get_preset("lr-too-high").question
    card.ask(get_preset("lr-too-high"))
    wrong = (q.answer + 1) % len(q.choices)
    card.choose(wrong)
    verdicts = []
    card.revealed.connect(verdicts.append)
    qtbot.mouseClick(card.answer_button, QtCore.Qt.MouseButton.LeftButton)
    assert verdicts == [False]
    right_button, wrong_button = card.choice_buttons[q.answer], card.choice_buttons[wrong]
    assert (right_button.look, wrong_button.look) == (RIGHT, WRONG)
    assert sorted(visible_choices(card)) == sorted([q.letter(q.answer), q.letter(wrong)])
    assert right_button.letter_label.text() == f"✓ {q.letter(q.answer)}"
    assert card.why.isVisible() and card.why.text() == q.why
    assert card.verdict.text() == f"The class predicted {q.letter(wrong)}; the answer is {q.letter(q.answer)}."
    # the right one is filled with Okabe-Ito green, the wrong guess with the theme's orange (pixels)
    qtbot.wait(10)
    for button, colour in ((right_button, "#009E73"), (wrong_button, style.WRONG)):
        pixel = button.grab().toImage().pixelColor(3, button.height() // 2)
        assert pixel.name().upper() == colour.upper()
    card.choose(q.answer)  # too late to change the prediction
    assert card.predicted == wrong and not card.answer_button.isVisible()


def test_a_right_prediction_is_called_right(card):
    q = get_preset("overfit").question
    card.ask(get_preset("overfit"))
    card.choose(q.answer)
    card.run()
    verdicts = []
    card.revealed.connect(verdicts.append)
    card.reveal()
    card.reveal()  # once only
    assert verdicts == [True] and "right" in card.verdict.text()
    assert visible_choices(card) == [q.letter(q.answer)]


def test_the_answer_shows_itself_after_the_questions_seconds_of_the_scenarios_run(card, real_snap):
    q = get_preset("dead-relu").question
    assert q.reveal_after == 20.0
    card.show_snapshot(snap_at(real_snap, run=3, elapsed=500.0))  # the run before the scenario was chosen
    card.ask(get_preset("dead-relu"))
    card.choose(0)
    card.show_snapshot(snap_at(real_snap, run=3, elapsed=530.0))  # still the old run: does not count
    assert card.trained_seconds == 0.0 and card.is_asking and not card.ran
    card.show_snapshot(snap_at(real_snap, run=4, elapsed=0.0, playing=False))  # the scenario's fresh run
    assert not card.ran
    card.show_snapshot(snap_at(real_snap, run=4, elapsed=12.0))  # started with the Start button
    assert card.ran and card.trained_seconds == 12.0 and "8 s" in card.status.text()
    card.show_snapshot(snap_at(real_snap, run=5, elapsed=0.0))  # Reset during it: the time carries on
    card.show_snapshot(snap_at(real_snap, run=5, elapsed=7.9))
    assert card.is_asking and card.trained_seconds == pytest.approx(19.9)
    card.show_snapshot(snap_at(real_snap, run=5, elapsed=8.0))
    assert not card.is_asking and card.why.isVisible() and card.choice_buttons[q.answer].look == RIGHT
    card.show_snapshot(snap_at(real_snap, run=5, elapsed=float("nan")))  # nothing more happens, no crash


def test_note_training_seconds_reveals_at_the_questions_own_time(card):
    card.ask_question(Question("Will it learn?", ("Yes", "No"), 0, "It does.", reveal_after=5.0))
    card.note_training_seconds(4.9)
    assert card.is_asking and card.ran
    card.note_training_seconds(float("inf"))  # a broken clock is no time at all
    assert card.is_asking
    card.note_training_seconds(5.0)
    assert not card.is_asking and card.choice_buttons[0].look == RIGHT and card.choice_buttons[1].look == PLAIN


def test_a_run_stopped_by_the_guard_shows_the_answer_at_once(card, real_snap):
    card.ask(get_preset("lr-too-high"))
    card.show_snapshot(snap_at(real_snap, run=1, elapsed=3.0, playing=False,
                               diverged="Training stopped: the loss became not a number (NaN)"))
    assert not card.is_asking and card.why.isVisible()


def test_adam_versus_sgd_waits_for_the_lecturer(card, real_snap):
    card.ask(get_preset("adam-vs-sgd"))
    card.show_snapshot(snap_at(real_snap, run=1, elapsed=600.0))
    assert card.is_asking and "show the answer when" in card.status.text()
    card.reveal()
    assert not card.is_asking


def test_skip_runs_at_once_and_hides(card):
    card.ask(get_preset("lr-too-low"))
    runs = []
    card.runRequested.connect(lambda: runs.append(1))
    card.skip_button.click()
    assert runs == [1] and card.isHidden()


@pytest.mark.parametrize("name", TEACHING)
def test_every_scenarios_card_fits_the_right_column_at_1024x768(shown, qtbot, name):
    card = shown(PredictFirstCard(), WIDTH_AT_1024, 300)
    heights = []
    for act in (lambda: card.ask(get_preset(name)), lambda: (card.choose(0), card.run()), card.reveal):
        act()
        qtbot.wait(1)  # the layout settles on the event loop, as in the window
        heights.append(card.heightForWidth(WIDTH_AT_1024))
        assert card.minimumSizeHint().width() <= 600
    asking, running, revealed = heights
    assert asking <= 300 and running <= 190 and revealed <= 310, heights


def test_the_card_follows_the_theme(card, qtbot):
    card.ask(get_preset("dead-relu"))
    card.choose(1)
    try:
        themes.apply_named_theme("dark", card)
        qtbot.waitUntil(lambda: themes.THEMES["dark"].colour("ACCENT") in card.styleSheet(), timeout=1000)
        assert themes.THEMES["dark"].colour("ACCENT") in card.choice_buttons[1].styleSheet()
    finally:
        themes.apply_named_theme("light", card)
    qtbot.waitUntil(lambda: themes.THEMES["light"].colour("ACCENT") in card.styleSheet(), timeout=1000)
    assert card.heading.palette().color(QtGui.QPalette.ColorRole.WindowText).name().upper() == "#0072B2"


def test_floating_it_covers_the_top_of_its_container_under_the_banner_and_takes_no_room(shown, qtbot):
    from PySide6 import QtWidgets
    container = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(container)
    banner, panels = QtWidgets.QLabel("Training stopped"), QtWidgets.QLabel("panels")
    banner.setFixedHeight(50)
    layout.addWidget(banner)
    layout.addWidget(panels, 1)
    shown(container, WIDTH_AT_1024, 600)
    before = container.minimumSizeHint()
    card = PredictFirstCard()
    card.float_over(container, below=banner)
    card.ask(get_preset("overfit"))
    qtbot.waitUntil(lambda: card.geometry().top() >= banner.geometry().bottom())
    assert card.isVisible() and card.width() == container.width() and card.height() >= 200
    assert container.minimumSizeHint() == before  # a 768-pixel screen has no height to give it
    banner.hide()
    qtbot.waitUntil(lambda: card.geometry().top() == 0)
    tall = card.height()
    card.choose(1)
    card.run()
    qtbot.waitUntil(lambda: card.height() < tall - 100)  # two lines while the run plays
    container.resize(WIDTH_AT_1024 - 80, 600)
    qtbot.waitUntil(lambda: card.width() == WIDTH_AT_1024 - 80)
