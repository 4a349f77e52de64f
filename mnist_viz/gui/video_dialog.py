"""File > Export video…: the run so far (the look-back timeline's moments, oldest to newest) as an
MP4, animated GIF or WebP.

``export_video(window)`` asks what to show (the lecture frame of curves, mosaic and probes, or one of
them), the size, the frame rate and the file (its ending chooses the format), then renders one frame
per moment the timeline kept, under a progress bar whose Cancel leaves no file behind. The curves
grow from frame to frame as they did during the run: the timeline's moments carry no curve points
of their own (``timeline.without_deltas``), so each frame gets the rows of the window's curves up to
its step (``recording.curve_deltas``). The frames are painted offscreen by ``recording.FrameRenderer``
with panels of their own: the window's panels keep showing the live run meanwhile.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from mnist_viz.core.files import FileWriteError
from mnist_viz.core.i18n import N_, format_int, format_number, tr
from mnist_viz.core.snapshot import STEP_COLUMNS, Marker
from mnist_viz.gui import style
from mnist_viz.gui.recording import DEFAULT_LAYOUT, LAYOUTS, SecondRun, render_video
from mnist_viz.gui.video import MAX_FPS, MAX_SIDE, MIN_SIDE, VIDEO_FORMATS, check_video_target

if TYPE_CHECKING:
    from mnist_viz.core.snapshot import Snapshot
    from mnist_viz.gui.panels.curves import CurvesPanel
    from mnist_viz.gui.window import MainWindow

SIZES = {"1280 × 720 (HD)": (1280, 720), "1920 × 1080 (Full HD)": (1920, 1080),
         N_("854 × 480 (web page, small file)"): (854, 480)}  # keys shown through tr
AS_ON_SCREEN = N_("as on screen")
DEFAULT_FPS = 15


@dataclass(frozen=True)
class VideoChoice:
    """What the dialog asked for: ``layout`` (a key of ``recording.LAYOUTS``), ``size`` (width,
    height), ``fps`` and ``path``."""

    layout: str
    size: tuple[int, int]
    fps: int
    path: str


def even_size(width: int, height: int) -> tuple[int, int]:
    """``(width, height)`` rounded down to even numbers (MP4 needs them) within the sizes a video may have."""
    def side(n: int) -> int:
        return min(MAX_SIDE, max(MIN_SIDE, int(n))) // 2 * 2
    return side(width), side(height)


class VideoDialog(QtWidgets.QDialog):
    """The choices of File > Export video: what, size, frame rate, file. ``choice()`` reads them.

    Args:
        frames: how many frames the video will have (one per kept moment), to say how long it plays.
        screen_sizes: layout -> ``(width, height)`` it has on screen, for the "as on screen" size.
        path: the file name to start with.
    """

    def __init__(self, frames: int, screen_sizes: dict[str, tuple[int, int]], path: str,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("Export video"))
        self.setFont(style.font(style.LABEL_PT))  # a dialog does not inherit the window's zoomed font
        self._frames = frames
        self._screen_sizes = screen_sizes
        self.layout_box = QtWidgets.QComboBox()
        for key, title in LAYOUTS.items():
            self.layout_box.addItem(tr(title), key)
        self.layout_box.setCurrentIndex(list(LAYOUTS).index(DEFAULT_LAYOUT))
        self.size_box = QtWidgets.QComboBox()
        self.fps_box = QtWidgets.QSpinBox()
        self.fps_box.setRange(1, MAX_FPS)
        self.fps_box.setValue(DEFAULT_FPS)
        self.fps_box.setSuffix(tr(" frames/s"))
        self.path_edit = QtWidgets.QLineEdit(path)
        browse = QtWidgets.QPushButton(tr("Choose…"))
        browse.clicked.connect(self._on_browse)
        self.length_label = QtWidgets.QLabel()
        self.length_label.setWordWrap(True)
        file_row = QtWidgets.QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        form = QtWidgets.QFormLayout()
        form.addRow(tr("Show:"), self.layout_box)
        form.addRow(tr("Size:"), self.size_box)
        form.addRow(tr("Frame rate:"), self.fps_box)
        form.addRow(tr("File:"), file_row)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText(tr("Export"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.length_label)
        layout.addWidget(buttons)
        self.layout_box.currentIndexChanged.connect(self._fill_sizes)
        self.fps_box.valueChanged.connect(self._update_length)
        self.path_edit.textChanged.connect(self._update_length)
        self._fill_sizes()

    def choice(self) -> VideoChoice:
        return VideoChoice(self.layout_box.currentData(), tuple(self.size_box.currentData()), self.fps_box.value(),
                           self.path_edit.text().strip())

    def _fill_sizes(self) -> None:
        """The size presets, and the size the chosen view has on screen (made even)."""
        kept = self.size_box.currentText()
        self.size_box.blockSignals(True)
        self.size_box.clear()
        for title, size in SIZES.items():
            self.size_box.addItem(tr(title), size)
        on_screen = self._screen_sizes.get(self.layout_box.currentData())
        if on_screen is not None:
            size = even_size(*on_screen)
            self.size_box.addItem(f"{size[0]} × {size[1]} ({tr(AS_ON_SCREEN)})", size)
        index = self.size_box.findText(kept)
        self.size_box.setCurrentIndex(max(0, index))
        self.size_box.blockSignals(False)
        self._update_length()

    def _update_length(self) -> None:
        ending = Path(self.path_edit.text().strip()).suffix.lower()
        kind = VIDEO_FORMATS.get(ending) or tr("the file's ending (.mp4, .gif or .webp) chooses the format")
        seconds = self._frames / max(1, self.fps_box.value())
        self.length_label.setText(tr("{frames} frames, one per moment the look-back timeline kept: "
                                     "{seconds} s of video. Format: {kind}.").format(
            frames=format_int(self._frames), seconds=format_number(seconds, 1), kind=kind))

    def _on_browse(self) -> None:
        kinds = ";;".join((tr("MP4 video (*.mp4)"), tr("Animated GIF (*.gif)"), tr("Animated WebP (*.webp)"),
                           tr("All files (*)")))
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, tr("Export video"), self.path_edit.text(), kinds)
        if path:
            self.path_edit.setText(path)


def curve_history(curves: CurvesPanel) -> tuple:
    """The window's curves as ``recording.render_video``'s ``history``: ``(steps (n, 5), evals (m, 5),
    markers)``; the markers are those the panel keeps (at most its ``MAX_MARKERS``)."""
    markers: list[Marker] = curves.markers()
    return curves.steps.array()[:, :len(STEP_COLUMNS)], curves.evals.array(), markers


def second_run(window: MainWindow) -> SecondRun | None:
    """A running comparison's run B (its kept moments and curves), or None."""
    comparison, texts = window.compare.comparison, window.curves.second_run_texts()
    history = window.curves.second_history()
    if comparison is None or texts is None or history is None:
        return None
    timeline = comparison.timeline_b
    return SecondRun(texts, [timeline[i] for i in range(len(timeline))], history)


def timeline_snapshots(window: MainWindow) -> list[Snapshot]:
    """The moments the look-back timeline kept, oldest first."""
    timeline = window.timeline.timeline
    return [timeline[i] for i in range(len(timeline))]


def screen_sizes(window: MainWindow) -> dict[str, tuple[int, int]]:
    """What each layout measures on screen now: a panel its own size, the lecture frame the panels' area."""
    sizes = {"lecture": window.focus.size(), "curves": window.curves.size(), "weights": window.weights.size(),
             "probes": window.probes.size()}
    return {key: (size.width(), size.height()) for key, size in sizes.items()}


def default_path(window: MainWindow) -> str:
    from mnist_viz.gui.file_actions import export_file_name

    folder = str(window.store.value("files/folder", "")) or QtCore.QDir.homePath()
    step = window.latest.step if window.latest is not None else None
    return os.path.join(folder, export_file_name("video", step, "mp4"))


def export_video(window: MainWindow) -> Path | None:
    """File > Export video…: ask (``VideoDialog``), then write the video under a progress bar.
    Returns the file written, or ``None`` (nothing kept yet, the dialog or the export cancelled, or
    an error, which a message box explains)."""
    snaps = timeline_snapshots(window)
    if not snaps:
        window.files.show_error(tr("Nothing to export yet"), tr("Start training first: the video shows the moments "
                                                                "of the run the look-back timeline keeps."))
        return None
    dialog = VideoDialog(len(snaps), screen_sizes(window), default_path(window), window)
    if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
        return None
    choice = dialog.choice()
    window.store.setValue("files/folder", os.path.dirname(os.path.abspath(choice.path)))
    return write_timeline_video(window, choice, snaps)


def write_timeline_video(window: MainWindow, choice: VideoChoice, snaps: list[Snapshot] | None = None,
                         progress: QtWidgets.QProgressDialog | None = None) -> Path | None:
    """Render ``snaps`` (default: the timeline's) as ``choice`` says, under ``progress`` (default: a
    new modal progress dialog). Returns the path, or ``None`` when cancelled (no file) or on an error
    (a message box says which)."""
    snaps = timeline_snapshots(window) if snaps is None else snaps
    try:
        check_video_target(choice.path, choice.size, choice.fps, len(snaps))
    except (ValueError, FileWriteError) as e:
        window.files.show_error(tr("Cannot export the video"), str(e))
        return None
    progress = progress if progress is not None else _progress_dialog(window, len(snaps))

    def on_frame(done: int, total: int) -> bool:
        progress.setValue(done)  # a modal progress dialog handles events here: Cancel, repaints
        QtWidgets.QApplication.processEvents()
        return not progress.wasCanceled()

    try:
        path = render_video(snaps, choice.path, choice.size, choice.fps, window.data, choice.layout,
                            history=curve_history(window.curves), probes=window.probes,
                            second=second_run(window), on_frame=on_frame)
    except (ValueError, OSError) as e:
        window.files.show_error(tr("Video export failed"), str(e))
        return None
    finally:
        progress.reset()
    if path is None:
        window.files.status(tr("Video export cancelled: nothing was written"))
        return None
    seconds = len(snaps) / choice.fps
    window.files.status(tr("Exported {path}: {frames} frames, {seconds} s").format(
        path=path, frames=format_int(len(snaps)), seconds=format_number(seconds, 1)))
    return path


def _progress_dialog(window: QtWidgets.QWidget, frames: int) -> QtWidgets.QProgressDialog:
    progress = QtWidgets.QProgressDialog(tr("Rendering the video…"), tr("Cancel"), 0, frames, window)
    progress.setWindowTitle(tr("Export video"))
    progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(0)
    progress.setValue(0)
    return progress
