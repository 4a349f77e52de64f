"""OutputWeightsPanel: the last layer's weights as a 10 x H heatmap, one row per digit.

Row ``d`` says how strongly each hidden unit votes for digit ``d``: red = for, blue = against.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.i18n import N_, format_int, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import LEVEL_RATE, AdaptiveLevel, quantize_symmetric
from mnist_viz.gui import style
from mnist_viz.gui.class_labels import are_digits, names_key, short_names

N_CLASSES = 10
TITLE = N_("Output weights")
EXPLANATION = N_("row d: how much each hidden unit votes for digit d (red for, blue against)")
CLASS_EXPLANATION = N_("row d: how much each hidden unit votes for class d (red for, blue against)")


class OutputWeightsPanel(QtWidgets.QWidget):
    """Heatmap of ``W_out.T``: ``(10, H_last)``, rows = digits 0-9 (top to bottom), columns =
    units of the last hidden layer. Same colours and level rule as ``WeightsPanel``; units switched
    off (``unit_mask == 0``, only meaningful with one hidden layer) are dimmed.

    ``level_rate``: the colour scale's step per snapshot (``AdaptiveLevel.rate``); shown fewer
    snapshots a second than the mosaic's ~30, it must step further to follow as quickly."""

    def __init__(self, level_rate: float = LEVEL_RATE, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._level = AdaptiveLevel(rate=level_rate)
        self._n_units = 0
        self._q = np.empty((N_CLASSES, 0), np.uint8)
        self._scratch = np.empty((N_CLASSES, 0), np.float32)
        self._build()

    def _build(self) -> None:
        self._graphics = style.graphics_widget()
        self.plot = self._graphics.addPlot()
        style.style_plot(self.plot, left=tr("digit"), bottom=tr("hidden unit"))
        self.plot.showGrid(x=False, y=False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.getAxis("left").setTicks([[(d + 0.5, str(d)) for d in range(N_CLASSES)]])
        self._image = style.IndexedImageItem()
        self._image.setLookupTable(style.diverging_lut_indexed())
        self.plot.addItem(self._image)
        style.cache_axes(self.plot)
        explanation = self._explanation = QtWidgets.QLabel(tr(EXPLANATION))
        explanation.setFont(style.font(style.SMALL_PT + 1))
        explanation.setWordWrap(True)
        self._info = QtWidgets.QLabel("")
        self._info.setFont(style.font(style.SMALL_PT + 1))
        # Its width must not follow the text: a growing "±0.123 · 512 hidden units" re-laid out the
        # window's columns. Ignored = the layout gives it whatever width the panel has (a long text
        # is cut at the right edge; the tooltip has all of it), one line high.
        self._info.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Fixed)
        self._info.setWordWrap(False)
        self._info_text = ""
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(style.title_label(tr(TITLE)))
        layout.addWidget(explanation)
        layout.addWidget(self._info)
        layout.addWidget(self._graphics, 1)

    def set_class_names(self, names) -> None:
        """Name the rows by ``names`` (10 strings; Fashion-MNIST's "Trouser", …) instead of 0-9."""
        digits = are_digits(names)
        shown = short_names(names, 8)
        axis = self.plot.getAxis("left")
        axis.setTicks([[(d + 0.5, n) for d, n in enumerate(shown)]])
        style.style_axis(axis, tr("digit") if digits else tr("class"))
        style.reserve_tick_room(axis, max(shown, key=len))  # a cached axis is not drawn again to grow
        self._explanation.setText(tr(EXPLANATION) if digits else tr(CLASS_EXPLANATION))
        self.plot.getAxis("left").setToolTip(names_key(names))

    @property
    def level(self) -> float | None:
        return self._level.level

    def image(self) -> np.ndarray | None:
        """The displayed ``(10, H_last) uint8`` colour-index image."""
        return self._image.image

    def show_snapshot(self, snap: Snapshot) -> None:
        """Redraw from ``snap.W_out (H_last, 10)``."""
        W = snap.W_out
        if W.ndim != 2 or W.shape[1] != N_CLASSES or W.shape[0] == 0:
            return
        rows = W.T  # (10, H_last)
        if snap.diverged:
            rows = np.nan_to_num(rows)  # inf/NaN have no colour index
        n = rows.shape[1]
        if n != self._n_units:
            self._n_units = n
            self._q = np.empty((N_CLASSES, n), np.uint8)
            self._scratch = np.empty((N_CLASSES, n), np.float32)
        level = self._level.update(rows)
        dimmed = snap.unit_mask == 0 if snap.unit_mask.shape == (n,) else np.zeros(n, bool)
        base = np.where(dimmed, np.float32(style.DIM_BASE), np.float32(style.NORMAL_BASE))
        quantize_symmetric(rows, level, base, self._q, self._scratch)
        resized = self._image.image is None or self._image.image.shape != self._q.shape
        self._image.setImage(self._q, autoLevels=False)  # levels were applied by the quantization
        if resized:
            # Column u spans [u - 0.5, u + 0.5], so the tick "5" sits on unit 5.
            self._image.setRect(QtCore.QRectF(-0.5, 0, n, N_CLASSES))
            self.plot.setRange(xRange=(-0.5, n - 0.5), yRange=(0, N_CLASSES), padding=0.0)
        units = tr("{n} hidden unit") if n == 1 else tr("{n} hidden units")
        line = tr("±{level}   ·   {units}   ·   training stopped") if snap.diverged else tr("±{level}   ·   {units}")
        self._set_info(line.format(level=f"{level:.2g}", units=units.format(n=format_int(n))))

    def clear(self) -> None:
        self._level.reset()
        self._n_units = 0
        self._image.clear()
        self._set_info("")

    def _set_info(self, text: str) -> None:
        if text != self._info_text:  # QLabel relayouts are the expensive part of a frame
            self._info_text = text
            self._info.setText(text)
            self._info.setToolTip(text)
