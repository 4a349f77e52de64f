"""The dropout and augmentation knobs in the controls' Live group: one change per gesture, in the
settings' own words; the boxes follow the trainer's settings; a preset that sets them shows them."""
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from mnist_viz.core.presets import PRESETS
from mnist_viz.core.snapshot import MAX_DROPOUT, MAX_ROTATE, MAX_SHIFT, Settings
from mnist_viz.gui.panels.controls import ControlsPanel


@pytest.fixture
def controls(qtbot):
    panel = ControlsPanel(Settings(), PRESETS)
    qtbot.addWidget(panel)
    panel.ask_restart = lambda question: True
    panel.sent = []
    panel.liveChanged.connect(panel.sent.append)
    return panel


def test_changing_dropout_sends_one_live_change(controls):
    controls.dropout_box.setValue(0.3)
    assert controls.sent == []  # debounced: a burst of arrow clicks is one change
    controls.flush()
    assert controls.sent == [{"dropout": 0.3}]
    assert controls.settings().dropout == 0.3


def test_a_burst_of_arrow_clicks_is_one_change_with_the_last_value(qtbot, controls):
    controls.show()
    qtbot.waitExposed(controls)
    box = controls.dropout_box
    box.setFocus()
    for _ in range(4):
        QTest.keyClick(box, QtCore.Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: bool(controls.sent), timeout=3000)
    qtbot.wait(500)  # past the debounce: nothing more
    assert controls.sent == [{"dropout": pytest.approx(0.4)}]


def test_shift_and_turn_send_their_own_settings(controls):
    controls.shift_box.setValue(2)
    controls.rotate_box.setValue(10)
    controls.flush()
    assert controls.sent == [{"augment_shift": 2, "augment_rotate": 10.0}]
    assert isinstance(controls.sent[0]["augment_shift"], int)
    controls.shift_box.setValue(0)
    controls.flush()
    assert controls.sent[-1] == {"augment_shift": 0}


def test_the_boxes_follow_the_settings_without_sending_anything(controls):
    controls.set_settings(Settings(dropout=0.45, augment_shift=3, augment_rotate=7.5))
    assert controls.dropout_box.value() == pytest.approx(0.45)
    assert controls.shift_box.value() == 3 and controls.rotate_box.value() == pytest.approx(7.5)
    assert controls.rotate_box.text() == "±7.5°" and controls.shift_box.text() == "±3 px"
    controls.flush()
    assert controls.sent == []
    controls.set_settings(Settings())
    assert (controls.dropout_box.text(), controls.shift_box.text(), controls.rotate_box.text()) == \
        ("off", "no shift", "no turn")


def test_the_boxes_reach_every_value_the_settings_allow(controls):
    assert controls.dropout_box.maximum() == pytest.approx(MAX_DROPOUT)
    assert controls.shift_box.maximum() == MAX_SHIFT and controls.rotate_box.maximum() == pytest.approx(MAX_ROTATE)


def test_the_regularised_preset_shows_its_dropout_and_augmentation(controls):
    restarts = []
    controls.restartRequested.connect(restarts.append)
    assert controls.choose_preset("mlp-800-distort", confirm=True)
    s = PRESETS["mlp-800-distort"].settings
    assert restarts == [s]
    assert controls.dropout_box.value() == pytest.approx(s.dropout)
    assert controls.shift_box.value() == s.augment_shift
    assert controls.rotate_box.value() == pytest.approx(s.augment_rotate)
    # changing one of them ends the preset, in the knob's own name
    ended = []
    controls.presetEnded.connect(ended.append)
    controls.dropout_box.setValue(0.1)
    controls.flush()
    assert ended and "dropout" in ended[0]
    assert controls.sent[-1]["dropout"] == pytest.approx(0.1)
