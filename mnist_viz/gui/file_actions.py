"""Saving, loading and exporting from the window, and telling the user how it went.

Sessions and metrics are written by the training process (it owns the trainer); panel images by the
window. Each request to the process is remembered by its command's sequence number until the answer
that names it arrives, so a save's failure is reported as the save's even when a refused slider move
is answered in between. Failures open a message box that does not block the event loop (training
and painting go on); successes go to the status bar.
"""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from mnist_viz.core.files import FileWriteError
from mnist_viz.gui.export import DEFAULT_SCALE, export_widget_png, export_widget_svg
from mnist_viz.gui.menus import EXPORTABLE_PANELS
from mnist_viz.runtime.protocol import BudgetFinished, CommandDone, CommandFailed

if TYPE_CHECKING:
    from collections.abc import Callable

    from mnist_viz.gui.window import MainWindow
    from mnist_viz.gui.worker import TrainingWorker

MESSAGE_MS = 15_000  # how long a status-bar message stays (long enough to read out to the room)
PNG_SCALES = {"2× (slides, handouts)": 2.0, "1× (as on screen)": 1.0, "3×": 3.0, "4× (posters)": 4.0}


def export_file_name(title: str, step: int | None, ending: str) -> str:
    """``mnist-viz-learning-curves-step-2334.png``: which panel and which moment, so a folder of
    exports from one lecture does not hold ten files all called mnist-viz.png."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "window"
    moment = f"-step-{step}" if step is not None else ""
    return f"mnist-viz-{slug}{moment}.{ending}"


class FileActions(QtCore.QObject):
    """The window's File menu and the answers to its requests.

    Attributes:
        pending: sequence number -> "Saving the session", ... for requests not yet answered.
        last_error: the text of the latest error shown (tests read it).
    """

    def __init__(self, window: MainWindow, worker: TrainingWorker):
        super().__init__(window)
        self.window = window
        self.worker = worker
        self.pending: dict[int, str] = {}
        self.last_error = ""
        worker.commandFailed.connect(self._on_command_failed)
        worker.commandDone.connect(self._on_command_done)
        worker.budgetFinished.connect(self._on_budget_finished)

    # ---------------------------------------------------------- requests
    def save_session(self, path: str) -> None:
        self.pending[self.worker.save_session(path)] = "Saving the session"

    def load_session(self, path: str) -> None:
        self.pending[self.worker.load_session(path)] = "Loading the session"

    def export_metrics(self, path: str) -> None:
        self.pending[self.worker.export_metrics_csv(path)] = "Exporting the metrics"

    def export_panel(self, widget: QtWidgets.QWidget, path: str, scale: float = DEFAULT_SCALE) -> bool:
        """Write ``widget`` as PNG (``scale`` times its size) or SVG, by the file's ending. Returns
        whether it worked; a failure is shown to the user with the path and the reason."""
        try:
            if str(path).lower().endswith(".svg"):
                export_widget_svg(widget, path)
            else:
                export_widget_png(widget, path, scale)
        except (FileWriteError, OSError, ValueError) as e:
            self.show_error("Export failed", str(e))
            return False
        self.status(f"Exported {path}")
        return True

    # ------------------------------------------------------- the dialogs
    def ask_save_session(self) -> None:
        self._ask_path("Save session", "npz", self.save_session, export_file_name("session", self._step(), "npz"))

    def ask_load_session(self) -> None:
        self._ask_path("Load session", "npz", self.load_session, None)

    def ask_export_metrics(self) -> None:
        self._ask_path("Export metrics", "csv", self.export_metrics, export_file_name("metrics", self._step(), "csv"))

    def ask_export_panel(self, title: str, ending: str) -> None:
        """Ask where to write the panel the export menu calls ``title``, as ``ending`` (png/svg),
        and for a PNG at what resolution."""
        attribute = EXPORTABLE_PANELS[title]
        widget = getattr(self.window, attribute) if attribute else self.window
        name = export_file_name(title if attribute else "window", self._step(), ending)
        self._ask_path(f"Export {ending.upper()}", ending, lambda path: self._export_asking_scale(widget, path), name)

    def _export_asking_scale(self, widget: QtWidgets.QWidget, path: str) -> None:
        if path.lower().endswith(".svg"):
            self.export_panel(widget, path)
            return
        choice, ok = QtWidgets.QInputDialog.getItem(self.window, "Export PNG", "Resolution:", list(PNG_SCALES), 0,
                                                    False)
        if ok:
            self.export_panel(widget, path, PNG_SCALES[choice])

    def _step(self) -> int | None:
        """The moment the views show (a scrubbed one, or the live one), for file names."""
        shown = self.window.timeline.selected_snapshot() or self.window.latest
        return None if shown is None else shown.step

    def _ask_path(self, title: str, ending: str, use: Callable[[str], object], name: str | None) -> None:
        """A save dialog prefilled with ``name`` in the folder used last, or (``name`` None) an open
        dialog there, with no name prefilled."""
        store = self.window.store
        folder = str(store.value("files/folder", "")) or QtCore.QDir.homePath()
        kinds = f"{ending.upper()} files (*.{ending});;All files (*)"
        if name is None:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, title, folder, kinds)
        else:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, title, os.path.join(folder, name), kinds)
        if path:
            store.setValue("files/folder", os.path.dirname(path))
            use(path)

    # ------------------------------------------------------------ answers
    def _on_command_failed(self, event: CommandFailed) -> None:
        operation = self.pending.pop(event.reply_to, None)
        if operation is None:  # a refused setting: the status line says so, training goes on
            self.status(f"Not applied: {event.reason}")
        else:  # a file the user chose: say so where it cannot be missed
            self.status(f"{operation} failed: {event.reason}")
            self.show_error(f"{operation} failed", event.reason)

    def _on_command_done(self, event: CommandDone) -> None:
        self.pending.pop(event.reply_to, None)
        self.status(event.message)

    def _on_budget_finished(self, event: BudgetFinished) -> None:
        self.status(event.message)

    def status(self, message: str) -> None:
        self.window.statusBar().showMessage(message, MESSAGE_MS)

    def show_error(self, title: str, message: str) -> None:
        """A warning box that does not block the event loop."""
        self.open_message_box(QtWidgets.QMessageBox.Icon.Warning, title, message)
        self.last_error = message

    def open_message_box(self, icon: QtWidgets.QMessageBox.Icon, title: str, message: str, details: str = "") -> None:
        """Show a message box without blocking the event loop; it deletes itself when closed."""
        box = QtWidgets.QMessageBox(icon, title, message, parent=self.window)
        if details:
            box.setDetailedText(details)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
