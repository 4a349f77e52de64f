"""ConfusionPanel: which digits the network mixes up, on the whole test set, and the actual images
behind each mistake.

Rows are the true digit, columns the network's answer. The diagonal (correct answers) is grey with
bold counts; off-diagonal cells (errors) are coloured with a perceptually uniform, colour-blind-safe
sequential map on a logarithmic scale, so a cell with 3 errors is visible next to one with 300.
Clicking a cell lists its images, each with the network's current softmax bars and a "Pin" button.
A dataset that names its classes (Fashion-MNIST) has them written along the edges, shortened where
ten must share the width, with the full names in the tooltip.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import qthrottled

from mnist_viz.core.analysis import N_CLASSES, cell_members, confusion_matrix, network_answer
from mnist_viz.core.i18n import format_int, format_percent, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE
from mnist_viz.gui import style
from mnist_viz.gui.class_labels import DIGIT_NAMES, are_digits, fitting_names, names_key, short_names
from mnist_viz.gui.widgets import info_label, set_text

ERROR_MAP = "CET-L17"  # white -> yellow -> orange -> magenta -> dark blue; lightness falls monotonically
MIN_ERROR_SHADE = 0.12  # a single error must not look like white (zero)
MAX_SHOWN = 40  # images listed for a clicked cell
GALLERY_INTERVAL = 0.2  # s between recomputations of the listed images' bars
TEXT_EM = 0.45  # cell count height, in cells (counts of 4 digits are narrowed to fit the cell)
ROW_NAME_CHARS = 11  # class names along the left edge ("T-shirt/top" fits whole)
CARD_NAME_CHARS = 8  # the answer under a listed image's bars

# Gallery card geometry (px).
CARD_W, IMAGE_PX = 156, 140
BARS_H = 60
CARD_H = 8 + IMAGE_PX + 6 + BARS_H + 18 + 28 + 36


def error_colours(counts: np.ndarray) -> np.ndarray:
    """``(10, 10, 3) uint8`` cell colours: diagonal light grey; errors by ``log(1 + n)`` relative to
    the largest error count, white for none."""
    counts = np.asarray(counts, dtype=np.float64)
    off = ~np.eye(N_CLASSES, dtype=bool)
    top = counts[off].max() if counts[off].size else 0.0
    shade = np.zeros_like(counts)
    if top > 0:
        shade = np.log1p(counts) / np.log1p(top)
        shade = np.where(counts > 0, np.maximum(shade, MIN_ERROR_SHADE), 0.0)
    lut = pg.colormap.get(ERROR_MAP).getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)
    rgb = lut[np.clip(np.rint(shade * 255), 0, 255).astype(np.int64)]
    rgb[counts == 0] = 255
    rgb[~off] = QtGui.QColor(style.LIGHT_GREY).getRgb()[:3]
    return rgb


def _text_colour(rgb: np.ndarray) -> str:
    """Black on light cells, white on dark ones (relative luminance, sRGB weights)."""
    luminance = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255.0
    return style.BLACK if luminance > 0.45 else "#FFFFFF"  # the cell's colour decides, not the theme


class ConfusionPanel(QtWidgets.QWidget):
    """10x10 confusion matrix of the latest test-set predictions (``Snapshot.test_pred``), plus the
    images of a clicked cell.

    Args:
        dataset: the ``Dataset``; its ``x_test (N, 784)`` / ``y_test (N,)`` are what ``test_pred``
            predicts (a ``test_pred`` of another length is ignored).

    Signals:
        pinRequested(object): a listed image's ``(784,) float32`` pixels ("Pin"), for the window
            to add to the probe strip (the same payload as ``DrawingPanel.pinRequested``).
        pinIndexRequested(int): the same image's index into ``dataset.x_test``, emitted together
            with ``pinRequested`` (for a probe strip that takes test indices).
        cellSelected(int, int): ``(true, predicted)`` of the cell whose images are listed.
    """

    pinRequested = QtCore.Signal(object)
    pinIndexRequested = QtCore.Signal(int)
    cellSelected = QtCore.Signal(int, int)

    def __init__(self, dataset, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._x, self._y = dataset.x_test, np.asarray(dataset.y_test)
        self._names: tuple[str, ...] = tuple(getattr(dataset, "class_names", DIGIT_NAMES))
        self._pred: np.ndarray | None = None  # (N,) uint8 from the latest evaluation
        self._counts: np.ndarray | None = None  # (10, 10)
        self._cell: tuple[int, int] | None = None
        self._members = np.zeros(0, np.int64)  # all test indices in the selected cell
        self._n_shown = 0  # of them, listed on the first cards
        self._snap: Snapshot | None = None
        self._cell_texts: list[QtWidgets.QGraphicsSimpleTextItem] = []
        self._text_cache: list[tuple[str, str]] = [("", "")] * (N_CLASSES * N_CLASSES)
        self._gallery_throttle = qthrottled(self._on_gallery_tick, timeout=round(GALLERY_INTERVAL * 1000), parent=self)
        self._tick_texts: dict[str, list[str]] = {"left": [], "top": []}  # the class labels along the edges
        self._build()
        self._show_class_names()
        self._show_counts()

    # ------------------------------------------------------------------ public
    def set_dataset(self, dataset) -> None:
        """Another test set (and its class names): the matrix empties until its first evaluation."""
        self._x, self._y = dataset.x_test, np.asarray(dataset.y_test)
        self.set_class_names(getattr(dataset, "class_names", DIGIT_NAMES))
        self.clear()

    def class_names(self) -> tuple[str, ...]:
        return self._names

    def set_class_names(self, names) -> None:
        """Write ``names`` (10 strings) for the classes instead of the digits 0-9."""
        names = tuple(str(n) for n in names)
        if len(names) != N_CLASSES:
            raise ValueError(f"need {N_CLASSES} class names, got {len(names)}")
        self._names = names
        self._show_class_names()
        for card in self._cards:
            card.names = short_names(names, CARD_NAME_CHARS)
            card.update()
        self._list_cell()

    def axis_labels(self, side: str) -> list[str]:
        """The class labels written along the matrix's ``"left"`` (true) or ``"top"`` (answer) edge."""
        return list(self._tick_texts[side])

    def predictions(self) -> np.ndarray | None:
        """``(N,) uint8`` test-set predictions behind the matrix on screen, or ``None`` before any."""
        return self._pred

    def show_snapshot(self, snap: Snapshot) -> None:
        """Take new predictions when ``snap.test_pred`` carries them (else keep the last ones), and
        refresh the listed images' bars from ``snap.params`` (at most every 0.2 s)."""
        self._snap = snap
        pred = snap.test_pred
        if pred is not None and pred.shape == self._y.shape:
            self._pred = pred
            self._counts = confusion_matrix(self._y, pred)
            self._show_counts()
            if self._cell is not None:
                self._list_cell()
        if self._cell is not None:
            self._gallery_throttle(snap)

    def clear(self) -> None:
        """Training was reset: forget the predictions and the listed images."""
        self._gallery_throttle.cancel()
        self._pred = self._counts = self._snap = None
        self._cell = None
        self._members = np.zeros(0, np.int64)
        self._show_counts()
        self._list_cell()

    def select_cell(self, true_class: int, predicted: int) -> None:
        """List the images of cell ``(true_class, predicted)`` (up to ``MAX_SHOWN``)."""
        if not (0 <= true_class < N_CLASSES and 0 <= predicted < N_CLASSES):
            raise ValueError(f"no cell ({true_class}, {predicted}): digits are 0-9")
        self._cell = (int(true_class), int(predicted))
        self._place_selection()
        self._list_cell()
        if self._snap is not None:
            self._gallery_throttle.cancel()
            self._update_gallery_bars(self._snap)
        self.cellSelected.emit(*self._cell)

    def matrix(self) -> np.ndarray | None:
        """``(10, 10) int64`` counts shown (row = true, column = predicted), or None."""
        return None if self._counts is None else self._counts.copy()

    def cell_text(self, true_class: int, predicted: int) -> str:
        """The number written in a cell."""
        return self._cell_texts[true_class * N_CLASSES + predicted].text()

    def selected_cell(self) -> tuple[int, int] | None:
        return self._cell

    def cell_member_count(self) -> int:
        """How many test images fall in the selected cell (all of them, not only those listed)."""
        return len(self._members)

    def shown_indices(self) -> np.ndarray:
        """``(n,)`` test indices of the listed images, ``n <= MAX_SHOWN``, in test-set order."""
        return np.array([card.index for card in self.cards()], np.int64)

    def gallery_probabilities(self) -> np.ndarray:
        """``(n, 10)`` softmax bars of the listed images (NaN rows before a snapshot has arrived)."""
        return np.array([card.probs for card in self.cards()], np.float64).reshape(-1, N_CLASSES)

    def gallery_title(self) -> str:
        return self._gallery_title.text()

    def cards(self) -> list[_DigitCard]:
        """The cards of the listed images, in order."""
        return self._cards[: self._n_shown]

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._summary = info_label("", style.LABEL_PT, bold=True)
        self._graphics = style.graphics_widget()
        self._plot = self._graphics.addPlot()
        self._style_matrix_plot(self._plot)
        self._plot.vb.sigResized.connect(self._fit_column_names)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setRect(QtCore.QRectF(0, 0, N_CLASSES, N_CLASSES))
        self._plot.addItem(self._image)
        self._build_cell_texts()
        # The selected cell: a thick black frame lined with white, visible on every cell colour.
        self._selection = [QtWidgets.QGraphicsRectItem(), QtWidgets.QGraphicsRectItem()]
        for item, colour, width in zip(self._selection, (style.FOREGROUND, "#FFFFFF"), (7, 2.5)):
            item.setPen(pg.mkPen(colour, width=width, cosmetic=True))
            item.setVisible(False)
            self._plot.addItem(item, ignoreBounds=True)
        self._graphics.scene().sigMouseClicked.connect(self._on_matrix_clicked)

        left = QtWidgets.QWidget()
        left_layout = QtWidgets.QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        # Short words above, the full key as a tooltip: every line of text here is a line the matrix
        # (whose cell counts the room must read) does not get.
        left_layout.addWidget(style.title_label(tr("Confusion matrix (test set)")))
        self._key_line = info_label("")
        left_layout.addWidget(self._key_line)
        left_layout.addWidget(self._summary)
        left_layout.addWidget(self._graphics, 1)

        self._gallery_title = style.title_label("")
        self._gallery_hint = info_label("")
        self._gallery_body = _CardGrid()
        self._cards = [_DigitCard(self._on_card_pinned, short_names(self._names, CARD_NAME_CHARS))
                       for _ in range(MAX_SHOWN)]
        self._gallery_body.set_cards(self._cards)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self._gallery_body)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        right = QtWidgets.QWidget()
        right_layout = QtWidgets.QVBoxLayout(right)
        right_layout.setContentsMargins(10, 0, 0, 0)
        right_layout.addWidget(self._gallery_title)
        right_layout.addWidget(self._gallery_hint)
        right_layout.addWidget(scroll, 1)

        splitter = QtWidgets.QSplitter()
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([620, 380])  # the matrix is what the room reads; the gallery scrolls
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    @staticmethod
    def _style_matrix_plot(plot: pg.PlotItem) -> None:
        style.style_plot(plot, left=tr("true digit"))
        plot.showGrid(x=False, y=False)
        plot.hideAxis("bottom")
        plot.showAxis("top")
        style.style_axis(plot.getAxis("top"), tr("network's answer"))
        plot.invertY(True)
        plot.setAspectLocked(True)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setRange(xRange=(0, N_CLASSES), yRange=(0, N_CLASSES), padding=0.0)

    def _show_class_names(self) -> None:
        """Digits along both edges (large, bold), or the class names: shortened to fit (more room
        along the left edge than along the top), smaller, with the full names in the tooltip and
        the line above the matrix."""
        digits = are_digits(self._names)
        self._tick_texts = {"left": short_names(self._names, 1 if digits else ROW_NAME_CHARS), "top": []}
        for side in ("left", "top"):
            self._plot.getAxis(side).setTickFont(style.font(style.LABEL_PT if digits else style.SMALL_PT, bold=True))
        self._plot.getAxis("left").setTicks([[(d + 0.5, text) for d, text in enumerate(self._tick_texts["left"])]])
        self._fit_column_names()
        style.style_axis(self._plot.getAxis("left"), tr("true digit") if digits else tr("true class"))
        set_text(self._key_line, tr("Rows: true digit · columns: the network's answer · click a cell") if digits
                 else tr("Rows: true class · columns: the network's answer · click a cell"))
        key = names_key(self._names)
        tip = (tr("Rows: the true digit. Columns: the network's answer. Grey diagonal: correct. "
                  "Coloured: mistakes (darker = more). Click a cell to see its images.") if digits
               else tr("Rows: the true class. Columns: the network's answer. Grey diagonal: correct. "
                       "Coloured: mistakes (darker = more). Click a cell to see its images."))
        self._graphics.setToolTip(tip + ("\n" + tr("Classes: {key}").format(key=key) if key else ""))

    def _fit_column_names(self) -> None:
        """Along the top each name has one cell's width: as long a form as fits it now (digits always do)."""
        axis = self._plot.getAxis("top")
        metrics = QtGui.QFontMetricsF(axis.style.get("tickFont") or axis.font())
        rect = self._plot.vb.viewRect()
        cell = self._plot.vb.width() / max(rect.width(), 1e-9)  # px per cell (the aspect is locked)
        texts = fitting_names(self._names, cell - 3, metrics.horizontalAdvance)
        if texts != self._tick_texts["top"]:
            self._tick_texts["top"] = texts
            axis.setTicks([[(d + 0.5, text) for d, text in enumerate(texts)]])

    def _build_cell_texts(self) -> None:
        for _ in range(N_CLASSES * N_CLASSES):
            item = style.scalable_text()  # scaled into its cell by _set_cell_text
            self._plot.addItem(item, ignoreBounds=True)
            self._cell_texts.append(item)

    # ------------------------------------------------------------------ matrix
    def _show_counts(self) -> None:
        counts = self._counts
        if counts is None:
            self._image.setImage(np.full((N_CLASSES, N_CLASSES, 3), 255, np.uint8), autoLevels=False,
                                 levels=(0, 255))
            self._image.setRect(QtCore.QRectF(0, 0, N_CLASSES, N_CLASSES))
            for k in range(N_CLASSES * N_CLASSES):
                self._set_cell_text(k, "", style.FOREGROUND)
            set_text(self._summary, tr("No test-set evaluation yet."))
            return
        rgb = error_colours(counts)
        self._image.setImage(rgb, autoLevels=False, levels=(0, 255))
        self._image.setRect(QtCore.QRectF(0, 0, N_CLASSES, N_CLASSES))
        for t in range(N_CLASSES):
            for p in range(N_CLASSES):
                self._set_cell_text(t * N_CLASSES + p, str(int(counts[t, p])), _text_colour(rgb[t, p]))
        total = int(counts.sum())
        errors = total - int(np.trace(counts))
        accuracy = 1 - errors / total if total else math.nan
        set_text(self._summary, tr("{total} test images · {errors} mistakes · accuracy {accuracy}").format(
            total=format_int(total), errors=format_int(errors), accuracy=format_percent(accuracy, 1)))

    def _set_cell_text(self, k: int, text: str, colour: str) -> None:
        if self._text_cache[k] == (text, colour):
            return  # laying text out is the costly part; most evaluations change few cells
        self._text_cache[k] = (text, colour)
        item = self._cell_texts[k]
        t, p = divmod(k, N_CLASSES)
        f = item.font()
        f.setBold(t == p)
        item.setFont(f)
        item.setText(text)
        item.setBrush(pg.mkBrush(colour))
        natural = item.boundingRect()
        scale = min(TEXT_EM / max(natural.height(), 1.0) * 1.25, 0.9 / max(natural.width(), 1.0))
        item.setScale(scale)
        item.setPos(p + 0.5 - natural.width() * scale / 2, t + 0.5 - natural.height() * scale / 2)

    def _place_selection(self) -> None:
        for item in self._selection:
            item.setVisible(self._cell is not None)
        if self._cell is not None:
            t, p = self._cell
            self._selection[0].setRect(QtCore.QRectF(p, t, 1, 1))
            self._selection[1].setRect(QtCore.QRectF(p + 0.045, t + 0.045, 0.91, 0.91))

    # ------------------------------------------------------------------ gallery
    def _list_cell(self) -> None:
        """Fill the cards with the selected cell's images (up to MAX_SHOWN)."""
        self._place_selection()
        if self._cell is None or self._pred is None:
            self._members = np.zeros(0, np.int64)
            self._n_shown = 0
            set_text(self._gallery_title, tr("Click a cell of the matrix") if self._cell is None
                     else tr("True {t}, answered {p}").format(t=self._names[self._cell[0]],
                                                               p=self._names[self._cell[1]]))
            set_text(self._gallery_hint, "" if self._cell is None else tr("No test-set evaluation yet."))
            self._gallery_body.show_count(0)
            return
        t, p = self._cell
        self._members = cell_members(self._y, self._pred, t, p)
        shown = self._members[:MAX_SHOWN]
        self._n_shown = len(shown)
        for card, index in zip(self._cards, shown):
            card.set_image(int(index), self._x[index], int(self._y[index]))
        self._gallery_body.show_count(len(shown))
        set_text(self._gallery_title, _gallery_heading(len(self._members), t == p).format(
            t=self._names[t], p=self._names[p], n=format_int(len(self._members))))
        if len(self._members) > len(shown):
            hint = tr("showing the first {n}. Bars: the network's answer now (true class framed). "
                      "Pin adds an image to the probe digits.").format(n=format_int(len(shown)))
        else:
            hint = tr("Bars: the network's answer now (true class framed). Pin adds an image to the probe digits.")
        set_text(self._gallery_hint, hint)

    def refresh_texts(self) -> None:
        """Rewrite the texts kept between evaluations in the current language, after a language
        switch (``retranslate`` leaves texts in no catalog): the edge titles, key line and tooltip,
        the summary, and the gallery's title and hint."""
        self._show_class_names()
        self._show_counts()
        self._list_cell()

    def _update_gallery_bars(self, snap: Snapshot) -> None:
        cards = self.cards()
        if not cards:
            return
        answer = network_answer(snap, self._x[[card.index for card in cards]])
        for k, card in enumerate(cards):
            card.set_probs(None if answer is None else answer[0][k])

    # ------------------------------------------------------------------ events
    def _on_gallery_tick(self, snap: Snapshot) -> None:
        self._update_gallery_bars(snap)

    def _on_matrix_clicked(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        pos = self._plot.vb.mapSceneToView(event.scenePos())
        col, row = math.floor(pos.x()), math.floor(pos.y())
        if 0 <= row < N_CLASSES and 0 <= col < N_CLASSES:
            self.select_cell(row, col)

    def _on_card_pinned(self, card: _DigitCard) -> None:
        self.pinRequested.emit(np.array(self._x[card.index], dtype=np.float32))
        self.pinIndexRequested.emit(card.index)


def _gallery_heading(n: int, correct: bool) -> str:
    """The gallery's title for ``n`` images, in the current language, with ``{t}``, ``{p}``, ``{n}``
    still to fill: one whole sentence per case (singular / plural, right / wrong)."""
    if correct:
        return tr("True {t}, answered correctly: {n} image") if n == 1 else \
            tr("True {t}, answered correctly: {n} images")
    return tr("True {t}, answered {p}: {n} image") if n == 1 else tr("True {t}, answered {p}: {n} images")


class _CardGrid(QtWidgets.QWidget):
    """Cards of fixed size laid out in as many columns as fit the width (a simple flow layout)."""

    def __init__(self):
        super().__init__()
        self._cards: list[QtWidgets.QWidget] = []
        self._count = 0

    def set_cards(self, cards: list[QtWidgets.QWidget]) -> None:
        self._cards = cards
        for card in cards:
            card.setParent(self)
            card.hide()

    def show_count(self, n: int) -> None:
        """Show the first ``n`` cards."""
        self._count = n
        for k, card in enumerate(self._cards):
            card.setVisible(k < n)
        self._relayout()

    def _relayout(self) -> None:
        cols = max(1, self.width() // (CARD_W + 6))
        pitch = max(CARD_W + 6, self.width() // cols)  # spread the spare width between the columns
        rows = -(-self._count // cols)
        self.setMinimumHeight(rows * (CARD_H + 6))
        for k, card in enumerate(self._cards[: self._count]):
            r, c = divmod(k, cols)
            card.move(c * pitch + (pitch - CARD_W) // 2, r * (CARD_H + 6))

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()


class _DigitCard(QtWidgets.QWidget):
    """One test image with the network's 10 softmax bars and a Pin button, painted directly (a few
    QPainter calls per card: far cheaper than a plot per image)."""

    def __init__(self, on_pin, names: list[str]):
        super().__init__()
        self.names = names  # the class names written in the answer (short: the card is 156 px wide)
        self.setFixedSize(CARD_W, CARD_H)
        self.index = -1
        self.label = -1
        self.probs = np.full(N_CLASSES, np.nan)
        self._pixels = QtGui.QImage()
        self.pin_button = QtWidgets.QPushButton(tr("Pin"), self)
        self.pin_button.setFont(style.font(style.SMALL_PT + 1))
        self.pin_button.setToolTip(tr("Add this image to the probe digits"))
        self.pin_button.setGeometry(8, CARD_H - 34, CARD_W - 16, 30)
        self.pin_button.clicked.connect(lambda: on_pin(self))

    def set_image(self, index: int, pixels: np.ndarray, label: int) -> None:
        """``pixels``: ``(784,)`` in [0, 1]."""
        if index == self.index:
            return
        self.index, self.label = index, label
        paper = np.ascontiguousarray(255 - np.rint(np.asarray(pixels).reshape(SIDE, SIDE) * 255).astype(np.uint8))
        self._pixels = QtGui.QImage(paper.data, SIDE, SIDE, SIDE, QtGui.QImage.Format.Format_Grayscale8).copy()
        self.probs = np.full(N_CLASSES, np.nan)
        self.update()

    def set_probs(self, probs: np.ndarray | None) -> None:
        new = np.full(N_CLASSES, np.nan) if probs is None else np.asarray(probs, np.float64)
        if not np.array_equal(new, self.probs, equal_nan=True):
            self.probs = new
            self.update()

    def answer_text(self) -> tuple[str, str]:
        """``(text, colour)`` under the bars, as on the probe strip: ``"✓ 4 93%"`` / ``"✗ 9 87%"``."""
        if not np.isfinite(self.probs).all():
            return "—", style.GREY
        top = int(self.probs.argmax())
        if top == self.label:
            return f"{style.CORRECT_GLYPH} {self.names[top]} {format_percent(self.probs[top], 0)}", style.CORRECT
        return f"{style.WRONG_GLYPH} {self.names[top]} {format_percent(self.probs[top], 0)}", style.WRONG

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), QtGui.QColor(style.BACKGROUND))
        p.setPen(QtGui.QPen(QtGui.QColor(style.LIGHT_GREY), 1))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        x0 = (CARD_W - IMAGE_PX) // 2
        image_rect = QtCore.QRect(x0, 8, IMAGE_PX, IMAGE_PX)
        if not self._pixels.isNull():
            p.drawImage(image_rect, self._pixels)  # nearest-neighbour: the real 28x28 pixels
        p.setPen(QtGui.QPen(QtGui.QColor(style.DARK_GREY), 1))
        p.drawRect(image_rect.adjusted(0, 0, -1, -1))
        self._paint_bars(p, x0, image_rect.bottom() + 6 + BARS_H)
        p.end()

    def _paint_bars(self, p: QtGui.QPainter, x0: int, base: int) -> None:
        pitch = IMAGE_PX / N_CLASSES
        known = np.isfinite(self.probs).all()
        top = int(self.probs.argmax()) if known else -1
        colour = style.CORRECT if top == self.label else style.WRONG
        for d in range(N_CLASSES):
            x = x0 + d * pitch
            if d == self.label:  # the true digit: a dashed frame around its slot
                p.setPen(QtGui.QPen(QtGui.QColor(style.FOREGROUND), 1.5, QtCore.Qt.PenStyle.DashLine))
                p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                p.drawRect(QtCore.QRectF(x + 0.5, base - BARS_H, pitch - 1, BARS_H))
            if known:
                h = float(self.probs[d]) * (BARS_H - 2)
                p.setPen(QtCore.Qt.PenStyle.NoPen)
                p.setBrush(QtGui.QColor(colour if d == top else style.GREY))
                p.drawRect(QtCore.QRectF(x + 2, base - h, pitch - 4, h))
        p.setPen(QtGui.QPen(QtGui.QColor(style.DARK_GREY), 1))
        p.drawLine(QtCore.QPointF(x0, base), QtCore.QPointF(x0 + IMAGE_PX, base))
        p.setFont(style.font(style.SMALL_PT - 1))
        for d in range(N_CLASSES):
            p.drawText(QtCore.QRectF(x0 + d * pitch, base + 1, pitch, 16), QtCore.Qt.AlignmentFlag.AlignCenter, str(d))
        text, text_colour = self.answer_text()
        p.setPen(QtGui.QColor(text_colour))
        p.setFont(style.font(style.LABEL_PT, bold=True))
        p.drawText(QtCore.QRectF(0, base + 17, CARD_W, 26), QtCore.Qt.AlignmentFlag.AlignCenter, text)
