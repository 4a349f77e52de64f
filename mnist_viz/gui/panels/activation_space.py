"""ActivationSpacePanel: where the network puts 2,000 test digits in its last hidden layer.

Each test image is one point, placed by the last hidden layer's activations projected onto their
plane of most variance (PCA, ``core.projection``). At initialisation the digits are mixed; as the
network learns, images of the same digit gather and the classes pull apart, which is what the
output layer needs: it can only draw straight lines between them.

The picture is recomputed from each snapshot's weights (at most ~3 times a second: a forward pass of
2,000 images plus the PCA: ~14 ms at 128 units, ~25 ms at 784-512-128 on one core, twice that while the
training process shares the machine) and kept steady between frames: axes turned to match the
previous frame (no flips), scale smoothed (no jumps). The computation runs on a thread of its own
(NumPy's matrix products release the GIL): on the GUI thread it made the window's event latency p99
87 ms at 784-512-128-10 (benchmarks/gui_bench.py --tabs activation_space); only the points'
placement is done on the GUI thread. Hovering a point shows its image in
the inset; clicking it asks the window to pin it to the probe digits (``pinIndexRequested``).

Colours: ten classes need ten colours, and the Okabe-Ito palette of ``style`` has only eight, one of
them (yellow) unreadable on white. So ``CLASS_COLOURS`` below adds two of Paul Tol's colours and a
grey. No ten colours are all distinct under every colour-vision deficiency, so colour is never the
only cue: every point is drawn as its digit (a "7" glyph for a seven), and the legend repeats both.
"""
from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import qthrottled

from mnist_viz.core.analysis import N_CLASSES, hidden_layer_count, snapshot_network
from mnist_viz.core.i18n import N_, format_int, format_percent, tr
from mnist_viz.core.projection import ActivationProjector, Projection
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE
from mnist_viz.gui import style
from mnist_viz.gui.class_labels import DIGIT_NAMES, are_digits, short_names
from mnist_viz.gui.widgets import info_label, set_text

N_POINTS = 2000  # the first test images: enough for clusters to show, few enough for ~3 frames/s
MIN_INTERVAL = 0.33  # s: at most ~3 recomputations a second
VIEW_RADIUS = 1.15  # data units shown around the centre (the projector's scale puts 98 % within 1)
MARKER_PX = 12  # glyph height of each point
PICK_RADIUS_PX = 9  # a hover or click this close to a point's centre finds it
INSET_ZOOM = 3  # the hovered digit's 28x28 image at 84x84 px

# Digit d's colour. Okabe-Ito (colour-blind safe) first, minus yellow; then Tol's olive and wine and
# a grey, which stay apart from the others in lightness. None: the theme's text colour (black on
# light, near-white on dark), read when drawing so a theme change is followed. Each point is its
# digit's glyph, so no one has to tell two colours apart to read the map.
CLASS_COLOURS = (style.BLUE, style.ORANGE, style.GREEN, style.VERMILLION, style.PURPLE, style.SKY_BLUE,
                 None, "#999933", "#882255", style.GREY)

# Shown through tr() (marked here; the language may change after import).
EXPLANATION = N_("Each digit is one test image, placed by the last hidden layer's activations (PCA: the plane "
               "of most variance). As the network learns, images of the same digit gather.")
WAITING = N_("Waiting for the network (press Start)")
TITLES = {"digits": N_("Activation space: the last hidden layer's map of 2,000 test digits"),
          "images": N_("Activation space: the last hidden layer's map of 2,000 test images")}
HOVER = N_("Hover a point")
DIVERGED_KEPT = N_("The network has diverged (see the banner): its activations are not numbers; "
                   "the map shows the last moment that had numbers.")
DIVERGED_EMPTY = N_("The network has diverged (see the banner): its activations are not numbers; nothing to map.")
SUMMARIES = {"digits": N_("{n} test digits · {layer}, {width} units · the plane holds {share} of their spread · "
                          "hover: see it; click: pin it"),
             "images": N_("{n} test images · {layer}, {width} units · the plane holds {share} of their spread · "
                          "hover: see it; click: pin it")}
STOPPED = N_("Training stopped (see the banner): this map is of the weights it stopped with.")


def class_colour(digit: int) -> str:
    """The colour of digit ``digit``'s points (see ``CLASS_COLOURS``)."""
    return CLASS_COLOURS[digit] or style.FOREGROUND


def digit_glyph(digit: int) -> QtGui.QPainterPath:
    """The digit's outline as a scatter symbol: centred on 0, one unit tall (pyqtgraph scales a
    symbol by the point size), bold so the colour shows at 12 px."""
    font = QtGui.QFont()
    font.setPixelSize(100)
    font.setBold(True)
    path = QtGui.QPainterPath()
    path.addText(0, 0, font, str(digit))
    box = path.boundingRect()
    transform = QtGui.QTransform()
    transform.scale(1 / box.height(), 1 / box.height())  # one height for all: a "1" stays narrow
    transform.translate(-box.center().x(), -box.center().y())
    return transform.map(path)


def nearest_within(points_px: np.ndarray, target_px: tuple[float, float], radius_px: float) -> int | None:
    """Index of the point of ``points_px (N, 2)`` nearest ``target_px``, if within ``radius_px``."""
    if len(points_px) == 0:
        return None
    distance = np.hypot(points_px[:, 0] - target_px[0], points_px[:, 1] - target_px[1])
    index = int(distance.argmin())
    return index if distance[index] <= radius_px else None


@dataclass(frozen=True)
class _Map:
    """One computed picture: the snapshot it is of, its projection (None: the activations were not
    numbers), the points' predicted digits ``(n,)`` and the layer's width; ``generation`` is the run
    (``clear`` count) it belongs to."""

    snap: Snapshot
    projection: Projection | None
    answers: np.ndarray | None
    width: int
    generation: int


class ActivationSpacePanel(QtWidgets.QWidget):
    """A scatter of the first ``n_points`` test digits in the last hidden layer's principal plane,
    coloured (and drawn) by true class.

    Args:
        dataset: the ``Dataset``; its ``x_test (M, 784)`` and ``y_test (M,)`` give the points (the first
            ``min(n_points, M)`` of them; a point's index is its index into ``x_test``).
        n_points: how many test images to show.
        min_interval: s between recomputations (0: every snapshot at once, on the GUI thread, for tests;
            otherwise on the panel's own thread, see the module docstring).

    Signals:
        pinIndexRequested(int): a clicked point's index into ``dataset.x_test`` (like
            ``ConfusionPanel.pinIndexRequested``), for the window to pin it to the probe digits.
    """

    pinIndexRequested = QtCore.Signal(int)
    _computed = QtCore.Signal(object)  # a _Map, emitted on the computing thread, received on the GUI's

    def __init__(self, dataset, n_points: int = N_POINTS, min_interval: float = MIN_INTERVAL,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._n_points = n_points
        self._projector = ActivationProjector()
        self._coords = np.zeros((0, 2), np.float32)  # (n, 2) positions on screen, in view units
        self._answers: np.ndarray | None = None  # (n,) the network's predicted digits for the points
        self._inset_index: int | None = None
        self._throttle = qthrottled(self._render, timeout=round(min_interval * 1000), parent=self)
        self._in_background = min_interval > 0
        self._executor: ThreadPoolExecutor | None = None
        self._running: Future | None = None  # the computation in flight
        self._waiting: Snapshot | None = None  # the newest snapshot that came while one was in flight
        self._generation = 0  # counts clear(): a picture computed for an earlier run is dropped
        self._projector_generation = 0
        self._shown: _Map | None = None
        self._message_msgid = ""  # the message shown, as its msgid (refresh_texts shows it again)
        self._computed.connect(self._apply)
        self._build()
        self._take_dataset(dataset)
        self.clear()

    # ------------------------------------------------------------------ public
    def show_snapshot(self, snap: Snapshot) -> None:
        """Recompute from ``snap.params`` (a forward pass of the points), at most every ``min_interval`` s."""
        self._throttle(snap)
        if not self._throttle.timeout():
            self._throttle.flush()  # a 0-ms throttle would wait for the event loop

    def flush(self) -> None:
        """Render a snapshot held back by the throttle now, and wait for the computations in flight
        (tests, exports)."""
        self._throttle.flush()
        while self._running is not None:
            picture = self._running.result()
            self._running = None
            self._apply(picture)

    def clear(self) -> None:
        """A new run: forget the orientation and scale and show the empty map."""
        self._throttle.cancel()
        self._generation += 1  # the projector is reset by the next computation (it may be in use now)
        self._waiting = None
        self._answers = None
        self._place_points(np.zeros((0, 2), np.float32))
        set_text(self._summary, "")
        self._show_message(WAITING)

    def set_dataset(self, dataset) -> None:
        self._take_dataset(dataset)
        self.clear()

    def coordinates(self) -> np.ndarray:
        """``(n, 2) float32`` the points' positions now shown (empty before the first picture)."""
        return self._coords.copy()

    def labels(self) -> np.ndarray:
        """``(n,)`` the points' true digits."""
        return self._labels.copy()

    def point_count(self) -> int:
        """Points drawn on the map, over all ten digit layers."""
        return sum(len(scatter.data) for scatter in self._scatters)

    def message(self) -> str:
        return self._message.text() if self._message.isVisible() else ""

    def inset_index(self) -> int | None:
        """The test index whose image the inset shows, or None."""
        return self._inset_index

    def view_point_of(self, index: int) -> QtCore.QPoint:
        """Where point ``index`` is in the graphics widget's viewport (for tests and tours)."""
        x, y = self._coords[index]
        return self._graphics.mapFromScene(self._view.mapViewToScene(QtCore.QPointF(float(x), float(y))))

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._message = info_label("", style.LABEL_PT, bold=True)
        self._summary = info_label()
        self._graphics = style.graphics_widget()
        # Mouse-inert and square: distances on a PCA map mean the same in every direction, and a
        # stray drag during a lecture must not lose the picture.
        self._view = pg.ViewBox(lockAspect=True, enableMouse=False, enableMenu=False, defaultPadding=0.0)
        self._graphics.addItem(self._view)
        self._view.setRange(xRange=(-VIEW_RADIUS, VIEW_RADIUS), yRange=(-VIEW_RADIUS, VIEW_RADIUS), padding=0.0)
        # One scatter per digit: one symbol and brush each, so moving 2,000 points is pyqtgraph's
        # fast path (per-point symbol lists cost several times more per frame).
        self._scatters = []
        for digit in range(N_CLASSES):
            scatter = pg.ScatterPlotItem(symbol=digit_glyph(digit), size=MARKER_PX, pen=None, pxMode=True)
            self._view.addItem(scatter)
            self._scatters.append(scatter)
        scene = self._graphics.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        self._title = style.title_label(tr(TITLES["digits"]))
        layout.addWidget(self._title)
        header = QtWidgets.QHBoxLayout()
        words = QtWidgets.QVBoxLayout()
        for label in (info_label(tr(EXPLANATION)), self._legend(), self._summary, self._message):
            words.addWidget(label)
        words.addStretch(1)
        header.addLayout(words, 1)
        header.addWidget(self._build_inset())
        layout.addLayout(header)
        layout.addWidget(self._graphics, 1)

    def _legend(self) -> QtWidgets.QLabel:
        """The ten digits, each in its colour (rich text: one label, not ten widgets)."""
        self._legend_label = info_label("", style.LABEL_PT)
        self._legend_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self._colours: tuple[str, ...] = ()
        self._follow_theme_colours()
        return self._legend_label

    def _follow_theme_colours(self) -> None:
        """Brushes and legend in the current theme's colours (digit 6 is the text colour, which the
        Dark theme turns near-white; ``themes.recolour_views`` does not recolour scatter points)."""
        colours = tuple(class_colour(d) for d in range(N_CLASSES))
        if colours == self._colours:
            return
        self._colours = colours
        for scatter, colour in zip(self._scatters, colours):
            scatter.setBrush(pg.mkBrush(colour))
        names = getattr(self, "_names", DIGIT_NAMES)
        shown = short_names(names, 8)
        classes = " ".join(f'<span style="color:{c}"><b>{n}</b></span>' for n, c in zip(shown, colours))
        legend = tr("Digits: {classes}") if are_digits(names) else tr("Classes: {classes}")
        set_text(self._legend_label, legend.format(classes=classes))

    def _build_inset(self) -> QtWidgets.QWidget:
        """The hovered digit's image and what it is: ``[image] test #i: a 7 / network: 7``."""
        box = QtWidgets.QWidget()
        inset = QtWidgets.QVBoxLayout(box)
        inset.setContentsMargins(0, 0, 0, 0)
        inset.setSpacing(0)
        self._inset_image = QtWidgets.QLabel()
        self._inset_image.setFixedSize(SIDE * INSET_ZOOM, SIDE * INSET_ZOOM)
        self._inset_image.setStyleSheet(f"border: 1px solid {style.GREY};")
        self._inset_caption = info_label(tr(HOVER) + "\n", style.SMALL_PT)
        self._inset_caption.setWordWrap(False)  # always two lines: a wrapped caption changed the header's height
        self._inset_caption.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter)
        inset.addWidget(self._inset_image, 0, QtCore.Qt.AlignmentFlag.AlignHCenter)
        inset.addWidget(self._inset_caption)
        box.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        return box

    def _take_dataset(self, dataset) -> None:
        n = min(self._n_points, len(dataset.x_test))
        self._x = np.ascontiguousarray(dataset.x_test[:n], dtype=np.float32)  # (n, 784)
        self._labels = np.asarray(dataset.y_test[:n], dtype=np.int64)  # (n,)
        self._members = [np.flatnonzero(self._labels == d) for d in range(N_CLASSES)]  # each digit's points
        self._inset_index = None
        self._names = tuple(getattr(dataset, "class_names", DIGIT_NAMES))  # Fashion-MNIST: "Trouser", …
        self._items = "digits" if are_digits(self._names) else "images"
        if hasattr(self, "_legend_label"):
            self._colours = ()  # the legend's names changed: written again
            self._follow_theme_colours()
            set_text(self._title, tr(TITLES[self._items]))

    # ------------------------------------------------------------------ drawing
    def _render(self, snap: Snapshot) -> None:
        if hidden_layer_count(snap) < 1 or len(self._x) == 0:
            self._show_message(WAITING)
            return
        if not self._in_background:
            self._apply(self._compute(snap, self._generation))
        elif self._running is not None:
            self._waiting = snap  # computed when the one in flight is done
        else:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="activation-space")
            self._running = self._executor.submit(self._compute_and_send, snap, self._generation)

    def _compute_and_send(self, snap: Snapshot, generation: int) -> _Map:
        """On the panel's thread: compute, and hand the picture to the GUI thread."""
        picture = self._compute(snap, generation)
        with contextlib.suppress(RuntimeError):  # the panel was deleted meanwhile (the window closed)
            self._computed.emit(picture)
        return picture

    def _compute(self, snap: Snapshot, generation: int) -> _Map:
        """The forward pass and the projection (no Qt: safe on any thread, one at a time)."""
        if generation != self._projector_generation:
            self._projector.reset()
            self._projector_generation = generation
        hidden, answers = self._last_hidden_layer(snap)
        projection = self._projector.project(hidden) if hidden is not None else None
        width = hidden.shape[1] if hidden is not None else 0
        return _Map(snap, projection, answers, width, generation)

    def _apply(self, picture: _Map) -> None:
        """On the GUI thread: place the points of a computed picture, then start the next one."""
        if self._running is not None and self._running.done():
            self._running = None
        if picture is self._shown:  # flush() already showed it; this is its queued signal
            return
        self._shown = picture
        self._show_picture(picture)
        if self._running is None and self._waiting is not None:
            snap, self._waiting = self._waiting, None
            self._render(snap)

    def _show_picture(self, picture: _Map) -> None:
        snap, projection, answers = picture.snap, picture.projection, picture.answers
        if picture.generation != self._generation:
            return
        if projection is None:
            # NaN/inf activations have no place on the map: keep the last picture that had them.
            self._show_message(DIVERGED_KEPT if len(self._coords) else DIVERGED_EMPTY)
            return
        self._answers = answers
        self._place_points(projection.coords)
        self._summary_of(snap, projection, picture.width)
        self._show_message(STOPPED if snap.diverged else "")

    def _last_hidden_layer(self, snap: Snapshot) -> tuple[np.ndarray | None, np.ndarray | None]:
        """``(activations (n, H_last) float32, predicted digits (n,))`` of the snapshot's network for the
        points, or ``(None, None)`` when its weights make NaN/inf answers."""
        net = snapshot_network(snap)
        with np.errstate(all="ignore"):  # diverged weights: inf/NaN on the way are expected, and reported
            logits, hidden_layers = net.forward(self._x, keep=True)
        if not np.isfinite(logits).all():
            return None, None
        return hidden_layers[-1], logits.argmax(axis=1)

    def _place_points(self, coords: np.ndarray) -> None:
        self._coords = coords
        for digit, scatter in enumerate(self._scatters):
            members = self._members[digit] if len(coords) else np.zeros(0, np.int64)
            scatter.setData(x=coords[members, 0], y=coords[members, 1])
        if self._inset_index is not None and self._inset_index < len(self._labels):
            self._show_inset(self._inset_index)  # the network's answer for it may have changed

    def _summary_of(self, snap: Snapshot, projection: Projection, width: int) -> None:
        layers = hidden_layer_count(snap)
        layer = tr("the hidden layer") if layers == 1 else tr("hidden layer {n} of {n}").format(n=layers)
        summary = SUMMARIES[self._items]
        set_text(self._summary, tr(summary).format(n=format_int(len(self._coords)), layer=layer, width=width,
                                                   share=format_percent(projection.captured_fraction, 0)))

    def _show_message(self, msgid: str) -> None:
        """Show the message ``msgid`` (a marked text, in the current language; "" hides it)."""
        self._message_msgid = msgid
        text = tr(msgid) if msgid else ""
        set_text(self._message, text)
        self._message.setVisible(bool(text))

    def refresh_texts(self) -> None:
        """Rewrite the texts built from numbers or names in the current language, after a language
        switch (``retranslate`` leaves texts in no catalog): the title, the legend, the summary, the
        message and the inset's caption, kept between pictures."""
        set_text(self._title, tr(TITLES[self._items]))
        self._colours = ()  # the legend is written again
        self._follow_theme_colours()
        self._show_message(self._message_msgid)
        shown = self._shown
        if shown is not None and shown.projection is not None and shown.generation == self._generation:
            self._summary_of(shown.snap, shown.projection, shown.width)
        if self._inset_index is not None and self._inset_index < len(self._labels):
            self._show_inset(self._inset_index)
        else:
            set_text(self._inset_caption, tr(HOVER) + "\n")

    def _show_inset(self, index: int) -> None:
        self._inset_index = index
        paper = np.ascontiguousarray(255 - np.clip(self._x[index] * 255, 0, 255).astype(np.uint8)).reshape(SIDE, SIDE)
        image = QtGui.QImage(paper.data, SIDE, SIDE, SIDE, QtGui.QImage.Format.Format_Grayscale8).copy()
        self._inset_image.setPixmap(QtGui.QPixmap.fromImage(image).scaled(SIDE * INSET_ZOOM, SIDE * INSET_ZOOM))
        answer = "" if self._answers is None else tr("network: {name}").format(
            name=self._names[int(self._answers[index])])
        truth = self._names[int(self._labels[index])]
        what = tr("test #{index}: a {digit}") if are_digits(self._names) else tr("test #{index}: {digit}")
        set_text(self._inset_caption, f"{what.format(index=index, digit=truth)}\n{answer}")

    def changeEvent(self, event: QtCore.QEvent) -> None:
        # A theme change sets the application palette, which every widget hears as a PaletteChange.
        if event.type() == QtCore.QEvent.Type.PaletteChange:
            self._follow_theme_colours()
        super().changeEvent(event)

    # ------------------------------------------------------------------ mouse
    def _point_at(self, scene_pos: QtCore.QPointF) -> int | None:
        """The point under ``scene_pos`` (within ``PICK_RADIUS_PX``), found in screen pixels so the
        reach is the same however large the panel is."""
        if len(self._coords) == 0 or not self._view.sceneBoundingRect().contains(scene_pos):
            return None
        centre = self._view.mapSceneToView(scene_pos)
        pixel_w, pixel_h = self._view.viewPixelSize()
        points_px = np.column_stack(((self._coords[:, 0] - centre.x()) / pixel_w,
                                     (self._coords[:, 1] - centre.y()) / pixel_h))
        return nearest_within(points_px, (0.0, 0.0), PICK_RADIUS_PX)

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        index = self._point_at(scene_pos)
        if index is not None and index != self._inset_index:
            self._show_inset(index)

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        index = self._point_at(event.scenePos())
        if index is not None:
            event.accept()
            self._show_inset(index)
            self.pinIndexRequested.emit(index)
