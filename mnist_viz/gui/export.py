"""Save a panel as PNG or SVG for slides and handouts.

A widget that *is* a pyqtgraph view (``PlotWidget``, ``GraphicsLayoutWidget``) is exported through
pyqtgraph's exporters (its scene, at any resolution); any other widget (a panel with Qt labels and
buttons around its plots) is rendered by Qt itself: ``QWidget.grab``/``render`` for PNG and
``QSvgGenerator`` for SVG. The panel's own controls (the x-axis box, buttons, spin boxes, sliders)
are hidden while it is drawn: a slide shows the picture, not the knobs. PNGs are drawn at twice the
screen's size by default, crisp on a 4K projector or a printed handout. Files are written atomically
(temporary file + rename, via ``core.files.atomic_write``), so a failed export never leaves half a
file; an unwritable location raises ``FileWriteError`` naming the path.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from mnist_viz.core.files import FileWriteError, atomic_write
from mnist_viz.core.i18n import tr

__all__ = ["DEFAULT_SCALE", "FileWriteError", "export_widget_png", "export_widget_svg", "widget_image",
           "widget_svg_bytes"]

DEFAULT_SCALE = 2.0
# What a viewer of a slide cannot use: left out of exported pictures (hidden while they are drawn).
CONTROL_TYPES = (QtWidgets.QAbstractButton, QtWidgets.QComboBox, QtWidgets.QAbstractSpinBox,
                 QtWidgets.QAbstractSlider)


def export_widget_png(widget: QtWidgets.QWidget, path: str | os.PathLike, scale: float = DEFAULT_SCALE) -> Path:
    """Write ``widget`` as a PNG of ``scale`` times its size (2 by default: crisp slides). Returns the path.

    Raises:
        FileWriteError: the folder is missing or not writable, the disk is full, or the widget
            has no area; the message names ``path``.
    """
    path = Path(path)
    image = widget_image(widget, scale)
    if image.isNull() or image.width() == 0 or image.height() == 0:
        raise FileWriteError(path, tr("the widget has no visible area to export"))
    data = _png_bytes(image)
    if not data:
        raise FileWriteError(path, tr("Qt could not encode the image as PNG"))
    return atomic_write(path, lambda f: f.write(data))


def export_widget_svg(widget: QtWidgets.QWidget, path: str | os.PathLike) -> Path:
    """Write ``widget`` as an SVG (vector) file. Returns the path.

    Raises:
        FileWriteError: as ``export_widget_png``; the message names ``path``.
    """
    path = Path(path)
    data = widget_svg_bytes(widget)
    return atomic_write(path, lambda f: f.write(data))


def widget_image(widget: QtWidgets.QWidget, scale: float = 1.0) -> QtGui.QImage:
    """``widget`` rendered to a QImage of ``scale`` times its size, without its controls."""
    with controls_hidden(widget):
        return _widget_image(widget, scale)


@contextlib.contextmanager
def controls_hidden(widget: QtWidgets.QWidget) -> Iterator[None]:
    """Hide the controls inside ``widget`` (``hide_controls``) and lay it out again; show them again
    afterwards."""
    hidden = hide_controls(widget)
    _lay_out(widget)
    try:
        yield
    finally:
        for control in hidden:
            control.setVisible(True)
        _lay_out(widget)


def hide_controls(widget: QtWidgets.QWidget) -> list[QtWidgets.QWidget]:
    """Hide the visible controls inside ``widget`` (``CONTROL_TYPES``; not ``widget`` itself, not
    scroll bars); returns them, to show again."""
    shown = [c for c in widget.findChildren(QtWidgets.QWidget) if isinstance(c, CONTROL_TYPES)
             and c.isVisible() and not isinstance(c, QtWidgets.QScrollBar)]
    shown += [label for control in shown if (label := _caption_before(control)) is not None]
    for control in shown:
        control.setVisible(False)
    return shown


def _caption_before(control: QtWidgets.QWidget) -> QtWidgets.QLabel | None:
    """The "x:" or "digits:" label just before ``control`` in its row, if there is one: it names a
    control that is gone."""
    parent = control.parentWidget()
    layout = parent.layout() if parent is not None else None
    for row in [layout, *(layout.findChildren(QtWidgets.QLayout) if layout is not None else [])]:
        index = row.indexOf(control) if row is not None else -1
        if index > 0:
            before = row.itemAt(index - 1).widget()
            if isinstance(before, QtWidgets.QLabel) and before.text().rstrip().endswith(":") and before.isVisible():
                return before
    return None


def _lay_out(widget: QtWidgets.QWidget) -> None:
    """Apply pending layout changes now (they would wait for the event loop), innermost first."""
    for child in [*reversed(widget.findChildren(QtWidgets.QWidget)), widget]:
        if child.layout() is not None:
            child.layout().activate()


def _widget_image(widget: QtWidgets.QWidget, scale: float) -> QtGui.QImage:
    source = _pyqtgraph_source(widget)
    if source is not None:
        exporter = pg_exporters.ImageExporter(source)
        width = max(1, round(widget.width() * scale))
        if exporter.parameters()["width"] != width:
            exporter.parameters()["width"] = width  # the exporter keeps the aspect: height follows
        return exporter.export(toBytes=True)
    if scale == 1.0:
        return widget.grab().toImage()
    image = QtGui.QImage(max(1, round(widget.width() * scale)), max(1, round(widget.height() * scale)),
                         QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    try:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.scale(scale, scale)
        _render_widget(widget, painter)
    finally:
        painter.end()  # a painter left open on a device that is destroyed crashes Qt
    return image


def widget_svg_bytes(widget: QtWidgets.QWidget) -> bytes:
    """``widget`` as SVG document bytes (UTF-8 XML)."""
    source = _pyqtgraph_source(widget)
    if source is not None:
        try:
            return pg_exporters.SVGExporter(source).export(toBytes=True)
        except ValueError:
            # pyqtgraph's SVG post-processing cannot parse the path data newer Qt writes
            # (pyqtgraph issue #3485); Qt's own SVG rendering below always works.
            pass
    with controls_hidden(widget):
        return _qt_svg(widget)


def _pyqtgraph_source(widget: QtWidgets.QWidget):
    """What pyqtgraph's exporters should export when ``widget`` is one pyqtgraph view: the
    PlotItem of a ``PlotWidget``, the whole scene of another ``GraphicsView``; else None."""
    if isinstance(widget, pg.PlotWidget):
        return widget.getPlotItem()
    if isinstance(widget, pg.GraphicsView):
        return widget.scene()
    return None


def _qt_svg(widget: QtWidgets.QWidget) -> bytes:
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator()
    generator.setOutputDevice(buffer)
    size = widget.size()
    generator.setSize(size)
    generator.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), size))
    generator.setTitle(widget.windowTitle() or "mnist-viz")
    generator.setDescription("Exported from mnist-viz")
    painter = QtGui.QPainter(generator)
    try:
        _render_widget(widget, painter)
    finally:
        painter.end()
    buffer.close()
    return bytes(buffer.data())


def _render_widget(widget: QtWidgets.QWidget, painter: QtGui.QPainter) -> None:
    """The widget as it looks on screen, children included. ``QWidget.render`` is called
    explicitly because ``QGraphicsView`` overrides ``render`` with "render the scene"."""
    QtWidgets.QWidget.render(widget, painter, QtCore.QPoint(0, 0))


def _png_bytes(image: QtGui.QImage) -> bytes:
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    ok = image.save(buffer, "PNG")
    buffer.close()
    return bytes(buffer.data()) if ok else b""

