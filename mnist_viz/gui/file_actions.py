"""Saving, loading and exporting from the window, and telling the user how it went.

Sessions and metrics are written by the training process (it owns the trainer); panel images by the
window. Each request to the process is remembered by its command's sequence number until the answer
that names it arrives, so a save's failure is reported as the save's even when a refused slider move
is answered in between. Failures open a message box that does not block the event loop (training
and painting go on); successes go to the status bar.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from mnist_viz.core.files import FileWriteError
from mnist_viz.gui.export import export_widget_png, export_widget_svg
from mnist_viz.gui.menus import EXPORTABLE_PANELS
from mnist_viz.runtime.protocol import BudgetFinished, CommandDone, CommandFailed

if TYPE_CHECKING:
    from collections.abc import Callable

    from mnist_viz.gui.window import MainWindow
    from mnist_viz.gui.worker import TrainingWorker

MESSAGE_MS = 15_000  # how long a status-bar message stays (long enough to read out to the room)


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

    def export_panel(self, widget: QtWidgets.QWidget, path: str) -> bool:
        """Write ``widget`` as PNG or SVG (by the file's ending). Returns whether it worked; a failure
        is shown to the user with the path and the reason."""
        try:
            (export_widget_svg if str(path).lower().endswith(".svg") else export_widget_png)(widget, path)
        except (FileWriteError, OSError, ValueError) as e:
            self.show_error("Export failed", str(e))
            return False
        self.status(f"Exported {path}")
        return True

    # ------------------------------------------------------- the dialogs
    def ask_save_session(self) -> None:
        self._ask_path("Save session", "npz", self.save_session, saving=True)

    def ask_load_session(self) -> None:
        self._ask_path("Load session", "npz", self.load_session, saving=False)

    def ask_export_metrics(self) -> None:
        self._ask_path("Export metrics", "csv", self.export_metrics, saving=True)

    def ask_export_panel(self, title: str, ending: str) -> None:
        """Ask where to write the panel the export menu calls ``title``, as ``ending`` (png/svg)."""
        attribute = EXPORTABLE_PANELS[title]
        widget = getattr(self.window, attribute) if attribute else self.window
        self._ask_path(f"Export {ending.upper()}", ending, lambda path: self.export_panel(widget, path), saving=True)

    def _ask_path(self, title: str, ending: str, use: Callable[[str], object], saving: bool) -> None:
        dialog = QtWidgets.QFileDialog.getSaveFileName if saving else QtWidgets.QFileDialog.getOpenFileName
        kinds = f"{ending.upper()} files (*.{ending});;All files (*)"
        path, _ = dialog(self.window, title, f"mnist-viz.{ending}", kinds)
        if path:
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
