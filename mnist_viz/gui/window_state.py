"""What the window remembers between launches (QSettings): geometry, splitter sizes, the training
settings, the pace, the curves' x axis and whether the controls column is shown; and the way back
from all of it (``restore_defaults``).

A first launch (nothing stored, no settings given) trains at the classroom pace, one epoch in about
30 s, so the room sees the tiles form; one click on "Full speed" lifts it.

Everything read back is input from a stranger (another version, a hand-edited file, a crash mid-
write): a value that does not read as what it should be is ignored and the default stays.
"""
from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui

from mnist_viz.core.snapshot import Settings
from mnist_viz.gui.panels.controls import CLASSROOM_PACE, FULL_SPEED

if TYPE_CHECKING:
    from mnist_viz.gui.window import MainWindow


def stored_settings(store: QtCore.QSettings) -> Settings:
    """The training settings of the last session, or the defaults when there are none or they do not
    read (garbage, an unknown field, an out-of-range value)."""
    try:
        return Settings.from_dict(json.loads(str(store.value("training/settings", "{}"))))
    except (ValueError, TypeError, AttributeError):
        return Settings()


def fit_to_screen(window: MainWindow) -> None:
    """On a first launch (or when a remembered geometry does not fit today's screen) the window's
    size (1600x1000 by default) can be larger than a 1280x720 or 1024x768 projector: there it opens
    maximized instead, with its title bar and status line on the screen; a window that fits but
    lies partly off-screen is centred."""
    screen = window.screen() or QtGui.QGuiApplication.primaryScreen()
    if screen is None:
        return
    room = screen.availableGeometry()
    if window.width() > room.width() or window.height() > room.height():
        window.resize(min(window.width(), room.width()), min(window.height(), room.height()))
        window.setWindowState(window.windowState() | QtCore.Qt.WindowState.WindowMaximized)
    elif not room.contains(window.frameGeometry()):
        window.move(room.center() - window.rect().center())


def _on_screen(window: MainWindow) -> bool:
    """Whether the restored geometry lies wholly on one of today's screens: a geometry saved on a
    1920x1080 screen, restored on a 1280x720 projector, put the status line and the mosaic off-screen."""
    if window.isMaximized() or window.isFullScreen():
        return True  # the window manager fits those to the screen
    frame = window.frameGeometry()
    return any(screen.availableGeometry().contains(frame) for screen in QtGui.QGuiApplication.screens())


def save_window_state(window: MainWindow, store: QtCore.QSettings) -> None:
    """Remember geometry, splitter sizes, the settings, the pace and the x axis."""
    store.setValue("window/geometry", window.saveGeometry())
    for key, splitter in window.splitters().items():
        store.setValue(f"window/{key}", splitter.saveState())
    store.setValue("training/settings", json.dumps(window.controls.settings().to_dict()))
    store.setValue("training/pace", window.controls.pace())
    store.setValue("training/speed_limit", window.controls.speed_limit())  # what older versions read
    store.setValue("curves/x_axis", window.curves.x_axis)
    store.setValue("curves/accuracy_view", window.curves.accuracy_view)
    store.setValue("curves/markers", window.curves.markers_visible())
    store.setValue("view/metrics", window.metrics_wanted)
    store.setValue("window/controls_visible", window.controls_action.isChecked())
    store.sync()


def restore_window_state(window: MainWindow, store: QtCore.QSettings) -> None:
    """Apply stored geometry and view choices; anything unreadable is ignored (defaults stay)."""
    geometry = store.value("window/geometry")
    if not isinstance(geometry, QtCore.QByteArray):
        # A first launch is usually the projector: all of it. (1600x1000 on a 1080p screen left the
        # loss plot 100 px tall once the metric cards were there.)
        fit_to_screen(window)
        window.setWindowState(window.windowState() | QtCore.Qt.WindowState.WindowMaximized)
    elif not (window.restoreGeometry(geometry) and _on_screen(window)):
        fit_to_screen(window)
    for key, splitter in window.splitters().items():
        state = store.value(f"window/{key}")
        if isinstance(state, QtCore.QByteArray):
            splitter.restoreState(state)
    restore_pace(window, store)
    x_axis = store.value("curves/x_axis", "epochs")
    if x_axis in ("epochs", "samples"):
        window.curves.set_x_axis(x_axis)
    view = store.value("curves/accuracy_view", "accuracy")
    if view in ("accuracy", "error"):
        window.curves.set_accuracy_view(view)
    window.curves.set_markers_visible(_stored_bool(store, "curves/markers"))
    metrics = _stored_bool(store, "view/metrics")
    window.metrics_action.setChecked(metrics)
    window.set_metrics_wanted(metrics)
    window.toggle_controls(_stored_bool(store, "window/controls_visible"))


def restore_pace(window: MainWindow, store: QtCore.QSettings) -> None:
    """The stored pace; a store from before paces existed has a steps/s limit instead. A first
    launch gets the classroom pace, unless the window was given its settings (tests, scripts)."""
    controls = window.controls
    with contextlib.suppress(TypeError, ValueError):
        if store.contains("training/pace"):
            controls.set_pace(str(store.value("training/pace")))
        elif store.contains("training/speed_limit"):
            controls.set_speed_limit(float(store.value("training/speed_limit", 0.0)))
        elif not store.contains("training/settings") and not getattr(window, "settings_given", True):
            controls.set_pace(CLASSROOM_PACE)


def restore_defaults(window: MainWindow) -> bool:
    """The "Restore defaults" action: the default settings (the full training set, no preset),
    full speed, the curves' x axis in epochs. Restarting a run that has progress asks first, like
    every restart; refused, nothing changes. Returns whether the defaults now apply."""
    controls = window.controls
    if controls.settings() != Settings() and not controls.apply_settings(
            Settings(), "Restore the default settings (and the full training set)?"):
        return False
    controls.forget_preset()
    controls.set_pace(FULL_SPEED)
    window.curves.set_x_axis("epochs")
    return True


def _stored_bool(store: QtCore.QSettings, key: str, default: bool = True) -> bool:
    """A yes/no the store kept (INI files keep "true"/"false" as text); anything else: ``default``."""
    text = str(store.value(key, default)).lower()
    return {"true": True, "false": False}.get(text, default)
