"""The three looks of the window: Light (the default), High contrast and Dark, and how one is put on.

A theme is a set of colours for the *roles* of ``style`` (background, text, the greys, the accents)
plus a line-width factor and a grid strength. Putting one on (``apply_named_theme``):

1. rebinds the role constants of ``style`` (``style.FOREGROUND``, ``style.CORRECT``, ...), so whatever a
   panel draws from now on is in the new colours;
2. sets the Qt palette of the application and pyqtgraph's defaults for new plots;
3. recolours what the pyqtgraph views already show (``presentation._graphics_views``): their
   background, every axis (line, tick numbers, title; pyqtgraph draws the grid in the axis' colour),
   plot titles, and the pens and brushes of curves, bars, lines and labels that are in a role colour.

Why these three:
    Light: dark ink on white survives a washed-out projector in a lit hall.
    High contrast: pure black on pure white, no grey text at all, lines 1.5x thicker and a stronger
        grid, for a weak projector or a low-vision viewer.
    Dark: for a dimmed hall, where a white screen dazzles: light text (contrast > 7:1, WCAG AAA) on
        near-black; accents lightened where Okabe-Ito's dark ones (blue #0072B2) sink into the black.

All accents are Okabe-Ito colours, and correct/wrong is blue/orange plus a glyph: they stay apart under
deuteranopia and protanopia (``benchmarks/colour_check.py`` measures it). Colours *inside* pictures
(the weight colormap, the confusion matrix' cells and the black/white numbers on them) are data, not
theme, and are left as they are.

The choice is remembered in the window's ``QSettings`` under ``"view/theme"`` (``store_theme`` /
``restore_theme``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.i18n import N_
from mnist_viz.gui import style

SETTINGS_KEY = "view/theme"
DEFAULT_THEME = "light"

# The role constants of ``style`` a theme rebinds. BLACK stays black: it marks ablated units inside
# weight pictures, and "black text on a light cell" must stay black whatever the theme.
ROLES = ("BACKGROUND", "FOREGROUND", "DARK_GREY", "GREY", "LIGHT_GREY", "BLUE", "SKY_BLUE", "ORANGE",
         "VERMILLION", "GREEN", "PURPLE", "YELLOW", "CORRECT", "WRONG", "ACCENT")


@dataclass(frozen=True)
class Theme:
    """One look. ``colours``: role name (``ROLES``) -> ``"#RRGGBB"``; ``line_factor``: pen widths
    relative to Light; ``grid_alpha``: opacity of the plots' grid lines (0-1)."""

    name: str
    title: str  # the menu's name for it: a msgid, shown through tr
    colours: dict[str, str]
    line_factor: float = 1.0
    grid_alpha: float = 0.25
    palette_extra: dict[str, str] = field(default_factory=dict)

    def colour(self, role: str) -> str:
        return self.colours[role]


_LIGHT = dict(BACKGROUND="#FFFFFF", FOREGROUND="#000000", DARK_GREY="#404040", GREY="#8C8C8C",
              LIGHT_GREY="#D9D9D9", BLUE="#0072B2", SKY_BLUE="#56B4E9", ORANGE="#E69F00",
              VERMILLION="#D55E00", GREEN="#009E73", PURPLE="#CC79A7", YELLOW="#F0E442",
              CORRECT="#0072B2", WRONG="#E69F00", ACCENT="#0072B2")

THEMES: dict[str, Theme] = {
    "light": Theme("light", N_("Light"), dict(_LIGHT)),
    # No grey for text: DARK_GREY (digit rows, captions) becomes black. GREY stays a mid grey for
    # what is *not* the answer (bars other than the top one), so that the answer still stands out.
    "high_contrast": Theme("high_contrast", N_("High contrast"),
                           dict(_LIGHT, DARK_GREY="#000000", GREY="#6E6E6E", LIGHT_GREY="#BDBDBD",
                                ACCENT="#000000"),
                           line_factor=1.5, grid_alpha=0.45),
    # Near-black, not black: a black screen shows the projector's own glow unevenly. Blue and sky
    # blue swap: the bright one is the emphasised curve on a dark ground (the smoothed loss, a
    # correct answer). Orange, vermillion, green and purple keep their hue and are light enough.
    "dark": Theme("dark", N_("Dark"),
                  dict(_LIGHT, BACKGROUND="#141414", FOREGROUND="#EDEDED", DARK_GREY="#C8C8C8", GREY="#9A9A9A",
                       LIGHT_GREY="#4A4A4A", BLUE="#56B4E9", SKY_BLUE="#2A70A8", CORRECT="#56B4E9",
                       ACCENT="#56B4E9"),
                  grid_alpha=0.35, palette_extra=dict(Button="#2A2A2A", AlternateBase="#1E1E1E",
                                                      ToolTipBase="#2A2A2A")),
}

_current = DEFAULT_THEME


def current_theme() -> Theme:
    return THEMES[_current]


# ------------------------------------------------------------------------------ palette

def theme_palette(theme: Theme) -> QtGui.QPalette:
    """The Qt palette of ``theme``: its text on its background, the accent for selections."""
    c = theme.colour
    light = theme.name != "dark"
    roles = QtGui.QPalette.ColorRole
    colours = {roles.Window: c("BACKGROUND"), roles.WindowText: c("FOREGROUND"), roles.Base: c("BACKGROUND"),
               roles.AlternateBase: "#F2F2F2" if light else "#1E1E1E", roles.Text: c("FOREGROUND"),
               roles.Button: "#E8E8E8" if light else "#2A2A2A", roles.ButtonText: c("FOREGROUND"),
               roles.BrightText: "#FFFFFF", roles.Highlight: "#0072B2" if light else "#56B4E9",
               roles.HighlightedText: "#FFFFFF" if light else "#000000",
               roles.ToolTipBase: "#FFFFE8" if light else "#2A2A2A", roles.ToolTipText: c("FOREGROUND"),
               roles.Link: c("ACCENT"), roles.PlaceholderText: c("DARK_GREY"),
               roles.Light: "#FFFFFF" if light else "#3A3A3A", roles.Midlight: "#E0E0E0" if light else "#303030",
               roles.Mid: "#A0A0A0" if light else "#606060", roles.Dark: "#606060" if light else "#101010",
               roles.Shadow: "#000000"}
    for role_name, colour in theme.palette_extra.items():
        colours[getattr(roles, role_name)] = colour
    p = QtGui.QPalette()
    for role, colour in colours.items():
        p.setColor(role, QtGui.QColor(colour))
    disabled = QtGui.QPalette.ColorGroup.Disabled
    # Disabled text is the one grey text left, and only in Light and Dark (High contrast keeps it
    # readable, with the disabled look coming from the widget's frame).
    disabled_text = c("FOREGROUND") if theme.name == "high_contrast" else c("GREY")
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(disabled, role, QtGui.QColor(disabled_text))
    return p


# ------------------------------------------------------------------------------ applying

def apply_named_theme(name: str, root: QtWidgets.QWidget | None = None,
                      app: QtWidgets.QApplication | None = None) -> Theme:
    """Put on theme ``name`` (a key of ``THEMES``; unknown names mean Light): ``style``'s role
    constants, the application palette, pyqtgraph's defaults and every pyqtgraph view under
    ``root``. Returns the theme."""
    global _current
    theme = THEMES.get(name, THEMES[DEFAULT_THEME])
    old = THEMES[_current]
    app = app or QtWidgets.QApplication.instance()
    app.setStyle("Fusion")  # the one style that honours the palette everywhere
    app.setPalette(theme_palette(theme))
    for role in ROLES:
        setattr(style, role, theme.colour(role))
    style.GRID_ALPHA = theme.grid_alpha
    pg.setConfigOptions(background=theme.colour("BACKGROUND"), foreground=theme.colour("FOREGROUND"))
    if root is not None:
        recolour_views(root, old, theme)
        _recolour_titles(root, theme)
    _current = theme.name
    return theme


def recolour_views(root: QtWidgets.QWidget, old: Theme, new: Theme) -> None:
    """Recolour every pyqtgraph view under ``root`` from theme ``old`` to ``new`` (see the module
    docstring for what changes)."""
    from mnist_viz.gui.presentation import _graphics_views  # presentation imports this module

    mapping = _colour_mapping(old, new)
    widen = new.line_factor / old.line_factor
    for view in _graphics_views(root):
        view.setBackground(new.colour("BACKGROUND"))
        items = view.scene().items()
        pictures = [i.sceneBoundingRect() for i in items if isinstance(i, pg.ImageItem)]
        for item in items:
            if isinstance(item, QtWidgets.QGraphicsSimpleTextItem) and _over_picture(item, pictures):
                continue  # text on a picture's cell (the confusion counts) is chosen against that cell
            _recolour_item(item, mapping, widen, new)


def _over_picture(item: QtWidgets.QGraphicsItem, pictures: list[QtCore.QRectF]) -> bool:
    centre = item.sceneBoundingRect().center()
    return any(rect.contains(centre) for rect in pictures)


def _colour_mapping(old: Theme, new: Theme) -> dict[int, QtGui.QColor]:
    """``old`` role colour (as 0xRRGGBB) -> ``new`` colour. Where two roles of ``old`` share a colour
    (BLUE and CORRECT) the first in ``ROLES`` wins; they map alike in every theme."""
    mapping: dict[int, QtGui.QColor] = {}
    for role in ROLES:
        key = QtGui.QColor(old.colour(role)).rgb() & 0xFFFFFF
        mapping.setdefault(key, QtGui.QColor(new.colour(role)))
    return mapping


def _mapped(colour: QtGui.QColor, mapping: dict[int, QtGui.QColor]) -> QtGui.QColor:
    """``colour`` in the new theme, its alpha kept; colours that are no role's stay."""
    target = mapping.get(colour.rgb() & 0xFFFFFF)
    if target is None:
        return colour
    out = QtGui.QColor(target)
    out.setAlpha(colour.alpha())
    return out


def _mapped_pen(pen, mapping, widen: float = 1.0) -> QtGui.QPen:
    pen = QtGui.QPen(pg.mkPen(pen))
    if pen.style() != QtCore.Qt.PenStyle.NoPen:
        pen.setColor(_mapped(pen.color(), mapping))
        pen.setWidthF(max(1.0, pen.widthF() or 1.0) * widen)
    return pen


def _mapped_brush(brush, mapping) -> QtGui.QBrush:
    brush = QtGui.QBrush(pg.mkBrush(brush))
    if brush.style() != QtCore.Qt.BrushStyle.NoBrush:
        brush.setColor(_mapped(brush.color(), mapping))
    return brush


def _recolour_item(item, mapping, widen: float, theme: Theme) -> None:
    fg = theme.colour("FOREGROUND")
    if isinstance(item, pg.AxisItem):
        # pyqtgraph draws the grid with the axis pen at the grid's alpha
        item.setPen(_mapped_pen(item.pen(), mapping, widen))
        item.setTextPen(pg.mkPen(fg))
        if item.grid is not False:
            item.setGrid(round(theme.grid_alpha * 255))
        if item.labelText or item.labelUnits:
            item.setLabel(item.labelText, units=item.labelUnits or None, **dict(item.labelStyle, color=fg))
    elif isinstance(item, pg.LabelItem):
        if item.text:
            item.setText(item.text, **dict(item.opts, color=fg))
        else:
            item.opts["color"] = fg
    elif isinstance(item, pg.PlotDataItem):
        opts = item.opts
        if opts.get("pen") is not None:
            item.setPen(_mapped_pen(opts["pen"], mapping, widen))
        if opts.get("symbolBrush") is not None:
            item.setSymbolBrush(_mapped_brush(opts["symbolBrush"], mapping))
    elif isinstance(item, pg.PlotCurveItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
        item.setPen(_mapped_pen(item.opts["pen"], mapping, widen))  # a bare curve (LiveCurve's tail)
    elif isinstance(item, pg.InfiniteLine):
        item.setPen(_mapped_pen(item.pen, mapping, widen))
    elif isinstance(item, pg.BarGraphItem):
        _recolour_bars(item, mapping)
    elif isinstance(item, QtWidgets.QGraphicsSimpleTextItem):
        item.setBrush(_mapped_brush(item.brush(), mapping))
    elif isinstance(item, QtWidgets.QGraphicsRectItem):
        item.setPen(_mapped_pen(item.pen(), mapping))


def _recolour_bars(item: pg.BarGraphItem, mapping) -> None:
    changes = {}
    for key in ("pen", "brush"):
        value = item.opts.get(key)
        if value is not None:
            changes[key] = _mapped_pen(value, mapping) if key == "pen" else _mapped_brush(value, mapping)
    brushes = item.opts.get("brushes")
    if brushes is not None:
        changes["brushes"] = [_mapped_brush(b, mapping) for b in brushes]
    if changes:
        item.setOpts(**changes)


def _recolour_titles(root: QtWidgets.QWidget, theme: Theme) -> None:
    """Section headings (``style.title_label``) in the theme's accent colour."""
    for label in root.findChildren(QtWidgets.QLabel):
        if label.property("sectionTitle"):
            style.colour_title(label)


# ------------------------------------------------------------------------------ remembering

def store_theme(store: QtCore.QSettings, name: str) -> None:
    store.setValue(SETTINGS_KEY, name)


def stored_theme(store: QtCore.QSettings) -> str:
    """The theme last chosen, or Light when none was or the value is not a theme's name."""
    name = str(store.value(SETTINGS_KEY, DEFAULT_THEME))
    return name if name in THEMES else DEFAULT_THEME


def restore_theme(window: QtWidgets.QWidget, store: QtCore.QSettings) -> str:
    """Put on the theme stored in ``store`` (at start-up); returns its name."""
    name = stored_theme(store)
    apply_named_theme(name, window)
    return name


# ------------------------------------------------------------------------------ measuring

def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of ``"#RRGGBB"`` (0 black .. 1 white)."""
    q = QtGui.QColor(colour)
    channels = []
    for v in (q.redF(), q.greenF(), q.blueF()):
        channels.append(v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, 1 (same) .. 21 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
