"""ProbesPanel: a strip of test digits, each with the network's answer for it and how sure it is,
plus a large view of one chosen digit: its 10 softmax bars and the hidden layer's activations.

Why the strip shows answers, not bars: ten sets of ten bars in a quarter of a 1920 px screen are
5 px digits under 30 px bars, which no one past the front row can read. So each small probe shows
what can be read from the back (its answer digit, large, "✓"/"✗", the confidence as a number and
as one long bar whose full length is 100 %), and the selected probe's ten bars get the room of
the large view (100 % = more than 60 px, class digits over 14 px high at the default window size).

The past is the past: a snapshot carries the softmax of the probe images the trainer had when it
made it. The panel remembers which probe set each ``SetProbes`` command sent
(``note_probes_sent``), so a snapshot of an earlier moment shows that moment's answers for the
probes that existed then and "no data" for those added later, never the live numbers.

The strip is one ViewBox drawn like a picture (images, bars and text all in data coordinates), so
it scales as a whole with the panel and a frame costs two bar updates, not dozens of widgets.
"""
from __future__ import annotations

import dataclasses
import decimal
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.i18n import format_int, format_percent, language, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE, grid_layout
from mnist_viz.gui import style
from mnist_viz.gui.class_labels import DIGIT_NAMES, are_digits, fitting_names, names_key, short_names

N_CLASSES = 10
MIN_PROBES, MAX_PROBES = 4, 16

# Strip geometry in data units (one digit image is 1 x 1, y grows downward): the image on the left,
# the answer and the confidence to its right, the confidence bar under both.
CELL_W, CELL_H = 2.5, 1.34
IMAGE_X, IMAGE_Y = 0.08, 0.04  # image top-left within the cell
TEXT_X, TEXT_W = 1.14, 1.3  # the answer's column
ANSWER_Y, ANSWER_H = -0.06, 0.58  # "✓ 7": the em, as large as the column allows
CONFIDENCE_Y, CONFIDENCE_H = 0.54, 0.5  # "98%" under it: nearly as large (it carries the number)
BAR_Y, BAR_H = 1.1, 0.16  # the confidence bar: from IMAGE_X, full length = 100 %
BAR_LEN = CELL_W - 2 * IMAGE_X
DIMMED = 0.2  # opacity of a probe image that has no data for the moment shown
STRIP_NAME_CHARS = 8  # a class name beside a probe image: "✓ Trouser" (the full name is in the large view)
BARS_X_RANGE = (-0.6, 9.6)  # the large view's bar plot, in bars

# What a probe shows, by state.
ANSWERED, NOT_FINITE, PENDING, ADDED_LATER = "answered", "not finite", "pending", "added later"


@dataclass
class _ProbeSet:
    """One set of probes as sent to the trainer: ``indices (P,)`` into the probe split, and the
    sequence number of the ``SetProbes`` command that sent it (``None`` until the window says)."""

    indices: np.ndarray
    seq: int | None = None


MAX_PROBE_SETS = 512  # kept for attributing old snapshots; 512 changes of probes is a long lecture


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


_PERCENT_TEXTS: dict[tuple[str, bool, decimal.Decimal], str] = {}


def _whole_percent(fraction: float) -> str:
    """``format_percent(fraction, 0)``, remembered: babel takes ~13 us a call and the strip asks
    eleven times a frame for what is nearly always one of a few texts. The key is what babel rounds
    (``Decimal(str(x))`` scaled to percent, half to even), its sign and the language, so the text
    is the one babel would write."""
    value = decimal.Decimal(str(fraction))
    if not value.is_finite():
        return format_percent(fraction, 0)
    rounded = value.scaleb(2).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_EVEN)
    key = (language(), value.is_signed(), rounded)
    text = _PERCENT_TEXTS.get(key)
    if text is None:
        if len(_PERCENT_TEXTS) > 4096:  # languages x percents: a few hundred; never grow without end
            _PERCENT_TEXTS.clear()
        text = _PERCENT_TEXTS[key] = format_percent(fraction, 0)
    return text


def _keep_as_pixmap(item: QtWidgets.QGraphicsItem) -> None:
    """Paint ``item`` from a pixmap of itself, drawn again only when it changes or is scaled: the
    strip and the large view are repainted for the bars on most frames, and their images, texts and
    frames (which change only with the probes or an answer) were drawn anew each time, the text
    glyph by glyph (measured: ~0.5 ms of a frame's ~2 ms for both views)."""
    item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)


def _fit_scale(item: QtWidgets.QGraphicsSimpleTextItem, height: float, text: str, room: float = TEXT_W) -> float:
    """Scale for ``item`` giving ``height`` em, unless ``text`` would then be wider than ``room``."""
    width = QtGui.QFontMetricsF(item.font()).horizontalAdvance(text)
    return min(height / 100.0, room / max(width, 1.0))


class ProbesPanel(QtWidgets.QWidget):
    """The network's answers for ``P`` probe images (``MIN_PROBES <= P <= MAX_PROBES``) from the
    dataset's test split, and a large view of the selected probe.

    Signals:
        probesChanged(object): the new ``(P, 784) float32`` probe images, after the set changed
            (count, new draw, new dataset, pin). The worker must send snapshots for these images;
            the window then calls ``note_probes_sent`` with the command's sequence number.
        selectedChanged(int): the probe shown in the large view.
    """

    probesChanged = QtCore.Signal(object)
    selectedChanged = QtCore.Signal(int)

    def __init__(self, dataset, count: int = 10, seed: int = 0, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._rng = np.random.default_rng(seed)
        self._x, self._y = _probe_source(dataset)
        self._names: tuple[str, ...] = tuple(getattr(dataset, "class_names", DIGIT_NAMES))
        self._strip_names = short_names(self._names, STRIP_NAME_CHARS)
        self._indices = pick_probe_indices(self._y, self._clamp_count(count), self._rng)
        self._probe_sets = [_ProbeSet(self._indices)]
        self._seqs_known = False  # True once the window has said which command sent a set
        self._selected = 0
        self._grid = (1, len(self._indices))
        self._snap: Snapshot | None = None  # the snapshot shown (live or past), re-read when the probes change
        self._newest: tuple[int, int, int] | None = None  # (run, step, applied command) of the newest one seen
        self._states: list[str] = []  # (P,) ANSWERED / NOT_FINITE / PENDING / ADDED_LATER
        self._probs = np.zeros((len(self._indices), N_CLASSES))  # (P, 10) shown, 0 where there is no answer
        self._hidden: list[np.ndarray | None] = []  # (P,) of (H,) activations, None without an answer
        self._answers: list[QtWidgets.QGraphicsSimpleTextItem] = []  # "✓ 7"
        self._confidences: list[QtWidgets.QGraphicsSimpleTextItem] = []  # "98%"
        self._images: list[pg.ImageItem] = []
        self._answer_cache: list[tuple[str, str, str]] = []
        self._bars_key: tuple | None = None  # what the confidence bars show, to the pixel (see _draw_strip)
        self._answer_scale = self._confidence_scale = 0.01
        self._detail_title_cache = ("", "")
        self._bar_names: list[str] = []  # under the large view's bars (_fit_bar_names)
        self._build()
        self._show_class_names()
        self._rebuild_cells()

    # ------------------------------------------------------------------ public
    def class_names(self) -> tuple[str, ...]:
        """The name of each class 0..9 the panel writes (digits for MNIST)."""
        return self._names

    def set_class_names(self, names) -> None:
        """Write ``names`` (10 strings, e.g. Fashion-MNIST's) instead of the digits: in full in the
        large view's heading, shortened beside the probe images and under the bars."""
        names = tuple(str(n) for n in names)
        if len(names) != N_CLASSES:
            raise ValueError(f"need {N_CLASSES} class names, got {len(names)}")
        self._names = names
        self._strip_names = short_names(names, STRIP_NAME_CHARS)
        self._show_class_names()
        self._answer_cache = [("", "", "")] * self.count
        self._draw_strip()
        self._draw_detail()

    def copy_probe_record(self, source: ProbesPanel) -> None:
        """Take ``source``'s probe images (pinned drawings included) and its record of which probe set
        each past snapshot was made for, so this panel reads ``source``'s snapshots as ``source``
        does (a video rendered from the window's timeline)."""
        self._x, self._y = source._x, source._y
        self._probe_sets = [dataclasses.replace(s, indices=s.indices.copy()) for s in source._probe_sets]
        self._seqs_known = source._seqs_known
        self._indices = source._indices.copy()
        self._rebuild_cells()

    def set_strip_only(self, strip_only: bool) -> None:
        """Show only the strip of answers, without the heading, its buttons and the large view (a
        comparison's run B: its probes follow run A's, and its mosaic needs the height)."""
        self._header.setVisible(not strip_only)
        self._detail.setVisible(not strip_only)

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
        """Show ``count`` probes (clamped to 4-16): keeps the current ones and adds or drops at the end."""
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
        """Use these indices into the probe split (4-16 of them)."""
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
        """Take probes from another dataset (same count), and its class names."""
        self._x, self._y = _probe_source(dataset)
        self._probe_sets.clear()  # their indices point into the old images: no old snapshot is for these
        self._snap = self._newest = None  # of the old data
        self._names = tuple(getattr(dataset, "class_names", DIGIT_NAMES))
        self._strip_names = short_names(self._names, STRIP_NAME_CHARS)
        self._show_class_names()
        self._set_indices(pick_probe_indices(self._y, self.count, self._rng))

    def note_probes_sent(self, seq: int) -> None:
        """The current probe images went to the trainer as command ``seq``: snapshots whose
        ``loop.applied_seq >= seq`` (until the next set) carry their answers, older ones do not."""
        self._probe_sets[-1].seq = int(seq)
        self._seqs_known = True

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
        """Answers from ``snap.probe_probs (P', 10)`` and, for the selected probe, the large view from
        ``snap.probe_hidden (P', H)``: each probe gets the row of the probe set ``snap`` was made for,
        or "no data" when it was not a probe then (added later)."""
        key = (snap.loop.run_id, snap.step, snap.loop.applied_seq)
        self._newest = key if self._newest is None else max(self._newest, key)
        self._snap = snap
        self._read_snapshot()
        self._draw_strip()
        self._draw_detail()

    def clear(self) -> None:
        """Forget the last answers (training was reset); the probes stay."""
        self._snap = self._newest = None
        self._read_snapshot()
        self._draw_strip()
        self._draw_detail()

    def displayed_heights(self) -> np.ndarray:
        """``(P, 10)`` probabilities the panel shows for each probe (the cell's answer and bar are the
        largest; the large view draws the selected one's ten), 0 where it shows no answer."""
        return self._probs.copy()

    def probe_states(self) -> list[str]:
        """What each probe shows: ``ANSWERED``, ``NOT_FINITE`` (outputs were NaN/inf), ``PENDING``
        (its first answer is on its way) or ``ADDED_LATER`` (the moment shown predates it)."""
        return list(self._states)

    def answer_texts(self) -> list[str]:
        """The answer beside each probe image, e.g. ``"✓ 7 98%"`` (``"—"`` when there is none yet,
        ``"no data (added later)"`` for a moment before it was a probe)."""
        return [f"{a.text()} {c.text()}".strip() for a, c in zip(self._answers, self._confidences)]

    def detail_title(self) -> str:
        """The large view's heading, e.g. ``"true 7 → network says 7, 98% sure ✓"``."""
        return self._detail_title_cache[0]

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._count_box = QtWidgets.QSpinBox()
        self._count_box.setRange(MIN_PROBES, MAX_PROBES)
        self._count_box.setValue(self.count)
        self._count_box.setFont(style.font(style.SMALL_PT + 1))
        self._count_box.valueChanged.connect(self._on_count_changed)
        new_button = QtWidgets.QPushButton(tr("New digits"))
        new_button.setFont(style.font(style.SMALL_PT + 1))
        new_button.clicked.connect(self._on_new_clicked)
        self._header = QtWidgets.QWidget()
        header = QtWidgets.QHBoxLayout(self._header)
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(style.title_label(tr("The network's answers")), 1)  # the tab already says "Probe digits"
        count_label = QtWidgets.QLabel(tr("digits:"))
        count_label.setFont(style.font(style.SMALL_PT + 1))
        header.addWidget(count_label)
        header.addWidget(self._count_box)
        header.addWidget(new_button)
        self._build_strip()
        self._build_detail()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self._header)
        # The large view gets the larger share: its ten bars and class digits are what the back
        # rows must read; the strip's cells need only a picture, a digit and a number.
        layout.addWidget(self._strip, 2)
        layout.addWidget(self._detail, 3)

    def _build_strip(self) -> None:
        self._strip = style.graphics_widget()
        self._strip_view = style.image_view_box()
        self._strip.addItem(self._strip_view)
        # Each confidence bar lies on a frame as long as 100 %, so 30 % and 60 % compare at a glance.
        self._bar_frames = pg.BarGraphItem(x0=[], y0=[], width=[], height=[], brush=pg.mkBrush(style.LIGHT_GREY),
                                           pen=pg.mkPen(style.GREY, width=1, cosmetic=True))
        self._bars = pg.BarGraphItem(x0=[], y0=[], width=[], height=[], brushes=[], pen=None)
        for item in (self._bar_frames, self._bars):
            self._strip_view.addItem(item)
        _keep_as_pixmap(self._bar_frames)
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
        # The class digits are the one label here the room must read: larger and bold.
        self._detail_bars_plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "50%"), (1.0, "100%")]])
        style.reserve_tick_room(self._detail_bars_plot.getAxis("left"), "100%")
        self._detail_bars_plot.setRange(xRange=BARS_X_RANGE, yRange=(-0.03, 1.08), padding=0.0)
        self._detail_bars_plot.vb.sigResized.connect(self._fit_bar_names)
        self._detail_bars_plot.setMouseEnabled(x=False, y=False)
        self._detail_bars_plot.hideButtons()
        digits = np.arange(N_CLASSES)
        self._detail_truth = pg.BarGraphItem(x=digits, height=np.zeros(N_CLASSES), width=0.9, brush=None,
                                             pen=pg.mkPen(style.FOREGROUND, width=2, style=QtCore.Qt.PenStyle.DashLine))
        self._detail_bars = pg.BarGraphItem(x=digits, height=np.zeros(N_CLASSES), width=0.75,
                                            brushes=[pg.mkBrush(style.GREY)] * N_CLASSES, pen=None)
        self._detail_bars_plot.addItem(self._detail_truth)
        self._detail_bars_plot.addItem(self._detail_bars)
        for item in (self._detail_image, self._detail_truth, self._detail_title.item):
            _keep_as_pixmap(item)
        self._hidden_plot = self._detail.addPlot(row=1, col=2)
        style.style_plot(self._hidden_plot)
        self._hidden_plot.setTitle(tr("Hidden-unit activations"), size=f"{style.SMALL_PT + 1}pt",
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
        self._detail_bars_plot.setMinimumWidth(220)
        layout = self._detail.ci.layout
        layout.setColumnStretchFactor(0, 2)
        layout.setColumnStretchFactor(1, 5)
        layout.setColumnStretchFactor(2, 3)

    # ------------------------------------------------------------------ probe set
    @staticmethod
    def _clamp_count(count: int) -> int:
        return int(np.clip(count, MIN_PROBES, MAX_PROBES))

    def _set_indices(self, indices: np.ndarray) -> None:
        self._indices = np.asarray(indices, dtype=np.int64)
        self._probe_sets.append(_ProbeSet(self._indices))
        del self._probe_sets[:-MAX_PROBE_SETS]
        self._selected = min(self._selected, self.count - 1)
        if self._count_box.value() != self.count:
            self._count_box.blockSignals(True)
            self._count_box.setValue(self.count)
            self._count_box.blockSignals(False)
        self._rebuild_cells()  # re-reads the snapshot shown: probes kept keep its answers
        self.probesChanged.emit(self.probe_images())

    def _probe_set_of(self, snap: Snapshot) -> _ProbeSet | None:
        """The probe set ``snap`` was made for, or None when that is not known.

        With sequence numbers (the window's case): the newest set sent before the last command the
        trainer had applied. Without (a panel on its own): the current set, if the row count fits.
        """
        if self._seqs_known:
            applied = snap.loop.applied_seq
            made_for = next((s for s in reversed(self._probe_sets) if s.seq is not None and s.seq <= applied), None)
        else:
            made_for = self._probe_sets[-1] if self._probe_sets else None
        rows = snap.probe_probs.shape[0]
        if made_for is None or len(made_for.indices) != rows or snap.probe_hidden.shape[0] != rows:
            return None
        return made_for

    def _read_snapshot(self) -> None:
        """Each current probe's answer in the snapshot shown: ``_probs (P, 10)``, ``_hidden``, ``_states``."""
        P, snap = self.count, self._snap
        self._probs = np.zeros((P, N_CLASSES))
        self._hidden = [None] * P
        if snap is None:
            self._states = [PENDING] * P
            return
        made_for = self._probe_set_of(snap)
        row_of = {} if made_for is None else {int(i): r for r, i in enumerate(made_for.indices)}
        # A probe missing from a snapshot older than the newest seen was added after that moment;
        # missing from the newest one, its first answer is still on its way.
        past = (snap.loop.run_id, snap.step, snap.loop.applied_seq) < self._newest
        self._states = []
        for k, index in enumerate(self._indices):
            row = row_of.get(int(index))
            if row is None:
                self._states.append(ADDED_LATER if past else PENDING)
            elif not np.isfinite(snap.probe_probs[row]).all():
                self._states.append(NOT_FINITE)
            else:
                self._states.append(ANSWERED)
                self._probs[k] = snap.probe_probs[row]
                self._hidden[k] = snap.probe_hidden[row]

    def _rebuild_cells(self) -> None:
        """Create the per-probe image and text items for the current probes."""
        for item in self._images + self._answers + self._confidences:
            self._strip_view.removeItem(item)
        ink = style.ink_lut()
        self._images, self._answers, self._confidences = [], [], []
        for image in self.probe_images().reshape(-1, SIDE, SIDE):
            self._images.append(pg.ImageItem(image, axisOrder="row-major", levels=(0.0, 1.0), lut=ink))
            self._answers.append(style.scalable_text(bold=True))
            self._confidences.append(style.scalable_text(bold=True))
            self._strip_view.addItem(self._images[-1])
            for item in (self._answers[-1], self._confidences[-1]):
                self._strip_view.addItem(item, ignoreBounds=True)
            for item in (self._images[-1], self._answers[-1], self._confidences[-1]):
                _keep_as_pixmap(item)
        # One size for every answer, so that no answer looks more important than another.
        self._answer_scale = _fit_scale(self._answers[0], ANSWER_H, f"{style.WRONG_GLYPH} 8")
        # Sized for two digits ("98%"), the usual case; a "100%" shrinks to fit on its own
        # (sized for "100%", every confidence was a fifth smaller: 23 px in the lecture view).
        self._confidence_scale = _fit_scale(self._confidences[0], CONFIDENCE_H, "99%")
        self._answer_cache = [("", "", "")] * self.count
        self._grid = grid_layout(self.count, self._strip_aspect(), CELL_W, CELL_H)
        self._place_cells()
        self._show_selected_image()
        self._read_snapshot()
        self._draw_strip()
        self._draw_detail()

    # ------------------------------------------------------------------ geometry
    def _strip_aspect(self) -> float:
        rect = self._strip_view.boundingRect()
        if rect.width() < 10 or rect.height() < 10:
            return 3.0  # not laid out yet: a wide strip
        return rect.width() / rect.height()

    def _cell_origins(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x0 (P,), y0 (P,))`` top-left corners of the cells, row by row."""
        r, c = np.divmod(np.arange(self.count), self._grid[1])
        return c * CELL_W, r * CELL_H

    def _place_cells(self) -> None:
        x0, y0 = self._cell_origins()
        for k, image in enumerate(self._images):
            image.setRect(QtCore.QRectF(x0[k] + IMAGE_X, y0[k] + IMAGE_Y, 1.0, 1.0))
        self._bar_frames.setOpts(x0=x0 + IMAGE_X, y0=y0 + BAR_Y, width=np.full(self.count, BAR_LEN),
                                 height=np.full(self.count, BAR_H))
        rows, cols = self._grid
        self._strip_view.setRange(xRange=(0, cols * CELL_W), yRange=(0, rows * CELL_H), padding=0.0)
        self._place_selection()
        for k in range(self.count):
            self._place_text(k)

    def _place_selection(self) -> None:
        x0, y0 = self._cell_origins()
        k = self._selected
        self._selection_box.setRect(QtCore.QRectF(x0[k] + 0.02, y0[k] + 0.01, CELL_W - 0.04, CELL_H - 0.03))

    def _place_text(self, k: int) -> None:
        """Centre answer ``k`` and its confidence in the column beside the image (a placeholder: in
        the whole cell)."""
        x0, y0 = self._cell_origins()
        placeholder = self._answer_cache[k][2] == style.DARK_GREY
        centre = x0[k] + (CELL_W / 2 if placeholder else TEXT_X + TEXT_W / 2)
        for text, top in ((self._answers[k], ANSWER_Y), (self._confidences[k], CONFIDENCE_Y)):
            width = text.boundingRect().width() * text.scale()
            text.setPos(centre - width / 2, y0[k] + top)

    # ------------------------------------------------------------------ drawing
    def _draw_strip(self) -> None:
        x0, y0 = self._cell_origins()
        labels = self.probe_labels()
        predicted = self._probs.argmax(axis=1)
        confidence = self._probs.max(axis=1)
        answered = np.array([s == ANSWERED for s in self._states])
        correct = answered & (predicted == labels)
        colours = [style.CORRECT if c else style.WRONG for c in correct]
        widths = np.where(answered, confidence * BAR_LEN, 0.0)
        # The strip is repainted only when something in it changes on screen: most frames move a
        # confidence bar by far less than a pixel (and a new bar means repainting the whole strip).
        key = (self._grid, self.count, tuple(colours), tuple(np.rint(widths / self._strip_px_width()).astype(int)))
        if key != self._bars_key:
            self._bars_key = key
            self._bars.setOpts(x0=x0 + IMAGE_X, y0=y0 + BAR_Y, width=widths, height=np.full(self.count, BAR_H),
                               brushes=[pg.mkBrush(c) for c in colours])
        for k, state in enumerate(self._states):
            self._images[k].setOpacity(DIMMED if state == ADDED_LATER else 1.0)
            self._set_answer(k, *self._answer(state, correct[k], predicted[k], confidence[k]))

    def _strip_px_width(self) -> float:
        """Data units per device pixel across the strip (at least a tiny positive number; before the
        first layout, an assumed 100 px per probe image)."""
        try:
            width = self._strip_view.viewPixelSize()[0] if self._strip_view.width() >= 10 else 0.01
        except (TypeError, AttributeError):  # no device transform yet (not in a shown view)
            width = 0.01
        return max(float(width), 1e-6)

    def _answer(self, state: str, correct: bool, predicted: int, confidence: float) -> tuple[str, str, str]:
        """``(answer, confidence, colour)`` of a probe, e.g. ``("✓ 7", "98%", CORRECT)`` (or
        ``("✓ Trouser", ...)`` for a dataset that names its classes)."""
        if state == ADDED_LATER:
            return tr("no data"), tr("(added later)"), style.DARK_GREY
        if state != ANSWERED:
            return "—", "", style.GREY
        glyph, colour = (style.CORRECT_GLYPH, style.CORRECT) if correct else (style.WRONG_GLYPH, style.WRONG)
        return f"{glyph} {self._strip_names[predicted]}", _whole_percent(confidence), colour

    def _set_answer(self, k: int, answer: str, confidence: str, colour: str) -> None:
        if self._answer_cache[k] == (answer, confidence, colour):
            return  # re-laying out text is the costly part; most frames change nothing here
        self._answer_cache[k] = (answer, confidence, colour)
        brush = pg.mkBrush(colour)
        # The answers share one size; "no data" spans the whole cell, over its faded image.
        room = TEXT_W if colour != style.DARK_GREY else CELL_W - 0.2
        for item, text, scale in ((self._answers[k], answer, self._answer_scale),
                                  (self._confidences[k], confidence, self._confidence_scale)):
            item.setText(text)
            item.setBrush(brush)
            item.setScale(min(scale, _fit_scale(item, 100 * scale, text, room)))
        self._place_text(k)

    def bar_names(self) -> list[str]:
        """The class labels under the large view's ten bars."""
        return list(self._bar_names)

    def _show_class_names(self) -> None:
        """The class under each of the large view's bars: a digit, large and bold; a name, smaller
        and as long as a bar's width lets it be (``_fit_bar_names``), with the full names in the tooltip."""
        axis = self._detail_bars_plot.getAxis("bottom")
        digits = are_digits(self._names)
        axis.setTickFont(style.font(style.LABEL_PT + 1 if digits else style.SMALL_PT, bold=True))
        style.reserve_tick_room(axis, "9")
        self._bar_names = []  # the font changed: fit again
        self._fit_bar_names()
        key = names_key(self._names)
        tip = tr("Classes: {key}").format(key=key) if key else ""
        self._detail.setToolTip(tip)
        self._strip.setToolTip(tip)

    def _fit_bar_names(self) -> None:
        """Names as long as fit under a bar at the plot's present width (digits always fit)."""
        axis = self._detail_bars_plot.getAxis("bottom")
        metrics = QtGui.QFontMetricsF(axis.style.get("tickFont") or axis.font())
        room = self._detail_bars_plot.vb.width() / (BARS_X_RANGE[1] - BARS_X_RANGE[0]) - 4
        names = fitting_names(self._names, room, metrics.horizontalAdvance)
        if names != self._bar_names:
            self._bar_names = names
            axis.setTicks([list(enumerate(names))])

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
        state = self._states[k] if k < len(self._states) else PENDING
        self._detail_image.setOpacity(DIMMED if state == ADDED_LATER else 1.0)
        if state != ANSWERED:
            self._detail_bars.setOpts(height=np.zeros(N_CLASSES))
            style.show_units(self._hidden_bars, None)
            step = format_int(self._snap.step) if self._snap is not None else ""
            # ADDED_LATER needs a snapshot shown (a moment before the probe existed), so step is set.
            title = {ADDED_LATER: tr("true {truth} → no data for step {step}: added to the probes later"),
                     NOT_FINITE: tr("true {truth} → no answer (outputs not finite)")}.get(
                state, tr("true {truth} → no answer yet"))
            self._set_detail_title(title.format(truth=self._names[label], step=step), style.FOREGROUND)
            return
        probs = self._probs[k]
        predicted = int(probs.argmax())
        colour = style.CORRECT if predicted == label else style.WRONG
        brushes = [pg.mkBrush(style.GREY)] * N_CLASSES
        brushes[predicted] = pg.mkBrush(colour)
        self._detail_bars.setOpts(height=probs, brushes=brushes)
        glyph = style.CORRECT_GLYPH if predicted == label else style.WRONG_GLYPH
        self._set_detail_title(
            tr("true {truth} → network says {answer}, {p} sure").format(
                truth=self._names[label], answer=self._names[predicted], p=_whole_percent(probs[predicted]))
            + f" {glyph}", colour)
        hidden = np.nan_to_num(self._hidden[k])
        self._fit_hidden_range(hidden)
        style.show_units(self._hidden_bars, hidden)

    def refresh_texts(self) -> None:
        """Rewrite the texts kept between snapshots in the current language, after a language switch
        (``retranslate`` leaves texts in no catalog): the strip's "no data (added later)", the large
        view's heading and the "Classes: ..." tooltips."""
        self._answer_cache = [("", "", "")] * self.count
        self._detail_title_cache = ("", "")
        self._show_class_names()
        self._draw_strip()
        self._draw_detail()

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
            # Two ticks, half-way and the top: on a plot this short, pyqtgraph's four ran into each
            # other once the text was large (the lecture view); a label that would stick out of
            # the axis is dropped, and the half-way one always fits.
            self._hidden_plot.getAxis("left").setTicks([[(top / 2, f"{top / 2:g}"), (top, f"{top:g}")], []])

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
