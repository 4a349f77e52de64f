"""DatasetPanel: "The data, explored" — what the network will learn from, before it learns anything.

Four views of the dataset: the ten class means as 28x28 tiles with their class names, the number of
images per class (train and test) as bars, the histogram of all pixel values (log y: most pixels
are exactly 0, the white paper) and a grid of ``SAMPLES_PER_CLASS`` random images per class.

The means and the histogram read every training image (~0.5 s on 60,000), so they are computed on a
thread, the first time the panel is shown after ``set_dataset``; the window never waits for them.
"""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.dataset_stats import class_counts, class_means, pixel_histogram, random_per_class
from mnist_viz.core.i18n import N_, format_percent, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE, tile_mosaic
from mnist_viz.gui import style
from mnist_viz.gui.class_labels import are_digits, names_key, short_names
from mnist_viz.gui.widgets import info_label, set_text
from mnist_viz.runtime.shared_data import release_pages

N_CLASSES = 10
SAMPLES_PER_CLASS = 8  # random images shown per class
MEAN_GRID = (2, 5)  # rows, cols of the class-mean tiles
GAP_X = 4  # px between tiles side by side
LABEL_BAND = 9  # px under a mean tile where its class name is written
NAME_ROOM = 34  # px left of the sample grid where each row's class name is written
NAME_CHARS = 8  # a class name under a tile or beside a row, at most this many characters
HISTOGRAM_BINS = 32
PAPER = 255  # uint8 value of white paper in the displayed images (0 = black ink)

TITLE = N_("The data, explored")
COMPUTING = N_("Computing the class means and the pixel histogram …")
ZERO_SHARE = N_("{share} of all pixels are exactly 0 (white paper); the histogram's y axis is logarithmic")
MEANS_CAPTION = N_("The average image of each class")
SAMPLES_CAPTION = N_("{k} random training images per class")


@dataclass(frozen=True)
class DatasetStats:
    """What the panel draws of one dataset (computed off the GUI thread).

    means ``(10, 784)`` float32, train_counts / test_counts ``(10,)`` int64, hist ``(bins,)`` int64,
    edges ``(bins+1,)``, zero_share: fraction of pixels exactly 0.
    """

    means: np.ndarray
    train_counts: np.ndarray
    test_counts: np.ndarray
    hist: np.ndarray
    edges: np.ndarray
    zero_share: float


def compute_stats(dataset) -> DatasetStats:
    """All the numbers of ``DatasetStats`` for ``dataset`` (reads every training image: ~0.5 s at 60,000)."""
    hist, edges, zero_share = pixel_histogram(dataset.x_train, HISTOGRAM_BINS)
    return DatasetStats(class_means(dataset.x_train, dataset.y_train, N_CLASSES),
                        class_counts(dataset.y_train, N_CLASSES), class_counts(dataset.y_test, N_CLASSES),
                        hist, edges, zero_share)


def ink_image(x: np.ndarray) -> np.ndarray:
    """``(n, 784)`` values in [0, 1] as ``(784, n)`` uint8 columns, 0 = ink, 255 = paper (for ``tile_mosaic``)."""
    return np.ascontiguousarray((PAPER - np.rint(np.clip(x, 0, 1) * PAPER)).astype(np.uint8).T)


class DatasetPanel(QtWidgets.QWidget):
    """The dataset's class means, class counts, pixel histogram and random images per class.

    ``show_snapshot`` does nothing and ``clear`` keeps the data: the panel depends only on the dataset.
    """

    statsReady = QtCore.Signal(int, object)  # (generation, DatasetStats or an error message)

    def __init__(self, dataset, seed: int = 0, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._rng = np.random.default_rng(seed)
        self._dataset = dataset
        self._stats: DatasetStats | None = None
        self._generation = 0  # bumped by set_dataset: a result for an older dataset is dropped
        self._computing = False
        self._sample_indices = np.full((N_CLASSES, SAMPLES_PER_CLASS), -1, np.int64)
        self._mean_labels: list = []
        self._row_labels: list = []
        self.statsReady.connect(self._on_stats_ready)
        self._build()
        self._draw_samples()
        self._show_state()

    # ------------------------------------------------------------------ public
    def set_dataset(self, dataset) -> None:
        """Show ``dataset``: new samples now, the means and histogram when next shown (on a thread)."""
        self._dataset = dataset
        self._generation += 1
        self._stats = None
        self._computing = False
        self._draw_samples()
        self._show_state()
        if self.isVisible():
            self._start_computing()

    def show_snapshot(self, snap: Snapshot) -> None:
        """Nothing changes with training."""

    def clear(self) -> None:
        """A new run: the data stay the same, so nothing to forget."""

    def new_sample(self) -> None:
        """Draw another ``SAMPLES_PER_CLASS`` random training images per class."""
        self._draw_samples()

    def stats(self) -> DatasetStats | None:
        """The numbers now drawn, or None while they are being computed."""
        return self._stats

    def sample_indices(self) -> np.ndarray:
        """``(10, SAMPLES_PER_CLASS)`` training-set indices shown, row ``c`` of class ``c`` (-1: none)."""
        return self._sample_indices.copy()

    def wait_for_stats(self, timeout_s: float = 10.0) -> bool:
        """Compute now if not started and process events until the stats are drawn (for tests and export)."""
        self._start_computing()
        deadline = QtCore.QDeadlineTimer(int(timeout_s * 1000))
        while self._stats is None and not deadline.hasExpired():
            QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        return self._stats is not None

    def mean_label_texts(self) -> list[str]:
        return [item.text() for item in self._mean_labels]

    def row_label_texts(self) -> list[str]:
        return [item.text() for item in self._row_labels]

    def zero_share_text(self) -> str:
        return self._zero_text.text()

    def refresh_texts(self) -> None:
        """Rewrite the texts built from numbers in the current language (after a language switch)."""
        self._show_state()
        set_text(self._samples_caption, tr(SAMPLES_CAPTION).format(k=SAMPLES_PER_CLASS))

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._means_widget, self._means_view, self._means_image = style.image_in_view(levels=(0, 255))
        self._samples_widget, self._samples_view, self._samples_image = style.image_in_view(levels=(0, 255))
        self._plots = style.graphics_widget()
        self._counts_plot = self._plots.addPlot(row=0, col=0)
        self._hist_plot = self._plots.addPlot(row=1, col=0)
        self._setup_counts_plot()
        self._setup_hist_plot()
        self._zero_text = info_label("", style.LABEL_PT)
        self._samples_caption = info_label(tr(SAMPLES_CAPTION).format(k=SAMPLES_PER_CLASS), style.LABEL_PT)
        new_sample = QtWidgets.QPushButton(tr("New sample"))
        new_sample.setFont(style.font(style.LABEL_PT))
        new_sample.setToolTip(tr("Show other random training images of each class"))
        new_sample.clicked.connect(self._on_new_sample_clicked)
        self._new_sample_button = new_sample
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(style.title_label(tr(TITLE)), 0, 0, 1, 2)
        layout.addWidget(info_label(tr(MEANS_CAPTION), style.LABEL_PT), 1, 0)
        layout.addWidget(self._means_widget, 2, 0)
        layout.addWidget(self._plots, 1, 1, 2, 1)
        sample_header = QtWidgets.QHBoxLayout()
        sample_header.addWidget(self._samples_caption, 1)
        sample_header.addWidget(new_sample)
        layout.addLayout(sample_header, 3, 0)
        layout.addWidget(self._zero_text, 3, 1)
        layout.addWidget(self._samples_widget, 4, 0, 1, 2)
        layout.setRowStretch(2, 1)
        layout.setRowStretch(4, 2)

    def _setup_counts_plot(self) -> None:
        plot = self._counts_plot
        style.style_plot(plot, left=tr("images"), bottom=tr("class"))
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.addLegend(offset=(-4, 4), labelTextSize=f"{style.zoomed_pt(style.SMALL_PT):.3g}pt")
        x = np.arange(N_CLASSES)
        self._train_bars = pg.BarGraphItem(x=x - 0.2, height=np.zeros(N_CLASSES), width=0.38,
                                           brush=pg.mkBrush(style.BLUE), pen=None, name=tr("train"))
        self._test_bars = pg.BarGraphItem(x=x + 0.2, height=np.zeros(N_CLASSES), width=0.38,
                                          brush=pg.mkBrush(style.ORANGE), pen=None, name=tr("test"))
        plot.addItem(self._train_bars)
        plot.addItem(self._test_bars)
        plot.setTitle(tr("Images per class"), size=f"{style.zoomed_pt(style.LABEL_PT):.3g}pt")

    def _setup_hist_plot(self) -> None:
        plot = self._hist_plot
        style.style_plot(plot, left=tr("pixels"), bottom=tr("pixel value (0 = white, 1 = black)"))
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setLogMode(x=False, y=True)
        self._hist_curve = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=pg.mkBrush(style.GREY),
                                           pen=pg.mkPen(style.FOREGROUND, width=1.5))
        plot.addItem(self._hist_curve)
        plot.setTitle(tr("All pixel values"), size=f"{style.zoomed_pt(style.LABEL_PT):.3g}pt")

    # ------------------------------------------------------------------ computing
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._start_computing()

    def _start_computing(self) -> None:
        if self._stats is not None or self._computing:
            return
        self._computing = True
        generation, dataset = self._generation, self._dataset
        threading.Thread(target=self._compute, args=(generation, dataset), daemon=True,
                         name="dataset-stats").start()

    def _compute(self, generation: int, dataset) -> None:
        """On the thread: the stats, or the reason they failed (bad data must not crash the window)."""
        try:
            result: object = compute_stats(dataset)
            release_pages(dataset.x_train)  # read once: its 188 MB need not stay in the window's memory
        except (ValueError, IndexError, TypeError, MemoryError) as e:
            result = f"{getattr(dataset, 'name', 'dataset')}: {e}"
        with contextlib.suppress(RuntimeError):  # the panel was deleted while computing
            self.statsReady.emit(generation, result)  # queued: handled on the GUI thread

    def _on_stats_ready(self, generation: int, result: object) -> None:
        if generation != self._generation:
            return
        self._computing = False
        if isinstance(result, DatasetStats):
            self._stats = result
            self._draw_stats()
        else:
            set_text(self._zero_text, tr("Cannot compute the dataset's statistics: {error}").format(error=result))

    # ------------------------------------------------------------------ drawing
    def _names(self) -> list[str]:
        names = tuple(self._dataset.class_names)
        return list(names) if are_digits(names) else short_names(names, NAME_CHARS)

    def _show_state(self) -> None:
        if self._stats is None:
            set_text(self._zero_text, tr(COMPUTING))
        else:
            set_text(self._zero_text, tr(ZERO_SHARE).format(share=format_percent(self._stats.zero_share)))

    def _draw_stats(self) -> None:
        stats = self._stats
        assert stats is not None
        self._draw_means(stats.means)
        self._train_bars.setOpts(height=stats.train_counts)
        self._test_bars.setOpts(height=stats.test_counts)
        axis = self._counts_plot.getAxis("bottom")
        axis.setTicks([list(enumerate(self._names()))])
        key = names_key(self._dataset.class_names)
        self._plots.setToolTip(tr("Classes: {key}").format(key=key) if key else "")
        # log y: an empty bin (log 0) is drawn at 1 pixel instead of vanishing to -inf
        self._hist_curve.setData(stats.edges, np.maximum(stats.hist, 1).astype(np.float64))
        self._show_state()

    def _draw_means(self, means: np.ndarray) -> None:
        rows, cols = MEAN_GRID
        mosaic = tile_mosaic(ink_image(means), rows, cols, PAPER, gap=(LABEL_BAND, GAP_X))
        self._means_image.setImage(np.ascontiguousarray(mosaic), autoLevels=False, levels=(0, 255))
        self._mean_labels = style.label_tiles(self._means_view, self._mean_labels, self._names(), cols, SIDE,
                                              (SIDE + GAP_X, SIDE + LABEL_BAND), LABEL_BAND, 1, style.BLUE)
        self._means_view.setRange(xRange=(0, mosaic.shape[1]), yRange=(0, mosaic.shape[0] + LABEL_BAND),
                                  padding=0.0)

    def _draw_samples(self) -> None:
        y = np.asarray(self._dataset.y_train)
        self._sample_indices = random_per_class(y, SAMPLES_PER_CLASS, int(self._rng.integers(2**31)), N_CLASSES)
        flat = self._sample_indices.ravel()
        images = np.zeros((len(flat), SIDE * SIDE), np.float32)  # a missing image (-1) stays blank paper
        images[flat >= 0] = self._dataset.x_train[flat[flat >= 0]]
        mosaic = tile_mosaic(ink_image(images), N_CLASSES, SAMPLES_PER_CLASS, PAPER, gap=(2, 2))
        self._samples_image.setImage(np.ascontiguousarray(mosaic), autoLevels=False, levels=(0, 255))
        self._samples_image.setPos(NAME_ROOM, 0)
        self._place_row_labels()
        self._samples_view.setRange(xRange=(0, NAME_ROOM + mosaic.shape[1]), yRange=(0, mosaic.shape[0]),
                                    padding=0.0)

    def _place_row_labels(self) -> None:
        for item in self._row_labels:
            self._samples_view.removeItem(item)
        pitch = SIDE + 2
        self._row_labels = [style.add_band_label(self._samples_view, name, SIDE * 0.6, NAME_ROOM / 2,
                                                 r * pitch + SIDE * 0.2, style.BLUE)
                            for r, name in enumerate(self._names())]

    # ------------------------------------------------------------------ events
    def _on_new_sample_clicked(self) -> None:
        self.new_sample()
