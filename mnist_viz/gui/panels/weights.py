"""WeightsPanel: every hidden unit's 784 input weights as a 28x28 tile, all tiles in one image.

This is the picture that shows learning happen: at the start every tile is noise; after a few
hundred batches the tiles turn into strokes and blobs, the features the units detect.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE, AdaptiveLevel, mosaic_layout, quantize_symmetric, tile_mosaic
from mnist_viz.gui import style
from mnist_viz.gui.widgets import legend_row

TITLE = "Hidden-unit weights (each tile: one unit's 784 input weights)"
PITCH = SIDE + 1  # tile plus its 1-px separator

# The two diagonals of a tile, 2 px thick: the "X" drawn over a switched-off unit.
_d = np.arange(SIDE)
_CROSS_I = np.concatenate([_d, _d[:-1], _d, _d[:-1]])
_CROSS_J = np.concatenate([_d, _d[1:], SIDE - 1 - _d, SIDE - 2 - _d[:-1]])


class WeightsPanel(QtWidgets.QWidget):
    """Mosaic of ``W1`` columns: tile ``u`` (row-major in the grid) is unit ``u``'s weights reshaped
    to 28x28, blue negative / white zero / red positive, with symmetric levels ``+-level``.

    Signals:
        unitClicked(int): the hidden unit whose tile was clicked.
    """

    unitClicked = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._level = AdaptiveLevel()
        self._layout_shape = (1, 1)  # (rows, cols) of the tile grid
        self._n_units = 0
        self._last: Snapshot | None = None
        self._q = np.empty((SIDE * SIDE, 0), np.uint8)  # (784, H) colour indices
        self._scratch = np.empty((SIDE * SIDE, 0), np.float32)  # (784, H)
        self._buffer: np.ndarray | None = None  # mosaic incl. trailing separator row/col
        self._legend_text = ""
        self._build()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._title = style.title_label(TITLE)
        self._legend, self._legend_info = legend_row()
        self._graphics, self._view, self._image = style.image_in_view(style.diverging_lut_indexed(),
                                                                      on_resized=self._on_view_resized)
        self._graphics.scene().sigMouseClicked.connect(self._on_scene_clicked)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self._title)
        layout.addWidget(self._legend)
        layout.addWidget(self._graphics, 1)

    # ------------------------------------------------------------------ public
    @property
    def layout_shape(self) -> tuple[int, int]:
        """``(rows, cols)`` of the tile grid now shown."""
        return self._layout_shape

    @property
    def n_units(self) -> int:
        """Hidden units in the picture now shown (0 before the first snapshot and after clear)."""
        return self._n_units

    @property
    def level(self) -> float | None:
        """The colour range ``+-level`` now in use (None before the first snapshot)."""
        return self._level.level

    def image(self) -> np.ndarray | None:
        """The displayed ``(rows * 29 - 1, cols * 29 - 1) uint8`` colour-index image (see
        ``style.diverging_lut_indexed`` for what the indices mean)."""
        return self._image.image

    @property
    def shown_snapshot(self) -> Snapshot | None:
        """The snapshot now on screen (live, or a past one while the timeline is scrubbed)."""
        return self._last

    def show_snapshot(self, snap: Snapshot) -> None:
        """Redraw from ``snap.W1 (784, H)`` and ``snap.unit_mask (H,)``. ~1 ms at H = 512."""
        self._last = snap
        W1 = snap.W1
        if W1.ndim != 2 or W1.shape[0] != SIDE * SIDE:
            return
        n = W1.shape[1]
        if n != self._n_units:
            self._resize_buffers(n)
        if snap.diverged:
            # Broken weights may hold inf/NaN, whose uint8 cast is undefined; show them clipped.
            W1 = np.nan_to_num(W1)
        level = self._level.update(W1)
        self._render(W1, snap.unit_mask, level)
        self._update_legend(n, level, snap)

    def clear(self) -> None:
        """Forget the picture and the colour scale (training was reset)."""
        self._last = None
        self._level.reset()
        self._n_units = 0
        self._image.clear()
        self._update_legend(0, None, None)

    # ------------------------------------------------------------------ drawing
    def _resize_buffers(self, n: int) -> None:
        self._n_units = n
        self._q = np.empty((SIDE * SIDE, n), np.uint8)
        self._scratch = np.empty((SIDE * SIDE, n), np.float32)
        self._layout_shape = mosaic_layout(n, self._view_aspect())

    def _render(self, W1: np.ndarray, unit_mask: np.ndarray, level: float) -> None:
        off = unit_mask == 0 if unit_mask.shape == (W1.shape[1],) else np.zeros(W1.shape[1], bool)
        base = np.where(off, np.float32(style.DIM_BASE), np.float32(style.NORMAL_BASE))
        q = quantize_symmetric(W1, level, base, self._q, self._scratch)
        if off.any():
            ablated = np.flatnonzero(off)
            q.reshape(SIDE, SIDE, -1)[_CROSS_I[:, None], _CROSS_J[:, None], ablated[None, :]] = style.MARK_INDEX
        rows, cols = self._layout_shape
        mosaic = tile_mosaic(q, rows, cols, style.SEPARATOR_INDEX, out=self._buffer, empty=style.EMPTY_INDEX)
        self._buffer = mosaic.base
        first = self._image.image is None or self._image.image.shape != mosaic.shape
        # Levels are applied by quantize_symmetric (fixed +-level -> fixed colour indices), so the
        # image is an indexed-colour uint8: no per-frame min/max scan, no float rescale in pyqtgraph.
        self._image.setImage(mosaic, autoLevels=False)
        if first:
            self._view.setRange(xRange=(0, mosaic.shape[1]), yRange=(0, mosaic.shape[0]), padding=0.0)

    def _update_legend(self, n: int, level: float | None, snap: Snapshot | None) -> None:
        if level is None:
            text = ""
        else:
            off = int(np.count_nonzero(snap.unit_mask == 0)) if snap is not None else 0
            text = f"±{level:.2g}   ·   {n} unit{'s' if n != 1 else ''}"
            if off:
                text += f"   ·   {off} switched off (grey, crossed)"
            if snap is not None and snap.diverged:
                text += "   ·   training stopped"
        if text != self._legend_text:  # a QLabel relayout costs more than the whole mosaic
            self._legend_text = text
            self._legend_info.setText(text)
            self._legend_info.setToolTip(text)

    def _view_aspect(self) -> float:
        rect = self._view.boundingRect()
        if rect.width() < 10 or rect.height() < 10:
            return 1.4  # not laid out yet: a typical panel shape
        return rect.width() / rect.height()

    # ------------------------------------------------------------------ events
    def _on_view_resized(self) -> None:
        if not self._n_units:
            return
        shape = mosaic_layout(self._n_units, self._view_aspect())
        if shape != self._layout_shape:
            self._layout_shape = shape
            self._image.clear()  # force a range reset in _render
            if self._last is not None:
                self.show_snapshot(self._last)

    def _on_scene_clicked(self, event) -> None:
        if self._image.image is None or event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        unit = self.unit_at(self._image.mapFromScene(event.scenePos()))
        if unit is not None:
            self.unitClicked.emit(unit)

    def unit_at(self, pos: QtCore.QPointF) -> int | None:
        """The hidden unit whose tile contains image coordinate ``pos`` (None on a separator)."""
        x, y = pos.x(), pos.y()
        if x < 0 or y < 0:
            return None
        col, xin = divmod(int(x), PITCH)
        row, yin = divmod(int(y), PITCH)
        _rows, cols = self._layout_shape
        unit = row * cols + col
        if xin >= SIDE or yin >= SIDE or col >= cols or unit >= self._n_units:
            return None
        return unit
