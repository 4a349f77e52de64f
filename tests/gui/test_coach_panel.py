"""The coach's cards: Apply sends the fix, Dismiss and Apply keep a hint away until it clears,
muting hides the cards, and a trained scenario's snapshots raise its card."""
from PySide6 import QtWidgets

from mnist_viz.core import presets
from mnist_viz.core.coach import Hint
from mnist_viz.core.snapshot import LoopState
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.coach import SUPPRESS_CALLS, CoachPanel, fix_button_text

LR = Hint("lr_too_high", "The learning rate is too high", "The loss went up.", {"lr": 0.1},
          "Lower the learning rate to 0.1")
DEAD = Hint("dead_units", "Many hidden units are dead", "60% output 0.", {"activation": "leaky_relu"},
            "Switch to leaky ReLU")


def _cards(panel):
    return {c.hint.id: c for c in panel.findChildren(QtWidgets.QFrame) if c.objectName().startswith("coach_card_")
            and not c.isHidden()}


def test_apply_sends_the_fix_and_keeps_the_hint_away_until_it_clears(shown, qtbot):
    panel = shown(CoachPanel())
    panel.show_hints([LR, DEAD])
    assert set(_cards(panel)) == {"lr_too_high", "dead_units"}
    card = _cards(panel)["lr_too_high"]
    assert card.apply_button.text() == "Lower the learning rate to 0.1"
    assert _cards(panel)["dead_units"].apply_button.text() == "Switch to leaky ReLU (restarts training)"
    with qtbot.waitSignal(panel.fixRequested) as signal:
        card.apply_button.click()
    assert signal.args == [{"lr": 0.1}, "lr_too_high"]
    panel.show_hints([LR, DEAD])  # the rule still raises it: it stays away ...
    assert set(_cards(panel)) == {"dead_units"}
    panel.show_hints([DEAD])  # ... until it clears,
    panel.show_hints([LR, DEAD])  # then it may come back
    assert set(_cards(panel)) == {"lr_too_high", "dead_units"}


def test_a_card_with_a_fix_never_flashes_up_as_a_window_of_its_own(shown, stray_windows):
    # A parentless Apply button made visible was shown as its own window until the card's layout
    # took it: on a desktop a window flashed up, and the main window lost the keyboard.
    panel = shown(CoachPanel())
    stray_windows.watch()
    panel.show_hints([LR, DEAD])
    assert set(_cards(panel)) == {"lr_too_high", "dead_units"}
    assert stray_windows.found == []


def test_dismiss_hides_for_at_most_suppress_calls(shown):
    panel = shown(CoachPanel())
    panel.show_hints([DEAD])
    _cards(panel)["dead_units"].dismiss_button.click()
    for _ in range(SUPPRESS_CALLS - 1):
        panel.show_hints([DEAD])
    assert not _cards(panel)
    panel.show_hints([DEAD])
    assert set(_cards(panel)) == {"dead_units"}


def test_mute_hides_cards_and_signals(shown, qtbot):
    panel = shown(CoachPanel())
    panel.show_hints([LR])
    with qtbot.waitSignal(panel.mutedChanged) as signal:
        panel.mute_button.click()
    assert signal.args == [True] and panel.is_muted() and not _cards(panel)
    assert panel.empty.text() == "Hints are muted."
    panel.set_muted(False)
    assert set(_cards(panel)) == {"lr_too_high"}
    assert fix_button_text(LR) == LR.fix_label


def test_snapshots_of_a_scenario_raise_its_card(shown, small_mnist):
    panel = shown(CoachPanel())
    trainer = Trainer(small_mnist, presets.get_preset("dead-relu").settings)
    for _ in range(4):
        for _ in range(30):
            trainer.step()
        panel.show_snapshot(trainer.snapshot(loop=LoopState(run_id=3)))
    assert "dead_units" in _cards(panel)
    panel.clear()
    assert not _cards(panel) and panel.empty.text() == "No hints: the run looks healthy."


def test_a_running_run_is_judged_at_most_every_interval_a_stopped_one_at_once(shown, small_mnist, monkeypatch):
    from mnist_viz.gui.panels import coach as coach_module

    panel = shown(CoachPanel())
    clock = [100.0]
    monkeypatch.setattr(coach_module.time, "monotonic", lambda: clock[0])
    judged = []
    original = panel.feed.judge
    monkeypatch.setattr(panel.feed, "judge", lambda snap: (judged.append(snap.step), original(snap))[1])
    trainer = Trainer(small_mnist, presets.get_preset("dead-relu").settings)
    steps_kept = 0
    for _ in range(10):  # ten frames within one interval: the first is judged, every row is kept
        trainer.step()
        panel.show_snapshot(trainer.snapshot(loop=LoopState(run_id=3, playing=True)))
        clock[0] += coach_module.JUDGE_INTERVAL / 20
        steps_kept += 1
    assert judged == [1] and len(panel.feed.steps()) == steps_kept
    clock[0] += coach_module.JUDGE_INTERVAL
    trainer.step()
    panel.show_snapshot(trainer.snapshot(loop=LoopState(run_id=3, playing=True)))
    assert judged == [1, 11]
    trainer.step()
    panel.show_snapshot(trainer.snapshot(loop=LoopState(run_id=3, playing=False)))  # paused: at once
    assert judged == [1, 11, 12]
