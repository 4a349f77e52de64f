"""Switch the language of a built window at run time, without rebuilding it.

``retranslate(root, previous)`` walks ``root``'s widgets and actions and, for every text it knows
(window titles, menu titles, action texts and tips, labels, buttons, group-box titles, tab texts and
tips, combo items, placeholders, tooltips, pyqtgraph axis titles and plot titles), finds the English
msgid behind the text shown and sets that msgid's translation in the current language (``i18n.tr``).
The msgid is remembered in a dynamic property beside the text it produced, so switching again and
again finds it even for a text both languages spell alike; a text changed by code since (the
property's text no longer shown) is looked up afresh in ``previous``'s catalog, then in the others
read. Texts in no catalog (numbers, file names) are left as they are: the code that writes them
rebuilds them through ``tr`` on its next update.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets

from mnist_viz.core import i18n

SOURCE_PROPERTY = "i18n_sources"  # {slot: (msgid, text set)} on each widget / action translated


@dataclass
class RetranslateCount:
    """What a switch did: ``translated`` texts set from a catalog, ``left`` texts in none."""

    translated: int = 0
    left: int = 0


def retranslate(root: QtWidgets.QWidget, previous: str) -> RetranslateCount:
    """Show every known text under ``root`` (itself included) in the current language; ``previous``
    is the language the texts are in now. Returns the counts."""
    count = RetranslateCount()
    widgets = [root, *root.findChildren(QtWidgets.QWidget)]
    for widget in widgets:
        _retranslate_widget(widget, previous, count)
    actions = {id(a): a for w in widgets for a in w.actions()}
    actions.update({id(a): a for a in root.findChildren(QtGui.QAction)})
    for action in actions.values():
        _retranslate_action(action, previous, count)
    return count


def _retranslate_widget(widget: QtWidgets.QWidget, previous: str, count: RetranslateCount) -> None:
    _slot(widget, "windowTitle", widget.windowTitle, widget.setWindowTitle, previous, count)
    _slot(widget, "toolTip", widget.toolTip, widget.setToolTip, previous, count)
    if isinstance(widget, QtWidgets.QMenu):
        _slot(widget, "title", widget.title, widget.setTitle, previous, count)
    if isinstance(widget, (QtWidgets.QLabel, QtWidgets.QAbstractButton)):
        _slot(widget, "text", widget.text, widget.setText, previous, count)
    if isinstance(widget, QtWidgets.QGroupBox):
        _slot(widget, "title", widget.title, widget.setTitle, previous, count)
    if isinstance(widget, (QtWidgets.QLineEdit, QtWidgets.QPlainTextEdit, QtWidgets.QTextEdit)):
        _slot(widget, "placeholderText", widget.placeholderText, widget.setPlaceholderText, previous, count)
    if isinstance(widget, QtWidgets.QAbstractSpinBox) and hasattr(widget, "specialValueText"):
        _slot(widget, "specialValueText", widget.specialValueText, widget.setSpecialValueText, previous, count)
    if isinstance(widget, QtWidgets.QTabWidget):
        for i in range(widget.count()):
            _slot(widget, f"tab{i}", lambda i=i: widget.tabText(i), lambda t, i=i: widget.setTabText(i, t),
                  previous, count)
            _slot(widget, f"tabtip{i}", lambda i=i: widget.tabToolTip(i), lambda t, i=i: widget.setTabToolTip(i, t),
                  previous, count)
    if isinstance(widget, QtWidgets.QGraphicsView) and widget.scene() is not None:
        _retranslate_plot_texts(widget.scene(), previous, count)
    if isinstance(widget, QtWidgets.QComboBox):
        for i in range(widget.count()):
            _slot(widget, f"item{i}", lambda i=i: widget.itemText(i), lambda t, i=i: widget.setItemText(i, t),
                  previous, count)


def _retranslate_plot_texts(scene: QtWidgets.QGraphicsScene, previous: str, count: RetranslateCount) -> None:
    """pyqtgraph's axis titles and label items (plot titles) in a plot's scene."""
    for item in scene.items():
        if isinstance(item, pg.AxisItem):
            _slot(item, "label", lambda a=item: a.labelText, lambda t, a=item: _set_axis_title(a, t), previous, count)
        elif isinstance(item, pg.LabelItem):
            _slot(item, "text", lambda i=item: i.text, lambda t, i=item: i.setText(t), previous, count)


def _set_axis_title(axis: pg.AxisItem, text: str) -> None:
    # setLabel(text) would also reset the units and their SI prefix; only the title changes here
    axis.labelText = text
    axis._updateLabel()


def _retranslate_action(action: QtGui.QAction, previous: str, count: RetranslateCount) -> None:
    if action.menu() is not None:  # a submenu's action mirrors its menu's title
        return
    _slot(action, "text", action.text, action.setText, previous, count)
    _slot(action, "toolTip", action.toolTip, action.setToolTip, previous, count)
    _slot(action, "statusTip", action.statusTip, action.setStatusTip, previous, count)


def _source(text: str, previous: str) -> str | None:
    """The msgid behind ``text``: looked up in ``previous``'s catalog, then in every other one read
    (a text rebuilt by code in yet another language); ``None`` for a text in no catalog."""
    for code in [previous, *(c for c in i18n.loaded_languages() if c != previous)]:
        msgid = i18n.source_text(text, code)
        if msgid is not None and any(i18n.known_msgid(msgid, c) for c in i18n.loaded_languages()):
            return msgid
    return None


def _slot(owner, slot: str, get: Callable[[], str], put: Callable[[str], None], previous: str,
          count: RetranslateCount) -> None:
    """Translate one text of ``owner`` (its ``slot``) and remember its msgid on ``owner``."""
    text = get()
    if not text:
        return
    sources = dict(owner.property(SOURCE_PROPERTY) or {})
    remembered = sources.get(slot)
    msgid = remembered[0] if remembered and remembered[1] == text else _source(text, previous)
    if msgid is None:
        count.left += 1
        return
    translated = i18n.tr(msgid)
    sources[slot] = (msgid, translated)
    owner.setProperty(SOURCE_PROPERTY, sources)
    if translated != text:
        put(translated)
    count.translated += 1
