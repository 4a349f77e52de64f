"""ProbesPanel: a strip of test digits, each with the network's 10 softmax bars, its answer and
how sure it is; plus a large view of one chosen digit with the hidden layer's activations.

The strip is one ViewBox drawn like a picture (images, bars and text all in data coordinates), so
it scales as a whole with the panel and a frame costs three bar updates, not dozens of widgets.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE, grid_layout
from mnist_viz.gui import style

N_CLASSES = 10
MIN_PROBES, MAX_PROBES = 8, 16

# Strip geometry in data units (one digit image is 1 x 1, y grows downward).
CELL_W, CELL_H = 1.3, 2.55
IMAGE_X = 0.15  # image left edge within the cell
ANSWER_Y, ANSWER_H = 1.0, 0.38  # "✓ 7" under the image, as large as the cell allows
CONFIDENCE_Y, CONFIDENCE_H = 1.38, 0.25  # "98%" under it
BAR_BASE_Y, BAR_MAX_H = 2.28, 0.6  # bars grow upward from the baseline
BAR_PITCH, BAR_W = 0.1, 0.08


def pick_probe_indices(labels: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` indices into ``labels (N,)``: digits 0, 1, ..., 9, 0, 1, ... in that order when the
    labels allow (one of each digit is what a lecturer wants to show), otherwise random."""
    chosen: list[int] = []
    for k in range(count):
        candidates = np.flatnonzero(labels == k % N_CLASSES)
        candidates = np.setdiff1d(candidates, chosen, assume_unique=True)
        if len(candidates) == 0:
            candidates = np.setdiff1d(np.arange(len(labels)), chosen, assume_unique=True)
        if len(candidates) == 0:
            break
        chosen.append(int(rng.choice(candidates)))
    return np.asarray(chosen, dtype=np.int64)


def _probe_source(dataset) -> tuple[np.ndarray, np.ndarray]:
    """``(x (N, 784), y (N,))`` to draw probes from: the test split, else validation, else training."""
    for split in ("test", "val", "train"):
        x, y = getattr(dataset, f"x_{split}"), getattr(dataset, f"y_{split}")
        if len(x):
            return x, y
    raise ValueError("the dataset has no images to use as probes")


def _fit_scale(item: QtWidgets.QGraphicsSimpleTextItem, height: float, widest: str) -> float:
    """Scale for ``item`` giving ``height`` em, unless the text ``widest`` would then spill into the
    next cell. One size for all cells, so that no answer looks more important than another."""
    width = QtGui.QFontMetricsF(item.font()).horizontalAdvance(widest)
    return min(height / 100.0, (CELL_W - 0.1) / width)


class ProbesPanel(QtWidgets.QWidget):
    """Softmax bars for ``P`` probe images (``MIN_PROBES <= P <= MAX_PROBES``) from the dataset's
    test split, and a large view of the selected probe.

    Signals:
        probesChanged(object): the new ``(P, 784) float32`` probe images, after the set changed
            (count, new draw, new dataset). The worker must send snapshots for these images;
            until it does, snapshots with a different row count are ignored.
        selectedChanged(int): the probe shown in the large view.
    """

    probesChanged = QtCore.Signal(object)
    selectedChanged = QtCore.Signal(int)

    def __init__(self, dataset, count: int = 10, seed: int = 0, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._rng = np.random.default_rng(seed)
        self._x, self._y = _probe_source(dataset)
        self._indices = pick_probe_indices(self._y, self._clamp_count(count), self._rng)
        self._selected = 0
        self._grid = (1, len(self._indices))
        self._probs: np.ndarray | None = None  # (P, 10) last shown, for the large view and relayout
        self._hidden: np.ndarray | None = None  # (P, H)
        self._answers: list[QtWidgets.QGraphicsSimpleTextItem] = []  # "✓ 7"
        self._confidences: list[QtWidgets.QGraphicsSimpleTextItem] = []  # "98%"
        self._digit_rows: list[QtWidgets.QGraphicsSimpleTextItem] = []
        self._images: list[pg.ImageItem] = []
        self._answer_cache: list[tuple[str, str, str]] = []
        self._detail_title_cache = ("", "")
        self._build()
        self._rebuild_cells()

    # ------------------------------------------------------------------ public
    def probe_images(self) -> np.ndarray:
        """``(P, 784) float32`` images of the current probes (a copy)."""
        return np.array(self._x[self._indices], dtype=np.float32)

    def probe_labels(self) -> np.ndarray:
        """``(P,) int64`` true classes of the current probes."""
        return np.asarray(self._y[self._indices], dtype=np.int64)

    def probe_indices(self) -> np.ndarray:
        """``(P,)`` indices into the split the probes come from (test, else val, else train)."""
        return self._indices.copy()

    @property
    def count(self) -> int:
        return len(self._indices)

    @property
    def selected(self) -> int:
        return self._selected

    def set_probe_count(self, count: int) -> None:
        """Show ``count`` probes (clamped to 8-16): keeps the current ones and adds or drops at the end."""
        count = self._clamp_count(count)
        if count == self.count:
            return
        if count < self.count:
            indices = self._indices[:count]
        else:
            # A fresh draw cycles digits 0-9 like the current one; its tail has the digits to add.
            existing = set(self._indices.tolist())
            more = pick_probe_indices(self._y, count, self._rng)[self.count:]
            extra = [i for i in more if i not in existing][: count - self.count]
            indices = np.concatenate([self._indices, np.asarray(extra, np.int64)])
        self._set_indices(indices)

    def shuffle(self) -> None:
        """Draw a new set of probes (same count)."""
        self._set_indices(pick_probe_indices(self._y, self.count, self._rng))

    def set_probe_indices(self, indices) -> None:
        """Use these indices into the probe split (8-16 of them)."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if not MIN_PROBES <= len(indices) <= MAX_PROBES or indices.min() < 0 or indices.max() >= len(self._x):
            raise ValueError(f"need {MIN_PROBES}-{MAX_PROBES} indices below {len(self._x)}")
        self._set_indices(indices)

    def pin_index(self, index: int) -> None:
        """Make test image ``index`` a probe: select it if it is one already, else add it (or replace
        the last probe when the strip is full)."""
        index = int(index)
        if not 0 <= index < len(self._x):
            raise ValueError(f"no probe image {index}: there are {len(self._x)}")
        where = np.flatnonzero(self._indices == index)
        if len(where) == 0:
            indices = np.append(self._indices, index) if self.count < MAX_PROBES else \
                np.append(self._indices[:-1], index)
            self._set_indices(indices)
            where = [self.count - 1]
        self.set_selected(int(where[0]))

    def pin_image(self, image: np.ndarray, label: int) -> None:
        """Make an arbitrary ``(784,)`` image (a drawing) a probe whose true digit is ``label``."""
        image = np.asarray(image, np.float32).reshape(1, -1)
        if image.shape[1] != self._x.shape[1] or not 0 <= int(label) < N_CLASSES:
            raise ValueError(f"a probe needs a {self._x.shape[1]}-pixel image and a digit 0-9, got "
                             f"{image.shape[1]} pixels and {label}")
        self._x = np.concatenate([self._x, image])  # a copy: the dataset's own arrays stay untouched
        self._y = np.append(self._y, int(label))
        self.pin_index(len(self._x) - 1)

    def set_dataset(self, dataset) -> None:
        """Take probes from another dataset (same count)."""
        self._x, self._y = _probe_source(dataset)
        self._set_indices(pick_probe_indices(self._y, self.count, self._rng))

    def set_selected(self, index: int) -> None:
        """Show probe ``index`` in the large view."""
        index = int(np.clip(index, 0, self.count - 1))
        if index == self._selected:
            return
        self._selected = index
        self._place_selection()
        self._show_selected_image()
        self._draw_detail()
        self.selectedChanged.emit(index)

    def show_snapshot(self, snap: Snapshot) -> None:
        """Update bars from ``snap.probe_probs (P, 10)`` and the large view from
        ``snap.probe_hidden (P, H)``; a snapshot made for another set of probes is ignored."""
        probs, hidden = snap.probe_probs, snap.probe_hidden
        if probs.shape != (self.count, N_CLASSES) or hidden.shape[0] != self.count:
            return
        self._probs, self._hidden = probs, hidden
        self._draw_strip()
        self._draw_detail()

    def clear(self) -> None:
        """Forget the last answers (training was reset); the probes stay."""
        self._probs = self._hidden = None
        self._draw_strip()
        self._draw_detail()

    def displayed_heights(self) -> np.ndarray:
        """``(P, 10)`` probabilities the strip's bars now show (0 where nothing is known)."""
        h = self._bars_grey.opts["height"] + self._bars_right.opts["height"] + self._bars_wrong.opts["height"]
        return np.asarray(h, dtype=np.float64).reshape(self.count, N_CLASSES) / BAR_MAX_H

    def answer_texts(self) -> list[str]:
        """The answer under each probe image, e.g. ``"✓ 7 98%"`` (``"—"`` when there is none)."""
        return [f"{a.text()} {c.text()}".strip() for a, c in zip(self._answers, self._confidences)]

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._count_box = QtWidgets.QSpinBox()
        self._count_box.setRange(MIN_PROBES, MAX_PROBES)
        self._count_box.setValue(self.count)
        self._count_box.setFont(style.font(style.SMALL_PT + 1))
        self._count_box.valueChanged.connect(self._on_count_changed)
        new_button = QtWidgets.QPushButton("New digits")
        new_button.setFont(style.font(style.SMALL_PT + 1))
        new_button.clicked.connect(self._on_new_clicked)
        header = QtWidgets.QHBoxLayout()
        header.addWidget(style.title_label("The network's answers"), 1)  # the tab already says "Probe digits"
        count_label = QtWidgets.QLabel("digits:")
        count_label.setFont(style.font(style.SMALL_PT + 1))
        header.addWidget(count_label)
        header.addWidget(self._count_box)
        header.addWidget(new_button)
        self._build_strip()
        self._build_detail()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self._strip, 3)
        layout.addWidget(self._detail, 2)

    def _build_strip(self) -> None:
        self._strip = style.graphics_widget()
        self._strip_view = style.image_view_box()
        self._strip.addItem(self._strip_view)
        grey = pg.mkColor(style.GREY)
        self._bars_grey = pg.BarGraphItem(x=[], height=[], width=BAR_W, brush=grey, pen=None)
        self._bars_right = pg.BarGraphItem(x=[], height=[], width=BAR_W, brush=pg.mkBrush(style.CORRECT), pen=None)
        self._bars_wrong = pg.BarGraphItem(x=[], height=[], width=BAR_W, brush=pg.mkBrush(style.WRONG), pen=None)
        # The true class: a dashed frame around the slot its bar should fill.
        self._truth_frames = pg.BarGraphItem(x=[], height=[], width=BAR_PITCH, brush=None,
                                             pen=pg.mkPen(style.FOREGROUND, width=1.5,
                                                          style=QtCore.Qt.PenStyle.DashLine, cosmetic=True))
        self._baselines = pg.BarGraphItem(x=[], height=[], width=N_CLASSES * BAR_PITCH, brush=None,
                                          pen=pg.mkPen(style.DARK_GREY, width=1, cosmetic=True))
        for item in (self._baselines, self._truth_frames, self._bars_grey, self._bars_right, self._bars_wrong):
            self._strip_view.addItem(item)
        self._selection_box = QtWidgets.QGraphicsRectItem()
        self._selection_box.setPen(pg.mkPen(style.BLUE, width=4, cosmetic=True))
        self._strip_view.addItem(self._selection_box, ignoreBounds=True)
        self._strip_view.sigResized.connect(self._on_strip_resized)
        self._strip.scene().sigMouseClicked.connect(self._on_strip_clicked)

    def _build_detail(self) -> None:
        self._detail = style.graphics_widget()
        self._detail_title = self._detail.addLabel("", row=0, col=0, colspan=3, size=f"{style.LABEL_PT}pt",
                                                   bold=True, color=style.FOREGROUND)
        self._detail_view = style.image_view_box()
        self._detail.addItem(self._detail_view, row=1, col=0)
        self._detail_image = pg.ImageItem(axisOrder="row-major")
        self._detail_view.addItem(self._detail_image)
        # Axis titles are left out: the row's heading says what the bars are, and the ticks
        # (digits 0-9, probability 0-1) say the rest, leaving the room to the bars themselves.
        self._detail_bars_plot = self._detail.addPlot(row=1, col=1)
        style.style_plot(self._detail_bars_plot)
        self._detail_bars_plot.getAxis("bottom").setTicks([[(d, str(d)) for d in range(N_CLASSES)]])
        self._detail_bars_plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self._detail_bars_plot.setRange(xRange=(-0.6, 9.6), yRange=(-0.03, 1.08), padding=0.0)
        self._detail_bars_plot.setMouseEnabled(x=False, y=False)
        self._detail_bars_plot.hideButtons()
        digits = np.arange(N_CLASSES)
        self._detail_truth = pg.BarGraphItem(x=digits, height=np.zeros(N_CLASSES), width=0.9, brush=None,
                                             pen=pg.mkPen(style.FOREGROUND, width=2, style=QtCore.Qt.PenStyle.DashLine))
        self._detail_bars = pg.BarGraphItem(x=digits, height=np.zeros(N_CLASSES), width=0.75,
                                            brushes=[pg.mkBrush(style.GREY)] * N_CLASSES, pen=None)
        self._detail_bars_plot.addItem(self._detail_truth)
        self._detail_bars_plot.addItem(self._detail_bars)
        self._hidden_plot = self._detail.addPlot(row=1, col=2)
        style.style_plot(self._hidden_plot)
        self._hidden_plot.setTitle("Hidden-unit activations", size=f"{style.SMALL_PT + 1}pt",
                                   color=style.FOREGROUND)
        self._hidden_plot.setMouseEnabled(x=False, y=False)
        self._hidden_plot.hideButtons()
        self._hidden_bars = style.unit_bars(self._hidden_plot)
        # Ranges are set by hand, in round steps: auto-ranging moved the activation axis on every
        # frame, which re-laid out the row and painted it twice (~4 ms of each frame).
        self._hidden_plot.enableAutoRange(False)
        self._hidden_range = (0, 0.0)  # (units, top of the y axis) now shown
        style.cache_axes(self._detail_bars_plot, self._hidden_plot)
        # Below these sizes the digit's ticks and the image turn into a smudge: better that the
        # window gives the strip a little less room.
        self._detail.setMinimumHeight(125)
        self._detail_view.setMinimumWidth(90)
        self._detail_bars_plot.setMinimumWidth(190)
        layout = self._detail.ci.layout
        layout.setColumnStretchFactor(0, 2)
        layout.setColumnStretchFactor(1, 3)
        layout.setColumnStretchFactor(2, 5)

    # ------------------------------------------------------------------ probe set
    @staticmethod
    def _clamp_count(count: int) -> int:
        return int(np.clip(count, MIN_PROBES, MAX_PROBES))

    def _set_indices(self, indices: np.ndarray) -> None:
        self._indices = np.asarray(indices, dtype=np.int64)
        self._selected = min(self._selected, self.count - 1)
        self._probs = self._hidden = None  # answers for the old probes mean nothing now
        if self._count_box.value() != self.count:
            self._count_box.blockSignals(True)
            self._count_box.setValue(self.count)
            self._count_box.blockSignals(False)
        self._rebuild_cells()
        self.probesChanged.emit(self.probe_images())

    def _rebuild_cells(self) -> None:
        """Create the per-probe image and text items for the current probes."""
        for item in self._images + self._answers + self._confidences + self._digit_rows:
            self._strip_view.removeItem(item)
        ink = style.ink_lut()
        self._images, self._answers, self._confidences, self._digit_rows = [], [], [], []
        for image in self.probe_images().reshape(-1, SIDE, SIDE):
            self._images.append(pg.ImageItem(image, axisOrder="row-major", levels=(0.0, 1.0), lut=ink))
            answer = style.scalable_text(bold=True)
            answer.setScale(_fit_scale(answer, ANSWER_H, f"{style.WRONG_GLYPH} 8"))
            confidence = style.scalable_text(bold=True)
            confidence.setScale(_fit_scale(confidence, CONFIDENCE_H, "100%"))
            digits = style.scalable_text("0123456789", colour=style.DARK_GREY, mono=True)
            self._answers.append(answer)
            self._confidences.append(confidence)
            self._digit_rows.append(digits)
            self._strip_view.addItem(self._images[-1])
            for item in (answer, confidence, digits):
                self._strip_view.addItem(item, ignoreBounds=True)
        self._answer_cache = [("", "", "")] * self.count
        self._grid = grid_layout(self.count, self._strip_aspect(), CELL_W, CELL_H)
        self._place_cells()
        self._show_selected_image()
        self._draw_strip()
        self._draw_detail()

    # ------------------------------------------------------------------ geometry
    def _strip_aspect(self) -> float:
        rect = self._strip_view.boundingRect()
        if rect.width() < 10 or rect.height() < 10:
            return 5.0  # not laid out yet: a wide strip
        return rect.width() / rect.height()

    def _cell_origins(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x0 (P,), y0 (P,))`` top-left corners of the cells, row by row."""
        r, c = np.divmod(np.arange(self.count), self._grid[1])
        return c * CELL_W, r * CELL_H

    def _bar_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x (P*10,), baseline y (P*10,))`` of every strip bar, probe-major."""
        x0, y0 = self._cell_origins()
        x = (x0[:, None] + IMAGE_X + BAR_PITCH * (np.arange(N_CLASSES) + 0.5)).ravel()
        return x, np.repeat(y0 + BAR_BASE_Y, N_CLASSES)

    def _place_cells(self) -> None:
        x0, y0 = self._cell_origins()
        for k, (image, digits) in enumerate(zip(self._images, self._digit_rows)):
            image.setRect(QtCore.QRectF(x0[k] + IMAGE_X, y0[k], 1.0, 1.0))
            # Monospace digits, scaled so one character advance equals one bar pitch.
            advance = QtGui.QFontMetricsF(digits.font()).horizontalAdvance("0")
            digits.setScale(BAR_PITCH / advance)
            digits.setPos(x0[k] + IMAGE_X, y0[k] + BAR_BASE_Y + 0.01)
        x, _base = self._bar_centres()
        labels = self.probe_labels()
        truth_x = x.reshape(-1, N_CLASSES)[np.arange(self.count), np.clip(labels, 0, N_CLASSES - 1)]
        self._truth_frames.setOpts(x=truth_x, y1=y0 + BAR_BASE_Y, height=np.full(self.count, BAR_MAX_H))
        self._baselines.setOpts(x=x0 + IMAGE_X + 0.5, y1=y0 + BAR_BASE_Y, height=np.zeros(self.count))
        rows, cols = self._grid
        self._strip_view.setRange(xRange=(0, cols * CELL_W), yRange=(-0.05, rows * CELL_H - 0.1), padding=0.0)
        self._place_selection()
        for k in range(self.count):
            self._centre_text(k)

    def _place_selection(self) -> None:
        x0, y0 = self._cell_origins()
        k = self._selected
        self._selection_box.setRect(QtCore.QRectF(x0[k] + 0.04, y0[k] - 0.03, CELL_W - 0.08, CELL_H - 0.05))

    def _centre_text(self, k: int) -> None:
        """Centre answer ``k`` and its confidence under the image."""
        x0, y0 = self._cell_origins()
        centre = x0[k] + IMAGE_X + 0.5
        for text, top in ((self._answers[k], ANSWER_Y), (self._confidences[k], CONFIDENCE_Y)):
            width = text.boundingRect().width() * text.scale()
            text.setPos(centre - width / 2, y0[k] + top)

    # ------------------------------------------------------------------ drawing
    def _draw_strip(self) -> None:
        P = self.count
        x, base = self._bar_centres()
        probs = self._probs
        known = np.zeros(P, bool) if probs is None else np.isfinite(probs).all(axis=1)
        heights = np.zeros((P, N_CLASSES))
        if probs is not None:
            heights[known] = probs[known]
        predicted = heights.argmax(axis=1)
        labels = self.probe_labels()
        correct = known & (predicted == labels)
        wrong = known & ~correct
        top = np.zeros((P, N_CLASSES), bool)
        top[np.arange(P), predicted] = known
        h = heights * BAR_MAX_H
        self._bars_grey.setOpts(x=x, y1=base, height=np.where(top, 0.0, h).ravel())
        self._bars_right.setOpts(x=x, y1=base, height=np.where(top & correct[:, None], h, 0.0).ravel())
        self._bars_wrong.setOpts(x=x, y1=base, height=np.where(top & wrong[:, None], h, 0.0).ravel())
        for k in range(P):
            self._set_answer(k, *self._answer(known[k], correct[k], predicted[k], heights[k, predicted[k]]))

    @staticmethod
    def _answer(known: bool, correct: bool, predicted: int, confidence: float) -> tuple[str, str, str]:
        """``(answer, confidence, colour)`` of a probe, e.g. ``("✓ 7", "98%", CORRECT)``."""
        if not known:
            return "—", "", style.GREY
        glyph, colour = (style.CORRECT_GLYPH, style.CORRECT) if correct else (style.WRONG_GLYPH, style.WRONG)
        return f"{glyph} {predicted}", f"{confidence:.0%}", colour

    def _set_answer(self, k: int, answer: str, confidence: str, colour: str) -> None:
        if self._answer_cache[k] == (answer, confidence, colour):
            return  # re-laying out text is the costly part; most frames change nothing here
        self._answer_cache[k] = (answer, confidence, colour)
        brush = pg.mkBrush(colour)
        for item, text in ((self._answers[k], answer), (self._confidences[k], confidence)):
            item.setText(text)
            item.setBrush(brush)
        self._centre_text(k)

    def _show_selected_image(self) -> None:
        """The large image of the selected probe and the frame marking its true class."""
        image = self._x[self._indices[self._selected]].reshape(SIDE, SIDE)
        self._detail_image.setImage(np.asarray(image, np.float32), levels=(0.0, 1.0), lut=style.ink_lut())
        self._detail_view.setRange(xRange=(0, SIDE), yRange=(0, SIDE), padding=0.0)
        truth = np.zeros(N_CLASSES)
        truth[np.clip(self.probe_labels()[self._selected], 0, N_CLASSES - 1)] = 1.0
        self._detail_truth.setOpts(height=truth)

    def _draw_detail(self) -> None:
        k = self._selected
        label = int(self.probe_labels()[k])
        probs = None if self._probs is None else self._probs[k]
        if probs is None or not np.isfinite(probs).all():
            self._detail_bars.setOpts(height=np.zeros(N_CLASSES))
            style.show_units(self._hidden_bars, None)
            why = "no answer yet" if probs is None else "no answer (outputs not finite)"
            self._set_detail_title(f"true {label} → {why}", style.FOREGROUND)
            return
        predicted = int(probs.argmax())
        colour = style.CORRECT if predicted == label else style.WRONG
        brushes = [pg.mkBrush(style.GREY)] * N_CLASSES
        brushes[predicted] = pg.mkBrush(colour)
        self._detail_bars.setOpts(height=probs, brushes=brushes)
        glyph = style.CORRECT_GLYPH if predicted == label else style.WRONG_GLYPH
        self._set_detail_title(
            f"true {label} → network says {predicted}, {probs[predicted]:.0%} sure {glyph}", colour)
        hidden = np.nan_to_num(self._hidden[k])
        self._fit_hidden_range(hidden)
        style.show_units(self._hidden_bars, hidden)

    def _fit_hidden_range(self, hidden: np.ndarray) -> None:
        """Show all ``hidden (H,)`` activations: x spans the units; the y axis tops at a round value
        that changes only when the tallest bar outgrows it or shrinks below a third of it."""
        units, top = self._hidden_range
        low, high = min(0.0, float(hidden.min(initial=0.0))), float(hidden.max(initial=0.0))
        if units != len(hidden) or not (high <= top and high >= top / 3 and low >= -top):
            top = style.nice_ceiling(max(high, -low, 1e-3) * 1.05)
            self._hidden_range = (len(hidden), top)
            self._hidden_plot.setRange(xRange=(-0.5, len(hidden) - 0.5), yRange=(min(low * 1.05, 0.0), top),
                                       padding=0.0)

    def _set_detail_title(self, text: str, colour: str) -> None:
        if (text, colour) != self._detail_title_cache:  # a LabelItem change re-lays out the row
            self._detail_title_cache = (text, colour)
            self._detail_title.setText(text, color=colour)

    # ------------------------------------------------------------------ events
    def _on_strip_resized(self) -> None:
        grid = grid_layout(self.count, self._strip_aspect(), CELL_W, CELL_H)
        if grid != self._grid:
            self._grid = grid
            self._place_cells()
            self._draw_strip()

    def _on_strip_clicked(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        pos = self._strip_view.mapSceneToView(event.scenePos())
        col, row = int(np.floor(pos.x() / CELL_W)), int(np.floor(pos.y() / CELL_H))
        k = row * self._grid[1] + col
        if 0 <= col < self._grid[1] and row >= 0 and k < self.count:
            self.set_selected(k)

    def _on_count_changed(self, value: int) -> None:
        self.set_probe_count(value)

    def _on_new_clicked(self) -> None:
        self.shuffle()
