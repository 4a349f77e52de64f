"""Presenting to a room: themes (Light, High contrast, Dark: see ``themes``), Ctrl+/Ctrl- text scaling,
and "enlarge this panel to the whole window" on double-click. The lecture view (F5: a few panels,
every text large) is ``lecture_view``.

Default theme: black on white. A projector in a lit lecture hall washes dark greys into one another,
while dark ink on white keeps its contrast (the panels' ``style`` module already draws plots that
way); accents come from the Okabe-Ito palette, which survives the common colour blindnesses.

Wiring in the window (sketch)::

    apply_theme(app, window)
    zoom = ZoomController(window); zoom.install_shortcuts(window)       # Ctrl +, Ctrl -, Ctrl 0
    frames = [PanelFrame(panel) for panel in panels]                    # put frames in the layout
    stack = FocusStack(central); window.setCentralWidget(stack)
    for frame in frames: stack.add_frame(frame)                         # double-click / Esc
"""
from __future__ import annotations

import functools
import re

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.gui import style, themes

MIN_ZOOM, MAX_ZOOM = 0.5, 3.0
ZOOM_STEP = 1.15


# ------------------------------------------------------------------------------ theme

def projector_palette() -> QtGui.QPalette:
    """The palette of the theme now on (``themes``): Light unless another was chosen."""
    return themes.theme_palette(themes.current_theme())


def apply_theme(app: QtWidgets.QApplication, root: QtWidgets.QWidget | None = None, name: str | None = None) -> None:
    """Apply theme ``name`` (``None``: the one now on; see ``themes.THEMES``) to the application,
    new pyqtgraph plots, and the existing pyqtgraph views under ``root``. Uses the Fusion style,
    which honours the palette on every platform."""
    themes.apply_named_theme(name or themes.current_theme().name, root, app)
    pg.setConfigOptions(antialias=True)


def set_theme(window: QtWidgets.QWidget, on: bool) -> None:
    """High contrast on, or back to Light (the older on/off switch; ``themes`` has all three)."""
    themes.apply_named_theme("high_contrast" if on else "light", window)


# The View > Theme entries (menus), by theme: the window attribute keeping each QAction.
THEME_ACTIONS = {"light": "theme_light_action", "high_contrast": "theme_action", "dark": "theme_dark_action"}


def choose_theme(window: QtWidgets.QWidget, name: str, remember: bool = True) -> None:
    """Put theme ``name`` (``themes.THEMES``) on ``window``, tick it in View > Theme and
    (``remember``) store it in ``window.store`` under ``"view/theme"`` for the next launch."""
    themes.apply_named_theme(name, window)
    name = themes.current_theme().name
    action = getattr(window, THEME_ACTIONS[name], None)
    if action is not None:
        action.setChecked(True)
    store = getattr(window, "store", None)
    if remember and store is not None:
        themes.store_theme(store, name)


def restore_theme(window: QtWidgets.QWidget, store: QtCore.QSettings) -> None:
    """At start-up: the theme chosen last time (Light when none was, or the value does not read)."""
    choose_theme(window, themes.stored_theme(store), remember=False)


def toggle_fullscreen(window: QtWidgets.QWidget) -> None:
    """Presentation mode: full screen, or back to the window it was (maximized stays maximized:
    ``showNormal`` turned a maximized window into a small one on leaving)."""
    if window.isFullScreen():
        was_maximized = bool(window.property("maximizedBeforeFullScreen"))
        window.showMaximized() if was_maximized else window.showNormal()
    else:
        window.setProperty("maximizedBeforeFullScreen", window.isMaximized())
        window.showFullScreen()


# ------------------------------------------------------------------------------ text scaling

def scale_fonts(root: QtWidgets.QWidget, factor: float) -> None:
    """Multiply every font size in the widget tree by ``factor``: Qt widgets' fonts, pyqtgraph axis
    tick fonts, axis labels and titles, and the widths of axis and curve pens.

    Fonts drawn in data coordinates (e.g. digit labels inside an image view) scale with their view
    and are left alone.
    """
    widgets = [root, *root.findChildren(QtWidgets.QWidget)]
    # Read every font before setting any: a parent's new font would otherwise already have
    # reached the children that inherit it, and they would be scaled twice.
    fonts = [(w, QtGui.QFont(w.font())) for w in widgets]
    for widget, f in fonts:
        if f.pointSizeF() > 0:
            f.setPointSizeF(f.pointSizeF() * factor)
        elif f.pixelSize() > 0:
            f.setPixelSize(max(1, round(f.pixelSize() * factor)))
        widget.setFont(f)
    for view in _graphics_views(root):
        for item in view.scene().items():
            _scale_item(item, factor)


def _scale_item(item, factor: float) -> None:
    if isinstance(item, pg.AxisItem):
        tick_font = QtGui.QFont(item.style.get("tickFont") or QtGui.QFont())
        tick_font.setPointSizeF(tick_font.pointSizeF() * factor)
        item.setTickFont(tick_font)
        style.refit_tick_room(item)
        item.setPen(_scaled_pen(item.pen(), factor))
        if "font-size" in item.labelStyle:
            label_style = dict(item.labelStyle, **{"font-size": _scaled_css_size(item.labelStyle["font-size"], factor)})
            item.setLabel(item.labelText, units=item.labelUnits or None, **label_style)
    elif isinstance(item, pg.LabelItem) and item.opts.get("size"):
        item.setText(item.text, size=_scaled_css_size(item.opts["size"], factor))
    elif isinstance(item, pg.TextItem):
        f = QtGui.QFont(item.textItem.font())
        if f.pointSizeF() > 0:
            f.setPointSizeF(f.pointSizeF() * factor)
            item.setFont(f)
    elif isinstance(item, pg.PlotDataItem) and item.opts.get("pen") is not None:
        item.setPen(_scaled_pen(pg.mkPen(item.opts["pen"]), factor))


def _scaled_pen(pen: QtGui.QPen, factor: float) -> QtGui.QPen:
    pen = QtGui.QPen(pen)
    pen.setWidthF(max(1.0, pen.widthF() or 1.0) * factor)
    return pen


def _scaled_css_size(size: str, factor: float) -> str:
    """``"15pt"`` * 1.2 -> ``"18pt"`` (also px); anything else is returned unchanged."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(pt|px)\s*", str(size))
    if not match:
        return size
    return f"{float(match.group(1)) * factor:.3g}{match.group(2)}"


def _graphics_views(root: QtWidgets.QWidget) -> list[pg.GraphicsView]:
    views = root.findChildren(pg.GraphicsView)
    return [root, *views] if isinstance(root, pg.GraphicsView) else list(views)


class ZoomController(QtCore.QObject):
    """Ctrl+ / Ctrl- / Ctrl+0 for a widget tree: text and lines 15 % larger or smaller per step,
    kept between ``MIN_ZOOM`` and ``MAX_ZOOM`` times the original."""

    zoomed = QtCore.Signal(float)  # the new factor: for layouts with fixed sizes to follow

    def __init__(self, root: QtWidgets.QWidget):
        super().__init__(root)
        self.root = root
        self.factor = 1.0
        # The main window's zoom is the app's: text the panels make later (style.font) follows it.
        # A zoom of some other widget tree leaves the app's alone.
        self.sets_app_zoom = isinstance(root, QtWidgets.QMainWindow)
        if self.sets_app_zoom:
            root.destroyed.connect(functools.partial(setattr, style, "TEXT_ZOOM", 1.0))

    def zoom_in(self) -> None:
        self.set_factor(self.factor * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_factor(self.factor / ZOOM_STEP)

    def reset(self) -> None:
        self.set_factor(1.0)

    def set_factor(self, factor: float) -> None:
        factor = min(MAX_ZOOM, max(MIN_ZOOM, factor))
        if abs(factor - self.factor) > 1e-9:
            scale_fonts(self.root, factor / self.factor)
            self.factor = factor
            if self.sets_app_zoom:
                style.TEXT_ZOOM = factor  # text the panels create from now on (style.font) is zoomed too
            self.zoomed.emit(factor)

    def install_shortcuts(self, window: QtWidgets.QWidget) -> list[QtGui.QShortcut]:
        """Ctrl +/=, Ctrl -, Ctrl 0 on ``window`` (wherever the focus is inside it)."""
        keys = ((QtGui.QKeySequence.StandardKey.ZoomIn, self.zoom_in), ("Ctrl+=", self.zoom_in),
                (QtGui.QKeySequence.StandardKey.ZoomOut, self.zoom_out), ("Ctrl+0", self.reset))
        shortcuts = []
        for key, slot in keys:
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(key), window)
            shortcut.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
            shortcuts.append(shortcut)
        return shortcuts


# ------------------------------------------------------------------------------ enlarge a panel

# Double-clicks on these are theirs (editing a number, pressing a button twice), not an enlarge.
_INTERACTIVE = (QtWidgets.QAbstractButton, QtWidgets.QAbstractSpinBox, QtWidgets.QLineEdit,
                QtWidgets.QAbstractSlider, QtWidgets.QComboBox, QtWidgets.QTextEdit)


class PanelFrame(QtWidgets.QFrame):
    """A container for one panel that asks to be enlarged when the panel is double-clicked.

    A widget can opt out (e.g. a drawing pad, where a double-click draws a dot) with
    ``widget.setProperty("noEnlarge", True)``.

    Signals:
        enlargeRequested(): the panel was double-clicked.
    """

    enlargeRequested = QtCore.Signal()

    def __init__(self, panel: QtWidgets.QWidget, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.panel = panel
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(panel)
        self.watch(panel)

    def watch(self, widget: QtWidgets.QWidget) -> None:
        """Listen for double-clicks on ``widget`` and its children (call again for widgets created later)."""
        for w in (widget, *widget.findChildren(QtWidgets.QWidget)):
            w.installEventFilter(self)

    def take_panel(self) -> QtWidgets.QWidget:
        """Remove the panel from the frame (to show it elsewhere); ``put_back`` returns it."""
        self._layout.removeWidget(self.panel)
        return self.panel

    def put_back(self) -> None:
        self._layout.addWidget(self.panel)
        self.panel.show()

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.MouseButtonDblClick and not _keeps_double_click(obj):
            self.enlargeRequested.emit()
            return True  # consumed: otherwise it would bubble to the parent, which we also watch
        return False

    def mouseDoubleClickEvent(self, event: QtGui.QMouseEvent) -> None:
        self.enlargeRequested.emit()


def _keeps_double_click(obj: QtCore.QObject) -> bool:
    return isinstance(obj, _INTERACTIVE) or bool(obj.property("noEnlarge"))


class FocusStack(QtWidgets.QStackedWidget):
    """Page 0 is the normal layout; page 1 shows one ``PanelFrame``'s panel over the whole area.
    ``toggle(frame)`` switches, Esc returns."""

    def __init__(self, normal: QtWidgets.QWidget, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.addWidget(normal)
        self._page = QtWidgets.QWidget()
        self._page_layout = QtWidgets.QVBoxLayout(self._page)
        self._page_layout.setContentsMargins(0, 0, 0, 0)
        self.addWidget(self._page)
        self._frame: PanelFrame | None = None

    @property
    def enlarged(self) -> PanelFrame | None:
        return self._frame

    def add_frame(self, frame: PanelFrame) -> None:
        frame.enlargeRequested.connect(functools.partial(self.toggle, frame))

    def toggle(self, frame: PanelFrame) -> None:
        if self._frame is frame:
            self.restore()
        else:
            self.enlarge(frame)

    def enlarge(self, frame: PanelFrame) -> None:
        self.restore()
        self._page_layout.addWidget(frame.take_panel())
        frame.panel.show()
        self._frame = frame
        self.setCurrentIndex(1)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        # Esc reaches us when no child used it (a focused editor keeps its own Esc).
        if event.key() == QtCore.Qt.Key.Key_Escape and self._frame is not None:
            self.restore()
            event.accept()
        else:
            super().keyPressEvent(event)

    def restore(self) -> None:
        if self._frame is None:
            return
        frame, self._frame = self._frame, None
        self._page_layout.removeWidget(frame.panel)
        frame.put_back()
        self.setCurrentIndex(0)
