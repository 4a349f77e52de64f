"""Exported pictures: the panel without its controls, at twice the screen's size by default, and a
file name that says which panel and which moment."""
import numpy as np
from PySide6 import QtGui, QtWidgets

from mnist_viz.gui.export import DEFAULT_SCALE, widget_image
from mnist_viz.gui.file_actions import export_file_name

MAGENTA = (255, 0, 255)


def _panel_with_a_button() -> tuple[QtWidgets.QWidget, QtWidgets.QPushButton]:
    panel = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(panel)
    label = QtWidgets.QLabel("A panel")
    button = QtWidgets.QPushButton("press me")
    button.setStyleSheet("background: rgb(255, 0, 255); border: none;")
    layout.addWidget(label)
    layout.addWidget(button)
    return panel, button


def _pixels(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    stride = image.bytesPerLine()
    data = np.frombuffer(image.constBits(), np.uint8, image.height() * stride).reshape(image.height(), stride)
    return data[:, : 3 * image.width()].reshape(image.height(), image.width(), 3)


def test_an_exported_panel_leaves_its_controls_out_and_keeps_them_on_screen(qtbot, shown):
    panel, button = _panel_with_a_button()
    shown(panel, 300, 200)
    on_screen = _pixels(panel.grab().toImage())
    assert (on_screen == MAGENTA).all(axis=2).sum() > 500  # the test's premise: the button is magenta
    exported = _pixels(widget_image(panel, 1.0))
    assert (exported == MAGENTA).all(axis=2).sum() == 0
    assert button.isVisible()


def test_pngs_are_twice_the_screen_size_by_default(qtbot, shown):
    panel, _ = _panel_with_a_button()
    shown(panel, 300, 200)
    image = widget_image(panel, DEFAULT_SCALE)
    assert DEFAULT_SCALE == 2.0 and (image.width(), image.height()) == (600, 400)


def test_export_names_say_which_panel_and_which_moment():
    assert export_file_name("Learning curves", 2334, "png") == "mnist-viz-learning-curves-step-2334.png"
    assert export_file_name("Confusion matrix", 0, "svg") == "mnist-viz-confusion-matrix-step-0.svg"
    assert export_file_name("window", None, "png") == "mnist-viz-window.png"
