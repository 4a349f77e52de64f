"""What's this? (Shift+F1): every control and panel of a real window explains itself with its current
value, through Qt's help events, and falls back to its nearest registered ancestor."""
import math

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.snapshot import Settings
from mnist_viz.gui.whats_this import NO_SNAPSHOT, install, whats_this_action
from mnist_viz.gui.window import MainWindow

SETTINGS = Settings(hidden=(32,), batch_size=64)
# QWhatsThis.showText's popup raises itself and grabs the keyboard, which the offscreen plugin cannot do
POPUP_WARNINGS = pytest.mark.qt_log_ignore("This plugin does not support raise",
                                           "This plugin does not support grabbing the keyboard")
CONTROL_TYPES = (QtWidgets.QAbstractSlider, QtWidgets.QAbstractSpinBox, QtWidgets.QComboBox,
                 QtWidgets.QAbstractButton)


@pytest.fixture
def idle(qtbot, small_mnist, store):
    """A shown window that has not trained (no snapshot yet), with What's this installed."""
    window = MainWindow(small_mnist, SETTINGS, store=store)
    qtbot.addWidget(window)
    window.controls.ask_restart = lambda question: True
    window.show()
    assert install(window) is install(window)  # whether or not the window installed it already: one registry
    yield window
    QtWidgets.QWhatsThis.hideText()
    window.shutdown()


def help_event(kind, widget):
    centre = widget.rect().center()
    return QtGui.QHelpEvent(kind, centre, widget.mapToGlobal(centre))


def tab_panels(window):
    """The panel on every tab (a scrolling page holds its panel)."""
    pages = (window.tabs.widget(i) for i in range(window.tabs.count()))
    return [page.widget() if isinstance(page, QtWidgets.QScrollArea) else page for page in pages]


def test_every_control_and_every_panel_has_an_explainer_of_its_own(idle):
    registered = set(idle.explainers.registered())
    # what a user turns or presses; not the parts of a box or the scroll bars of a combo's popup list
    controls = [w for w in idle.controls.findChildren(QtWidgets.QWidget) if isinstance(w, CONTROL_TYPES)
                and not isinstance(w, QtWidgets.QScrollBar) and w.window() is idle
                and not isinstance(w.parentWidget(), (QtWidgets.QAbstractSpinBox, QtWidgets.QComboBox))]
    assert len(controls) >= 20
    missing = [f"{type(w).__name__} {w.toolTip()[:40]!r}" for w in controls if w not in registered]
    assert not missing, missing
    panels = [*tab_panels(idle), *idle.panels, idle.timeline, idle.status_label, idle.metrics, idle.banner,
              idle.compare.view]
    assert len(tab_panels(idle)) == idle.tabs.count() >= 10
    assert [type(p).__name__ for p in panels if p not in registered] == []


def test_before_any_snapshot_every_text_says_what_it_will_show(idle):
    assert idle.latest is None
    texts = {w: idle.explainers.text_for(w) for w in idle.explainers.registered()}
    assert all(texts.values())
    assert not [t for t in texts.values() if t.startswith("No explanation")]
    assert NO_SNAPSHOT in texts[idle.curves] and NO_SNAPSHOT in texts[idle.weights]


def test_the_text_carries_the_current_value(idle):
    c, text_for = idle.controls, idle.explainers.text_for
    for lr in (0.05, 0.3):
        c.set_lr(lr)
        assert f"{c.settings().lr:.3g}" in text_for(c.lr_slider) == text_for(c.lr_box)
    assert text_for(c.lr_slider) != (c.set_lr(0.002) or text_for(c.lr_slider))
    c.set_hidden(48)
    assert f": {c.settings().hidden[0]}." in text_for(c.hidden_sliders[0])
    assert "not used" in text_for(c.hidden_boxes[2])
    assert c.set_layer_count(2, confirm=True)
    arch = "-".join(str(n) for n in (784, *c.settings().hidden, 10))
    assert arch in text_for(c.layers_combo) and "not used" not in text_for(c.hidden_boxes[1])


@POPUP_WARNINGS
def test_a_whats_this_event_shows_the_text_and_a_query_is_answered(idle):
    box, explainers = idle.controls.lr_box, idle.explainers
    query = help_event(QtCore.QEvent.Type.QueryWhatsThis, box)
    query.ignore()
    QtWidgets.QApplication.sendEvent(box, query)
    assert query.isAccepted()
    QtWidgets.QApplication.sendEvent(box, help_event(QtCore.QEvent.Type.WhatsThis, box))
    assert explainers.last_text == explainers.text_for(box)
    assert f"{idle.controls.settings().lr:.3g}" in explainers.last_text
    popups = [w for w in QtWidgets.QApplication.topLevelWidgets() if w.isVisible() and type(w).__name__ != "MainWindow"
              and w.metaObject().className() == "QWhatsThat"]
    assert popups, "QWhatsThis.showText put up no popup"


@POPUP_WARNINGS
def test_in_whats_this_mode_a_click_explains_instead_of_acting(qtbot, idle):
    c, explainers = idle.controls, idle.explainers
    seed = c.settings().seed
    QtWidgets.QWhatsThis.enterWhatsThisMode()
    qtbot.mouseClick(c.seed_box.lineEdit(), QtCore.Qt.MouseButton.LeftButton)  # a part of the box: its owner's text
    assert not QtWidgets.QWhatsThis.inWhatsThisMode()
    assert explainers.last_text == explainers.text_for(c.seed_box) and f"Seed: {seed}." in explainers.last_text
    QtWidgets.QWhatsThis.enterWhatsThisMode()
    with qtbot.assertNotEmitted(c.stepClicked):
        qtbot.mouseClick(c.step_button, QtCore.Qt.MouseButton.LeftButton)
    assert "Step" in explainers.last_text


@POPUP_WARNINGS
def test_an_unregistered_widget_falls_back_to_its_nearest_registered_ancestor(idle):
    explainers = idle.explainers
    inner = QtWidgets.QLabel("inside", idle.curves)
    assert inner not in explainers.registered()
    QtWidgets.QApplication.sendEvent(inner, help_event(QtCore.QEvent.Type.WhatsThis, inner))
    assert explainers.last_text == explainers.text_for(idle.curves) and "Curves" in explainers.last_text
    row = idle.controls.lr_slider.parentWidget()  # the slider's row: only the controls panel is above it
    assert explainers.text_for(row) == explainers.text_for(idle.controls)
    stranger = QtWidgets.QWidget()
    assert explainers.text_for(stranger) == ""
    assert explainers.eventFilter(stranger, help_event(QtCore.QEvent.Type.WhatsThis, stranger)) is False
    broken = QtWidgets.QLabel("x", idle)
    explainers.register(broken, lambda: 1 / 0)  # a bug in a help text says so instead of crashing
    assert "ZeroDivisionError" in explainers.text_for(broken)


def test_clicks_still_work_and_shift_f1_enters_whats_this_mode(qtbot, idle):
    explainers = idle.explainers
    press = QtGui.QMouseEvent(QtCore.QEvent.Type.MouseButtonPress, QtCore.QPointF(3, 3), QtCore.QPointF(3, 3),
                              QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.LeftButton,
                              QtCore.Qt.KeyboardModifier.NoModifier)
    assert explainers.eventFilter(idle.controls.start_button, press) is False
    with qtbot.waitSignal(idle.controls.stepClicked, timeout=1000):
        qtbot.mouseClick(idle.controls.step_button, QtCore.Qt.MouseButton.LeftButton)
    action = whats_this_action(idle)
    assert action.shortcut() == QtGui.QKeySequence("Shift+F1")
    action.trigger()
    try:
        assert QtWidgets.QWhatsThis.inWhatsThisMode()
    finally:
        QtWidgets.QWhatsThis.leaveWhatsThisMode()


def test_after_training_the_panels_say_the_live_numbers(qtbot, idle):
    idle.start()
    idle.controls.step_button.click()
    qtbot.waitUntil(lambda: idle.latest is not None and idle.latest.step >= 1
                    and idle.explainers.latest_numbers.step >= 1, timeout=10_000)
    numbers, text_for = idle.explainers.latest_numbers, idle.explainers.text_for
    assert math.isfinite(numbers.loss)
    assert f"Loss {numbers.loss:.3g} at step {numbers.step:,}" in text_for(idle.curves)
    assert f"step {idle.latest.step:,}" in text_for(idle.controls.step_button)
    texts = [text_for(w) for w in idle.explainers.registered()]
    assert [t for t in texts if NO_SNAPSHOT in t or t.startswith("No explanation")] == []
    assert f"{idle.latest.settings.hidden[0]} units" in text_for(idle.weights)
