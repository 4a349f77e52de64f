"""Saving, loading and exporting from the window, and telling the user how it went.

Sessions and metrics are written by the training process (it owns the trainer); panel images by the
window. Each request to the process is remembered by its command's sequence number until the answer
that names it arrives, so a save's failure is reported as the save's even when a refused slider move
is answered in between. Failures open a message box that does not block the event loop (training
and painting go on); successes go to the status bar.

Other data (File > Open dataset): ``open_dataset_path`` loads a folder or file with the loaders of
``core.data`` (a bad file leaves the running session as it was and says why in a message box), asks
before a run in progress ends, and ``switch_dataset`` moves the whole window onto the new data.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core import checkpoint
from mnist_viz.core.data import BUNDLED_NAME, DataError, fashion_mnist_dir, load_dataset, load_fashion_mnist
from mnist_viz.core.files import FileWriteError
from mnist_viz.core.i18n import N_, format_int, tr
from mnist_viz.gui.export import DEFAULT_SCALE, export_widget_png, export_widget_svg
from mnist_viz.gui.menus import EXPORTABLE_PANELS
from mnist_viz.runtime.protocol import BudgetFinished, CommandDone, CommandFailed
from mnist_viz.runtime.shared_data import publish_dataset

if TYPE_CHECKING:
    from collections.abc import Callable

    from mnist_viz.core.data import Dataset
    from mnist_viz.core.snapshot import Settings
    from mnist_viz.gui.window import MainWindow
    from mnist_viz.gui.worker import TrainingWorker

MESSAGE_MS = 15_000  # how long a status-bar message stays (long enough to read out to the room)
# the resolutions offered for a PNG, in the order offered; the keys are msgids (shown through tr)
PNG_SCALES = {N_("2× (slides, handouts)"): 2.0, N_("1× (as on screen)"): 1.0, "3×": 3.0, N_("4× (posters)"): 4.0}


DATASET_KINDS = N_("Datasets: CSV, npz or an IDX file")  # the file dialog's filter, in words
DATASET_PATTERNS = "(*.csv *.npz *-ubyte *-ubyte.gz *.idx?-ubyte *.idx?-ubyte.gz)"  # kept out of the msgid


def dataset_files_filter() -> str:
    """The open dialog's filter line: ``"Datasets: CSV, npz or an IDX file (*.csv ...)"`` in the
    current language, the patterns untouched."""
    return f"{tr(DATASET_KINDS)} {DATASET_PATTERNS}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def dataset_slug(name: str) -> str:
    """``"fashion-mnist"`` for ``"Fashion-MNIST (IDX)"``: the dataset in a file name; ``""`` for MNIST,
    the data most files are of (the kind in parentheses is left out)."""
    slug = _slug(re.sub(r"\s*\([^()]*\)$", "", name))
    return "" if slug == "mnist" else slug


def export_file_name(title: str, step: int | None, ending: str, dataset: str = "") -> str:
    """``mnist-viz-learning-curves-step-2334.png``: which panel and which moment, so a folder of
    exports from one lecture does not hold ten files all called mnist-viz.png; for data other than
    MNIST which data too (``dataset``: its name): ``mnist-viz-fashion-mnist-learning-curves-step-2334.png``."""
    slug = _slug(title) or "window"
    data = dataset_slug(dataset) if dataset else ""
    moment = f"-step-{step}" if step is not None else ""
    return f"mnist-viz-{data + '-' if data else ''}{slug}{moment}.{ending}"


# What a pending request is (msgids; shown through tr), and the title its failure is shown under.
SAVING = N_("Saving the session")
LOADING = N_("Loading the session")
EXPORTING = N_("Exporting the metrics")
FAILED = {SAVING: N_("Saving the session failed"), LOADING: N_("Loading the session failed"),
          EXPORTING: N_("Exporting the metrics failed")}


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
        self.load_notes: dict[int, str] = {}  # load request -> what to add to its success message
        self.last_error = ""
        worker.commandFailed.connect(self._on_command_failed)
        worker.commandDone.connect(self._on_command_done)
        worker.budgetFinished.connect(self._on_budget_finished)

    # ---------------------------------------------------------- requests
    def save_session(self, path: str) -> None:
        self.pending[self.worker.save_session(path)] = SAVING

    def load_session(self, path: str) -> bool:
        """Ask the training process to load ``path``; a session trained on other classes than the
        window's data is refused here at once (the training process would refuse it too). Returns
        whether the request was sent."""
        try:
            name, names = checkpoint.read_session_data(path)
            checkpoint.refuse_other_classes(name, names, self.window.data, path)
        except checkpoint.CheckpointError as e:
            self.status(f"{tr(FAILED[LOADING])}: {e}")
            self.show_error(tr(FAILED[LOADING]), str(e))
            return False
        seq = self.worker.load_session(path)
        self.pending[seq] = LOADING
        note = checkpoint.session_data_note(name, self.window.data)
        if note:
            self.load_notes[seq] = note
        return True

    def export_metrics(self, path: str) -> None:
        self.pending[self.worker.export_metrics_csv(path)] = EXPORTING

    def export_panel(self, widget: QtWidgets.QWidget, path: str, scale: float = DEFAULT_SCALE) -> bool:
        """Write ``widget`` as PNG (``scale`` times its size) or SVG, by the file's ending. Returns
        whether it worked; a failure is shown to the user with the path and the reason."""
        try:
            if str(path).lower().endswith(".svg"):
                export_widget_svg(widget, path)
            else:
                export_widget_png(widget, path, scale)
        except (FileWriteError, OSError, ValueError) as e:
            self.show_error(tr("Export failed"), str(e))
            return False
        self.status(tr("Exported {path}").format(path=path))
        return True

    # ------------------------------------------------------- the dialogs
    def ask_save_session(self) -> None:
        self._ask_path(tr("Save session"), "npz", self.save_session, self._file_name("session", "npz"))

    def ask_load_session(self) -> None:
        self._ask_path(tr("Load session"), "npz", self.load_session, None)

    def ask_export_metrics(self) -> None:
        self._ask_path(tr("Export metrics"), "csv", self.export_metrics, self._file_name("metrics", "csv"))

    def ask_export_panel(self, title: str, ending: str) -> None:
        """Ask where to write the panel the export menu calls ``title``, as ``ending`` (png/svg),
        and for a PNG at what resolution."""
        attribute = EXPORTABLE_PANELS[title]
        widget = getattr(self.window, attribute) if attribute else self.window
        name = self._file_name(title if attribute else "window", ending)
        self._ask_path(tr("Export {kind}").format(kind=ending.upper()), ending,
                       lambda path: self._export_asking_scale(widget, path), name)

    def _export_asking_scale(self, widget: QtWidgets.QWidget, path: str) -> None:
        if path.lower().endswith(".svg"):
            self.export_panel(widget, path)
            return
        shown = {tr(key): scale for key, scale in PNG_SCALES.items()}  # the choices as the user reads them
        choice, ok = QtWidgets.QInputDialog.getItem(self.window, tr("Export PNG"), tr("Resolution:"), list(shown), 0,
                                                    False)
        if ok:
            self.export_panel(widget, path, shown[choice])

    def _file_name(self, title: str, ending: str) -> str:
        return export_file_name(title, self._step(), ending, getattr(self.window.data, "name", ""))

    def _step(self) -> int | None:
        """The moment the views show (a scrubbed one, or the live one), for file names."""
        shown = self.window.timeline.selected_snapshot() or self.window.latest
        return None if shown is None else shown.step

    # ------------------------------------------------------- other data
    def ask_open_dataset_file(self) -> None:
        """File > Open dataset > File…: a CSV, an npz, or any of the four files of an IDX folder."""
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, tr("Open dataset"), self._folder(),
                                                        f"{dataset_files_filter()};;{tr('All files (*)')}")
        if path:
            self.window.store.setValue("files/folder", os.path.dirname(path))
            open_dataset_path(self.window, path)

    def ask_open_dataset_folder(self) -> None:
        """File > Open dataset > IDX folder…: a folder holding the four IDX files."""
        path = QtWidgets.QFileDialog.getExistingDirectory(self.window, tr("Open a folder of IDX files"),
                                                          self._folder())
        if path:
            self.window.store.setValue("files/folder", path)
            open_dataset_path(self.window, path)

    def open_bundled(self, which: str = "mnist") -> bool:
        """File > Open dataset > MNIST / Fashion-MNIST: the bundled MNIST, or the installed Fashion-MNIST."""
        return open_dataset_path(self.window, None if which == "mnist" else "fashion-mnist")

    def _folder(self) -> str:
        return str(self.window.store.value("files/folder", "")) or QtCore.QDir.homePath()

    def _ask_path(self, title: str, ending: str, use: Callable[[str], object], name: str | None) -> None:
        """A save dialog prefilled with ``name`` in the folder used last, or (``name`` None) an open
        dialog there, with no name prefilled."""
        store = self.window.store
        folder = str(store.value("files/folder", "")) or QtCore.QDir.homePath()
        kinds = tr("{kind} files (*.{ending})").format(kind=ending.upper(), ending=ending) + f";;{tr('All files (*)')}"
        if name is None:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, title, folder, kinds)
        else:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, title, os.path.join(folder, name), kinds)
        if path:
            store.setValue("files/folder", os.path.dirname(path))
            use(path)

    # ------------------------------------------------------------ answers
    def _on_command_failed(self, event: CommandFailed) -> None:
        self.load_notes.pop(event.reply_to, None)
        operation = self.pending.pop(event.reply_to, None)
        if operation is None:  # a refused setting: the status line says so, training goes on
            self.status(tr("Not applied: {reason}").format(reason=event.reason))
        else:  # a file the user chose: say so where it cannot be missed
            failed = tr(FAILED.get(operation, operation))
            self.status(f"{failed}: {event.reason}")
            self.show_error(failed, event.reason)

    def _on_command_done(self, event: CommandDone) -> None:
        if self.pending.pop(event.reply_to, None) == LOADING and self.window.compare.comparison is not None:
            self.window.compare.end()  # run A is now the loaded run: run B is no longer its twin
            ended = tr("{message}; the comparison ended").format(message=event.message)
            event = dataclasses.replace(event, message=ended)
        note = self.load_notes.pop(event.reply_to, "")
        self.status(f"{event.message}; {note}" if note else event.message)

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


# ------------------------------------------------------------------------------ other data

def fashion_mnist_installed() -> bool:
    """Whether File > Open dataset > Fashion-MNIST can open anything (Debian's dataset-fashion-mnist)."""
    return fashion_mnist_dir() is not None


@contextlib.contextmanager
def busy_cursor() -> Iterator[None]:
    """The wait cursor while the window is busy (loading 60,000 images takes about a second)."""
    QtWidgets.QApplication.setOverrideCursor(QtGui.QCursor(QtCore.Qt.CursorShape.WaitCursor))
    try:
        yield
    finally:
        QtWidgets.QApplication.restoreOverrideCursor()


def open_dataset_path(window: MainWindow, path: str | None) -> bool:
    """Load ``path`` (``None``: the bundled MNIST; ``"fashion-mnist"``: the installed Fashion-MNIST)
    and, once the user agrees, train on it (``switch_dataset``). A file the loaders refuse is
    reported in a message box, and the running session goes on untouched. Returns whether the
    window switched."""
    try:
        with busy_cursor():
            dataset = load_fashion_mnist() if path == "fashion-mnist" else load_dataset(path)
    except (DataError, OSError, ValueError) as e:
        window.files.status(tr("Not opened: {reason}").format(reason=e))
        window.files.show_error(tr("Cannot open the dataset"), str(e))
        return False
    if not confirm_switch(window, dataset):
        return False
    return switch_dataset(window, dataset)


def confirm_switch(window: MainWindow, dataset: Dataset) -> bool:
    """Ask before a run that has trained ends (nothing is asked at step 0: nothing is lost)."""
    latest = window.latest
    if latest is None or latest.step == 0:
        return True
    answer = QtWidgets.QMessageBox.question(
        window, tr("Open dataset"),
        tr("Train on {dataset}? The current run ends (step {step}).\n\n"
           "To keep it, cancel and save the session first (File > Save session).").format(
            dataset=dataset.name, step=format_int(latest.step)),
        QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.Cancel,
        QtWidgets.QMessageBox.StandardButton.Cancel)
    return answer == QtWidgets.QMessageBox.StandardButton.Yes


def switch_dataset(window: MainWindow, dataset: Dataset) -> bool:
    """Move the window onto ``dataset``: a new training process on it with the controls' settings (a
    training subset or validation split too large for it is dropped, and the status bar says so),
    every view emptied for the new run, the panels that show images or class names given the new
    ones, the title naming it. Returns False (and changes nothing) if the worker refuses it."""
    window.controls.flush()
    dataset = publish_dataset(dataset)  # one copy for the window and its training processes
    settings, dropped = fitting_settings(window.controls.settings(), dataset)
    try:
        window.worker.set_dataset(dataset, settings)  # first: what the panels send next goes to the new process
    except ValueError as e:
        window.files.show_error(tr("Cannot train on this dataset"), str(e))
        return False
    comparing = window.compare.comparison is not None
    window.compare.end()  # run B trains on the old data: no longer a fair twin of run A
    window.data = dataset
    window.setWindowTitle(window_title(dataset))
    if dropped:
        window.controls.set_settings(settings)
    _clear_views(window)
    for panel in (window.probes, window.samples, window.activation_space, window.confusion, window.robustness,
                  window.compare.view, window.dataset_view):
        panel.set_dataset(dataset)  # the probes send their new images to the worker (probesChanged)
    window.templates.set_class_names(dataset.class_names)
    window.output_weights.set_class_names(dataset.class_names)
    window.temperature.set_class_names(dataset.class_names)
    window.unit_inspector.set_test_images(dataset.x_test, dataset.y_test)
    window.controls.set_dataset_size(len(dataset.x_train))
    window.worker.set_speed_limit(window.controls.speed_limit())
    if comparing:
        message = tr("Now training on {dataset}: a new run, from step 0{dropped}; the comparison ended "
                     "(run B trained on the old data)")
    else:
        message = tr("Now training on {dataset}: a new run, from step 0{dropped}")
    window.files.status(message.format(dataset=dataset.name, dropped=dropped))
    return True


def window_title(dataset: Dataset) -> str:
    return f"mnist-viz — {getattr(dataset, 'name', BUNDLED_NAME)}"


def fitting_settings(settings: Settings, dataset: Dataset) -> tuple[Settings, str]:
    """``settings`` with a training subset or validation split that the dataset is too small for
    dropped; and ``""`` or what the status bar says about it."""
    changes, said = {}, []
    if settings.val_size and settings.val_size >= dataset.n_train:
        changes["val_size"] = 0
        said.append(tr("the validation split of {size}").format(size=format_int(settings.val_size)))
    room = dataset.n_train - changes.get("val_size", settings.val_size)
    if settings.train_subset and settings.train_subset > room:
        changes["train_subset"] = 0
        said.append(tr("the training subset of {size}").format(size=format_int(settings.train_subset)))
    if not changes:
        return settings, ""
    what = said[0] if len(said) == 1 else tr("{first} and {second}").format(first=said[0], second=said[1])
    note = tr(" ({what} did not fit its {images} images: dropped)").format(what=what,
                                                                          images=format_int(dataset.n_train))
    return settings.replace(**changes), note


def _clear_views(window: MainWindow) -> None:
    """Every view forgets the run of the old data (the new process starts a new one)."""
    window.latest = None
    for panel in window.panels:
        panel.clear()
    window.timeline.clear()
    window.metrics.clear()
