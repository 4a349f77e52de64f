"""MainWindow end to end: controls → worker → trainer → snapshots → panels, as a user drives it."""
import json
import os
import signal
import time

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.snapshot import Settings
from mnist_viz.gui.menus import shortcut_lines
from mnist_viz.gui.panels.controls import hidden_to_slider, lr_to_slider
from mnist_viz.gui.window import MainWindow

TIMEOUT_MS = 10_000  # waits for progress, never for speed
SETTINGS = Settings(hidden=(32,), batch_size=64)


class Recorder:
    """Every snapshot the window painted (through its ``snapshotShown`` signal)."""

    def __init__(self, window):
        self.window = window
        self.snaps = []
        window.snapshotShown.connect(self.snaps.append)

    def markers(self):
        return [m.label for s in self.snaps for m in s.new_markers]


def make_window(qtbot, data, store, settings=SETTINGS):
    window = MainWindow(data, settings, store=store)
    qtbot.addWidget(window)
    window.controls.ask_restart = lambda question: True  # answer "yes" unless a test says otherwise
    window.show()
    window.start()
    return window


@pytest.fixture
def window(qtbot, small_mnist, store):
    w = make_window(qtbot, small_mnist, store)
    yield w
    w.shutdown()


@pytest.fixture
def rec(window):
    return Recorder(window)


def wait_for(qtbot, window, predicate, timeout=TIMEOUT_MS):
    """Wait until the painted snapshot is newer than every command sent and satisfies ``predicate``."""
    def check():
        snap = window.latest
        assert snap is not None and snap.loop.applied_seq == window.worker.commands_sent and predicate(snap), (
            None if snap is None else f"painted: step {snap.step}, playing {snap.loop.playing}, lr {snap.settings.lr}, "
            f"run {snap.loop.run_id}, commands applied {snap.loop.applied_seq} of {window.worker.commands_sent}")
    qtbot.waitUntil(check, timeout=timeout)
    return window.latest


def press(qtbot, window, key):
    qtbot.keyClick(window, key)


# ------------------------------------------------------------------ start / pause / step / reset
def test_start_pause_step_reset_with_buttons(qtbot, window):
    c = window.controls
    first = wait_for(qtbot, window, lambda s: True)
    assert first.step == 0 and c.start_button.text().endswith("Start")
    qtbot.mouseClick(c.start_button, QtCore.Qt.MouseButton.LeftButton)
    wait_for(qtbot, window, lambda s: s.step > 20 and s.loop.playing)
    assert c.start_button.text().endswith("Pause") and "Running" in window.status_label.text()
    qtbot.mouseClick(c.start_button, QtCore.Qt.MouseButton.LeftButton)
    paused = wait_for(qtbot, window, lambda s: not s.loop.playing)
    assert "Paused" in window.status_label.text()
    qtbot.mouseClick(c.step_button, QtCore.Qt.MouseButton.LeftButton)
    wait_for(qtbot, window, lambda s: s.step == paused.step + 1)
    qtbot.mouseClick(c.reset_button, QtCore.Qt.MouseButton.LeftButton)
    reset = wait_for(qtbot, window, lambda s: s.loop.run_id == 1)
    assert reset.step == 0
    assert f"step {reset.step}" in window.status_label.text()


def test_keyboard_shortcuts(qtbot, window):
    wait_for(qtbot, window, lambda s: True)
    press(qtbot, window, QtCore.Qt.Key.Key_Space)
    wait_for(qtbot, window, lambda s: s.loop.playing and s.step > 5)
    press(qtbot, window, QtCore.Qt.Key.Key_Space)
    paused = wait_for(qtbot, window, lambda s: not s.loop.playing)
    press(qtbot, window, QtCore.Qt.Key.Key_S)
    wait_for(qtbot, window, lambda s: s.step == paused.step + 1)
    press(qtbot, window, QtCore.Qt.Key.Key_Up)
    window.controls.flush()
    wait_for(qtbot, window, lambda s: s.settings.lr == pytest.approx(0.002))
    press(qtbot, window, QtCore.Qt.Key.Key_Down)
    press(qtbot, window, QtCore.Qt.Key.Key_Down)
    window.controls.flush()
    wait_for(qtbot, window, lambda s: s.settings.lr == pytest.approx(0.0005))
    press(qtbot, window, QtCore.Qt.Key.Key_R)
    wait_for(qtbot, window, lambda s: s.loop.run_id == 1 and s.step == 0)


def test_status_line_shows_epoch_step_speed_time_and_lr(qtbot, window):
    window.controls.start_button.click()
    wait_for(qtbot, window, lambda s: s.step > 50 and s.samples_per_second > 0)
    text = window.status_label.text()
    for word in ("epoch", "step", "samples/s", "trained", "lr 0.001"):
        assert word in text
    window.controls.start_button.click()
    wait_for(qtbot, window, lambda s: not s.loop.playing)
    assert "Paused" in window.status_label.text() and "samples/s" not in window.status_label.text()


def test_a_first_launch_on_a_small_screen_opens_maximized_within_it(qtbot, small_mnist, store, monkeypatch):
    room = QtCore.QRect(0, 0, 1280, 720)
    monkeypatch.setattr(QtGui.QScreen, "availableGeometry", lambda self: room)
    window = MainWindow(small_mnist, SETTINGS, store=store)  # no stored geometry: a first launch
    qtbot.addWidget(window)
    assert window.isMaximized() or window.windowState() & QtCore.Qt.WindowState.WindowMaximized
    assert window.width() <= 1280 and window.height() <= 720
    room.setSize(QtCore.QSize(1920, 1080))
    roomy = MainWindow(small_mnist, SETTINGS, store=store)
    qtbot.addWidget(roomy)
    assert roomy.windowState() & QtCore.Qt.WindowState.WindowMaximized  # a first launch: the whole projector
    roomy.setWindowState(QtCore.Qt.WindowState.WindowNoState)
    roomy.setGeometry(100, 100, 1300, 800)
    roomy.save_state()
    again = MainWindow(small_mnist, SETTINGS, store=store)  # the next launch: where it was left
    qtbot.addWidget(again)
    assert not again.windowState() & QtCore.Qt.WindowState.WindowMaximized


# --------------------------------------------------------------------- live settings and markers
def test_lr_slider_reaches_trainer_and_leaves_a_marker_on_the_curves(qtbot, window, rec):
    # 0.01, not 0.1: Adam at 0.1 can collapse this small network to chance, a second (true) marker
    window.controls.start_button.click()
    wait_for(qtbot, window, lambda s: s.step > 10)
    markers_before = window.curves.marker_count()
    window.controls.lr_slider.setValue(lr_to_slider(0.01))
    window.controls.flush()
    wait_for(qtbot, window, lambda s: s.settings.lr == 0.01)
    assert "lr 0.001 → 0.01" in rec.markers()
    assert window.curves.marker_count() == markers_before + 1, (rec.markers(), window.curves.marker_labels())
    assert window.controls.lr_box.text() == "0.01"


def test_typed_lr_moves_the_slider_and_is_applied(qtbot, window):
    window.controls.lr_box.setValue(0.25)
    window.controls.flush()
    wait_for(qtbot, window, lambda s: s.settings.lr == 0.25)
    assert window.controls.lr_slider.value() == lr_to_slider(0.25)


def test_a_burst_of_1000_slider_moves_is_one_change_with_the_last_value(qtbot, window, rec):
    window.controls.start_button.click()
    wait_for(qtbot, window, lambda s: s.step > 10)
    positions = np.random.default_rng(0).integers(0, 1000, size=1000)
    positions[-1] = lr_to_slider(0.02)
    t0 = time.perf_counter()
    for pos in positions:
        window.controls.lr_slider.setValue(int(pos))
    burst_seconds = time.perf_counter() - t0
    # The window stays live during and after the burst: the render timer keeps painting.
    frames = window.frames
    qtbot.waitUntil(lambda: window.frames > frames + 3, timeout=TIMEOUT_MS)
    wait_for(qtbot, window, lambda s: s.settings.lr == 0.02 and not window.controls.is_editing())
    lr_markers = [m for m in rec.markers() if m.startswith("lr ")]
    assert lr_markers == ["lr 0.001 → 0.02"]  # coalesced: one change, the last value
    assert burst_seconds < 2.0  # generous: it is ~50 ms here; a per-move round trip would take seconds


def test_hidden_size_changes_while_training_keep_every_panel_consistent(qtbot, window):
    c = window.controls
    c.start_button.click()
    wait_for(qtbot, window, lambda s: s.step > 10)
    for n in (1, 512, 7, 64):
        c.hidden_slider.setValue(hidden_to_slider(n))
        assert c.hidden_box.value() == n
        c.flush()
        snap = wait_for(qtbot, window, lambda s, n=n: s.W1.shape[1] == n and s.probe_hidden.shape[1] == n)
        assert snap.settings.hidden == (n,)
        window.flush_readouts()  # the output weights get at most 10 snapshots a second
        assert window.output_weights.image().shape == (10, n)
        assert window.weights._n_units == n
        assert window.worker.isRunning() and snap.loop.playing
    assert c.settings().hidden == (64,)


def test_probes_and_mosaic_update_while_training(qtbot, window):
    first = wait_for(qtbot, window, lambda s: True)
    mosaic0 = np.array(window.weights.image(), copy=True)
    heights0 = np.array(window.probes.displayed_heights(), copy=True)
    window.controls.start_button.click()
    wait_for(qtbot, window, lambda s: s.step > 100)
    assert first.step == 0
    assert not np.array_equal(window.weights.image(), mosaic0)
    # The probes are a readout, paced to READOUT_INTERVAL: on a fast machine step 100 comes within one
    # interval of the first snapshot, and the newest lands when the interval is over.
    qtbot.waitUntil(lambda: not np.allclose(window.probes.displayed_heights(), heights0), timeout=2000)


def test_the_probes_readout_gets_at_most_one_snapshot_per_interval_and_the_last_one_lands(qtbot, window):
    from dataclasses import replace

    from mnist_viz.gui.window import READOUT_INTERVAL

    first = wait_for(qtbot, window, lambda s: s.probe_probs.shape[0] > 0)
    answers = [replace(first, probe_probs=np.roll(np.eye(10)[np.arange(first.probe_probs.shape[0]) % 10], k, axis=1))
               for k in (1, 2, 3)]
    qtbot.wait(round(2 * READOUT_INTERVAL * 1000))  # the last readout was longer ago than the interval
    shown = window.probes.displayed_heights
    window.show_snapshot(answers[0])
    assert np.array_equal(shown(), answers[0].probe_probs)  # at once: none came within the interval
    t0 = time.perf_counter()
    window.show_snapshot(answers[1])
    window.show_snapshot(answers[2])
    assert np.array_equal(shown(), answers[0].probe_probs)  # held back, the mosaic and curves were not
    qtbot.waitUntil(lambda: np.array_equal(shown(), answers[2].probe_probs), timeout=2000)
    assert time.perf_counter() - t0 >= 0.8 * READOUT_INTERVAL  # the newest, once the interval was over


# ----------------------------------------------------------------------------- restarts
def test_restart_field_asks_and_reverts_when_refused(qtbot, window):
    c = window.controls
    c.start_button.click()
    wait_for(qtbot, window, lambda s: s.step > 10)
    asked = []
    c.ask_restart = lambda question: asked.append(question) or False
    c.activation_combo.setCurrentIndex(c.activation_combo.findData("tanh"))
    c.activation_combo.activated.emit(c.activation_combo.currentIndex())
    assert asked and "activation" in asked[0]
    assert c.activation_combo.currentData() == "relu" and c.settings().activation == "relu"
    c.ask_restart = lambda question: True
    assert c.request_restart({"activation": "tanh", "seed": 5})
    snap = wait_for(qtbot, window, lambda s: s.loop.run_id == 1)
    assert snap.settings.activation == "tanh" and snap.settings.seed == 5 and snap.step == 0


def test_preset_loads_its_settings(qtbot, window):
    c = window.controls
    index = c.preset_combo.findData("lr-too-low")
    c.preset_combo.setCurrentIndex(index)
    c.preset_combo.activated.emit(index)
    snap = wait_for(qtbot, window, lambda s: s.loop.run_id == 1)
    assert snap.settings.optimizer == "sgd" and snap.settings.lr == 5e-4
    assert c.lr_box.value() == pytest.approx(5e-4) and "Watch" in c.preset_note.text()
    assert snap.loop.budget is None  # a teaching scenario runs until the lecturer pauses it


def test_a_recipe_preset_trains_its_budget_then_pauses_and_reports(qtbot, window):
    c = window.controls
    assert c.choose_preset("fast", confirm=True)
    snap = wait_for(qtbot, window, lambda s: s.loop.run_id == 1 and s.loop.budget is not None)
    # The budget (3 epochs) shows in the status line; training pauses there and says how it did.
    assert snap.loop.budget.epochs == 3 and "epoch 0.00 of 3" in window.status_label.text()
    c.start_button.click()
    snap = wait_for(qtbot, window, lambda s: s.epoch >= 3 and not s.loop.playing)
    assert snap.epoch == pytest.approx(3.0) and snap.loop.budget is None
    qtbot.waitUntil(lambda: "finished its 3 epochs" in window.toast.text())
    message = window.toast.text()
    assert f"{snap.last_eval_accuracy:.2%}" in message and window.toast.isVisible()
    # The message does not take the status line's place: the room still reads state and accuracy. (The
    # toast takes it off the bar on the event loop's next turn, which may come after the toast's text.)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "", timeout=1000)
    assert window.status_label.isVisible()


# ---------------------------------------------------------------------------- divergence
@pytest.mark.parametrize(("optimizer", "lr"), [("adam", 5.0), ("sgd", 10.0)])
def test_a_finite_collapse_pauses_with_the_banner_and_restore_returns_to_where_it_was(qtbot, window, rec,
                                                                                    optimizer, lr):
    c = window.controls
    c.start_button.click()
    wait_for(qtbot, window, lambda s: s.step > 300)
    c.start_button.click()
    before = wait_for(qtbot, window, lambda s: not s.loop.playing)
    accuracy_before = before.last_eval_accuracy
    index = c.optimizer_combo.findData(optimizer)
    c.optimizer_combo.setCurrentIndex(index)
    c.optimizer_combo.activated.emit(index)  # as a user's choice does
    c.lr_box.setValue(lr)
    c.flush()
    c.start_button.click()
    stopped = wait_for(qtbot, window, lambda s: bool(s.diverged))
    assert stopped.step - before.step <= 100 and stopped.trouble.kind in ("collapsed", "dead", "exploded", "not finite")
    assert window.banner.isVisible() and "Stopped" in window.status_label.text()
    assert c.start_button.text().endswith("Start")
    qtbot.mouseClick(window.banner.restore_lower_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(m.startswith("restored step") for m in rec.markers()), timeout=TIMEOUT_MS)
    restored_at = next(m.step for s in rec.snaps for m in s.new_markers if m.label.startswith("restored step"))
    evals = np.concatenate([s.new_evals for s in rec.snaps if len(s.new_evals)])
    after = evals[evals[:, 0] == restored_at][-1, 4]  # the evaluation the restore makes at once
    assert after >= accuracy_before - 0.01
    assert not window.banner.isVisible() or window.latest.diverged  # gone, unless lr/10 still blows up


def test_kill_9_of_the_training_process_in_the_window(qtbot, window, rec, tmp_path):
    window.controls.start_button.click()
    before = wait_for(qtbot, window, lambda s: s.step > 50 and s.loop.playing)
    markers_before = len(window.curves._markers)
    os.kill(window.worker.training_pid(), signal.SIGKILL)
    qtbot.waitUntil(lambda: "ended unexpectedly" in window.status_label.text(), timeout=2000)
    assert window.controls.start_button.text().endswith("Start")  # nothing trains now, and it says so
    window.files.save_session(str(tmp_path / "during.npz"))
    resumed = wait_for(qtbot, window, lambda s: s.loop.process == 1 and s.step > before.step + 20 and s.loop.playing)
    assert resumed.loop.run_id == before.loop.run_id and window.controls.start_button.text().endswith("Pause")
    assert len(window.curves.steps) >= before.step and len(window.curves._markers) >= markers_before
    qtbot.waitUntil(lambda: (tmp_path / "during.npz").exists(), timeout=TIMEOUT_MS)
    assert not window.files.last_error


def test_divergence_shows_the_banner_and_restore_recovers(qtbot, window, rec):
    window.controls.start_button.click()
    wait_for(qtbot, window, lambda s: s.step > 60)
    window.worker.update_settings(optimizer="sgd", lr=1e30)  # inject a learning rate that overflows
    snap = wait_for(qtbot, window, lambda s: bool(s.diverged))
    assert window.banner.isVisible() and "learning rate" in window.banner.message.text()
    assert "Stopped" in window.status_label.text() and not snap.loop.playing
    assert window.controls.start_button.text().endswith("Start")
    # Restored at the same absurd rate, training blows up again at once.
    qtbot.mouseClick(window.banner.restore_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(m.startswith("restored step") for m in rec.markers()), timeout=TIMEOUT_MS)
    wait_for(qtbot, window, lambda s: bool(s.diverged) and s.settings.lr == 1e30)
    # "Lower learning rate and restore": 1e30 / 10 would still overflow; the rate the restored weights
    # were trained with (0.001) is what the run goes on with.
    qtbot.mouseClick(window.banner.restore_lower_button, QtCore.Qt.MouseButton.LeftButton)
    restored = wait_for(qtbot, window, lambda s: not s.diverged and s.settings.lr == 0.001)
    assert window.controls.lr_box.value() == pytest.approx(0.001)
    wait_for(qtbot, window, lambda s: s.step > restored.step + 5 and s.loop.playing)
    assert not window.banner.isVisible()
    assert np.isfinite(window.latest.W1).all() and np.isfinite(window.latest.probe_probs).all()
    assert sum(m.startswith("restored step") for m in rec.markers()) == 2


# ------------------------------------------------------------------------------- shutdown
def test_closing_mid_training_ends_the_thread_within_a_second(qtbot, small_mnist, store):
    window = make_window(qtbot, small_mnist, store, Settings(hidden=(512,)))
    window.controls.start_button.click()
    wait_for(qtbot, window, lambda s: s.step > 5)
    t0 = time.perf_counter()
    window.close()
    assert time.perf_counter() - t0 < 1.0
    assert not window.worker.isRunning() and not window.worker.is_training_alive()


def test_geometry_and_settings_are_remembered(qtbot, small_mnist, store, monkeypatch):
    first = make_window(qtbot, small_mnist, store, settings=None)
    first.resize(1300, 900)
    first.controls.lr_box.setValue(0.05)
    first.controls.set_hidden(48)
    first.controls.set_speed_limit(10)
    geometry = bytes(first.saveGeometry())
    first.close()
    # The offscreen screen is too small to show a restored size faithfully, so check what the new
    # window is asked to restore.
    restored = []
    monkeypatch.setattr(MainWindow, "restoreGeometry", lambda self, g: restored.append(bytes(g)) or True)
    second = make_window(qtbot, small_mnist, store, settings=None)
    assert restored == [geometry]
    assert second.worker.settings.lr == 0.05 and second.worker.settings.hidden == (48,)
    assert second.controls.settings().lr == 0.05 and second.controls.hidden_box.value() == 48
    assert second.controls.speed_limit() == 10
    second.close()


@pytest.mark.parametrize("garbage", ["not json", json.dumps({"lr": -3}), json.dumps({"nonsense": 1}),
                                     json.dumps([1, 2]), json.dumps({"train_subset": 10**9})])
def test_bad_stored_settings_fall_back_to_defaults(qtbot, small_mnist, store, garbage):
    store.setValue("training/settings", garbage)
    store.setValue("window/geometry", "garbage")
    store.setValue("window/columns", 12345)
    store.setValue("training/speed_limit", "fast please")
    store.setValue("curves/x_axis", ["nope"])
    store.sync()
    window = make_window(qtbot, small_mnist, store, settings=None)
    assert window.worker.settings == Settings()
    assert window.controls.speed_limit() == 0.0
    wait_for(qtbot, window, lambda s: True)
    window.close()


def test_on_a_1280x720_projector_the_curves_keep_their_room(qtbot, window):
    # Every tab page together used to set the tab area's minimum height (the drawing pad is tall),
    # which squeezed the learning curves to a few pixels at 720 px.
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.height() <= 720 and window.curves.height() > 0)
    qtbot.wait(50)
    assert window.minimumSizeHint().height() <= 720
    for plot in (window.curves.loss_plot, window.curves.accuracy_plot):
        assert plot.getViewBox().height() >= 50, plot.getViewBox().height()
    window.show_tab(window.drawing)  # the tall page scrolls instead
    assert window.current_tab_panel() is window.drawing
    assert window.curves.loss_plot.getViewBox().height() >= 50
    qtbot.waitUntil(lambda: window.tabs.currentWidget().verticalScrollBar().isVisible())
    # ... and only when it must: with room enough, the page fills the tab without a scroll bar.
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: not window.tabs.currentWidget().verticalScrollBar().isVisible())
    assert window.drawing.height() == window.tabs.currentWidget().viewport().height()


def test_a_minimized_window_skips_drawing_the_moment_panels_and_catches_up_when_restored(qtbot, window):
    window.controls.start_button.click()
    wait_for(qtbot, window, lambda s: s.step > 0)
    window.setWindowState(QtCore.Qt.WindowState.WindowMinimized)
    assert window.isMinimized()
    qtbot.wait(100)
    shown = window.weights.shown_snapshot.step
    qtbot.wait(300)
    assert window.weights.shown_snapshot.step == shown < window.latest.step  # nothing drawn that nobody sees
    window.setWindowState(QtCore.Qt.WindowState.WindowNoState)
    assert window.weights.shown_snapshot is window.latest or window.weights.shown_snapshot.step > shown


def test_the_controls_column_hides_for_a_narrow_screen_and_shortcuts_still_work(qtbot, small_mnist, store):
    window = make_window(qtbot, small_mnist, store)
    wait_for(qtbot, window, lambda s: True)  # shown and running, as in test_keyboard_shortcuts
    wide = window.minimumSizeHint().width()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_B, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert not window.controls_scroll.isVisible() and not window.controls_action.isChecked()
    qtbot.wait(20)
    assert window.minimumSizeHint().width() <= min(wide - 250, 1024)  # fits an XGA projector
    press(qtbot, window, QtCore.Qt.Key.Key_Space)  # Start, with the button out of sight
    wait_for(qtbot, window, lambda s: s.loop.playing and s.step > 0)
    assert any(line.startswith("Space") for line in shortcut_lines(window.menuBar()))
    assert any("Ctrl+B" in line for line in shortcut_lines(window.menuBar()))
    window.close()
    again = make_window(qtbot, small_mnist, store)  # remembered
    assert not again.controls_scroll.isVisible() and not again.controls_action.isChecked()
    again.toggle_controls(True)
    assert again.controls_scroll.isVisible()
    again.close()


def test_a_training_crash_is_reported_without_blocking_the_window(qtbot, window):
    window.worker.failed.emit("Traceback (most recent call last): boom")
    qtbot.waitUntil(lambda: "stopped by an error" in window.status_label.text())
    boxes = [b for b in window.findChildren(QtWidgets.QMessageBox) if b.isVisible()]
    assert len(boxes) == 1 and "boom" in boxes[0].detailedText()
    assert boxes[0].icon() == QtWidgets.QMessageBox.Icon.Critical
    boxes[0].close()


def test_the_menu_table_has_one_action_per_shortcut_and_the_help_lists_them_all(qtbot, small_mnist, store):
    from mnist_viz.gui.menus import menu_table
    table = menu_table()
    keys = [entry.shortcut for entry in table if entry.shortcut]
    assert len(keys) == len(set(keys)) and "Space" in keys and "F1" in keys
    window = make_window(qtbot, small_mnist, store)
    lines = shortcut_lines(window.menuBar())
    assert len(lines) == len(keys)
    window.shutdown()


def test_every_tab_is_one_menu_click_away_when_the_bar_scrolls(qtbot, window):
    """Ten tabs overflow the tab bar at 1024-1920 px: the All tabs menu lists each by name."""
    tabs = window.tabs
    window.resize(1024, 768)
    menu = tabs.all_tabs_button.menu()
    menu.aboutToShow.emit()
    names = [action.text() for action in menu.actions()]
    assert names == [tabs.tabText(i) for i in range(tabs.count())]
    assert "Health" in names and "Backprop step" in names
    menu.actions()[names.index("Health")].trigger()
    assert tabs.current_panel() is window.health
    menu.aboutToShow.emit()  # rebuilt each time it opens: the check mark follows the current tab
    assert [a.text() for a in menu.actions() if a.isChecked()] == ["Health"]


def test_training_compare_runs_both_from_the_controls_and_ends(qtbot, window):
    """The window's wiring of a comparison: Start plays both runs, B's curves and mosaic are shown,
    End comparison brings the output weights back and B's training process ends."""
    sizes_before = window.right_split.sizes()
    window.compare.start({"lr": 0.01})
    c = window.compare.comparison
    assert c is not None and window.compare.view.isVisible() and not window.frames_by_name["output"].isVisible()
    # Run A's mosaic and run B's view share the right column (A's is not squeezed to a strip).
    assert window.weights.title_text() == "Run A — 0.001: hidden-unit weights"  # which run it is
    # (The two mosaics about as high, as far as run B's view's minimum height allows.)
    total = sum(window.right_split.sizes())
    room_for_a = total - window.compare.view.minimumSizeHint().height()
    qtbot.waitUntil(lambda: window.weights.mosaic_height() >= min(window.compare.view.weights.mosaic_height() - 12,
                                                                 room_for_a), timeout=2000)
    window.controls.start_button.click()
    qtbot.waitUntil(lambda: window.latest is not None and window.latest.step > 5
                    and window.compare.view.shown_snapshot() is not None
                    and window.compare.view.shown_snapshot().step > 5, timeout=TIMEOUT_MS)
    assert window.compare.view.shown_snapshot().settings.lr == 0.01 and window.latest.settings.lr != 0.01
    window.controls.start_button.click()  # pause both: then the last snapshots show where each stopped
    # Step for step: the lock keeps them within LOCK_SLACK steps (what is painted lags under load).
    qtbot.waitUntil(lambda: not window.latest.loop.playing
                    and abs(window.compare.view.shown_snapshot().step - window.latest.step) <= 3, timeout=TIMEOUT_MS)
    from mnist_viz.gui.video_dialog import second_run  # File > Export video then draws run B too
    second = second_run(window)
    assert second is not None and second.snapshots and second.texts[1] == c.label_b and len(second.history[0])
    window.compare.end()
    qtbot.waitUntil(lambda: window.compare.comparison is None, timeout=TIMEOUT_MS)
    assert window.frames_by_name["output"].isVisible() and not window.compare.view.isVisible()
    after = window.right_split.sizes()  # the shares as before (the column's height may have moved by a few px)
    assert after[2] == 0 and abs(after[0] / (after[0] + after[1]) - sizes_before[0] / sum(sizes_before[:2])) < 0.03
    assert not window.weights.title_text().startswith("Run A")
