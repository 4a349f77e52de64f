"""Frames of a training run, for a video: ``FrameRenderer`` paints snapshots offscreen at a chosen size.

The picture is the lecture view's (F5, ``lecture_view.PLACES``): the learning curves on the left, the
weight mosaic on the right, the probe digits across the bottom; or one of those panels alone
(``LAYOUTS``). The panels are the window's own classes, made afresh for the video and never shown on
screen (``WA_DontShowOnScreen``), so the window's panels keep showing the live run while a video
renders. Their controls (buttons, spin boxes, the x-axis box) are hidden, as in an exported picture.

Text grows with the frame: the panels are drawn with their window sizes at a frame height of
``REFERENCE_HEIGHT`` (720 px) and scaled by ``height / REFERENCE_HEIGHT`` (1.5 at 1080 px), the way
View > Larger text scales them, so a 1080p video looks like a 720p one, only sharper.

The curves are the one panel that needs every snapshot in turn: it adds each snapshot's new rows
(``Snapshot.new_steps`` / ``new_evals`` / ``new_markers``, the deltas since the previous snapshot).
``render`` passes them on, so a sequence of snapshots taken from one trainer draws the run's curves
growing frame by frame. ``curve_deltas`` cuts a finished run's history (the window's curves) into
such deltas for snapshots that lack them (the timeline's, see ``TimelinePanel.without_deltas``).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.i18n import N_, format_int, format_number, tr
from mnist_viz.core.snapshot import EVAL_COLUMNS, STEP_COLUMNS, Marker, Snapshot
from mnist_viz.core.trainer import describe_value
from mnist_viz.gui import presentation, style
from mnist_viz.gui.environment import window_problem
from mnist_viz.gui.export import hide_controls
from mnist_viz.gui.lecture_view import PLACES, ROW_STRETCH
from mnist_viz.gui.panels.curves import CurvesPanel
from mnist_viz.gui.panels.probes import ProbesPanel
from mnist_viz.gui.panels.weights import WeightsPanel
from mnist_viz.gui.widgets import set_text

REFERENCE_HEIGHT = 720  # frame height at which the panels' text is its normal size
MIN_TEXT_SCALE, MAX_TEXT_SCALE = 0.6, 4.0
# What a video can show: the three-panel lecture frame, or one panel.
LAYOUTS = {"lecture": N_("Lecture view: curves, weight mosaic and probe digits"), "curves": N_("Learning curves"),
           "weights": N_("Hidden-unit weights (mosaic)"), "probes": N_("Probe digits")}  # titles: shown through tr
DEFAULT_LAYOUT = "lecture"
# The lecture frame of a comparison: run B's mosaic under run A's, beside the probes (which then
# have the left column only: ten digits still fit 60% of the width).
COMPARISON_PLACES = {"curves": (0, 0, 1), "weights": (0, 1, 1), "weights_b": (1, 1, 1), "probes": (1, 0, 1)}


class FrameRenderer:
    """Paints snapshots as ``(height, width, 3) uint8`` RGB frames of ``size = (width, height)``.

    Args:
        dataset: where the probe digits come from (``ProbesPanel``'s choice, the first ten test
            digits of a fixed draw); pass ``probe_images()`` to ``Trainer.snapshot`` so the
            snapshots carry the network's answers for them.
        size: frame ``(width, height)`` in pixels.
        layout: a key of ``LAYOUTS``.
        probes: a window's ``ProbesPanel`` whose probes (and their history) to use instead.

    Call ``close()`` when done (the offscreen widgets are deleted).
    """

    def __init__(self, dataset, size: tuple[int, int], layout: str = DEFAULT_LAYOUT,
                 probes: ProbesPanel | None = None, second_texts: tuple[str, str, str, str] | None = None):
        if layout not in LAYOUTS:
            raise ValueError(f"unknown video layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
        self.size = (int(size[0]), int(size[1]))
        self.layout = layout
        self._shown = tuple(PLACES) if layout == "lecture" else (layout,)
        with _normal_text():
            self.curves = CurvesPanel()
            self.weights = WeightsPanel()
            self.probes = ProbesPanel(dataset)
            if probes is not None:
                self.probes.copy_probe_record(probes)
            self.weights_b: WeightsPanel | None = None
            self._mosaics = self.weights
            if second_texts is not None:
                self.curves.set_second_run(*second_texts)
                self.weights_b = WeightsPanel()
                self.weights.set_run_name(second_texts[0])
                self.weights_b.set_run_name(second_texts[1])
                if layout == "weights":  # the two mosaics are the whole frame: one above the other
                    self._mosaics = _stacked([self.weights, self.weights_b])
            self.page = self._build_page()
        self._image = QtGui.QImage(self.size[0], self.size[1], QtGui.QImage.Format.Format_RGBX8888)

    def probe_images(self) -> np.ndarray:
        """``(P, 784) float32``: the probe digits, for ``Trainer.snapshot(probe_x=...)``."""
        return self.probes.probe_images()

    def render(self, snap: Snapshot, snap_b: Snapshot | None = None) -> np.ndarray:
        """Show ``snap`` (and a comparison's run B at that moment, ``snap_b``) on the panels and paint
        them: ``(height, width, 3) uint8`` RGB."""
        for name in self._shown:
            (self.weights if name == "weights" else self._panel(name)).show_snapshot(snap)
        if snap_b is not None and self.weights_b is not None:
            self.curves.show_second_snapshot(snap_b)
            if "weights" in self._shown:
                self.weights_b.show_snapshot(snap_b)
        set_text(self.caption, frame_caption(snap))
        return self.paint()

    def paint(self) -> np.ndarray:
        """The panels as they are now, ``(height, width, 3) uint8`` RGB."""
        # Layouts update on the event loop; a frame must show this snapshot's. Only the layout requests
        # are delivered: the other posted events are the page's own repaint (its backing store, never
        # shown), 15 of the 35 ms a 1280x720 frame took. (A plot whose tick labels widen when it is
        # painted makes room for them from the next frame on, where the window does a paint later.)
        QtWidgets.QApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)
        _activate_layouts(self.page)
        self._image.fill(self.page.palette().color(QtGui.QPalette.ColorRole.Window))
        painter = QtGui.QPainter(self._image)
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            QtWidgets.QWidget.render(self.page, painter, QtCore.QPoint(0, 0))
        finally:
            painter.end()  # a painter left open on a device that is destroyed crashes Qt
        return rgb_array(self._image)

    def close(self) -> None:
        self.page.close()
        self.page.deleteLater()
        for panel in (self.curves, self._mosaics, self.weights_b, self.probes):
            if panel is not None and panel.parent() is None:
                panel.deleteLater()

    # ------------------------------------------------------------------ layout
    def _panel(self, name: str) -> QtWidgets.QWidget:
        return {"curves": self.curves, "weights": self._mosaics, "weights_b": self.weights_b,
                "probes": self.probes}[name]

    def _build_page(self) -> QtWidgets.QWidget:
        """The panels in the lecture view's grid (or one panel), at the frame's size, never on screen."""
        page = QtWidgets.QWidget()
        page.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen)
        page.setAutoFillBackground(True)
        grid = QtWidgets.QGridLayout(page)
        grid.setContentsMargins(8, 8, 8, 8)
        grid.setSpacing(12)
        places = PLACES if self.weights_b is None else COMPARISON_PLACES
        for name in self._placed():
            row, col, span = places[name] if len(self._shown) > 1 else (0, 0, 1)
            grid.addWidget(self._panel(name), row, col, 1, span)
        if len(self._shown) > 1:
            for row, stretch in enumerate(ROW_STRETCH):
                grid.setRowStretch(row, stretch)
            grid.setColumnStretch(0, 3)  # as in the lecture view: two stacked plots want the width
            grid.setColumnStretch(1, 2)
        self.caption = QtWidgets.QLabel("")
        self.caption.setFont(style.font(style.LABEL_PT))
        grid.addWidget(self.caption, grid.rowCount(), 0, 1, 2)
        scale = float(np.clip(self.size[1] / REFERENCE_HEIGHT, MIN_TEXT_SCALE, MAX_TEXT_SCALE))
        if abs(scale - 1.0) > 0.01:
            presentation.scale_fonts(page, scale)
            self.curves.set_label_font(_scaled(self.curves.label_font(), scale))
        page.setFixedSize(*self.size)  # the panels' minimum sizes must not make it larger
        page.show()  # never on screen (WA_DontShowOnScreen), but laid out and polished as if it were
        for name in self._placed():
            hide_controls(self._panel(name))  # a video shows the picture, not the knobs (only shown ones hide)
        return page

    def _placed(self) -> tuple[str, ...]:
        """The panels in the frame's grid: those shown, and run B's mosaic in a lecture frame."""
        with_b = self.weights_b is not None and len(self._shown) > 1
        return (*self._shown, "weights_b") if with_b else self._shown


def _stacked(mosaics: list[WeightsPanel]) -> QtWidgets.QWidget:
    """``mosaics`` one above the other (a comparison's two, each titled by its run)."""
    box = QtWidgets.QWidget()
    column = QtWidgets.QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(6)
    for mosaic in mosaics:
        column.addWidget(mosaic, 1)
    return box


def frame_caption(snap: Snapshot) -> str:
    """The line under a frame: which network, and when: ``"784-128-10 relu · adam, learning rate
    0.001 · step 1,200 · epoch 1.28"``."""
    s = snap.settings
    sizes = "-".join(str(n) for n in (snap.W1.shape[0], *s.hidden, snap.W_out.shape[-1])) if snap.params else ""
    return tr("{sizes} {activation} · {optimizer}, learning rate {lr} · step {step} · epoch {epoch}").format(
        sizes=sizes, activation=s.activation, optimizer=s.optimizer, lr=describe_value(snap.effective_lr),
        step=format_int(snap.step), epoch=format_number(snap.epoch, 2))


def rgb_array(image: QtGui.QImage) -> np.ndarray:
    """``image`` as a ``(height, width, 3) uint8`` RGB array (a copy). Qt's own conversion to packed
    RGB is ~10 times faster than dropping the fourth byte in NumPy (a strided copy)."""
    rgb = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    rows = np.frombuffer(rgb.constBits(), np.uint8, count=rgb.sizeInBytes()).reshape(height, rgb.bytesPerLine())
    return rows[:, : 3 * width].reshape(height, width, 3).copy()


@contextlib.contextmanager
def _normal_text() -> Iterator[None]:
    """The panels' text at its normal size while they are made: a video's text follows its own
    height, not the window's zoom (Ctrl+) or the lecture view's floor (``style.TEXT_ZOOM``, ``MIN_TEXT_PT``)."""
    zoom, floor = style.TEXT_ZOOM, style.MIN_TEXT_PT
    style.TEXT_ZOOM, style.MIN_TEXT_PT = 1.0, 0.0
    try:
        yield
    finally:
        style.TEXT_ZOOM, style.MIN_TEXT_PT = zoom, floor


def _scaled(font: QtGui.QFont, factor: float) -> QtGui.QFont:
    font = QtGui.QFont(font)
    font.setPointSizeF(font.pointSizeF() * factor)
    return font


def _activate_layouts(widget: QtWidgets.QWidget) -> None:
    """Apply pending layout changes now (a new title's length, a legend's), innermost first."""
    for child in [*reversed(widget.findChildren(QtWidgets.QWidget)), widget]:
        if child.layout() is not None:
            child.layout().activate()


def frame_steps(first: int, last: int, frames: int) -> list[int]:
    """``frames`` training steps from ``first`` to ``last`` (both included), evenly spread and rounded,
    without repeats: fewer when the run has fewer steps than that."""
    if frames < 1 or last < first:
        return []
    if frames == 1:
        return [last]
    steps = np.round(np.linspace(first, last, frames)).astype(np.int64)
    return [int(s) for s in np.unique(steps)]


def curve_deltas(snaps: Sequence[Snapshot], steps: np.ndarray, evals: np.ndarray,
                 markers: Sequence[Marker], cuts: Sequence[float] | None = None, by: str = "step") -> list[Snapshot]:
    """``snaps`` (in step order), each carrying the rows of a run's history up to its step that the
    previous one did not: ``steps (n, len(STEP_COLUMNS))`` per-step rows, ``evals (m, >= 5)``
    evaluation rows (columns as ``EVAL_COLUMNS``, or the curves panel's five without ``train_accuracy``)
    and ``markers``. The first snapshot carries everything up to its step.

    ``cuts``/``by``: cut at these values of column ``by`` ("step" or "samples") instead of at each
    snapshot's step: a comparison's run B is cut where run A's frames are, by training images seen
    (runs of other batch sizes are level by images, not steps)."""
    steps = np.asarray(steps, np.float64).reshape(-1, len(STEP_COLUMNS))
    evals = _eval_rows(evals)
    column = STEP_COLUMNS.index(by)
    cuts = [float(getattr(snap, by)) for snap in snaps] if cuts is None else list(cuts)
    out, done = [], -np.inf
    for snap, cut in zip(snaps, cuts):
        new_steps = steps[(steps[:, column] > done) & (steps[:, column] <= cut)]
        new_evals = evals[(evals[:, column] > done) & (evals[:, column] <= cut)]
        new_markers = tuple(m for m in markers if done < getattr(m, by) <= cut)
        out.append(dataclasses.replace(snap, new_steps=new_steps, new_evals=new_evals, new_markers=new_markers))
        done = cut
    return out


@dataclass(frozen=True)
class SecondRun:
    """A comparison's run B, for a video of both runs.

    Attributes:
        texts: ``(label_a, label_b, difference, notes)``, as ``CurvesPanel.set_second_run`` takes them.
        snapshots: run B's kept moments (its look-back record), oldest first.
        history: run B's curves, ``(steps (n, 5), evals (m, 5), markers)`` (``CurvesPanel.second_history``).
    """

    texts: tuple[str, str, str, str]
    snapshots: Sequence[Snapshot]
    history: tuple


def second_run_frames(frames: Sequence[Snapshot], second: SecondRun) -> list[Snapshot]:
    """Run B's snapshot for each of run A's ``frames``: its kept moment nearest at or before the frame
    (by training images seen), carrying its curve rows up to the frame's images."""
    kept = sorted(second.snapshots, key=lambda snap: snap.samples)
    if not kept:
        return []
    seen = np.array([snap.samples for snap in kept])
    nearest = [kept[max(0, int(np.searchsorted(seen, frame.samples, side="right")) - 1)] for frame in frames]
    return curve_deltas(nearest, *second.history, cuts=[frame.samples for frame in frames], by="samples")


def _eval_rows(evals: np.ndarray) -> np.ndarray:
    """``evals`` as ``(m, len(EVAL_COLUMNS))``. Missing columns (``train_accuracy``, which the curves
    do not draw) are filled with 0, not NaN: the curves panel skips any row holding a NaN."""
    evals = np.asarray(evals, np.float64)
    if evals.ndim != 2 or evals.shape[1] == 0:
        evals = np.zeros((0, len(EVAL_COLUMNS)))
    if evals.shape[1] < len(EVAL_COLUMNS):
        pad = np.zeros((len(evals), len(EVAL_COLUMNS) - evals.shape[1]))
        evals = np.hstack([evals, pad])
    return evals[:, : len(EVAL_COLUMNS)]


def offscreen_application(theme: str = "light") -> QtWidgets.QApplication:
    """The running QApplication, or a new one for rendering without a window (``mnist-viz record``).
    Where no window can open (no display: an ssh session, a container, CI), Qt's offscreen platform
    is used, which needs none. The new application gets ``theme`` (see ``themes.THEMES``)."""
    app = QtWidgets.QApplication.instance()
    if app is not None:
        return app
    if window_problem() is not None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = QtWidgets.QApplication([sys.argv[0] if sys.argv else "mnist-viz"])
    presentation.apply_theme(app, name=theme)
    return app


def render_video(snapshots: Sequence[Snapshot], path: str | os.PathLike, size: tuple[int, int], fps: int,
                 dataset, layout: str = DEFAULT_LAYOUT, history: tuple | None = None,
                 probes: ProbesPanel | None = None, second: SecondRun | None = None,
                 on_frame: Callable[[int, int], bool] | None = None) -> Path | None:
    """Write one frame per snapshot of ``snapshots`` (oldest first) as the video ``path``
    (``video.open_video``: MP4, GIF or WebP by its ending). Returns the path, or ``None`` when
    ``on_frame(frames done, frames in all)``, asked after each frame, returned False: cancelled,
    and then nothing is written.

    ``history``: ``(steps (n, 5), evals (m, >= 5), markers)``, the run's curves, cut into each
    snapshot's deltas by ``curve_deltas`` (for snapshots kept apart from each other, as the
    timeline keeps them); ``None``: the snapshots carry their own deltas. ``probes``: see
    ``FrameRenderer``. ``second``: a comparison's run B, drawn over the curves and as a second mosaic.

    Raises:
        ValueError, FileWriteError: as ``video.open_video`` (before any frame is rendered).
    """
    from mnist_viz.gui.video import check_video_target, open_video

    snaps = list(snapshots) if history is None else curve_deltas(snapshots, *history)
    if not snaps:
        raise ValueError("there is nothing to record yet: no moment of the run has been kept")
    check_video_target(path, size, fps, len(snaps))
    frames_b: list[Snapshot | None] = [None] * len(snaps)
    if second is not None and second.snapshots:
        frames_b = list(second_run_frames(snaps, second))
    writer = open_video(path, size, fps)
    renderer = FrameRenderer(dataset, size, layout, probes=probes,
                             second_texts=second.texts if second is not None and second.snapshots else None)
    try:
        for done, (snap, snap_b) in enumerate(zip(snaps, frames_b), start=1):
            writer.add_frame(renderer.render(snap, snap_b))
            if on_frame is not None and not on_frame(done, len(snaps)):
                writer.abort()
                return None
        return writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        renderer.close()
