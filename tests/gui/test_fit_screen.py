"""The window fits the screen it opens on: a first launch, a geometry remembered from a larger screen,
and the narrowest projector (1024 px): nothing off-screen."""
from PySide6 import QtCore, QtGui

from mnist_viz.core.snapshot import Settings
from mnist_viz.gui.window import MainWindow

SETTINGS = Settings(hidden=(16,), batch_size=64)


def _window(qtbot, data, store):
    window = MainWindow(data, SETTINGS, store=store)
    qtbot.addWidget(window)
    return window


def test_the_window_can_be_narrower_than_a_1024_pixel_projector(qtbot, small_mnist, store):
    window = _window(qtbot, small_mnist, store)
    window.show()
    qtbot.waitExposed(window)
    # 1024 minus the window manager's borders: everything (the mosaic's right edge, the Live button) on screen
    assert window.minimumSizeHint().width() <= 1000, window.minimumSizeHint()
    assert window.minimumSizeHint().height() <= 700, window.minimumSizeHint()


def test_a_geometry_remembered_on_a_larger_screen_is_fitted_to_todays(qtbot, small_mnist, store, monkeypatch):
    big = _window(qtbot, small_mnist, store)
    big.setGeometry(1700, 300, 1500, 900)  # right half of a 3440-px screen, say
    store.setValue("window/geometry", big.saveGeometry())
    store.sync()
    room = QtCore.QRect(0, 0, 1280, 720)
    monkeypatch.setattr(QtGui.QScreen, "availableGeometry", lambda self: room)
    small = _window(qtbot, small_mnist, store)
    maximized = bool(small.windowState() & QtCore.Qt.WindowState.WindowMaximized)
    assert maximized and small.width() <= 1280 and small.height() <= 720


def test_a_remembered_window_that_fits_but_lies_off_screen_is_moved_onto_it(qtbot, small_mnist, store, monkeypatch):
    first = _window(qtbot, small_mnist, store)
    first.setGeometry(1500, 600, 900, 600)
    store.setValue("window/geometry", first.saveGeometry())
    store.sync()
    room = QtCore.QRect(0, 0, 1280, 720)
    monkeypatch.setattr(QtGui.QScreen, "availableGeometry", lambda self: room)
    again = _window(qtbot, small_mnist, store)
    assert not again.windowState() & QtCore.Qt.WindowState.WindowMaximized
    assert room.contains(again.frameGeometry()), again.frameGeometry()


def test_leaving_full_screen_returns_a_maximized_window_to_maximized(qtbot, small_mnist, store):
    from mnist_viz.gui.presentation import toggle_fullscreen

    window = _window(qtbot, small_mnist, store)
    window.showMaximized()
    qtbot.waitUntil(window.isMaximized)
    toggle_fullscreen(window)
    qtbot.waitUntil(window.isFullScreen)
    toggle_fullscreen(window)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert window.isMaximized()


def test_the_curves_view_and_the_metric_cards_choice_are_remembered(qtbot, small_mnist, store):
    first = _window(qtbot, small_mnist, store)
    first.curves.set_accuracy_view("error")
    first.curves.set_markers_visible(False)
    first.metrics_action.trigger()  # View > Show the metric cards: off
    first.save_state()
    again = _window(qtbot, small_mnist, store)
    assert again.curves.accuracy_view == "error" and not again.curves.markers_visible()
    assert not again.metrics_wanted and not again.metrics_action.isChecked()
