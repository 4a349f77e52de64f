"""MainWindow: assembles the panels, renders snapshots, and wires the controls to the worker.

Data flow (one way each): controls → window → worker commands; worker snapshots → render timer →
every panel's ``show_snapshot``. The window keeps no training state of its own beyond what the
latest snapshot says, so what is painted is always what the trainer has. Menus are declared in
``menus``, what is remembered between launches in ``window_state``, files in ``file_actions``.
"""
from __future__ import annotations

import os
import traceback
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets
from superqt.utils import qthrottled

from mnist_viz.core import i18n
from mnist_viz.core.i18n import N_, tr
from mnist_viz.core.presets import PRESETS
from mnist_viz.core.snapshot import RESTART_FIELDS, Settings, Snapshot
from mnist_viz.core.tiling import LEVEL_RATE
from mnist_viz.gui import presentation, style
from mnist_viz.gui.class_labels import are_digits
from mnist_viz.gui.compare_actions import CompareActions
from mnist_viz.gui.file_actions import FileActions, switch_dataset, window_title
from mnist_viz.gui.layout import PanelTabs, controls_column, splitter
from mnist_viz.gui.menus import build_language_menu, build_menus, check_language, menu_table
from mnist_viz.gui.panels.activation_space import ActivationSpacePanel
from mnist_viz.gui.panels.backprop import BackpropStepPanel
from mnist_viz.gui.panels.banner import DivergenceBanner
from mnist_viz.gui.panels.base import Panel
from mnist_viz.gui.panels.coach import CoachPanel
from mnist_viz.gui.panels.confusion import ConfusionPanel
from mnist_viz.gui.panels.controls import ControlsPanel
from mnist_viz.gui.panels.curves import CurvesPanel
from mnist_viz.gui.panels.dataset_view import DatasetPanel
from mnist_viz.gui.panels.drawing import DrawingPanel
from mnist_viz.gui.panels.health import LayerHealthPanel
from mnist_viz.gui.panels.metrics import MetricCards
from mnist_viz.gui.panels.output_weights import OutputWeightsPanel
from mnist_viz.gui.panels.probes import ProbesPanel
from mnist_viz.gui.panels.robustness import RobustnessPanel
from mnist_viz.gui.panels.samples import SampleGridPanel
from mnist_viz.gui.panels.status import StatusLine
from mnist_viz.gui.panels.temperature import TemperaturePanel
from mnist_viz.gui.panels.templates import ClassTemplatesPanel
from mnist_viz.gui.panels.timeline import TimelinePanel
from mnist_viz.gui.panels.unit_inspector import UnitInspectorPanel
from mnist_viz.gui.panels.weight_surgery import WeightSurgeryPanel
from mnist_viz.gui.panels.weights import WeightsPanel
from mnist_viz.gui.predict_first import PredictFirstCard
from mnist_viz.gui.retranslate import retranslate
from mnist_viz.gui.toast import Toast
from mnist_viz.gui.whats_this import install as install_whats_this
from mnist_viz.gui.window_state import restore_window_state, save_window_state, stored_settings
from mnist_viz.gui.worker import TrainingWorker
from mnist_viz.runtime.shared_data import publish_dataset

if TYPE_CHECKING:
    import numpy as np

    from mnist_viz.core.data import Dataset

CLOSE_TIMEOUT_MS = 1000  # closing waits at most this long for the current batch to finish
CONTROLS_WIDTH = 330
METRICS_MIN_HEIGHT = 860  # window height from which the metric cards are shown
TIMELINE_BYTES = 100_000_000  # memory for the look-back record (see TimelinePanel)
READOUT_INTERVAL = 0.1  # s: the probes and output weights get at most 10 snapshots a second (see _build_panels)
LANGUAGE_KEY = "view/language"  # QSettings: the View > Language chosen last
COACH_MUTED_KEY = "coach/muted"  # QSettings: the coach's hints muted for a lecture
TABS = (("samples", N_("Training images"), N_("Examples of what the network trains on")),
        ("drawing", N_("Draw"), N_("Draw a digit and ask the live network what it sees")),
        ("unit_inspector", N_("Unit"), N_("One hidden unit up close: click a weight tile")),
        ("templates", N_("Templates"), N_("What the network looks for in each digit: W1 · W2[:, c]")),
        ("activation_space", N_("Space"),
         N_("Where the last layer puts 2,000 test digits (PCA): hover, click to pin")),
        ("confusion", N_("Errors"), N_("Confusion matrix on the test set: click a cell")),
        ("health", N_("Health"),
         N_("Each layer's weights, updates and activations over training; dead or saturated units")),
        ("coach", N_("Coach"), N_("Plain-language hints from the live numbers, each with a one-click fix")),
        ("robustness", N_("Robustness"),
         N_("Spoil the test images (noise, rotation, shift, stroke thickness, occlusion): the live "
            "network's accuracy")),
        ("weight_surgery", N_("Weights lab"),
         N_("Noise on the weights and pruning of the smallest ones: what it costs the live network; "
            "Restore undoes it")),
        ("dataset_view", N_("Data"),
         N_("The dataset itself: class means, images per class, pixel values, random examples")),
        ("temperature", N_("Softmax T"),
         N_("Softmax with a temperature: how T makes the network's answer for the selected probe sure or unsure")),
        ("backprop", N_("Backprop step"),
         N_("One training step taken apart: forward, loss, backward, update. Step walks the stages here")))


class MainWindow(QtWidgets.QMainWindow):
    """The whole app in one window: controls on the left; curves on top; weight mosaic and output
    weights in the middle; probes (and a tab with training samples) at the bottom.

    Args:
        data: the dataset to train on.
        settings: starting settings; ``None`` = the last ones stored in ``store`` (or defaults).
        store: where geometry and settings persist; ``None`` = the user's ``QSettings``. Tests pass
            ``QSettings(path, IniFormat)`` so they never touch the real one.
        blas_threads: for the worker (``None``: the rule, see ``worker.default_threads``).

    Signals:
        firstPainted(): the window was painted for the first time (launch timing).
        snapshotShown(object): a ``Snapshot`` was just painted on every panel (tests, recorders).
    """

    firstPainted = QtCore.Signal()
    snapshotShown = QtCore.Signal(object)

    def __init__(self, data: Dataset, settings: Settings | None = None, store: QtCore.QSettings | None = None,
                 blas_threads: int | None = None, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        # one copy of the images for the window and its training processes (see publish_dataset)
        self.data = data = publish_dataset(data)
        self.store = store if store is not None else QtCore.QSettings("mnist-viz", "mnist-viz")
        self.worker = self._make_worker(data, settings, blas_threads)
        self.files = FileActions(self, self.worker)
        self.latest: Snapshot | None = None
        self.frames = 0  # snapshots shown (benchmarks read it)
        self._run = 0
        self._process_lost = ""  # what the status line says while a dead training process is replaced
        self._lost_process = 0  # LoopState.process of the one that died
        self._painted = False
        self.setWindowTitle(window_title(data))
        self._build_panels(self.worker.settings)
        self.controls.set_dataset_size(len(data.x_train))  # the subset line and the pace count images
        self._build_layout()
        self.zoom = presentation.ZoomController(self)
        # the controls column has a fixed width: it grows with the text, or its labels would be cut
        self._zoom_factor = 1.0
        self.zoom.zoomed.connect(self._fit_controls_column)
        for name, action in build_menus(self, menu_table()).items():
            setattr(self, name, action)  # play_action, theme_action, controls_action
        self.language_actions = build_language_menu(self)
        self._connect()
        self.settings_given = settings is not None  # only a window left to its store paces a first launch
        restore_window_state(self, self.store)
        self._restore_language()
        presentation.restore_theme(self, self.store)  # View > Theme, as chosen last time
        # Rendering is driven by arrivals, not by polling: the worker signals each snapshot (at most
        # ~33/s, and never a second one before this one is taken), and a zero-time single-shot timer
        # renders it on the event loop's next turn, after any input waiting to be handled. Polling at
        # a fixed rate added up to one period of delay per frame and woke an idle app 60 times/s.
        self._render_timer = QtCore.QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(0)
        self._render_timer.timeout.connect(self._on_render_tick)
        self._rendering = False
        install_whats_this(self)  # Shift+F1 then a click: every control and panel explains itself

    # ------------------------------------------------------------------ setup
    def _make_worker(self, data: Dataset, settings: Settings | None, blas_threads: int | None) -> TrainingWorker:
        """The worker, trained with ``settings`` or else the stored ones; stored settings that do not
        fit (garbage, another version, a subset larger than this dataset) fall back to defaults."""
        if settings is not None:
            return TrainingWorker(data, settings, blas_threads=blas_threads, parent=self)
        try:
            return TrainingWorker(data, stored_settings(self.store), blas_threads=blas_threads, parent=self)
        except ValueError:
            return TrainingWorker(data, Settings(), blas_threads=blas_threads, parent=self)

    def _build_panels(self, settings: Settings) -> None:
        self.controls = ControlsPanel(settings, PRESETS)
        self.curves = CurvesPanel()
        self.weights = WeightsPanel()
        # Shown READOUT_INTERVAL apart (see _readouts): its colour scale steps as far per snapshot
        # as the mosaic's does in the same time at ~30 snapshots a second.
        self.output_weights = OutputWeightsPanel(level_rate=LEVEL_RATE * 30 * READOUT_INTERVAL)
        self.probes = ProbesPanel(self.data)
        self.samples = SampleGridPanel(self.data)
        self.drawing = DrawingPanel()
        self.unit_inspector = UnitInspectorPanel()
        # A deeper unit's top-activating images come from the first 2,000 test images.
        self.unit_inspector.set_test_images(self.data.x_test, self.data.y_test)
        self.templates = ClassTemplatesPanel()
        self.templates.set_class_names(self.data.class_names)
        self.output_weights.set_class_names(self.data.class_names)
        self.activation_space = ActivationSpacePanel(self.data)
        self.confusion = ConfusionPanel(self.data)
        self.robustness = RobustnessPanel(self.data)  # computes on its own thread, one curve a second
        # Fed every snapshot, shown or not (each snapshot's rows come once); not a moment panel.
        self.coach = CoachPanel()
        self.coach.set_muted(self.store.value(COACH_MUTED_KEY, False, type=bool))
        self._coach_said: set[str] = set()  # hints already announced in the status bar
        self.dataset_view = DatasetPanel(self.data)  # computes its statistics when first shown
        self.temperature = TemperaturePanel()
        self.temperature.set_class_names(self.data.class_names)
        self.weight_surgery = WeightSurgeryPanel()  # of the live run: it sees training go on past an alteration
        self.backprop = BackpropStepPanel()
        # Health over time is of the live run: fed every snapshot (a hidden tab too, or its history
        # would have gaps; recording costs ~0.02 ms), never a scrubbed-to moment.
        self.health = LayerHealthPanel()
        # 100 MB holds ~60 moments of a 512-unit network, ~240 of a 128-unit one; the record thins
        # evenly as the run grows, so memory stays flat however long the lecture.
        self.timeline = TimelinePanel(max_bytes=TIMELINE_BYTES)
        self.banner = DivergenceBanner()
        self.status_label = StatusLine()
        self.metrics = MetricCards()
        # Not one of self.panels: a new run's clear() would close the question it was asked for.
        self.predict_first = PredictFirstCard()
        self.metrics_wanted = True  # View > Show metric cards (shown only where the window is tall enough)
        # Panels that show one moment of the network: while the timeline is scrubbed back they show
        # that moment; the curves, the status line and the banner always show the live run.
        self.moment_panels: list[Panel] = [self.weights, self.output_weights, self.probes, self.samples, self.drawing,
                                           self.unit_inspector, self.templates, self.activation_space, self.confusion,
                                           self.robustness, self.dataset_view, self.temperature, self.backprop]
        self.panels: list[Panel] = [self.curves, self.health, self.weight_surgery, self.coach, *self.moment_panels]
        # Panels the room reads, or that change slowly, get a snapshot at most every READOUT_INTERVAL
        # (the newest, at once when the last came longer ago, and the one held back after the
        # interval, so a pause shows the last moment). The probes' percentages changed 33 times a
        # second, faster than anyone reads them, and cost ~5 ms of every frame; the output weights ~1.3.
        self._readouts = {id(panel): qthrottled(lambda snap, panel=panel: panel.show_snapshot(snap),
                                                timeout=round(READOUT_INTERVAL * 1000), parent=self)
                          for panel in (self.probes, self.output_weights)}

    def _build_tabs(self) -> PanelTabs:
        """The probes and the lecture tools, one tab each (the probe strip fits any height)."""
        tabs = PanelTabs()
        tabs.add_panel(self.probes, tr("Probe digits"), tr("A few test images and the network's answer for each, live"),
                       scroll=False)
        for attribute, title, tip in TABS:
            tabs.add_panel(getattr(self, attribute), tr(title), tr(tip))
        tabs.tabBar().setFont(style.font(style.SMALL_PT + 1))
        return tabs

    def _build_layout(self) -> None:
        self.controls_scroll = controls_column(self.controls, CONTROLS_WIDTH)
        self.tabs = self._build_tabs()
        # Two columns: how well it does (curves over probes) and what it has learned (input weights
        # over output weights). Stacking all five panels in one column leaves each plot too flat to
        # read at 1000 px; splitters let the lecturer re-balance, and their sizes are remembered.
        # Each area sits in a PanelFrame: a double-click enlarges it to the whole window (Esc or a
        # second double-click returns), for showing one view to the back of the room.
        frames = {name: presentation.PanelFrame(widget) for name, widget in
                  (("curves", self.curves), ("tabs", self.tabs), ("weights", self.weights),
                   ("output", self.output_weights))}
        self.drawing.setProperty("noEnlarge", True)
        vertical, horizontal = QtCore.Qt.Orientation.Vertical, QtCore.Qt.Orientation.Horizontal
        self.left_split = splitter(vertical, (frames["curves"], 48), (frames["tabs"], 52))
        self.right_split = splitter(vertical, (frames["weights"], 58), (frames["output"], 42))
        # Comparing two runs: run B's mosaic and probes take the output weights' place.
        self.compare = CompareActions(self)
        self.right_split.addWidget(self.compare.view)
        self.splitter = splitter(horizontal, (self.left_split, 50), (self.right_split, 50))
        self.focus = presentation.FocusStack(self.splitter)
        for frame in frames.values():
            self.focus.add_frame(frame)
        self.frames_by_name = frames
        right = QtWidgets.QWidget()
        right_layout = QtWidgets.QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        for widget, stretch in ((self.banner, 0), (self.metrics, 0), (self.focus, 1), (self.timeline, 0)):
            right_layout.addWidget(widget, stretch)
        # It floats (in the layout it raised the window's minimum height from 696 to 1006 px).
        self.predict_first.float_over(right, below=self.banner, above=self.timeline)
        central = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.controls_scroll)
        layout.addWidget(right, 1)
        self.setCentralWidget(central)
        self.toast = Toast(central)
        self.statusBar().addWidget(self.status_label, 1)
        # Messages (a preset's result, a refused setting, a saved file) appear over the bottom of the
        # panels for a while, as large as the status line, which stays in view (Toast).
        self.toast.follow(self.statusBar())
        self.resize(1600, 1000)

    def splitters(self) -> dict[str, QtWidgets.QSplitter]:
        """The splitters whose sizes are remembered, by their key in the store."""
        return {"columns": self.splitter, "left": self.left_split, "right": self.right_split}

    def _connect(self) -> None:
        c, w = self.controls, self.worker
        # While comparing, the controls act on both runs (CompareActions.runs).
        c.playToggled.connect(lambda on: self.compare.runs().set_playing(on))
        c.stepClicked.connect(self._on_step_clicked)
        c.resetClicked.connect(self._on_reset)
        c.liveChanged.connect(lambda changes: self.compare.runs().update_settings(**changes))
        c.restartRequested.connect(lambda settings: self.compare.runs().reset(settings))
        c.presetApplied.connect(w.set_budget)
        c.speedChanged.connect(lambda limit: self.compare.runs().set_speed_limit(limit))
        c.presetApplied.connect(self._on_preset_applied)
        self.predict_first.runRequested.connect(lambda: self.compare.runs().play())
        self.snapshotShown.connect(self.predict_first.show_snapshot)
        c.presetEnded.connect(lambda message: self.statusBar().showMessage(message, 10_000))
        c.notice.connect(lambda message: self.statusBar().showMessage(message, 10_000))
        self.probes.probesChanged.connect(w.set_probes)
        self.probes.probesChanged.connect(lambda _: self.compare.follow_probes())
        # Connected after set_probes, so commands_sent is that SetProbes' number: the probes panel then knows
        # which snapshots carry which probes (a past moment shows no data for probes added later).
        self.probes.probesChanged.connect(lambda _: self.probes.note_probes_sent(w.commands_sent))
        self.probes.selectedChanged.connect(self.unit_inspector.set_probe_index)
        self.probes.probesChanged.connect(self.unit_inspector.set_probe_images)  # its arithmetic needs the images
        self.weights.unitClicked.connect(self._on_unit_clicked)
        self.weights.deepUnitClicked.connect(self._on_deep_unit_clicked)
        self.unit_inspector.ablateRequested.connect(w.set_unit_enabled)
        self.drawing.pinRequested.connect(self._on_pin_drawing)
        self.confusion.pinIndexRequested.connect(self.pin_test_image)
        self.activation_space.pinIndexRequested.connect(self.pin_test_image)
        self.timeline.scrubbed.connect(self._refresh_moment)
        self.tabs.currentChanged.connect(lambda _: self._refresh_moment())
        self.focus.currentChanged.connect(lambda _: self._refresh_moment())
        # Training was running when it blew up: restoring goes on training.
        self.banner.restoreClicked.connect(lambda: w.restore_last_good(resume=True))
        self.banner.restoreLowerClicked.connect(lambda: w.restore_last_good(lr_factor=0.1, resume=True))
        self.backprop.explainRequested.connect(w.explain_step)
        self.backprop.stepRequested.connect(w.step_once)
        w.stepExplained.connect(self._on_step_explained)
        w.commandFailed.connect(self.backprop.show_refusal)  # it answers "explain step" refusals only
        self.coach.fixRequested.connect(self._apply_coach_fix)
        self.coach.mutedChanged.connect(lambda muted: self.store.setValue(COACH_MUTED_KEY, muted))
        self.probes.selectedChanged.connect(lambda _: self._follow_selected_probe())
        self.probes.probesChanged.connect(lambda _: self._follow_selected_probe())
        self._follow_selected_probe()
        self.weight_surgery.alterRequested.connect(lambda noise, prune: w.alter_weights(noise, prune))
        self.weight_surgery.restoreRequested.connect(w.restore_weights)
        w.weightsAltered.connect(self.weight_surgery.show_answer)
        w.weightsAltered.connect(lambda e: self.statusBar().showMessage(
            f"Weights lab: {e.split} accuracy {e.accuracy_before:.1%} → {e.accuracy_after:.1%}", 10_000))
        w.commandFailed.connect(self.weight_surgery.show_refusal)  # "alter/restore weights" refusals only
        w.snapshotReady.connect(self._on_snapshot_ready)
        w.playingChanged.connect(self.controls.set_playing)
        w.failed.connect(self._on_worker_failed)
        w.processLost.connect(self._on_process_lost)
        w.processRestarted.connect(self._on_process_restarted)
        self.probes.note_probes_sent(w.set_probes(self.probes.probe_images()))
        self.unit_inspector.set_probe_images(self.probes.probe_images())  # the first set comes with no signal

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
        self.compare.end()
        return self.worker.stop(timeout_ms)

    def save_state(self) -> None:
        save_window_state(self, self.store)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.save_state()
        self.shutdown()
        super().closeEvent(event)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        # The metric cards cost ~70 px of height: on a 720- or 768-px projector the curves need
        # them more (the status line says the same numbers); from ~860 px on there is room.
        self._show_metrics_if_room()

    def _show_metrics_if_room(self) -> None:
        self.metrics.setVisible(self.metrics_wanted and self.height() >= METRICS_MIN_HEIGHT
                                and not self.in_lecture_view())

    def in_lecture_view(self) -> bool:
        """Whether the lecture view (F5) is on: it hides the timeline and the metric cards."""
        lecture = getattr(self, "lecture", None)
        return lecture is not None and lecture.active

    def set_metrics_wanted(self, wanted: bool) -> None:
        """View > Show metric cards (they still show only where the window is tall enough)."""
        self.metrics_wanted = bool(wanted)
        self._show_metrics_if_room()

    def changeEvent(self, event: QtCore.QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.WindowStateChange and not self.isMinimized():
            self._refresh_moment()  # the moment panels are not updated while the window is minimized

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.firstPainted.emit()

    def _show_coach(self, snap: Snapshot) -> None:
        """Feed the coach; a hint new to this run is said once in the status bar (the tab may be hidden)."""
        try:
            self.coach.show_snapshot(snap)
        except Exception as e:  # a rule's bug must not stop the painting of the run: say so, go on
            traceback.print_exc()
            self.statusBar().showMessage(tr("The coach failed on this snapshot ({error})").format(
                error=f"{type(e).__name__}: {e}"), 10_000)
            return
        hints = [] if self.coach.is_muted() else self.coach.current_hints()
        for hint in hints:
            if hint.id not in self._coach_said:
                self.statusBar().showMessage(tr("Coach: {title} (the Coach tab has a one-click fix)").format(
                    title=hint.title), 15_000)
        self._coach_said = {h.id for h in hints} | (self._coach_said & {h.id for h in self.coach.current_hints()})

    def _apply_coach_fix(self, fix: dict, hint_id: str) -> None:
        """The coach's Apply: the same routes as the controls (a live change leaves its marker on the
        curves; a setting that needs fresh weights restarts; a stopped run is first restored, as the
        banner's button does)."""
        runs = self.compare.runs()
        if self.latest is not None and self.latest.diverged and hint_id == "lr_too_high":
            self.worker.restore_last_good(lr_factor=0.1, resume=True)  # as the banner's button
        elif set(fix) & set(RESTART_FIELDS) and self.latest is not None:
            runs.reset(self.latest.settings.replace(**fix))
        else:
            runs.update_settings(**fix)

    def _panels_with_texts(self) -> list[QtWidgets.QWidget]:
        """Every widget of the window that rewrites its own texts after a language switch (the
        controls, the panels, run B's mosaic and probes): found, not listed, so a new panel is not missed."""
        return [w for w in self.findChildren(QtWidgets.QWidget) if callable(getattr(w, "refresh_texts", None))]

    def _fit_controls_column(self, factor: float | None = None) -> None:
        """The controls column's width: the zoomed base width, wider (up to a third more) when the
        labels need it — German ones do ("Zurücksetzen" was cut at 330 px)."""
        if factor is not None:
            self._zoom_factor = factor
        base = round(CONTROLS_WIDTH * self._zoom_factor)
        needed = self.controls.minimumSizeHint().width() + self.controls_scroll.verticalScrollBar().sizeHint().width()
        width = min(max(base, needed), round(base * 4 / 3))
        screen = self.screen()
        if screen is not None and width > base:  # never so wide that the window no longer fits the screen:
            # at 1024x768 in German the wider column pushed the weights off the right edge (seen under Xvfb)
            others = self.minimumSizeHint().width() - self.controls_scroll.width()
            width = max(base, min(width, screen.availableGeometry().width() - others))
        self.controls_scroll.setFixedWidth(width)

    def _follow_selected_probe(self) -> None:
        """The Softmax T tab plays with the probe selected in the strip."""
        i = self.probes.selected
        self.temperature.set_probe(self.probes.probe_images()[i], int(self.probes.probe_labels()[i]))

    # --------------------------------------------------------------- language
    def _restore_language(self) -> None:
        """View > Language as chosen last time (English if that file is gone or unreadable)."""
        code = str(self.store.value(LANGUAGE_KEY, i18n.language()))
        if code != i18n.language() and code in i18n.available_languages():
            self.set_language(code, remember=False)
        else:  # a first launch in the shell's language needs its column fitted too (Spanish was cut)
            QtCore.QTimer.singleShot(0, self._fit_controls_column)

    def set_language(self, code: str, remember: bool = True) -> None:
        """Every text in language ``code`` at once, without rebuilding the window (View > Language);
        texts built from numbers are written again by their panels."""
        previous = i18n.language()
        try:
            i18n.set_language(code)
        except i18n.CatalogError as e:  # a broken .po: say which file, keep the language there was
            self.statusBar().showMessage(str(e), 10_000)
        retranslate(self, previous)
        for panel in self._panels_with_texts():
            panel.refresh_texts()  # texts built from numbers, kept between snapshots
        QtCore.QTimer.singleShot(0, self._fit_controls_column)  # once the new texts are laid out
        self.status_label.rewrite(self.latest)
        if self.latest is not None:
            self.metrics.rewrite(self.latest)
        check_language(self.language_actions, i18n.language())
        os.environ[i18n.LANGUAGE_ENV] = i18n.language()  # a restarted training process speaks it too
        self.compare.runs().set_language(i18n.language())  # the banner's and the replies' texts
        if remember:
            self.store.setValue(LANGUAGE_KEY, i18n.language())

    # --------------------------------------------------------------- rendering
    def _on_snapshot_ready(self) -> None:
        if self._rendering:
            self._render_timer.start()

    def _on_render_tick(self) -> None:
        snap = self.worker.take_snapshot()
        if snap is not None:
            self.show_snapshot(snap)
        self.compare.render_tick()

    def show_snapshot(self, snap: Snapshot) -> None:
        """Paint ``snap`` on every panel, the status line and the banner; sync the controls."""
        if snap.loop.run_id != self._run:
            self._run = snap.loop.run_id
            for held_back in self._readouts.values():
                held_back.cancel()  # the old run's moment must not land after the clear
            for panel in self.panels:
                panel.clear()
            self.timeline.clear()
            self.metrics.clear()
        self.curves.show_snapshot(snap)
        self.health.show_snapshot(snap)
        self.weight_surgery.show_snapshot(snap)  # Restore ends once training went on from altered weights
        self._show_coach(snap)
        self.timeline.offer(snap)
        if self.timeline.is_live:  # else the moment panels keep showing the scrubbed-to snapshot
            self._show_moment(snap)
        self.latest = snap
        self.frames += 1
        self.status_label.show_snapshot(snap)
        self.metrics.show_snapshot(snap)
        self.banner.show_snapshot(snap)
        # On a short screen the banner takes the look-back slider's room until training goes on.
        self.timeline.setVisible(not (self.banner.isVisible() and self.banner.compact) and not self.in_lecture_view())
        if self._process_lost and snap.loop.process > self._lost_process:
            self._process_lost = ""  # painted by the replacement: it is running
        if self._process_lost:  # painted from the dead process's last words; nothing trains now
            self.status_label.setText(self._process_lost)
        else:
            self._sync_controls(snap)
        self.snapshotShown.emit(snap)

    def flush_readouts(self) -> None:
        """Show now the snapshot the probes and output weights hold back (see ``_readouts``)."""
        for held_back in self._readouts.values():
            held_back.flush()

    def _sync_controls(self, snap: Snapshot) -> None:
        """Show the trainer's settings in the controls (they change on restore, presets, refusals),
        but only when the snapshot is newer than every command sent, so an in-flight change of the
        user's is never overwritten by the value it replaces."""
        self.controls.set_has_progress(snap.step > 0)
        if snap.loop.applied_seq != self.worker.commands_sent or self.controls.is_editing():
            return
        self.controls.set_playing(snap.loop.playing)
        if snap.settings != self.controls.settings():
            self.controls.set_settings(snap.settings)

    def _show_moment(self, snap: Snapshot) -> None:
        """Paint ``snap`` on the moment panels that are on screen. Hidden tabs and a minimized window
        are skipped (refreshed when shown), except that test-set predictions always reach the
        confusion matrix: they come only with some snapshots."""
        on_screen = not self.isMinimized()
        for panel in self.moment_panels:
            if (on_screen and panel.isVisible()) or (panel is self.confusion and snap.test_pred is not None):
                self._readouts.get(id(panel), panel.show_snapshot)(snap)
        if self.backprop.isVisible():  # its gradient tiles use the mosaic's current colour scale
            self.backprop.set_weight_level(self.weights.input_weights_level)

    def _refresh_moment(self, snap: Snapshot | None = None) -> None:
        shown = snap if snap is not None else (self.timeline.selected_snapshot() or self.latest)
        self.curves.set_cursor(None if self.timeline.is_live or shown is None else shown.step)
        if shown is not None:
            self._show_moment(shown)
        self.compare.show_moment(None if self.timeline.is_live or shown is None else shown.step)

    # ---------------------------------------------------------------- handlers
    def _on_reset(self) -> None:
        self.controls.flush()  # a reset keeps the settings the controls show, sent ones or not
        self.compare.runs().reset(self.controls.settings())

    def _on_preset_applied(self, preset) -> None:
        """A loaded teaching scenario asks its question first (training waits for Run it ▶); a loaded
        recipe hides the card. ``None`` (a recipe's budget ended) leaves it as it is."""
        if preset is not None:
            self.predict_first.ask(preset)

    def _on_step_clicked(self) -> None:
        """In the Backprop step tab, Step walks the step's stages (forward, loss, backward, update);
        elsewhere it trains one batch."""
        if self.current_tab_panel() is self.backprop and self.backprop.isVisible():
            self.backprop.advance()
        else:
            self.compare.runs().step_once()

    def _on_step_explained(self, explanation) -> None:
        self.backprop.set_weight_level(self.weights.input_weights_level)
        self.backprop.show_explanation(explanation)

    def _on_unit_clicked(self, unit: int) -> None:
        self.unit_inspector.set_unit(unit)
        self.show_tab(self.unit_inspector)

    def _on_deep_unit_clicked(self, layer: int, unit: int) -> None:
        self.unit_inspector.inspect(layer, unit)
        self.show_tab(self.unit_inspector)

    def _on_pin_drawing(self, image: np.ndarray) -> None:
        guess = self.drawing.answer()  # the usual case: the network read it right; one Enter confirms
        names = [f"{k} {name}" if name != str(k) else name for k, name in enumerate(self.data.class_names)]
        question = "Which digit did you draw?" if are_digits(self.data.class_names) else "What did you draw?"
        choice, ok = QtWidgets.QInputDialog.getItem(self, "Pin the drawing", question, names,
                                                    0 if guess is None else guess, False)
        if ok:
            self.pin_drawing(image, names.index(choice))

    def _on_process_lost(self, message: str) -> None:
        """The training process died; the worker is starting another from the latest weights. Until
        it is back nothing trains, and the controls and the status line say so (a snapshot still on
        its way from the dead process must not say otherwise)."""
        self._process_lost = message
        self._lost_process = self.latest.loop.process if self.latest is not None else 0
        self.controls.set_playing(False)
        self.status_label.setText(message)

    def _on_process_restarted(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)

    def _on_worker_failed(self, details: str) -> None:
        """Training ended by an error: say so without blocking the window (it can still be saved
        from, looked at, or closed)."""
        self.controls.set_playing(False)
        self.status_label.setText("⚠ Training stopped by an error — restart the app to train again")
        self.files.open_message_box(QtWidgets.QMessageBox.Icon.Critical, "Training stopped",
                                    "Training stopped because of an error.", details)

    # ------------------------------------------------------------ lecture tools
    def show_tab(self, panel: QtWidgets.QWidget) -> None:
        """Bring the tab holding ``panel`` (e.g. ``self.probes``) to the front."""
        self.tabs.show_panel(panel)

    def current_tab_panel(self) -> QtWidgets.QWidget:
        return self.tabs.current_panel()

    def pin_drawing(self, image: np.ndarray, label: int) -> None:
        """Add a ``(784,)`` drawing to the probe strip as digit ``label``."""
        self.probes.pin_image(image, label)
        self.show_tab(self.probes)

    def set_dataset(self, dataset: Dataset) -> bool:
        """Train on ``dataset`` from now on (File > Open dataset): a new training process and a new run;
        the panels, the title and the class names follow (``file_actions.switch_dataset``)."""
        return switch_dataset(self, dataset)

    def pin_test_image(self, index: int) -> None:
        """Add test image ``index`` (e.g. a mistake from the confusion matrix) to the probe strip."""
        self.probes.pin_index(index)
        self.show_tab(self.probes)

    def choose_scenario(self, name: str, confirm: bool | None = None) -> bool:
        """Load a preset from the Scenarios menu; its "what to watch" text appears under the presets."""
        return self.controls.choose_preset(name, confirm)

    def toggle_controls(self, visible: bool | None = None) -> None:
        """Show or hide the controls column (``None``: follow the View menu's check mark)."""
        visible = self.controls_action.isChecked() if visible is None else bool(visible)
        self.controls_action.setChecked(visible)
        self.controls_scroll.setVisible(visible)
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if not visible and screen is not None and self.width() > screen.width() and not self.isFullScreen():
            self.layout().activate()  # the narrower minimum must be known before the resize
            self.resize(screen.width(), self.height())  # the window was wider than a narrow screen
