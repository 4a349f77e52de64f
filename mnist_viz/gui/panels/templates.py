"""ClassTemplatesPanel: "what the network looks for" per digit, as ten 28x28 images.

Template ``c`` is ``W1 @ W_out[:, c]`` (``core.analysis.class_templates``): every hidden unit's
input weights, weighted by how much that unit votes for digit ``c``. Red pixels are where ink
raises the digit's score, blue where ink lowers it. Early in training the templates are noise;
later a blurry 0, 1, 3 ... appears, often with the blue "negative space" of rival digits. A dataset
that names its classes (Fashion-MNIST) has the names under the templates, shortened to the
template's width, in full in the tooltip.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtWidgets
from superqt.utils import qthrottled

from mnist_viz.core.analysis import N_CLASSES, class_templates, hidden_layer_count
from mnist_viz.core.i18n import N_, tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.core.tiling import SIDE, AdaptiveLevel, grid_layout, quantize_symmetric, tile_mosaic
from mnist_viz.gui import style
from mnist_viz.gui.class_labels import DIGIT_NAMES, are_digits, names_key, short_names
from mnist_viz.gui.widgets import info_label, legend_row, set_text

MIN_INTERVAL = 0.2  # s: at most 5 recomputations a second (templates change slowly)
FRAMED = SIDE + 2  # a template with its 1-px grey frame (zero weight is white, like the paper)
GAP_X = 4  # px between templates side by side
LABEL_BAND = 9  # px under each template where its digit is written

LABEL_NAME_CHARS = 8  # a class name under a template (shrunk further if it is wider than the template)
EXPLANATION = N_("Template of digit d: the hidden units' input weights, each weighted by its vote for d. "
                 "Red: ink here counts for d; blue: against.")
CLASS_EXPLANATION = N_("Template of class c: the hidden units' input weights, each weighted by its vote for c. "
                       "Red: ink here counts for c; blue: against.")
TITLE = N_("Class templates: what the network looks for in each digit")
CLASS_TITLE = N_("Class templates: what the network looks for in each class")
WAITING = N_("Waiting for the network (press Start)")
NEEDS_ONE_LAYER = N_("Class templates need a single hidden layer (this network has {layers}).")
STOPPED = N_("Training stopped (see the banner): these templates are from the weights it stopped with.")


class ClassTemplatesPanel(QtWidgets.QWidget):
    """The 10 class templates (``(10, 28, 28)``) in one indexed-colour image, tiled with the weight
    mosaic's helpers and coloured with its diverging map and symmetric adaptive level.

    Needs a network with a single hidden layer (otherwise a message says so).
    """

    def __init__(self, min_interval: float = MIN_INTERVAL, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        # One colour scale per template: with a shared one, the digits whose templates are weak (or,
        # after a blow-up, all but the one with the largest weights) went blank. Each level's time
        # constant is in updates; at <= 5 updates/s (not the mosaic's 30) it must move ~6x faster
        # per update to follow training as quickly.
        self._levels = [AdaptiveLevel(rate=0.25) for _ in range(N_CLASSES)]
        self._templates: np.ndarray | None = None  # (10, 28, 28) float32
        self._grid = (2, 5)
        self._labels: list[QtWidgets.QGraphicsSimpleTextItem] = []
        self._names: tuple[str, ...] = DIGIT_NAMES
        self._q = np.empty((SIDE * SIDE, N_CLASSES), np.uint8)
        self._scratch = np.empty((SIDE * SIDE, N_CLASSES), np.float32)
        self._framed = np.full((FRAMED, FRAMED, N_CLASSES), style.SEPARATOR_INDEX, np.uint8)
        self._throttle = qthrottled(self._render, timeout=round(min_interval * 1000), parent=self)
        self._message_source: tuple[str, dict] = (WAITING, {})  # the message's msgid and its numbers
        self._build()
        self._show_message(WAITING)

    # ------------------------------------------------------------------ public
    def show_snapshot(self, snap: Snapshot) -> None:
        """Recompute from ``snap.W1 (784, H)`` and ``snap.W_out (H, 10)``, at most every ``min_interval`` s."""
        self._throttle(snap)
        if not self._throttle.timeout():
            # min_interval=0 means every snapshot at once; a 0-ms throttle would wait for the event loop.
            self._throttle.flush()

    def flush(self) -> None:
        """Render a snapshot held back by the throttle now."""
        self._throttle.flush()

    def clear(self) -> None:
        self._throttle.cancel()
        for level in self._levels:
            level.reset()
        self._show_message(WAITING)

    def templates(self) -> np.ndarray | None:
        """The ``(10, 28, 28) float32`` templates now shown, or None."""
        return None if self._templates is None else self._templates.copy()

    def image(self) -> np.ndarray | None:
        """The displayed colour-index mosaic (see ``style.diverging_lut_indexed``)."""
        return self._image.image

    def message(self) -> str:
        return self._message.text()

    def class_names(self) -> tuple[str, ...]:
        return self._names

    def label_texts(self) -> list[str]:
        """The texts under the templates now shown (none while a message is shown instead)."""
        return [item.text() for item in self._labels]

    def set_class_names(self, names) -> None:
        """Write ``names`` (10 strings) under the templates instead of the digits 0-9."""
        names = tuple(str(n) for n in names)
        if len(names) != N_CLASSES:
            raise ValueError(f"need {N_CLASSES} class names, got {len(names)}")
        self._names = names
        digits = are_digits(names)
        set_text(self._title, tr(TITLE if digits else CLASS_TITLE))
        set_text(self._explanation, tr(EXPLANATION if digits else CLASS_EXPLANATION))
        key = names_key(names)
        self._graphics.setToolTip(tr("Classes: {key}").format(key=key) if key else "")
        if self._labels:
            self._place_labels()

    @property
    def grid(self) -> tuple[int, int]:
        return self._grid

    @property
    def levels(self) -> list[float | None]:
        """Each template's colour range ``±level`` (10 values), or ``None`` before the first render."""
        return [level.level for level in self._levels]

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        legend, self._legend_info = legend_row(tr("− against"), tr("for +"))
        self._message = info_label("", style.LABEL_PT, bold=True)
        self._graphics, self._view, self._image = style.image_in_view(style.diverging_lut_indexed(),
                                                                      on_resized=self._on_view_resized)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        self._title = style.title_label(tr(TITLE))
        self._explanation = info_label(tr(EXPLANATION))
        layout.addWidget(self._title)
        layout.addWidget(self._explanation)
        layout.addWidget(legend)
        layout.addWidget(self._message)
        layout.addWidget(self._graphics, 1)

    # ------------------------------------------------------------------ drawing
    def _render(self, snap: Snapshot) -> None:
        layers = hidden_layer_count(snap)
        if layers != 1:
            self._show_message(NEEDS_ONE_LAYER, layers=layers)
            return
        with np.errstate(all="ignore"):  # diverged weights: inf/NaN products are expected
            templates = class_templates(snap.W1, snap.W_out)
        self._templates = templates
        shown = np.nan_to_num(templates.reshape(N_CLASSES, SIDE * SIDE).T)  # (784, 10); NaN has no colour
        levels = np.array([lv.update(shown[:, c]) for c, lv in enumerate(self._levels)], np.float32)  # (10,)
        quantize_symmetric(shown / levels, 1.0, style.NORMAL_BASE, self._q, self._scratch)
        self._framed[1:-1, 1:-1, :] = self._q.reshape(SIDE, SIDE, N_CLASSES)
        self._draw_mosaic()
        set_text(self._legend_info, tr("each template on its own scale: ±{low} to ±{high}").format(
            low=f"{levels.min():.2g}", high=f"{levels.max():.2g}"))
        self._message_source = (STOPPED, {}) if snap.diverged else ("", {})
        set_text(self._message, tr(STOPPED) if snap.diverged else "")
        self._message.setVisible(bool(snap.diverged))

    def _draw_mosaic(self) -> None:
        rows, cols = self._grid
        mosaic = tile_mosaic(self._framed.reshape(FRAMED * FRAMED, N_CLASSES), rows, cols, style.EMPTY_INDEX,
                             tile=(FRAMED, FRAMED), gap=(LABEL_BAND, GAP_X))
        first = self._image.image is None or self._image.image.shape != mosaic.shape
        self._image.setImage(np.ascontiguousarray(mosaic), autoLevels=False)
        if first:
            self._place_labels()
            self._view.setRange(xRange=(0, mosaic.shape[1]), yRange=(0, mosaic.shape[0] + LABEL_BAND), padding=0.0)

    def _place_labels(self) -> None:
        """The digit 0-9 (or the class's name) centred in the band under each template; a name wider
        than the template is shrunk to its width, so that neighbouring names never overlap."""
        texts = short_names(self._names, LABEL_NAME_CHARS)
        self._labels = style.label_tiles(self._view, self._labels, texts, self._grid[1],
                                         FRAMED, (FRAMED + GAP_X, FRAMED + LABEL_BAND), LABEL_BAND, 2, style.FOREGROUND)
        room = FRAMED + GAP_X - 1
        for item in self._labels:
            width = item.boundingRect().width() * item.scale()
            if width > room:
                centre = item.pos().x() + width / 2
                item.setScale(item.scale() * room / width)
                item.setPos(centre - room / 2, item.pos().y())

    def refresh_texts(self) -> None:
        """Write the titles and the message again in the current language (after a language switch:
        a message with a number in it stays until the next snapshot, which may not come)."""
        self.set_class_names(self._names)
        msgid, values = self._message_source
        set_text(self._message, tr(msgid).format(**values) if msgid else "")

    def _show_message(self, msgid: str, **values) -> None:
        """Show ``tr(msgid)`` filled with ``values`` instead of the templates."""
        self._message_source = (msgid, values)
        text = tr(msgid).format(**values)
        self._templates = None
        self._image.clear()
        for item in self._labels:
            self._view.removeItem(item)
        self._labels = []
        set_text(self._legend_info, "")
        set_text(self._message, text)
        self._message.setVisible(True)

    # ------------------------------------------------------------------ events
    def _on_view_resized(self) -> None:
        rect = self._view.boundingRect()
        aspect = rect.width() / rect.height() if rect.width() >= 10 and rect.height() >= 10 else 2.5
        grid = grid_layout(N_CLASSES, aspect, FRAMED + GAP_X, FRAMED + LABEL_BAND)
        if grid != self._grid:
            self._grid = grid
            if self._templates is not None:
                self._image.clear()  # force labels and range to follow the new grid
                self._draw_mosaic()
