"""The lecture view (F5): three panels for the moment, every text large enough for the back row.

The learning curves, the weight mosaic and the probe digits fill the screen; the controls column, the
other tabs, the look-back timeline, the menu bar and the status line are hidden (every shortcut still
works). Every text in the view is at least ``MIN_CAP_PX`` pixels tall, measured as capital letters are
measured on the screen (the font's cap height), and section headings are ``TITLE_RATIO`` times that.
Text drawn inside a picture (the probes' answers) grows with the picture, here about twice its
normal size.

Entering borrows the panels as ``PanelFrame.take_panel`` does and records everything it changes
(fonts, visibility, the current tab, an enlarged panel, full screen); Esc or F5 again puts all of it
back, so the window is exactly as it was.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.gui import presentation, style
from mnist_viz.gui.export import hide_controls

if TYPE_CHECKING:
    from mnist_viz.gui.window import MainWindow

# Cap height of the smallest text, in screen pixels: a student in the back row of a 200-seat hall
# (~25 m from a 4 m wide 1080p image, 1 px ~ 3.7 mm) needs ~30-50 px; 30 leaves a margin over 28.
MIN_CAP_PX = 30.0
REFERENCE_HEIGHT = 1080  # MIN_CAP_PX is for a 1080-px image; a 768-px projector shows the same size with fewer px
TITLE_RATIO = 1.2
# (row, column, column span) of each panel in the view's grid: curves and mosaic side by side, the
# probe strip under both (ten digits in a row want the width; a narrow column squeezed its bar plots
# until their numbers ran into each other).
PLACES = {"curves": (0, 0, 1), "weights": (0, 1, 1), "probes": (1, 0, 2)}
ROW_STRETCH = (54, 46)


def point_size_for_cap_height(cap_px: float, widget: QtWidgets.QWidget, bold: bool = False) -> float:
    """The point size at which the app font's capital letters are ``cap_px`` pixels tall on
    ``widget``'s screen (its logical DPI)."""
    f = QtGui.QFont()
    f.setBold(bold)
    f.setPixelSize(100)
    cap_per_px = QtGui.QFontMetricsF(f).capHeight() / 100.0
    return math.ceil(cap_px / cap_per_px) * 72.0 / widget.logicalDpiY()


def cap_height_px(font: QtGui.QFont, widget: QtWidgets.QWidget | None = None) -> float:
    """Height of capital letters of ``font`` in pixels (on ``widget``'s screen when given)."""
    metrics = QtGui.QFontMetricsF(font, widget) if widget is not None else QtGui.QFontMetricsF(font)
    return metrics.capHeight()


class LectureView(QtCore.QObject):
    """F5 view of ``window``: ``toggle()``, ``enter()``, ``leave()``; ``active`` says which.

    ``full_screen``: whether entering also goes full screen (tests turn it off to keep their size).

    Signals:
        toggled(bool): entered (True) or left (False).
    """

    toggled = QtCore.Signal(bool)

    def __init__(self, window: MainWindow, full_screen: bool = True):
        super().__init__(window)
        self.window = window
        self.full_screen = full_screen
        self.page: QtWidgets.QWidget | None = None
        self._undo: list = []  # callables that put back what entering changed, in reverse order
        self._fonts: dict[object, object] = {}  # every font changed -> its size before
        escape = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Escape), window)
        escape.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        escape.activated.connect(self.leave)
        escape.setEnabled(False)  # only while active: Esc belongs to the enlarged panel otherwise
        self._escape = escape

    @property
    def active(self) -> bool:
        return self.page is not None

    def toggle(self) -> None:
        self.leave() if self.active else self.enter()

    # ------------------------------------------------------------------ entering
    def enter(self) -> None:
        if self.active:
            return
        w = self.window
        w.focus.restore()  # an enlarged panel goes back first; it would be borrowed twice
        self.page = QtWidgets.QWidget()
        grid = QtWidgets.QGridLayout(self.page)
        grid.setContentsMargins(8, 8, 8, 8)
        grid.setSpacing(12)
        for name, (row, col, span) in PLACES.items():
            grid.addWidget(self._borrow(name), row, col, 1, span)
        for row, stretch in enumerate(ROW_STRETCH):
            grid.setRowStretch(row, stretch)
        # The curves are the wider half: two stacked plots need the width more than the square mosaic.
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        previous_page = w.focus.currentIndex()
        w.focus.addWidget(self.page)
        w.focus.setCurrentWidget(self.page)
        self._undo.append(lambda: w.focus.setCurrentIndex(previous_page))
        # The status line is hidden too: at the view's text size it is wider than the screen and its
        # end (the test accuracy) would be cut; the curves show the same numbers.
        # The metrics row (where the window has one) is small text the curves repeat.
        for widget in (w.controls_scroll, w.timeline, w.menuBar(), w.statusBar(), getattr(w, "metrics", None)):
            if widget is not None:
                self._hide(widget)
        # The menu bar is hidden, its shortcuts must still work: the window itself holds them too.
        actions = [a for menu in w.menuBar().findChildren(QtWidgets.QMenu) for a in menu.actions()
                   if not a.shortcut().isEmpty() and a not in w.actions()]
        w.addActions(actions)
        self._undo.append(lambda: [w.removeAction(a) for a in actions])
        # The panels' own knobs (x-axis box, view toggles, "New digits", the count) are for the
        # lecturer's desk, not the hall: hidden, which also leaves the headers one line long.
        for name in PLACES:
            panel = self.window.probes if name == "probes" else getattr(self.window, name)
            hidden = hide_controls(panel)
            self._undo.append(lambda hidden=hidden: [control.setVisible(True) for control in hidden])
        self._enlarge_text([self.page])
        if self.full_screen:
            state = w.windowState()
            w.showFullScreen()
            self._undo.append(lambda: w.setWindowState(state))
        self._escape.setEnabled(True)
        self.toggled.emit(True)

    def _borrow(self, name: str) -> QtWidgets.QWidget:
        """Take panel ``name`` out of the normal layout; record how to put it back."""
        w = self.window
        if name == "probes":
            tabs = w.tabs
            index = tabs.indexOf(w.probes)
            text, tip, current = tabs.tabText(index), tabs.tabToolTip(index), tabs.currentIndex()
            tabs.removeTab(index)

            def put_back():
                tabs.insertTab(index, w.probes, text)
                tabs.setTabToolTip(index, tip)
                tabs.setCurrentIndex(current)
            self._undo.append(put_back)
            w.probes.show()
            return w.probes
        frame = w.frames_by_name[name]
        panel = frame.take_panel()
        self._undo.append(frame.put_back)
        return panel

    def _hide(self, widget: QtWidgets.QWidget) -> None:
        was_hidden = widget.isHidden()
        widget.hide()
        self._undo.append(lambda: widget.setHidden(was_hidden))

    # ------------------------------------------------------------------ text
    def _view_height(self) -> int:
        """Pixels of height the view will have: its screen's in full screen, else the window's."""
        screen = self.window.screen()
        if self.full_screen and screen is not None:
            return screen.geometry().height()
        return self.window.height()

    def _enlarge_text(self, roots: list[QtWidgets.QWidget]) -> None:
        """Every font under ``roots`` at least the floor (headings ``TITLE_RATIO`` times it); the
        floor also holds for text made while the view is on (``style.MIN_TEXT_PT``)."""
        # On the wall every projector's image is the same size: 30 px of 1080 are 21 px of 768 (and
        # 60 of 2160). The full floor on a 768-px image left the plots no room at all.
        cap = MIN_CAP_PX * self._view_height() / REFERENCE_HEIGHT
        floor = point_size_for_cap_height(cap, self.window)
        title_floor = point_size_for_cap_height(cap * TITLE_RATIO, self.window, bold=True)
        old_min = style.MIN_TEXT_PT
        style.MIN_TEXT_PT = floor
        self._undo.append(lambda: setattr(style, "MIN_TEXT_PT", old_min))
        widgets = [x for root in roots for x in (root, *root.findChildren(QtWidgets.QWidget))]
        fonts = [(widget, QtGui.QFont(widget.font())) for widget in widgets]  # all read before any is set
        for widget, f in fonts:
            target = title_floor if widget.property("sectionTitle") else floor
            if _points(f, widget) < target:
                self._fonts[widget] = QtGui.QFont(f)
                f.setPointSizeF(target)
                widget.setFont(f)
        for root in roots:
            for view in presentation._graphics_views(root):
                for item in view.scene().items():
                    self._enlarge_item(item, floor, title_floor)
        self._undo.append(self._restore_fonts)
        # The marker labels ("lr 0.1 → 1", "collapsed to chance") are drawn by the curves panel.
        curves, old_label = self.window.curves, self.window.curves.label_font()
        label = QtGui.QFont(old_label)
        label.setPointSizeF(max(label.pointSizeF(), floor))
        curves.set_label_font(label)
        self._undo.append(lambda: curves.set_label_font(old_label))

    def _enlarge_item(self, item, floor: float, title_floor: float) -> None:
        if isinstance(item, pg.AxisItem):
            tick = QtGui.QFont(item.style.get("tickFont") or QtGui.QFont())
            if tick.pointSizeF() < floor:
                self._fonts[item] = (QtGui.QFont(tick), dict(item.labelStyle))
                tick.setPointSizeF(floor)
                item.setTickFont(tick)
                # the numbers' room: pyqtgraph sizes the axis from the text it has laid out
                item.setStyle(tickTextOffset=6)
                style.refit_tick_room(item)
                if item.labelText:
                    item.setLabel(item.labelText, units=item.labelUnits or None,
                                  **dict(item.labelStyle, **{"font-size": f"{floor:.3g}pt"}))
        elif isinstance(item, pg.LabelItem) and item.text:
            self._fonts[item] = dict(item.opts)
            item.setText(item.text, **dict(item.opts, size=f"{title_floor if item.opts.get('bold') else floor:.3g}pt"))
        elif isinstance(item, pg.TextItem):
            f = QtGui.QFont(item.textItem.font())
            if 0 < f.pointSizeF() < floor:
                self._fonts[item] = QtGui.QFont(f)
                f.setPointSizeF(floor)
                item.setFont(f)

    def _restore_fonts(self) -> None:
        for obj, old in self._fonts.items():
            if isinstance(obj, QtWidgets.QWidget):
                obj.setFont(old)
            elif isinstance(obj, pg.AxisItem):
                tick, label_style = old
                obj.setTickFont(tick)
                style.refit_tick_room(obj)
                if obj.labelText:
                    obj.setLabel(obj.labelText, units=obj.labelUnits or None, **label_style)
            elif isinstance(obj, pg.LabelItem):
                obj.setText(obj.text, **old)
            elif isinstance(obj, pg.TextItem):
                obj.setFont(old)
        self._fonts.clear()

    # ------------------------------------------------------------------ leaving
    def leave(self) -> None:
        if not self.active:
            return
        self._escape.setEnabled(False)
        page, self.page = self.page, None
        while self._undo:
            self._undo.pop()()
        self.window.focus.removeWidget(page)
        page.deleteLater()
        self.toggled.emit(False)


def _points(f: QtGui.QFont, widget: QtWidgets.QWidget) -> float:
    """``f``'s size in points (a pixel-sized font converted at ``widget``'s DPI)."""
    return f.pointSizeF() if f.pointSizeF() > 0 else f.pixelSize() * 72.0 / widget.logicalDpiY()


def lecture_view(window: MainWindow) -> LectureView:
    """The window's lecture view, made on first use (the View menu and F5 call this)."""
    view = getattr(window, "lecture", None)
    if not isinstance(view, LectureView):
        view = LectureView(window)
        window.lecture = view
    return view
