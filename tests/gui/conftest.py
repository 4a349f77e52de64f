"""Fixtures for the GUI tests: Qt runs offscreen (tests/conftest.py sets it), so they need no display."""
import gc

import pytest


@pytest.fixture
def store(tmp_path):
    """A QSettings file in a temp folder: the tests never touch the user's real settings."""
    from PySide6 import QtCore
    return QtCore.QSettings(str(tmp_path / "mnist-viz.ini"), QtCore.QSettings.Format.IniFormat)


class _Widgets:
    """Shows test widgets and keeps them alive until teardown.

    pytest-qt holds only weak references. A top-level panel that the test no longer references
    but that sits in a reference cycle (signal connections to its own methods) is then freed by
    Python's cyclic GC at a random moment: valgrind caught one freed in the middle of its own paint
    event (its backing store deleted inside QPainter::drawImage), which crashes the process. So the
    widgets are held here until pytest-qt has closed them, and the cycles are collected then, while
    nothing paints.
    """

    def __init__(self, qtbot):
        self.qtbot, self.kept = qtbot, []

    def keep(self, widget):
        self.qtbot.addWidget(widget)
        self.kept.append(widget)
        return widget

    def __call__(self, widget, w=700, h=500):
        self.keep(widget)
        widget.resize(w, h)
        widget.show()
        self.qtbot.waitExposed(widget)
        return widget

    def release(self) -> None:
        self.kept.clear()
        gc.collect()


@pytest.fixture
def shown(qtbot):
    widgets = _Widgets(qtbot)
    yield widgets
    widgets.release()  # pytest-qt has closed them by now (its teardown hook runs before fixtures')


class _StrayWindows:
    """Records every widget shown as a window of its own that is not meant to be one (not a main
    window, dialog, menu, tooltip or popup): e.g. a parentless button made visible before a layout
    takes it, which flashes up as a window and takes the keyboard from the main window."""

    def __init__(self, qapp) -> None:
        from PySide6 import QtCore

        recorder = self

        class _Filter(QtCore.QObject):
            def eventFilter(self, watched, event):
                if event.type() == QtCore.QEvent.Type.Show:
                    recorder._check(watched)
                return False

        self.app, self.found, self._filter = qapp, [], _Filter()

    def watch(self) -> None:
        """Record from now on (once the test's own windows are up)."""
        self.app.installEventFilter(self._filter)

    def stop(self) -> None:
        self.app.removeEventFilter(self._filter)

    def _check(self, widget) -> None:
        from PySide6 import QtCore, QtWidgets

        meant = (QtWidgets.QMainWindow, QtWidgets.QDialog, QtWidgets.QMenu)
        if (isinstance(widget, QtWidgets.QWidget) and widget.isWindow() and not isinstance(widget, meant)
                and widget.windowType() not in (QtCore.Qt.WindowType.ToolTip, QtCore.Qt.WindowType.Popup)):
            self.found.append(f"{type(widget).__name__} {widget.objectName()!r}")


@pytest.fixture
def stray_windows(qapp):
    """Call ``.watch()`` once the test's own windows are up; ``.found`` then lists the widgets shown
    as stray windows (see ``_StrayWindows``)."""
    recorder = _StrayWindows(qapp)
    yield recorder
    recorder.stop()
