"""State in plain sight, one gesture one marker: the controls send one change per gesture, the
status line reports the real rate and time, what is remembered shows in the controls, a changed
setting ends a preset, the presets' listing says what the window does, and the pace converts."""
import dataclasses
import types

import pytest
from PySide6 import QtCore

from mnist_viz import cli
from mnist_viz.core.presets import PRESETS
from mnist_viz.core.snapshot import LoopState, Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.controls import (
    CLASSROOM_PACE,
    CUSTOM_PRESET,
    FULL_SPEED,
    LIVE_DEBOUNCE_MS,
    ControlsPanel,
    hidden_to_slider,
    lr_to_slider,
    pace_steps_per_second,
    slider_to_hidden,
    slider_to_lr,
)
from mnist_viz.gui.panels.curves import CurvesPanel
from mnist_viz.gui.panels.status import StatusLine
from mnist_viz.gui.window_state import restore_defaults, restore_pace
from mnist_viz.gui.worker import TrainingWorker


@pytest.fixture
def controls(qtbot):
    panel = ControlsPanel(Settings(), PRESETS)
    qtbot.addWidget(panel)
    panel.ask_restart = lambda question: True
    sent = []
    panel.liveChanged.connect(sent.append)
    panel.sent = sent
    return panel


def drag(slider, positions):
    """What a mouse drag does to a slider: press, a value per mouse move, release."""
    slider.setSliderDown(True)
    for pos in positions:
        slider.setValue(pos)
    slider.setSliderDown(False)


# ------------------------------------------------------------------------ one gesture, one marker
def test_a_learning_rate_drag_sends_one_change_on_release_and_shows_the_value_meanwhile(controls):
    path = [lr_to_slider(v) for v in (0.001, 0.003, 0.02, 0.1, 0.5, 2.0, 1.0)]
    controls.lr_slider.setSliderDown(True)
    for pos in path:
        controls.lr_slider.setValue(pos)
        assert controls.lr_box.value() == slider_to_lr(pos) and controls.is_editing()
    assert controls.sent == []  # nothing while the handle is held
    controls.lr_slider.setSliderDown(False)
    assert controls.sent == [{"lr": 1.0}]  # at once on release, not after a pause


def test_a_real_mouse_drag_on_the_hidden_slider_resizes_once(qtbot, controls):
    controls.resize(330, 900)
    controls.show()
    qtbot.waitExposed(controls)
    slider = controls.hidden_slider
    handle = slider.rect().center()  # the handle starts at 128, the middle of the stops (1 ... 512)
    handle.setX(round(slider.width() * hidden_to_slider(128) / slider.maximum()))
    qtbot.mousePress(slider, QtCore.Qt.MouseButton.LeftButton, pos=handle)
    for dx in range(5, 60, 5):
        target = QtCore.QPoint(handle.x() - dx, handle.y())
        slider.mouseMoveEvent(_mouse_move(target))
    qtbot.mouseRelease(slider, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(handle.x() - 55, handle.y()))
    assert len(controls.sent) == 1 and controls.sent[0]["hidden"][0] < 128
    assert controls.sent[0]["hidden"] == (controls.hidden_box.value(),)


def _mouse_move(pos):
    from PySide6 import QtGui
    return QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, QtCore.QPointF(pos), QtCore.QPointF(pos),
                             QtCore.Qt.MouseButton.NoButton, QtCore.Qt.MouseButton.LeftButton,
                             QtCore.Qt.KeyboardModifier.NoModifier)


def test_a_press_and_release_in_place_sends_nothing(controls):
    drag(controls.lr_slider, [controls.lr_slider.value()])
    assert controls.sent == []


def test_typed_and_keyboard_changes_wait_for_a_pause_and_send_the_last_value(qtbot, controls):
    for lr in (0.01, 0.02, 0.05):
        controls.lr_box.setValue(lr)
    controls.lr_slider.setValue(lr_to_slider(0.3))  # a key on the slider (not held)
    assert controls.sent == []
    qtbot.waitUntil(lambda: bool(controls.sent), timeout=5 * LIVE_DEBOUNCE_MS)
    qtbot.wait(LIVE_DEBOUNCE_MS + 100)
    assert controls.sent == [{"lr": 0.3}]


def test_the_hidden_slider_lands_exactly_on_the_usual_sizes(controls):
    for n in (1, 7, 16, 32, 48, 64, 128, 256, 512):
        assert slider_to_hidden(hidden_to_slider(n)) == n
    for lr in (1e-4, 0.001, 0.01, 0.1, 1.0, 5.0):
        assert slider_to_lr(lr_to_slider(lr)) == lr
    drag(controls.hidden_slider, [hidden_to_slider(200), hidden_to_slider(256)])
    assert controls.sent == [{"hidden": (256,)}] and controls.hidden_box.value() == 256
    controls.hidden_box.setValue(100)  # the box takes any number; the slider goes to the nearest stop
    assert slider_to_hidden(controls.hidden_slider.value()) == 96


# ------------------------------------------------------------------------------ the status line
@pytest.fixture(scope="module")
def snap(small_mnist):
    return Trainer(small_mnist, Settings(hidden=(8,), batch_size=128)).snapshot()


def _at(snap, samples, playing=True, limit=10.0, run=0):
    # the trainer's own numbers count only time inside its steps: far off under a speed limit
    return dataclasses.replace(snap, samples=samples, step=samples // 128, elapsed=samples / 41_450,
                               samples_per_second=41_450.0,
                               loop=LoopState(run_id=run, playing=playing, speed_limit=limit))


def test_the_status_line_reports_the_limited_rate_and_the_wall_time_trained(qtbot, snap, monkeypatch):
    monkeypatch.setattr("mnist_viz.gui.panels.status.REFRESH_INTERVAL", 0.0)  # every snapshot written
    line = StatusLine()
    qtbot.addWidget(line)
    now = [100.0]
    line.clock = lambda: now[0]
    for i in range(81):  # 8 s at 10 steps/s, batch 128, a snapshot per step
        now[0] = 100.0 + i * 0.1
        line.show_snapshot(_at(snap, 128 * i))
    text = line.text()
    assert "1,280 samples/s (limited)" in text and "41,450" not in text
    assert "0:08 trained" in text
    now[0] += 0.05
    line.show_snapshot(_at(snap, 128 * 81, playing=False))
    assert "Paused" in line.text() and "samples/s" not in line.text()
    now[0] += 60  # a minute paused is not training time, and its rate is not shown on resuming
    line.show_snapshot(_at(snap, 128 * 81))
    assert "samples/s" not in line.text() and "0:08 trained" in line.text()
    line.show_snapshot(_at(snap, 0, run=1))  # a reset: a new run starts from nothing
    assert "0:00 trained" in line.text()


def test_at_full_speed_the_status_line_measures_the_wall_clock_too(qtbot, snap):
    line = StatusLine()
    qtbot.addWidget(line)
    for i in range(11):
        line.clock = lambda i=i: i * 0.1
        line.show_snapshot(_at(snap, 3000 * i, limit=0.0))
    assert "30,000 samples/s     " in line.text() and "limit" not in line.text()
    assert "41,450" not in line.text()


# ------------------------------------------------------------------------- remembered, and shown
def test_a_training_subset_shows_with_a_button_that_uses_every_image(qtbot):
    controls = ControlsPanel(PRESETS["overfit"].settings, PRESETS)
    qtbot.addWidget(controls)
    restarts = []
    controls.restartRequested.connect(restarts.append)
    assert not controls.subset_row.isHidden()
    assert controls.subset_label.text() == "Training on 500 of 60,000 images; 10,000 held out for validation"
    controls.set_dataset_size(20_000)
    assert controls.subset_label.text().startswith("Training on 500 of 20,000 images")
    controls.use_all_button.click()  # no progress yet: no question
    assert (restarts[-1].train_subset, restarts[-1].val_size) == (0, 0)
    assert controls.subset_row.isHidden()


def test_restore_defaults_resets_settings_pace_and_x_axis_and_asks_first(qtbot):
    controls = ControlsPanel(PRESETS["overfit"].settings, PRESETS)
    curves = CurvesPanel()
    qtbot.addWidget(controls)
    qtbot.addWidget(curves)
    window = types.SimpleNamespace(controls=controls, curves=curves)
    controls.set_pace("steps:3")
    curves.set_x_axis("samples")
    controls.set_has_progress(True)
    controls.ask_restart = lambda question: False
    assert not restore_defaults(window)
    assert controls.settings() == PRESETS["overfit"].settings and controls.pace() == "steps:3"
    asked = []
    controls.ask_restart = lambda question: asked.append(question) or True
    assert restore_defaults(window) and asked
    assert controls.settings() == Settings() and controls.pace() == FULL_SPEED and controls.speed_limit() == 0
    assert curves.x_axis == "epochs" and controls.subset_row.isHidden()
    assert controls.preset_combo.currentText() == CUSTOM_PRESET


def test_a_first_launch_paces_itself_for_the_room_and_a_stored_pace_wins(qtbot, store):
    controls = ControlsPanel()
    qtbot.addWidget(controls)
    window = types.SimpleNamespace(controls=controls, settings_given=False)
    restore_pace(window, store)
    assert controls.pace() == CLASSROOM_PACE
    assert controls.speed_limit() == pytest.approx(469 / 30)  # 60,000 images at batch 128, in 30 s
    controls.set_pace(FULL_SPEED)
    store.setValue("training/pace", "steps:3")
    restore_pace(window, store)
    assert controls.pace() == "steps:3"
    given = ControlsPanel()
    qtbot.addWidget(given)
    restore_pace(types.SimpleNamespace(controls=given, settings_given=True), type(store)(store.fileName() + "2",
                                                                                   store.format()))
    assert given.pace() == FULL_SPEED  # tests and scripts that pass settings are not slowed down


# ---------------------------------------------------------------------------------- presets
def test_a_recipe_clears_the_speed_limit_and_a_scenario_sets_its_own_pace(controls):
    speeds = []
    controls.speedChanged.connect(speeds.append)
    controls.set_pace("steps:3")
    assert controls.choose_preset("fast", confirm=True)
    assert controls.pace() == FULL_SPEED and speeds[-1] == 0.0
    assert controls.choose_preset("lr-too-high", confirm=True)
    assert controls.pace() == "epoch:30" and speeds[-1] == pytest.approx(469 / 30)


def test_changing_a_setting_of_a_preset_ends_its_budget_and_schedule(controls):
    budgets, ended = [], []
    controls.presetApplied.connect(budgets.append)
    controls.presetEnded.connect(ended.append)
    assert controls.choose_preset("fast", confirm=True)
    assert budgets == [PRESETS["fast"]] and controls.preset_combo.currentData() == "fast"
    controls.optimizer_combo.setCurrentIndex(controls.optimizer_combo.findData("adam"))
    controls.optimizer_combo.activated.emit(controls.optimizer_combo.currentIndex())
    controls.flush()
    assert budgets[-1] is None  # the window forwards it to worker.set_budget(None): train until paused
    assert controls.sent == [{"optimizer": "adam", "lr_decay": 1.0}]  # the ×0.4 schedule ends too
    assert controls.preset_combo.currentText() == CUSTOM_PRESET
    assert ended == [("Preset “Fast default (momentum SGD, batch 128)” ended: you changed the optimizer; "
                      "its budget (3 epochs) and its lr schedule (×0.4 per epoch) no longer apply.")]
    controls.lr_box.setValue(5.0)
    controls.flush()
    assert len(ended) == 1 and controls.sent[-1] == {"lr": 5.0}  # ended once


def test_a_restart_field_ends_the_preset_and_its_schedule(controls):
    restarts, ended = [], []
    controls.restartRequested.connect(restarts.append)
    controls.presetEnded.connect(ended.append)
    assert controls.choose_preset("best", confirm=True)
    assert controls.request_restart({"seed": 3}, confirm=True)
    assert restarts[-1].seed == 3 and restarts[-1].lr_decay == 1.0 and "changed the seed" in ended[-1]
    assert controls.preset_combo.currentText() == CUSTOM_PRESET


def test_the_presets_listing_says_what_the_window_does_with_each_budget(capsys):
    assert cli.main(["presets"]) == 0
    out = capsys.readouterr().out
    sent = []
    fake_worker = types.SimpleNamespace(send=sent.append)
    for preset in PRESETS.values():
        block = out[out.index(f"  {preset.name} "):]
        line = block.splitlines()[1]
        TrainingWorker.set_budget(fake_worker, preset)  # what the window sends when it is loaded
        window_stops = sent[-1].preset is not None
        assert window_stops == preset.stops_at_budget
        if window_stops:
            assert f"In the window: {preset.budget}, then pauses." in line
        else:
            assert "In the window: trains until you pause." in line
        assert f"`mnist-viz train`: {preset.budget}." in line
    assert "overfit" in out and "200 epochs, then pauses" not in out


# ---------------------------------------------------------------------------------- the pace
def test_a_pace_in_seconds_per_epoch_becomes_steps_per_second():
    assert pace_steps_per_second("epoch:30", Settings(batch_size=128), 60_000) == pytest.approx(469 / 30)
    assert pace_steps_per_second("epoch:10", Settings(optimizer="gd"), 60_000) == pytest.approx(0.1)
    overfit = PRESETS["overfit"].settings  # 500 images, batch 50: 10 steps per epoch
    assert pace_steps_per_second("epoch:30", overfit, 60_000) == pytest.approx(10 / 30)
    assert pace_steps_per_second("steps:3", overfit, 60_000) == 3.0
    assert pace_steps_per_second(FULL_SPEED, overfit, 60_000) == 0.0


def test_the_pace_follows_the_batch_size_and_one_click_goes_to_full_speed(qtbot, controls):
    speeds = []
    controls.speedChanged.connect(speeds.append)
    controls.set_pace("epoch:30")
    assert speeds == [pytest.approx(469 / 30)] and "15.6 steps/s at batch 128" in controls.pace_note.text()
    controls.batch_box.setValue(600)
    assert speeds[-1] == pytest.approx(100 / 30)  # the epoch still takes 30 s
    controls.full_speed_button.click()
    assert speeds[-1] == 0.0 and controls.pace() == FULL_SPEED and not controls.full_speed_button.isEnabled()


def test_a_click_held_on_the_groove_is_one_change_sent_on_release(qtbot):
    """A press on the groove steps a page and repeats while held (no sliderPressed): one change."""
    from PySide6.QtTest import QTest

    from mnist_viz.gui.panels.controls import ControlsPanel

    panel = ControlsPanel(Settings())
    qtbot.addWidget(panel)
    panel.resize(330, 800)
    panel.show()
    qtbot.waitExposed(panel)
    sent = []
    panel.liveChanged.connect(sent.append)
    slider = panel.lr_slider
    far_right = QtCore.QPoint(slider.width() - 3, slider.height() // 2)
    QTest.mousePress(slider, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, far_right)
    qtbot.wait(1200)  # the initial repeat delay and several repeats
    assert slider.value() > lr_to_slider(Settings().lr) + slider.pageStep()  # it did step more than once
    assert sent == []
    QTest.mouseRelease(slider, QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.KeyboardModifier.NoModifier, far_right)
    qtbot.waitUntil(lambda: len(sent) == 1)
    qtbot.wait(600)  # past the debounce: nothing more
    assert len(sent) == 1 and sent[0]["lr"] == pytest.approx(slider_to_lr(slider.value()))


def test_a_typed_learning_rate_beyond_the_range_is_clamped_and_said(qtbot):
    from PySide6.QtTest import QTest

    panel = ControlsPanel(Settings())
    qtbot.addWidget(panel)
    panel.show()
    notices, sent = [], []
    panel.notice.connect(notices.append)
    panel.liveChanged.connect(sent.append)
    box = panel.lr_box
    box.setFocus()
    box.lineEdit().selectAll()
    QTest.keyClicks(box.lineEdit(), "50")
    QTest.keyClick(box.lineEdit(), QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(sent), timeout=3000)
    assert box.value() == box.maximum() and sent[-1]["lr"] == box.maximum()
    assert notices and "50" in notices[0] and f"set to {box.maximum():g}" in notices[0]


def test_the_status_line_is_rewritten_at_most_four_times_a_second_but_at_once_on_a_pause(qtbot, snap):
    line = StatusLine()
    qtbot.addWidget(line)
    now = [0.0]
    line.clock = lambda: now[0]
    texts = []
    for i in range(33):  # one second of snapshots at 33 frames/s
        now[0] = i / 33
        line.show_snapshot(_at(snap, 128 * i))
        texts.append(line.text())
    assert 3 <= len(set(texts)) <= 5
    now[0] += 0.01
    line.show_snapshot(_at(snap, 128 * 33, playing=False))
    assert "Paused" in line.text()
