"""MainWindow: assembles the panels, renders snapshots, and wires the controls to the worker.

Data flow (one way each): controls → window → worker commands; worker snapshots → render timer →
every panel's ``show_snapshot``. The window keeps no training state of its own beyond what the
latest snapshot says, so what is painted is always what the trainer has.
"""
from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.files import FileWriteError
from mnist_viz.core.presets import PRESETS
from mnist_viz.core.snapshot import Settings, Snapshot
from mnist_viz.runtime.protocol import BudgetFinished, CommandDone, CommandFailed
from mnist_viz.gui import presentation
from mnist_viz.gui.export import export_widget_png, export_widget_svg
from mnist_viz.gui.panels import style
from mnist_viz.gui.panels.confusion import ConfusionPanel
from mnist_viz.gui.panels.controls import ControlsPanel
from mnist_viz.gui.panels.curves import CurvesPanel
from mnist_viz.gui.panels.drawing import DrawingPanel
from mnist_viz.gui.panels.output_weights import OutputWeightsPanel
from mnist_viz.gui.panels.probes import ProbesPanel
from mnist_viz.gui.panels.samples import SampleGridPanel
from mnist_viz.gui.panels.templates import ClassTemplatesPanel
from mnist_viz.gui.panels.timeline import TimelinePanel
from mnist_viz.gui.panels.unit_inspector import UnitInspectorPanel
from mnist_viz.gui.panels.weights import WeightsPanel
from mnist_viz.gui.worker import DEFAULT_BLAS_THREADS, TrainingWorker

if TYPE_CHECKING:
    from mnist_viz.core.data import Dataset


CLOSE_TIMEOUT_MS = 1000  # closing waits at most this long for the current batch to finish
CONTROLS_WIDTH = 330


TIMELINE_BYTES = 100_000_000  # memory for the look-back record (see TimelinePanel)
MESSAGE_MS = 15_000  # how long a status-bar message stays (long enough to read out to the room)


def _format_duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def status_text(snap: Snapshot, playing: bool) -> str:
    """The status line: state, epoch, step (of a preset's budget), throughput, training time,
    learning rate, accuracy."""
    state = "⚠ Diverged" if snap.diverged else ("● Running" if playing else "❚❚ Paused")
    lr = snap.settings.lr if math.isnan(snap.effective_lr) else snap.effective_lr
    acc = "" if math.isnan(snap.last_eval_accuracy) else f"     {snap.eval_split} acc {snap.last_eval_accuracy:.1%}"
    preset = snap.loop.budget  # the recipe whose budget the run trains, or None
    of_epochs = f" of {preset.epochs:g}" if preset is not None and preset.epochs is not None else ""
    of_steps = f" of {preset.iterations:,}" if preset is not None and preset.iterations is not None else ""
    return (f"{state}     epoch {snap.epoch:.2f}{of_epochs}     step {snap.step:,}{of_steps}     "
            f"{snap.samples_per_second:,.0f} samples/s     {_format_duration(snap.elapsed)} trained     "
            f"lr {lr:.3g}{acc}")


class DivergenceBanner(QtWidgets.QFrame):
    """A plain-language notice that training stopped on NaN/inf, with the ways out.

    Signals:
        restoreClicked(): go back to the last good weights.
        restoreLowerClicked(): the same, with the learning rate divided by 10.
    """

    restoreClicked = QtCore.Signal()
    restoreLowerClicked = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("divergenceBanner")
        # Black on pale orange: readable on a washed-out projector, not a red/green cue.
        self.setStyleSheet("#divergenceBanner { background: #FCE3B0; border: 3px solid #E69F00; }"
                           "#divergenceBanner QLabel { color: black; }")
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setFont(style.font(style.LABEL_PT, bold=True))
        self.restore_button = QtWidgets.QPushButton("Restore last good weights")
        self.restore_button.setToolTip("Go back to the weights saved before the loss blew up, same learning rate")
        self.restore_lower_button = QtWidgets.QPushButton("Lower learning rate ×10 and restore")
        self.restore_lower_button.setToolTip("Divide the learning rate by 10, go back to the last good weights, "
                                             "and continue")
        for button in (self.restore_button, self.restore_lower_button):
            button.setFont(style.font(style.LABEL_PT))
            button.setMinimumHeight(40)
        self.restore_button.clicked.connect(self.restoreClicked)
        self.restore_lower_button.clicked.connect(self.restoreLowerClicked)
        buttons = QtWidgets.QVBoxLayout()
        buttons.addWidget(self.restore_lower_button)
        buttons.addWidget(self.restore_button)
        layout = QtWidgets.QHBoxLayout(self)
        layout.addWidget(self.message, 1)
        layout.addLayout(buttons)
        self.hide()

    def show_message(self, text: str) -> None:
        if text != self.message.text():
            self.message.setText(text)
        self.setVisible(bool(text))


class FitScrollArea(QtWidgets.QScrollArea):
    """Shows ``page`` at the size of the view, and scrolls only when the view is smaller than the
    page's minimum size. (QScrollArea's own resizing sizes a page with word-wrapped text to its
    preferred height, which made pages scroll that fit.)"""

    def __init__(self, page: QtWidgets.QWidget, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWidget(page)
        self.setWidgetResizable(False)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.viewport().installEventFilter(self)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if obj is self.viewport() and event.type() == QtCore.QEvent.Type.Resize:
            self._fit()
        return super().eventFilter(obj, event)

    def _fit(self) -> None:
        page, view = self.widget(), self.viewport().size()
        need = page.minimumSizeHint().expandedTo(page.minimumSize())
        page.resize(max(view.width(), need.width()), max(view.height(), need.height()))


class MainWindow(QtWidgets.QMainWindow):
    """The whole app in one window: controls on the left; curves on top; weight mosaic and output
    weights in the middle; probes (and a tab with training samples) at the bottom.

    Args:
        data: the dataset to train on.
        settings: starting settings; ``None`` = the last ones stored in ``store`` (or defaults).
        store: where geometry and settings persist; ``None`` = the user's ``QSettings``. Tests pass
            ``QSettings(path, IniFormat)`` so they never touch the real one.
        blas_threads: for the worker (see ``worker.DEFAULT_BLAS_THREADS``).

    Signals:
        firstPainted(): the window was painted for the first time (launch timing).
        snapshotShown(object): a ``Snapshot`` was just painted on every panel (tests, recorders).
    """

    firstPainted = QtCore.Signal()
    snapshotShown = QtCore.Signal(object)

    def __init__(self, data: Dataset, settings: Settings | None = None, store: QtCore.QSettings | None = None,
                 blas_threads: int | None = DEFAULT_BLAS_THREADS, parent=None):
        super().__init__(parent)
        self.data = data
        self.store = store if store is not None else QtCore.QSettings("mnist-viz", "mnist-viz")
        self.worker = self._make_worker(data, settings, blas_threads)
        self.latest: Snapshot | None = None
        self.frames = 0  # snapshots shown (benchmarks read it)
        self._run = 0
        self._painted = False
        self.setWindowTitle(f"mnist-viz — {getattr(data, 'name', 'dataset')}")
        self._build_panels(self.worker.settings)
        self._build_layout()
        self._build_actions()
        self._connect()
        self._restore_window_state()
        # Rendering is driven by arrivals, not by polling: the worker signals each snapshot (at most
        # ~33/s, and never a second one before this one is taken), and a zero-time single-shot timer
        # renders it on the event loop's next turn, after any input waiting to be handled. Polling at
        # a fixed rate added up to one period of delay per frame and woke an idle app 60 times/s.
        self._render_timer = QtCore.QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(0)
        self._render_timer.timeout.connect(self._on_render_tick)
        self._rendering = False
        # Saves, loads and exports the user asked for, by the sequence number of their command,
        # until their answer arrives: only that answer is reported as theirs.
        self._file_operations: dict[int, str] = {}
        self.last_error = ""

    # ------------------------------------------------------------------ setup
    def _make_worker(self, data, settings: Settings | None, blas_threads) -> TrainingWorker:
        """The worker, trained with ``settings`` or else the stored ones; stored settings that do not
        fit (garbage, another version, a subset larger than this dataset) fall back to defaults."""
        if settings is not None:
            return TrainingWorker(data, settings, blas_threads=blas_threads, parent=self)
        stored = self._stored_settings()
        try:
            return TrainingWorker(data, stored, blas_threads=blas_threads, parent=self)
        except ValueError:
            return TrainingWorker(data, Settings(), blas_threads=blas_threads, parent=self)

    def _stored_settings(self) -> Settings:
        try:
            return Settings.from_dict(json.loads(str(self.store.value("training/settings", "{}"))))
        except (ValueError, TypeError, AttributeError):
            return Settings()

    def _build_panels(self, settings: Settings) -> None:
        self.controls = ControlsPanel(settings, PRESETS)
        self.curves = CurvesPanel()
        self.weights = WeightsPanel()
        self.output_weights = OutputWeightsPanel()
        self.probes = ProbesPanel(self.data)
        self.samples = SampleGridPanel(self.data)
        self.drawing = DrawingPanel()
        self.unit_inspector = UnitInspectorPanel()
        self.templates = ClassTemplatesPanel()
        self.confusion = ConfusionPanel(self.data)
        # 100 MB holds ~60 moments of a 512-unit network, ~240 of a 128-unit one; the record thins
        # evenly as the run grows, so memory stays flat however long the lecture.
        self.timeline = TimelinePanel(max_bytes=TIMELINE_BYTES)
        self.banner = DivergenceBanner()
        # Panels that show one moment of the network: while the timeline is scrubbed back they show
        # that moment; the curves always show the whole live run.
        self.moment_panels = [self.weights, self.output_weights, self.probes, self.samples, self.drawing,
                              self.unit_inspector, self.templates, self.confusion]
        self.panels = [self.curves, *self.moment_panels]

    def _build_layout(self) -> None:
        scroll = QtWidgets.QScrollArea()  # the controls scroll rather than squeeze on a small screen
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(CONTROLS_WIDTH)
        self.controls_scroll = scroll
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.tabs = QtWidgets.QTabWidget()
        # Each page scrolls when the tab area is shorter than the page needs (a 1280x720 projector):
        # otherwise the tallest page (the drawing pad) sets the tab area's minimum height and the
        # learning curves above it are squeezed flat. The probe strip lays itself out to the room it
        # gets, so it is its own page. ``_tab_pages``: panel -> the page holding it.
        self._tab_pages: dict[QtWidgets.QWidget, QtWidgets.QWidget] = {self.probes: self.probes}
        self.tabs.addTab(self.probes, "Probe digits")
        for panel, title in ((self.samples, "Training images"), (self.drawing, "Draw"), (self.unit_inspector, "Unit"),
                             (self.templates, "Templates"), (self.confusion, "Errors")):
            page = FitScrollArea(panel)
            self._tab_pages[panel] = page
            self.tabs.addTab(page, title)
        tips = ("A few test images and the network's answer for each, live", "Examples of what the network trains on",
                "Draw a digit and ask the live network what it sees", "One hidden unit up close: click a weight tile",
                "What the network looks for in each digit: W1 · W2[:, c]", "Confusion matrix on the test set: click a cell")
        for i, tip in enumerate(tips):
            self.tabs.setTabToolTip(i, tip)
        self.tabs.tabBar().setFont(style.font(style.SMALL_PT + 1))
        # Two columns: how well it does (curves over probes) and what it has learned (input weights
        # over output weights). Stacking all five panels in one column leaves each plot too flat to
        # read at 1000 px; splitters let the lecturer re-balance, and their sizes are remembered.
        # Each area sits in a PanelFrame: a double-click enlarges it to the whole window (Esc or a
        # second double-click returns), for showing one view to the back of the room.
        frames = {name: presentation.PanelFrame(widget) for name, widget in
                  (("curves", self.curves), ("tabs", self.tabs), ("weights", self.weights),
                   ("output", self.output_weights))}
        self.drawing.setProperty("noEnlarge", True)
        self.left_split = self._splitter(QtCore.Qt.Orientation.Vertical, (frames["curves"], 48), (frames["tabs"], 52))
        self.right_split = self._splitter(QtCore.Qt.Orientation.Vertical, (frames["weights"], 58),
                                          (frames["output"], 42))
        self.splitter = self._splitter(QtCore.Qt.Orientation.Horizontal, (self.left_split, 50),
                                       (self.right_split, 50))
        self.focus = presentation.FocusStack(self.splitter)
        for frame in frames.values():
            self.focus.add_frame(frame)
        self.frames_by_name = frames
        right = QtWidgets.QWidget()
        right_layout = QtWidgets.QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(self.focus, 1)
        right_layout.addWidget(self.timeline)
        central = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll)
        layout.addWidget(right, 1)
        self.setCentralWidget(central)
        self.status_label = QtWidgets.QLabel("❚❚ Paused — press Start (Space)")
        self.status_label.setFont(style.font(style.LABEL_PT, bold=True))
        # The line is long; on a narrow screen its end is cut rather than the window pushed wider.
        self.status_label.setMinimumWidth(1)
        self.status_label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.status_label, 1)
        # Messages (a preset's result, a refused setting, a saved file) replace the status line for a
        # while: as large as it, or the back of the room cannot read them.
        self.statusBar().setFont(style.font(style.LABEL_PT, bold=True))
        self.resize(1600, 1000)

    @staticmethod
    def _splitter(orientation, *parts: tuple[QtWidgets.QWidget, int]) -> QtWidgets.QSplitter:
        """A splitter holding ``(widget, percent)`` parts sized by those percentages."""
        splitter = QtWidgets.QSplitter(orientation)
        splitter.setChildrenCollapsible(False)
        for widget, percent in parts:
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.count() - 1, percent)
        splitter.setSizes([percent * 10 for _, percent in parts])
        return splitter

    def _action(self, menu: QtWidgets.QMenu, text: str, shortcut: str | None, slot, tip: str = "") -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        if shortcut:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = self._build_file_menu(bar)
        training = bar.addMenu("&Training")
        self.play_action = self._action(training, "Start / Pause", "Space", self._on_play_shortcut,
                                        "Start or pause training")
        self._action(training, "Step one batch", "S", self.controls.step_button.click, "Pause and train one batch")
        self._action(training, "Reset", "R", self.controls.reset_button.click, "Fresh weights from the seed")
        self._action(training, "Restore last good weights", None, lambda: self.worker.restore_last_good(),
                     "Go back to the weights saved before the loss last blew up")
        training.addSeparator()
        self._action(training, "Double learning rate", "Up", lambda: self.controls.scale_lr(2.0), "lr × 2")
        self._action(training, "Halve learning rate", "Down", lambda: self.controls.scale_lr(0.5), "lr ÷ 2")
        training.addSeparator()
        self._action(training, "Quit", "Ctrl+Q", self.close, "Close the window")
        view = bar.addMenu("&View")
        self._action(view, "x axis: epochs", None, lambda: self.curves.set_x_axis("epochs"))
        self._action(view, "x axis: training images seen", None, lambda: self.curves.set_x_axis("samples"))
        self._action(view, "Show training images", None, lambda: self.show_tab(self.samples))
        self._action(view, "Show probe digits", None, lambda: self.show_tab(self.probes))
        view.addSeparator()
        self.zoom = presentation.ZoomController(self)
        # the controls column has a fixed width: it grows with the text, or its labels would be cut
        self.zoom.zoomed.connect(lambda f: self.controls_scroll.setFixedWidth(round(CONTROLS_WIDTH * f)))
        self._action(view, "Presentation mode (full screen)", "F11", self.toggle_fullscreen,
                     "Full screen for the projector; F11 again to leave")
        self._action(view, "Larger text and lines", "Ctrl++", self.zoom.zoom_in, "Everything 15% larger")
        self._action(view, "Smaller text and lines", "Ctrl+-", self.zoom.zoom_out, "Everything 15% smaller")
        self._action(view, "Normal size", "Ctrl+0", self.zoom.reset)
        self.theme_action = self._action(view, "High-contrast projector theme", None, self.toggle_theme,
                                         "Black on white, colour-blind-safe accents")
        self.theme_action.setCheckable(True)
        self._action(view, "Enlarge the mosaic (double-click any panel)", None,
                     lambda: self.focus.toggle(self.frames_by_name["weights"]))
        # On a narrow projector (1024 px) the panels need the controls' third of the width; every
        # control keeps its keyboard shortcut while the column is hidden.
        self.controls_action = self._action(view, "Show the controls column", "Ctrl+B", self.toggle_controls,
                                            "Hide the controls to give the panels the whole width")
        self.controls_action.setCheckable(True)
        self.controls_action.setChecked(True)
        scenarios = self._build_scenarios_menu(bar)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Keyboard shortcuts", "F1", self._on_help)
        # Shortcuts must work wherever the focus is inside the window (sliders, plots).
        menus = (file_menu, training, view, scenarios, help_menu)
        for action in self.actions() + [a for m in menus for a in m.actions()]:
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)

    def _build_file_menu(self, bar: QtWidgets.QMenuBar) -> QtWidgets.QMenu:
        menu = bar.addMenu("&File")
        self._action(menu, "Save session…", "Ctrl+S", lambda: self._ask_path("Save session", "npz", self.save_session, True),
                     "Weights, optimizer state, settings and the whole history, in one .npz")
        self._action(menu, "Load session…", "Ctrl+O", lambda: self._ask_path("Load session", "npz", self.load_session, False),
                     "Continue a saved session")
        menu.addSeparator()
        for fmt in ("png", "svg"):
            sub = menu.addMenu(f"Export panel as {fmt.upper()}")
            for title, widget in self.exportable_panels().items():
                self._action(sub, title, None, lambda _=False, w=widget, f=fmt: self._ask_path(
                    f"Export {f.upper()}", f, lambda path: self.export_panel(w, path), True))
        self._action(menu, "Export metrics as CSV…", None,
                     lambda: self._ask_path("Export metrics", "csv", self.export_metrics, True),
                     "Every step's loss and accuracy, every evaluation, every marker")
        return menu

    def _build_scenarios_menu(self, bar: QtWidgets.QMenuBar) -> QtWidgets.QMenu:
        menu = bar.addMenu("Sc&enarios")
        for kind in ("teaching", "classic", "fast"):
            for name, preset in PRESETS.items():
                if preset.kind == kind:
                    self._action(menu, preset.title, None, lambda _=False, n=name: self.choose_scenario(n),
                                 preset.what_to_watch)
            menu.addSeparator()
        return menu

    def _connect(self) -> None:
        c, w = self.controls, self.worker
        c.playToggled.connect(w.set_playing)
        c.stepClicked.connect(w.step_once)
        c.resetClicked.connect(self._on_reset)
        c.liveChanged.connect(self._on_live_changed)
        c.restartRequested.connect(self._on_restart_requested)
        c.presetApplied.connect(w.set_budget)
        c.speedChanged.connect(w.set_speed_limit)
        self.probes.probesChanged.connect(w.set_probes)
        self.probes.selectedChanged.connect(self.unit_inspector.set_probe_index)
        self.weights.unitClicked.connect(self._on_unit_clicked)
        self.unit_inspector.ablateRequested.connect(w.set_unit_enabled)
        self.drawing.pinRequested.connect(self._on_pin_drawing)
        self.confusion.pinIndexRequested.connect(self.pin_test_image)
        self.timeline.scrubbed.connect(self._on_scrubbed)
        self.tabs.currentChanged.connect(lambda _: self._refresh_moment())
        self.focus.currentChanged.connect(lambda _: self._refresh_moment())
        w.commandDone.connect(self._on_command_done)
        w.budgetFinished.connect(self._on_budget_finished)
        self.banner.restoreClicked.connect(self._on_restore_clicked)
        self.banner.restoreLowerClicked.connect(self._on_restore_lower_clicked)
        w.snapshotReady.connect(self._on_snapshot_ready)
        w.playingChanged.connect(self._on_playing_changed)
        w.commandFailed.connect(self._on_command_failed)
        w.failed.connect(self._on_worker_failed)
        w.set_probes(self.probes.probe_images())

    # -------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start training (paused) and rendering."""
        self.worker.set_speed_limit(self.controls.speed_limit())
        self._rendering = True
        if not self.worker.isRunning():
            self.worker.start()

    def shutdown(self, timeout_ms: int = CLOSE_TIMEOUT_MS) -> bool:
        """Stop rendering and training. True when training has ended."""
        self._rendering = False
        self._render_timer.stop()
        return self.worker.stop(timeout_ms)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.save_state()
        self.shutdown()
        super().closeEvent(event)

    def changeEvent(self, event: QtCore.QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.WindowStateChange and not self.isMinimized():
            self._refresh_moment()  # the moment panels are not updated while the window is minimized

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.firstPainted.emit()

    # ----------------------------------------------------------- persistence
    def save_state(self) -> None:
        """Remember geometry, splitter sizes, the settings, the speed limit and the x axis."""
        self.store.setValue("window/geometry", self.saveGeometry())
        for key, splitter in self._splitters().items():
            self.store.setValue(f"window/{key}", splitter.saveState())
        self.store.setValue("training/settings", json.dumps(self.controls.settings().to_dict()))
        self.store.setValue("training/speed_limit", self.controls.speed_limit())
        self.store.setValue("curves/x_axis", self.curves.x_axis)
        self.store.setValue("window/controls_visible", self.controls_action.isChecked())
        self.store.sync()

    def _restore_window_state(self) -> None:
        """Apply stored geometry and view choices; anything unreadable is ignored (defaults stay)."""
        geometry = self.store.value("window/geometry")
        if isinstance(geometry, QtCore.QByteArray):
            self.restoreGeometry(geometry)
        for key, splitter in self._splitters().items():
            state = self.store.value(f"window/{key}")
            if isinstance(state, QtCore.QByteArray):
                splitter.restoreState(state)
        try:
            self.controls.set_speed_limit(float(self.store.value("training/speed_limit", 0.0)))
        except (TypeError, ValueError):
            pass
        x_axis = self.store.value("curves/x_axis", "epochs")
        if x_axis in ("epochs", "samples"):
            self.curves.set_x_axis(x_axis)
        self.toggle_controls(str(self.store.value("window/controls_visible", "true")).lower() != "false")

    def _splitters(self) -> dict[str, QtWidgets.QSplitter]:
        return {"columns": self.splitter, "left": self.left_split, "right": self.right_split}

    # --------------------------------------------------------------- rendering
    def _on_snapshot_ready(self) -> None:
        if self._rendering:
            self._render_timer.start()

    def _on_render_tick(self) -> None:
        snap = self.worker.take_snapshot()
        if snap is not None:
            self.show_snapshot(snap)

    def show_snapshot(self, snap: Snapshot) -> None:
        """Paint ``snap`` on every panel, the status line and the banner; sync the controls."""
        run = snap.loop.run_id
        if run != self._run:
            self._run = run
            for panel in self.panels:
                panel.clear()
            self.timeline.clear()
        self.curves.show_snapshot(snap)
        self.timeline.offer(snap)
        if self.timeline.is_live:  # else the moment panels keep showing the scrubbed-to snapshot
            self._show_moment(snap)
        self.latest = snap
        self.frames += 1
        playing = snap.loop.playing
        self.status_label.setText(status_text(snap, playing))
        self.banner.show_message(snap.diverged)
        self._sync_controls(snap, playing)
        self.snapshotShown.emit(snap)

    def _sync_controls(self, snap: Snapshot, playing: bool) -> None:
        """Show the trainer's settings in the controls (they change on restore, presets, refusals),
        but only when the snapshot is newer than every command sent, so an in-flight change of the
        user's is never overwritten by the value it replaces."""
        self.controls.set_has_progress(snap.step > 0)
        if snap.loop.applied_seq != self.worker.commands_sent or self.controls.is_editing():
            return
        self.controls.set_playing(playing)
        if snap.settings != self.controls.settings():
            self.controls.set_settings(snap.settings)

    # ---------------------------------------------------------------- handlers
    def _on_play_shortcut(self) -> None:
        self.controls.start_button.click()

    def _on_live_changed(self, changes: dict) -> None:
        self.worker.update_settings(**changes)

    def _on_restart_requested(self, settings: Settings) -> None:
        self.worker.reset(settings)

    def _on_reset(self) -> None:
        self.controls.flush()  # a reset keeps the settings the controls show, sent ones or not
        self.worker.reset(self.controls.settings())

    def _on_restore_clicked(self) -> None:
        self.worker.restore_last_good(resume=True)  # training was running when it blew up: go on

    def _on_restore_lower_clicked(self) -> None:
        self.worker.restore_last_good(lr_factor=0.1, resume=True)

    def _on_playing_changed(self, playing: bool) -> None:
        self.controls.set_playing(playing)

    def _on_command_failed(self, event: CommandFailed) -> None:
        operation = self._file_operations.pop(event.reply_to, None)
        if operation is None:  # a refused setting: the status line says so, training goes on
            self.statusBar().showMessage(f"Not applied: {event.reason}", MESSAGE_MS)
        else:  # a file the user chose: say so where it cannot be missed
            self.statusBar().showMessage(f"{operation} failed: {event.reason}", MESSAGE_MS)
            self.show_error(f"{operation} failed", event.reason)

    def _on_command_done(self, event: CommandDone) -> None:
        self._file_operations.pop(event.reply_to, None)
        self.statusBar().showMessage(event.message, MESSAGE_MS)

    def _on_budget_finished(self, event: BudgetFinished) -> None:
        self.statusBar().showMessage(event.message, MESSAGE_MS)

    def _on_unit_clicked(self, unit: int) -> None:
        self.unit_inspector.set_unit(unit)
        self.show_tab(self.unit_inspector)

    def _on_pin_drawing(self, image) -> None:
        label, ok = QtWidgets.QInputDialog.getInt(self, "Pin the drawing", "Which digit did you draw?", 0, 0, 9)
        if ok:
            self.pin_drawing(image, label)

    def _on_scrubbed(self, snap: Snapshot | None) -> None:
        self._refresh_moment(snap)

    def _show_moment(self, snap: Snapshot, everything: bool = False) -> None:
        """Paint ``snap`` on the moment panels that are on screen. Hidden tabs and a minimized window
        are skipped (refreshed when shown), except that test-set predictions always reach the confusion matrix:
        they come only with some snapshots."""
        on_screen = not self.isMinimized()
        for panel in self.moment_panels:
            if everything or (on_screen and panel.isVisible()) or (panel is self.confusion and snap.test_pred is not None):
                panel.show_snapshot(snap)

    def _refresh_moment(self, snap: Snapshot | None = None) -> None:
        shown = snap if snap is not None else (self.timeline.selected_snapshot() or self.latest)
        if shown is not None:
            self._show_moment(shown)

    # ------------------------------------------------------------ lecture tools
    def show_tab(self, panel: QtWidgets.QWidget) -> None:
        """Bring the tab holding ``panel`` (e.g. ``self.probes``) to the front."""
        self.tabs.setCurrentWidget(self._tab_pages[panel])

    def current_tab_panel(self) -> QtWidgets.QWidget:
        """The panel on the tab now in front."""
        page = self.tabs.currentWidget()
        return next(panel for panel, holder in self._tab_pages.items() if holder is page)

    def pin_drawing(self, image, label: int) -> None:
        """Add a drawing to the probe strip as digit ``label``."""
        self.probes.pin_image(image, label)
        self.show_tab(self.probes)

    def pin_test_image(self, index: int) -> None:
        """Add test image ``index`` (e.g. a mistake from the confusion matrix) to the probe strip."""
        self.probes.pin_index(index)
        self.show_tab(self.probes)

    def choose_scenario(self, name: str, confirm: bool | None = None) -> bool:
        """Load a preset from the Scenarios menu; its "what to watch" text appears under the presets."""
        return self.controls.choose_preset(name, confirm)

    def toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def toggle_controls(self, visible: bool | None = None) -> None:
        """Show or hide the controls column (``None``: follow the View menu's check mark)."""
        visible = self.controls_action.isChecked() if visible is None else bool(visible)
        self.controls_action.setChecked(visible)
        self.controls_scroll.setVisible(visible)
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if not visible and screen is not None and self.width() > screen.width() and not self.isFullScreen():
            self.layout().activate()  # the narrower minimum must be known before the resize
            self.resize(screen.width(), self.height())  # the window was wider than a narrow screen

    def toggle_theme(self, on: bool | None = None) -> None:
        app = QtWidgets.QApplication.instance()
        on = self.theme_action.isChecked() if on is None else on
        self.theme_action.setChecked(on)
        if on:
            presentation.apply_theme(app, self)
        else:
            app.setPalette(app.style().standardPalette())

    def exportable_panels(self) -> dict[str, QtWidgets.QWidget]:
        return {"Learning curves": self.curves, "Hidden-unit weights": self.weights,
                "Output weights": self.output_weights, "Probe digits": self.probes, "Drawing": self.drawing,
                "Unit": self.unit_inspector, "Class templates": self.templates, "Confusion matrix": self.confusion,
                "Whole window": self}

    def export_panel(self, widget: QtWidgets.QWidget, path: str) -> bool:
        """Write ``widget`` as PNG or SVG (by the file's ending). Returns whether it worked; a failure
        is shown to the user with the path and the reason."""
        try:
            (export_widget_svg if str(path).lower().endswith(".svg") else export_widget_png)(widget, path)
        except (FileWriteError, OSError, ValueError) as e:
            self.show_error("Export failed", str(e))
            return False
        self.statusBar().showMessage(f"Exported {path}", MESSAGE_MS)
        return True

    def save_session(self, path: str) -> None:
        self._file_operations[self.worker.save_session(path)] = "Saving the session"

    def load_session(self, path: str) -> None:
        self._file_operations[self.worker.load_session(path)] = "Loading the session"

    def export_metrics(self, path: str) -> None:
        self._file_operations[self.worker.export_metrics_csv(path)] = "Exporting the metrics"

    def show_error(self, title: str, message: str) -> None:
        """A message box that does not block the event loop (training and painting go on)."""
        self._open_message_box(QtWidgets.QMessageBox.Icon.Warning, title, message)
        self.last_error = message

    def _open_message_box(self, icon, title: str, message: str, details: str = "") -> None:
        """Show a message box without blocking the event loop; it deletes itself when closed."""
        box = QtWidgets.QMessageBox(icon, title, message, parent=self)
        if details:
            box.setDetailedText(details)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _ask_path(self, title: str, ending: str, use, saving: bool) -> None:
        dialog = QtWidgets.QFileDialog.getSaveFileName if saving else QtWidgets.QFileDialog.getOpenFileName
        path, _ = dialog(self, title, f"mnist-viz.{ending}", f"{ending.upper()} files (*.{ending});;All files (*)")
        if path:
            use(path)

    def _on_worker_failed(self, details: str) -> None:
        """Training ended by an error: say so without blocking the window (it can still be saved
        from, looked at, or closed)."""
        self.controls.set_playing(False)
        self.status_label.setText("⚠ Training stopped by an error — restart the app to train again")
        self._open_message_box(QtWidgets.QMessageBox.Icon.Critical, "Training stopped",
                               "Training stopped because of an error.", details)

    def shortcut_lines(self) -> list[str]:
        """``"Space   Start / Pause"``, ... for every menu action that has a shortcut, in menu order."""
        lines = []
        for menu in self.menuBar().findChildren(QtWidgets.QMenu):
            for action in menu.actions():
                key = action.shortcut().toString(QtGui.QKeySequence.SequenceFormat.NativeText)
                if key:
                    lines.append(f"{key}   {action.text().replace('&', '')}")
        return lines

    def _on_help(self) -> None:
        QtWidgets.QMessageBox.information(self, "Keyboard shortcuts", "\n".join(self.shortcut_lines()))
