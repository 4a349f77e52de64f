"""WeightsPanel: every hidden unit's 784 input weights as a 28x28 tile, all tiles in one image.

This is the picture that shows learning happen: at the start every tile is noise; after a few
hundred batches the tiles turn into strokes and blobs, the features the units detect.

A network with several hidden layers gets a row of layer buttons. Layer 1 is the mosaic above. A
deeper unit has no pixel weights of its own, so its tile is its *linear view*
(``analysis.linear_view``): the input pattern its weights add up to through the layers below,
``(W1 @ ... @ Wk)[:, j]``, as if no activation bent anything on the way. The panel says so in words.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.analysis import hidden_layer_count, linear_view
from mnist_viz.core.i18n import N_, format_int, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE, AdaptiveLevel, mosaic_layout, quantize_symmetric, tile_mosaic
from mnist_viz.gui import style
from mnist_viz.gui.widgets import info_label, legend_row, set_text

TITLE = N_("Hidden-unit weights (each tile: one unit's 784 input weights)")
DEEP_TITLE = N_("Layer {layer} units: linear view")
RUN_TITLE = N_("{run}: hidden-unit weights")
RUN_DEEP_TITLE = N_("{run}: Layer {layer} units: linear view")
LINEAR_VIEW_NOTE = N_("Each tile: the input pattern a unit's weights add up to through the layers below, "
                      "ignoring the bends of the activation")
SEPARATOR = "   ·   "  # between the legend's items
PITCH = SIDE + 1  # tile plus its 1-px separator

# The two diagonals of a tile, 2 px thick: the "X" drawn over a switched-off unit.
_d = np.arange(SIDE)
_CROSS_I = np.concatenate([_d, _d[:-1], _d, _d[:-1]])
_CROSS_J = np.concatenate([_d, _d[1:], SIDE - 1 - _d, SIDE - 2 - _d[:-1]])


class WeightsPanel(QtWidgets.QWidget):
    """Mosaic of ``W1`` columns: tile ``u`` (row-major in the grid) is unit ``u``'s weights reshaped
    to 28x28, blue negative / white zero / red positive, with symmetric levels ``+-level``.

    With several hidden layers, ``set_layer(k)`` (or the layer buttons) shows layer ``k``'s units
    instead, each as its linear view ``(W1 @ ... @ Wk)[:, j]`` with a colour level of its own.

    Signals:
        unitClicked(int): the first-layer unit whose tile was clicked (layer 1 shown).
        deepUnitClicked(int layer, int unit): the unit whose tile was clicked while a deeper layer
            (1-based ``layer`` >= 2) is shown.
        layerChanged(int): the layer shown changed (1-based).
    """

    unitClicked = QtCore.Signal(int)
    deepUnitClicked = QtCore.Signal(int, int)
    layerChanged = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._levels: dict[int, AdaptiveLevel] = {}  # per layer: their scales differ
        self._layer = 1  # the hidden layer shown, 1-based
        self._layer_buttons: list[QtWidgets.QToolButton] = []
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
        self._title = style.title_label(tr(TITLE))
        self._run_name = ""  # "Run A — adam, 0.001" during a comparison: said before the title
        self._layer_row = QtWidgets.QWidget()
        self._layer_group = QtWidgets.QButtonGroup(self)
        self._layer_group.setExclusive(True)
        self._layer_group.idClicked.connect(self.set_layer)
        row = QtWidgets.QHBoxLayout(self._layer_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        # "Layer [1][2][3]": narrow, so the heading never widens the panel (the window fits 1024 px)
        row.addWidget(QtWidgets.QLabel(tr("Layer ")))
        self._layer_row.hide()  # a one-layer network has nothing to choose
        self._note = info_label(tr(LINEAR_VIEW_NOTE))
        self._note.setToolTip(tr("A guide to what the unit responds to, not an exact picture: the activations "
                                 "between the layers bend the real path from the pixels"))
        self._note.hide()
        self._legend, self._legend_info = legend_row()
        self._graphics, self._view, self._image = style.image_in_view(style.diverging_lut_indexed(),
                                                                      on_resized=self._on_view_resized)
        self._graphics.scene().sigMouseClicked.connect(self._on_scene_clicked)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        heading = QtWidgets.QHBoxLayout()
        heading.addWidget(self._title, 1)
        heading.addWidget(self._layer_row)
        layout.addLayout(heading)
        layout.addWidget(self._note)
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
    def layer(self) -> int:
        """The hidden layer shown, 1-based."""
        return self._layer

    @property
    def level(self) -> float | None:
        """The colour range ``+-level`` now in use (None before the first snapshot)."""
        return self._level_of(self._layer).level

    @property
    def input_weights_level(self) -> float | None:
        """The colour range of layer 1's mosaic (the input weights W1) while it is the one shown; None
        otherwise (then it is not kept up to date)."""
        return self.level if self._layer == 1 else None

    def mosaic_height(self) -> int:
        """Pixels the mosaic's view is high now (a comparison sizes two mosaics alike by it)."""
        return self._graphics.height()

    def title_text(self) -> str:
        return self._title.text()

    def note_text(self) -> str:
        """The linear-view explanation when it is shown, else ``""``."""
        return self._note.text() if not self._note.isHidden() else ""

    def set_layer(self, layer: int) -> None:
        """Show hidden layer ``layer`` (1-based): 1 = the input weights, deeper = linear views. A layer
        the shown network lacks falls back to layer 1 at the next snapshot."""
        layer = max(1, int(layer))
        if layer == self._layer:
            return
        self._layer = layer
        self._image.clear()  # another picture: reset the view's range in _render
        if self._last is not None:
            self.show_snapshot(self._last)  # the buttons follow there
        else:
            self._sync_layer_buttons(len(self._layer_buttons))
        self.layerChanged.emit(self._layer)

    def image(self) -> np.ndarray | None:
        """The displayed ``(rows * 29 - 1, cols * 29 - 1) uint8`` colour-index image (see
        ``style.diverging_lut_indexed`` for what the indices mean)."""
        return self._image.image

    @property
    def shown_snapshot(self) -> Snapshot | None:
        """The snapshot now on screen (live, or a past one while the timeline is scrubbed)."""
        return self._last

    def show_snapshot(self, snap: Snapshot) -> None:
        """Redraw from ``snap.W1 (784, H)`` and ``snap.unit_mask (H,)`` (layer 1), or from layer k's
        linear view ``(784, H_k)``. ~1 ms at H = 512; a linear view adds its matrix products
        (~1 ms for 784-256-64)."""
        self._last = snap
        layers = hidden_layer_count(snap) if snap.W1.ndim == 2 else 0
        self._sync_layer_buttons(layers)
        if layers and self._layer > layers:
            self._layer = 1  # the network lost that layer (a restart): back to the input weights
            self._image.clear()
            self._sync_layer_buttons(layers)
            self.layerChanged.emit(1)
        tiles = self._tiles(snap)
        if tiles is None:
            return
        n = tiles.shape[1]
        if n != self._n_units:
            self._resize_buffers(n)
        if snap.diverged or self._layer > 1:
            # Broken weights may hold inf/NaN, whose uint8 cast is undefined; show them clipped.
            # (A product of large finite weights may overflow too.)
            tiles = np.nan_to_num(tiles, posinf=0.0, neginf=0.0)
        level = self._level_of(self._layer).update(tiles)
        mask = snap.unit_mask if self._layer == 1 else np.ones(n, np.float32)  # only layer 1 can be switched off
        self._render(tiles, mask, level)
        self._update_legend(n, level, snap)

    def clear(self) -> None:
        """Forget the picture and the colour scales (training was reset)."""
        self._last = None
        for level in self._levels.values():
            level.reset()
        self._n_units = 0
        self._image.clear()
        self._update_legend(0, None, None)

    # ------------------------------------------------------------------ layers
    def _level_of(self, layer: int) -> AdaptiveLevel:
        if layer not in self._levels:
            self._levels[layer] = AdaptiveLevel()
        return self._levels[layer]

    def _tiles(self, snap: Snapshot) -> np.ndarray | None:
        """``(784, H)`` what the tiles show: ``W1``, or the linear view of the layer shown; None
        when the snapshot's weights have no such shape."""
        W1 = snap.W1
        if W1.ndim != 2 or W1.shape[0] != SIDE * SIDE:
            return None
        if self._layer == 1:
            return W1
        try:
            with np.errstate(all="ignore"):  # diverged weights: NaN/inf, cleaned by the caller
                return linear_view(snap.params, self._layer)
        except ValueError:  # weights that do not chain: nothing to draw
            return None

    def _sync_layer_buttons(self, layers: int) -> None:
        """One button per hidden layer (none for a one-layer network); the shown layer's is checked."""
        row = self._layer_row.layout()
        while len(self._layer_buttons) < layers:
            k = len(self._layer_buttons) + 1
            button = QtWidgets.QToolButton()
            button.setText(str(k))
            button.setMinimumWidth(28)
            button.setCheckable(True)
            button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            button.setToolTip(self._layer_tip(k))
            self._layer_group.addButton(button, k)
            row.addWidget(button)
            self._layer_buttons.append(button)
        for k, button in enumerate(self._layer_buttons, start=1):
            button.setVisible(k <= layers)
            if button.isChecked() != (k == self._layer):
                button.setChecked(k == self._layer)
        self._layer_row.setVisible(layers > 1)
        deep = self._layer > 1
        self._show_title()
        self._note.setVisible(deep)

    def set_run_name(self, name: str) -> None:
        """Say which run the mosaic is (``"Run A — adam, 0.001"``) in its title; ``""``: just the title."""
        self._run_name = name
        self._show_title()

    def _show_title(self) -> None:
        deep = self._layer > 1
        if self._run_name:  # the short form: two titles of a comparison must each fit one line
            title = tr(RUN_DEEP_TITLE if deep else RUN_TITLE).format(run=self._run_name, layer=self._layer)
        else:
            title = tr(DEEP_TITLE).format(layer=self._layer) if deep else tr(TITLE)
        set_text(self._title, title)

    def refresh_texts(self) -> None:
        """Write the title, the layer buttons' tips and the legend again in the current language
        (after a language switch: they are built from numbers, which retranslate cannot follow)."""
        self._show_title()
        for k, button in enumerate(self._layer_buttons, start=1):
            button.setToolTip(self._layer_tip(k))
        self._legend_text = ""  # force the rewrite even if the English text is the same
        if self._last is None:
            self._update_legend(0, None, None)
        else:
            self._update_legend(self._n_units, self._level_of(self._layer).level, self._last)

    @staticmethod
    def _layer_tip(k: int) -> str:
        if k == 1:
            return tr("Layer 1: the input weights of the first hidden layer")
        return tr("Layer {layer}: each unit as its linear view (the input pattern its weights "
                  "add up to)").format(layer=k)

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
            items = [f"±{level:.2g}", self._units_text(n)]
            if self._layer > 1:
                off = 0  # switching off is for layer 1; its marks are not drawn here
            if off:
                items.append(tr("{n} switched off (grey, crossed)").format(n=format_int(off)))
            if snap is not None and snap.diverged:
                items.append(tr("training stopped"))
            text = SEPARATOR.join(items)
        if text != self._legend_text:  # a QLabel relayout costs more than the whole mosaic
            self._legend_text = text
            self._legend_info.setText(text)
            self._legend_info.setToolTip(text)

    def _units_text(self, n: int) -> str:
        """"512 units", or "64 units in layer 2" while a deeper layer is shown."""
        if self._layer > 1:
            units = tr("{n} unit in layer {layer}") if n == 1 else tr("{n} units in layer {layer}")
        else:
            units = tr("{n} unit") if n == 1 else tr("{n} units")
        return units.format(n=format_int(n), layer=self._layer)

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
            if self._layer == 1:
                self.unitClicked.emit(unit)
            else:
                self.deepUnitClicked.emit(self._layer, unit)

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
