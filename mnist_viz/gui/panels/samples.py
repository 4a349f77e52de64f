"""SampleGridPanel: what the network learns from — a grid of training images with their labels."""
from __future__ import annotations

import numpy as np
from PySide6 import QtWidgets

from mnist_viz.core.i18n import tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE, grid_layout, tile_mosaic
from mnist_viz.gui import style

GAP_X = 3  # px between images side by side
LABEL_BAND = 12  # px under each image where its label is written
PAPER, INK = 255, 0  # white background, black ink


class SampleGridPanel(QtWidgets.QWidget):
    """A static grid of ``count`` training images (one ImageItem) with the label under each.

    ``show_snapshot`` and ``clear`` do nothing: the panel depends only on the dataset.
    """

    def __init__(self, dataset, count: int = 40, seed: int = 0, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._rng = np.random.default_rng(seed)
        self._count = int(count)
        self._x, self._y = dataset.x_train, dataset.y_train
        self._indices = self._draw_indices()
        self._grid = (1, 1)
        self._labels: list[QtWidgets.QGraphicsSimpleTextItem] = []
        self._build()
        self._relayout(force=True)

    # ------------------------------------------------------------------ public
    def sample_indices(self) -> np.ndarray:
        """``(count,)`` indices into the training split of the images shown."""
        return self._indices.copy()

    @property
    def grid(self) -> tuple[int, int]:
        """``(rows, cols)`` of the grid now shown."""
        return self._grid

    def image(self) -> np.ndarray | None:
        """The displayed ``uint8`` mosaic: 0 = ink, 255 = paper."""
        return self._image.image

    def shuffle(self) -> None:
        """Show another random set of training images."""
        self._indices = self._draw_indices()
        self._relayout(force=True)

    def set_dataset(self, dataset) -> None:
        self._x, self._y = dataset.x_train, dataset.y_train
        self.shuffle()

    def show_snapshot(self, snap: Snapshot) -> None:
        """Nothing changes with training."""

    def clear(self) -> None:
        """Nothing to forget."""

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        shuffle = QtWidgets.QPushButton(tr("Shuffle"))
        shuffle.setFont(style.font(style.SMALL_PT + 1))
        shuffle.clicked.connect(self._on_shuffle_clicked)
        header = QtWidgets.QHBoxLayout()
        header.addWidget(style.title_label(tr("Training images and their labels")), 1)
        header.addWidget(shuffle)
        self._graphics, self._view, self._image = style.image_in_view(levels=(0, 255), on_resized=self._on_view_resized)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self._graphics, 1)

    def _draw_indices(self) -> np.ndarray:
        n = min(self._count, len(self._x))
        return np.sort(self._rng.choice(len(self._x), n, replace=False)) if n else np.zeros(0, np.int64)

    def _aspect(self) -> float:
        rect = self._view.boundingRect()
        return rect.width() / rect.height() if rect.width() >= 10 and rect.height() >= 10 else 1.4

    def _relayout(self, force: bool = False) -> None:
        grid = grid_layout(len(self._indices), self._aspect(), SIDE + GAP_X, SIDE + LABEL_BAND)
        if grid == self._grid and not force:
            return
        self._grid = grid
        rows, cols = grid
        if len(self._indices) == 0:
            self._image.clear()
            return
        ink = (PAPER - np.rint(self._x[self._indices] * PAPER)).astype(np.uint8)  # (n, 784)
        mosaic = tile_mosaic(np.ascontiguousarray(ink.T), rows, cols, PAPER, gap=(LABEL_BAND, GAP_X))
        self._image.setImage(np.ascontiguousarray(mosaic), autoLevels=False, levels=(0, 255))
        self._place_labels()
        self._view.setRange(xRange=(0, mosaic.shape[1]), yRange=(0, mosaic.shape[0] + LABEL_BAND), padding=0.0)

    def _place_labels(self) -> None:
        self._labels = style.label_tiles(self._view, self._labels, [str(int(y)) for y in self._y[self._indices]],
                                         self._grid[1], SIDE, (SIDE + GAP_X, SIDE + LABEL_BAND), LABEL_BAND, 1,
                                         style.BLUE)

    # ------------------------------------------------------------------ events
    def _on_view_resized(self) -> None:
        self._relayout()

    def _on_shuffle_clicked(self) -> None:
        self.shuffle()
