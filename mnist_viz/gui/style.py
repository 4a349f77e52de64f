"""Shared look of the whole GUI (window and panels): colours, fonts, the weight colormap and its tables.

Everything here is sized for a projector seen from the back of a lecture hall: large fonts, thick
lines, a light background (dark-on-light survives a washed-out projector better than dark themes),
and the Okabe-Ito palette, which stays distinguishable for the common forms of colour blindness.

The colour constants are the *Light* theme's. ``themes.apply_named_theme`` rebinds the role colours
(``BACKGROUND``, ``FOREGROUND``, the greys, the accents) for High contrast and Dark, so read them as
``style.FOREGROUND`` when drawing, not as a default argument or a ``from style import``. Likewise
``font`` sizes text by ``TEXT_ZOOM`` (Ctrl+/Ctrl-, set by ``presentation.ZoomController``) and at
least ``MIN_TEXT_PT`` (the lecture view's floor), so text created after a zoom is zoomed too.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets

# The colour-index layout of quantized weight images is array code (core); the table below colours it.
from mnist_viz.core.tiling import DIM_BASE, EMPTY_INDEX, HALF_RANGE, MARK_INDEX, NORMAL_BASE, SEPARATOR_INDEX

# Okabe-Ito palette (Okabe & Ito 2008), safe for deuteranopia/protanopia/tritanopia.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#8C8C8C"
LIGHT_GREY = "#D9D9D9"
DARK_GREY = "#404040"
BACKGROUND = "#FFFFFF"
FOREGROUND = "#000000"
ACCENT = BLUE  # the one colour of section headings (title_label)
GRID_ALPHA = 0.25  # opacity of plot grid lines (stronger in High contrast)

# Correct / incorrect is blue / orange plus a glyph, never red / green alone.
CORRECT = BLUE
WRONG = ORANGE
CORRECT_GLYPH = "✓"
WRONG_GLYPH = "✗"

# Point sizes. Ticks >= 13 pt and labels >= 14 pt stay readable from ~15 m on a 2 m wide screen.
TITLE_PT = 18
LABEL_PT = 15
TICK_PT = 13
SMALL_PT = 12

DIVERGING_MAP = "CET-D1"  # perceptually uniform blue - white - red; zero weight is white.

# Text scaling (see the module docstring): 1.0 = the sizes above; MIN_TEXT_PT 0 = no floor.
TEXT_ZOOM = 1.0
MIN_TEXT_PT = 0.0


def zoomed_pt(point_size: float) -> float:
    """``point_size`` at the current zoom, and at least the lecture view's floor."""
    return max(point_size * TEXT_ZOOM, MIN_TEXT_PT)


def font(point_size: float, bold: bool = False) -> QtGui.QFont:
    """The app font at ``point_size`` (zoomed: see ``zoomed_pt``)."""
    f = QtGui.QFont()
    f.setPointSizeF(zoomed_pt(point_size))
    f.setBold(bold)
    return f


def title_label(text: str) -> QtWidgets.QLabel:
    """The bold heading every panel carries (a QLabel: cheap, and styled like the rest of Qt), in the
    one accent colour of the theme, so headings read as headings in every panel alike."""
    label = QtWidgets.QLabel(text)
    label.setFont(font(TITLE_PT, bold=True))
    label.setWordWrap(True)
    label.setProperty("sectionTitle", True)  # themes recolour headings when the theme changes
    colour_title(label)
    return label


def colour_title(label: QtWidgets.QLabel) -> None:
    """Paint heading ``label`` in ``ACCENT`` (through its palette: a style sheet would fix its font)."""
    palette = label.palette()
    palette.setColor(QtGui.QPalette.ColorRole.WindowText, QtGui.QColor(ACCENT))
    label.setPalette(palette)


def graphics_widget() -> pg.GraphicsLayoutWidget:
    """A GraphicsLayoutWidget in the theme's background, with no outer margin."""
    widget = pg.GraphicsLayoutWidget()
    widget.setBackground(BACKGROUND)
    widget.ci.layout.setContentsMargins(2, 2, 2, 2)
    return widget


def style_axis(axis: pg.AxisItem, label: str | None = None, units: str | None = None) -> None:
    """Large tick labels and axis title, in the theme's text colour."""
    axis.setPen(pg.mkPen(FOREGROUND, width=1.5))
    axis.setTextPen(pg.mkPen(FOREGROUND))
    axis.setTickFont(font(TICK_PT))
    axis.setStyle(tickTextOffset=6)
    if label is not None:
        axis.setLabel(label, units=units, **{"font-size": f"{zoomed_pt(LABEL_PT):.3g}pt", "color": FOREGROUND})


def reserve_tick_room(axis: pg.AxisItem, widest: str) -> None:
    """Size ``axis`` for tick labels as wide as ``widest`` (e.g. "100%") in its tick font, before it
    is first painted. pyqtgraph grows an axis to its text only after drawing it once, and an axis
    kept as a pixmap (``cache_axes``) may not be drawn again: large tick labels went missing."""
    axis.setProperty("widestTick", widest)  # refit_tick_room sizes it again when its font changes
    metrics = QtGui.QFontMetrics(axis.style.get("tickFont") or QtGui.QFont())
    offset = axis.style.get("tickTextOffset", 5)
    offset = offset[1] if isinstance(offset, (list, tuple)) else offset
    outside = max(0, axis.style.get("tickLength", 5) or 0)
    # An axis title ("digit") needs its own room beside the ticks, or it is drawn over them.
    title = axis.label.boundingRect().height() * 0.8 if axis.label.isVisible() else 0
    if axis.orientation in ("bottom", "top"):
        axis.setHeight(int(metrics.height() + offset + outside + 4 + title))
    else:
        axis.setWidth(int(metrics.horizontalAdvance(widest) + offset + outside + 6 + title))


def refit_tick_room(axis: pg.AxisItem) -> None:
    """After ``axis``'s tick font changed (zoom, the lecture view): its room again, if it was
    reserved by ``reserve_tick_room`` (other axes size themselves)."""
    widest = axis.property("widestTick")
    if widest:
        reserve_tick_room(axis, str(widest))


def style_plot(plot: pg.PlotItem, left: str | None = None, bottom: str | None = None) -> None:
    """Axis fonts and a light grid on a PlotItem."""
    style_axis(plot.getAxis("left"), left)
    style_axis(plot.getAxis("bottom"), bottom)
    plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    plot.setMenuEnabled(False)


def scalable_text(text: str = "", colour=None, bold: bool = False, mono: bool = False
                  ) -> QtWidgets.QGraphicsSimpleTextItem:
    """A text item for a picture drawn in data units: laid out at 100 px and meant to be scaled down
    with ``setScale`` (scale 0.01 = an em of one data unit), so the glyphs stay crisp at any zoom.
    ``colour`` ``None`` = the theme's ``FOREGROUND``. Its size on screen is its view's business: it
    grows with the picture (a larger panel, the lecture view), not with ``TEXT_ZOOM``."""
    colour = FOREGROUND if colour is None else colour
    item = QtWidgets.QGraphicsSimpleTextItem(text)
    f = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont) if mono else QtGui.QFont()
    f.setPixelSize(100)
    f.setBold(bold)
    item.setFont(f)
    item.setBrush(pg.mkBrush(colour))
    return item


def add_band_label(view: pg.ViewBox, text: str, band_height: float, centre_x: float, top: float,
                   colour) -> QtWidgets.QGraphicsSimpleTextItem:
    """A bold label scaled to fill a band ``band_height`` data units tall, centred on ``centre_x``
    with its top at ``top`` (in the view's data coordinates); added to ``view`` and returned.

    It is laid out at a large pixel size and scaled down, so it stays crisp at any zoom."""
    item = scalable_text(text, colour, bold=True)
    scale = band_height / item.boundingRect().height()
    item.setScale(scale)
    item.setPos(centre_x - item.boundingRect().width() * scale / 2, top)
    view.addItem(item, ignoreBounds=True)
    return item


def label_tiles(view: pg.ViewBox, old: list, texts: list[str], cols: int, tile: float, pitch: tuple[float, float],
                band: float, overlap: float, colour) -> list[QtWidgets.QGraphicsSimpleTextItem]:
    """Replace the labels ``old`` in ``view`` with one per text: label ``k`` is centred under tile
    ``k`` of a row-major grid with ``cols`` columns (tiles ``tile`` wide, ``pitch = (x, y)`` apart),
    in the ``band`` below the tile, reaching ``overlap`` into it (the digits' blank bottom rows).
    Returns the new labels."""
    for item in old:
        view.removeItem(item)
    labels = []
    for k, text in enumerate(texts):
        r, c = divmod(k, cols)
        labels.append(add_band_label(view, text, band + overlap, c * pitch[0] + tile / 2,
                                     r * pitch[1] + tile - overlap, colour))
    return labels


def unit_bars(plot: pg.PlotItem) -> pg.BarGraphItem:
    """One bar per hidden unit in ``plot`` (fill it with ``show_units``). Drawn as rectangles: the
    filled step curve it replaces cost ~1 ms a frame at 512 units."""
    bars = pg.BarGraphItem(x=[], height=[], width=1.0, brush=pg.mkBrush(BLUE), pen=None)
    plot.addItem(bars)
    return bars


def show_units(bars: pg.BarGraphItem, values: np.ndarray | None) -> None:
    """Bars for ``values (H,)`` (unit 0 at x = 0); ``None`` empties the plot."""
    if values is None:
        bars.setOpts(x=[], height=[])
    else:
        bars.setOpts(x=np.arange(len(values)), height=values)


def image_view_box() -> pg.ViewBox:
    """A fixed ViewBox for images: square pixels, row 0 at the top, no mouse pan/zoom, no menu
    (a stray drag during a lecture must not lose the picture)."""
    view = pg.ViewBox(lockAspect=True, invertY=True, enableMouse=False, enableMenu=False)
    view.setDefaultPadding(0.0)
    return view


class IndexedImageItem(pg.ImageItem):
    """A row-major ``ImageItem`` that draws a ``(H, W) uint8`` image with a ``(256, 3) uint8`` lookup
    table (and no levels) as a 32-bit RGB QImage of its own, converted once per new image.

    pyqtgraph would hand Qt the indexed-colour QImage itself, which Qt converts to 32 bits at every
    paint on its GUI thread pool (py-spy on the window at 512 units, 2026-12-03: 27% of the GUI thread's
    samples in that hand-off and its wait, the mosaic the largest of the images) and rebuilds a
    256-entry colour table in Python at every render. Drawn scaled, the indexed image costs 4.6-5.3 ms
    a paint against 0.4-0.7 ms for 32 bits (a 667 x 667 mosaic drawn 900 px wide, 2026-12-03). The one
    conversion is Qt's own (``convertToFormat``, 0.38 ms of CPU for that mosaic, where ``np.take`` on
    a 32-bit table took 0.95-1.1 ms). Anything else (float images, levels, other tables) is drawn by
    pyqtgraph as before."""

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major")
        self._colours: list[int] | None = None  # 256 colours 0xffRRGGBB, from the lookup table

    def setLookupTable(self, lut, update: bool = True) -> None:
        table = np.asarray(lut) if lut is not None and not callable(lut) else None
        if table is not None and table.shape == (256, 3) and table.dtype == np.uint8:
            r, g, b = (table[:, i].astype(np.uint32) for i in range(3))
            self._colours = (np.uint32(0xFF000000) | (r << 16) | (g << 8) | b).tolist()
        else:
            self._colours = None
        super().setLookupTable(lut, update)

    def render(self) -> None:
        image = self.image
        if (self._colours is None or image is None or image.dtype != np.uint8 or image.ndim != 2
                or image.size == 0 or self.levels is not None or self.autoDownsample):
            super().render()
            return
        image = np.ascontiguousarray(image)  # the mosaic is a view with wider rows: a copy of ~0.4 MB
        height, width = image.shape
        # The indexed QImage only borrows the pixels; the conversion copies them.
        indexed = QtGui.QImage(image.data, width, height, width, QtGui.QImage.Format.Format_Indexed8)
        indexed.setColorTable(self._colours)
        self.qimage = indexed.convertToFormat(QtGui.QImage.Format.Format_RGB32)
        self._renderRequired = False
        self._unrenderable = False


def image_in_view(lut: np.ndarray | None = None, levels: tuple[float, float] | None = None, on_resized=None
                  ) -> tuple[pg.GraphicsLayoutWidget, pg.ViewBox, pg.ImageItem]:
    """One picture on its own: a graphics widget holding an ``image_view_box`` that shows a
    row-major ``ImageItem`` (``lut``: ``(256, 3) uint8`` colours for an indexed image, e.g.
    ``diverging_lut_indexed()``; ``levels`` for a grey one). ``on_resized()`` is called when the
    view changes size (to re-lay out a grid of tiles). Returns ``(widget, view, image)``."""
    widget = graphics_widget()
    view = image_view_box()
    widget.addItem(view)
    image = IndexedImageItem()
    if levels is not None:
        image.setLevels(levels)
    if lut is not None:
        image.setLookupTable(lut)
    view.addItem(image)
    if on_resized is not None:
        view.sigResized.connect(on_resized)
    return widget, view, image


def diverging_lut_indexed(dim_fraction: float = 0.7) -> np.ndarray:
    """A 256-entry RGB lookup table for weight images quantized by ``core.tiling.quantize_symmetric``.

    Layout of the indices, the constants of ``core.tiling`` (so a weight image can be a uint8 image
    shown with a QImage colour table, the cheapest path Qt has):
        0                          separator between tiles (mid grey),
        1                          mark drawn over an ablated unit (black),
        2 .. 2 + n_levels - 1      the diverging map from -level (blue) to +level (red),
        DIM_BASE .. + n_levels - 1 the same map blended toward light grey (ablated units),
        255                        an empty slot after the last tile (background white).
    Returns ``(256, 3) uint8``.
    """
    n_levels = 2 * HALF_RANGE + 1
    cmap = pg.colormap.get(DIVERGING_MAP)
    colours = cmap.getLookupTable(0.0, 1.0, n_levels, alpha=False).astype(np.float64)
    grey = np.array(QtGui.QColor(LIGHT_GREY).getRgb()[:3], dtype=np.float64)
    dim = (1 - dim_fraction) * colours + dim_fraction * grey
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[SEPARATOR_INDEX] = QtGui.QColor(GREY).getRgb()[:3]
    lut[MARK_INDEX] = QtGui.QColor(BLACK).getRgb()[:3]
    lut[NORMAL_BASE:NORMAL_BASE + n_levels] = np.rint(colours)
    lut[DIM_BASE:DIM_BASE + n_levels] = np.rint(dim)
    lut[EMPTY_INDEX] = QtGui.QColor(BACKGROUND).getRgb()[:3]
    return lut


def ink_lut() -> np.ndarray:
    """``(256, 3) uint8`` white-to-black: digits as dark ink on white paper, like the probe strip."""
    return np.repeat(np.arange(255, -1, -1, dtype=np.uint8)[:, None], 3, axis=1)


def diverging_lut(n: int = 256) -> np.ndarray:
    """``(n, 3) uint8`` of the weight colormap (``DIVERGING_MAP``) for float images shown with
    symmetric levels ``(-level, +level)``: blue negative, white zero, red positive."""
    return pg.colormap.get(DIVERGING_MAP).getLookupTable(0.0, 1.0, n, alpha=False).astype(np.uint8)


def signed_brushes(values: np.ndarray) -> list:
    """Bar brushes for signed ``values`` (any shape, flattened) in the weight colours: red-ish
    positive, blue-ish negative."""
    lut = diverging_lut(9)
    pos, neg = pg.mkBrush(*lut[-1]), pg.mkBrush(*lut[0])
    return [pos if v >= 0 else neg for v in np.asarray(values).ravel()]


def colour_bar_gradient(width: int = 160, height: int = 14) -> QtGui.QPixmap:
    """A small horizontal strip of the diverging map, for the "blue - / red +" legend."""
    cmap = pg.colormap.get(DIVERGING_MAP)
    rgb = cmap.getLookupTable(0.0, 1.0, width, alpha=False).astype(np.uint8)
    strip = np.ascontiguousarray(np.repeat(rgb[None, :, :], height, axis=0))
    image = QtGui.QImage(strip.data, width, height, 3 * width, QtGui.QImage.Format.Format_RGB888)
    return QtGui.QPixmap.fromImage(image.copy())


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 (times a power of ten) that is >= ``value``."""
    if value <= 0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(value))
    return next(m * scale for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if m * scale >= value * (1 - 1e-12))


def cache_axes(*plots: pg.PlotItem) -> None:
    """Keep each axis (labels, ticks and its grid lines) as a pixmap that Qt re-renders only when
    the axis changes. Otherwise every frame replays each axis' drawing, text included, because
    the grid lines put the axes under the curves that changed (~1 ms per axis per frame)."""
    for plot in plots:
        for name in ("left", "bottom", "right", "top"):
            plot.getAxis(name).setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
