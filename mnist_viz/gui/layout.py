"""Layout pieces of the main window: pages that scroll only when they must, splitters sized by
percentages."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from mnist_viz.core.i18n import tr


class FitScrollArea(QtWidgets.QScrollArea):
    """Shows ``page`` at the size of the view, and scrolls only when the view is smaller than the
    page's minimum size. (QScrollArea's own resizing sizes a page with word-wrapped text to its
    preferred height, which made pages scroll that fit.)"""

    def __init__(self, page: QtWidgets.QWidget, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWidget(page)
        self.setWidgetResizable(False)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.viewport().installEventFilter(self)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if obj is self.viewport() and event.type() == QtCore.QEvent.Type.Resize:
            self._fit()
        return super().eventFilter(obj, event)

    def _fit(self) -> None:
        page, view = self.widget(), self.viewport().size()
        need = page.minimumSizeHint().expandedTo(page.minimumSize())
        page.resize(max(view.width(), need.width()), max(view.height(), need.height()))


def splitter(orientation: QtCore.Qt.Orientation, *parts: tuple[QtWidgets.QWidget, int]) -> QtWidgets.QSplitter:
    """A splitter holding ``(widget, percent)`` parts sized by those percentages; no part collapses."""
    split = QtWidgets.QSplitter(orientation)
    split.setChildrenCollapsible(False)
    for widget, percent in parts:
        split.addWidget(widget)
        split.setStretchFactor(split.count() - 1, percent)
    split.setSizes([percent * 10 for _, percent in parts])
    return split


def controls_column(controls: QtWidgets.QWidget, width: int) -> QtWidgets.QScrollArea:
    """The controls in a fixed-width column that scrolls rather than squeezes on a small screen."""
    scroll = QtWidgets.QScrollArea()
    scroll.setWidget(controls)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFixedWidth(width)
    scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    return scroll


class PanelTabs(QtWidgets.QTabWidget):
    """Panels as tabs, each found by the panel itself rather than its index. A page made with
    ``scroll=True`` scrolls when the tab area is shorter than the panel needs (a 1280x720 projector):
    otherwise the tallest page (the drawing pad) sets the tab area's minimum height and the plots
    above it are squeezed flat. A panel that lays itself out to the room it gets needs no scrolling.

    Ten tabs do not fit a 340-px tab area (1024x768) or even a 780-px one (1920x1080): the bar then
    scrolls, and the tabs past its end were found only by its small arrows. The "All tabs" button
    in the corner lists every tab by name."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._pages: dict[QtWidgets.QWidget, QtWidgets.QWidget] = {}
        self.setUsesScrollButtons(True)
        self.all_tabs_button = QtWidgets.QToolButton()
        self.all_tabs_button.setText(tr("All tabs ▾"))
        self.all_tabs_button.setToolTip(tr("Every tab by name (the bar scrolls when they do not all fit)"))
        self.all_tabs_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.all_tabs_button.setMenu(QtWidgets.QMenu(self.all_tabs_button))
        self.all_tabs_button.menu().aboutToShow.connect(self._fill_tab_menu)
        self.setCornerWidget(self.all_tabs_button, QtCore.Qt.Corner.TopRightCorner)

    def _fill_tab_menu(self) -> None:
        menu = self.all_tabs_button.menu()
        menu.clear()
        for index in range(self.count()):
            action = menu.addAction(self.tabText(index))
            action.setCheckable(True)
            action.setChecked(index == self.currentIndex())
            action.setToolTip(self.tabToolTip(index))
            action.triggered.connect(lambda _=False, i=index: self.setCurrentIndex(i))

    def add_panel(self, panel: QtWidgets.QWidget, title: str, tip: str, scroll: bool = True) -> None:
        self._pages[panel] = FitScrollArea(panel) if scroll else panel
        self.setTabToolTip(self.addTab(self._pages[panel], title), tip)

    def show_panel(self, panel: QtWidgets.QWidget) -> None:
        """Bring the tab holding ``panel`` to the front."""
        self.setCurrentWidget(self._pages[panel])

    def current_panel(self) -> QtWidgets.QWidget:
        """The panel on the tab now in front."""
        page = self.currentWidget()
        return next(panel for panel, holder in self._pages.items() if holder is page)
