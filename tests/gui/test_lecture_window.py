"""The lecture tools inside the live window: pinning, ablation, confusion, timeline, presentation,
scenarios, sessions and exports — driven as a lecturer would, against the real training process."""
import csv
import io
import json
import os
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from mnist_viz.core.analysis import cell_members
from mnist_viz.core.preprocess import to_mnist
from mnist_viz.gui import presentation

from test_window import make_window, wait_for  # the window tests' own helpers

TIMEOUT_MS = 20_000


@pytest.fixture
def window(qtbot, small_mnist, store):
    w = make_window(qtbot, small_mnist, store)
    yield w
    w.shutdown()


def train_a_little(qtbot, window, steps=60):
    start = window.latest.step if window.latest else 0
    window.worker.play()
    wait_for(qtbot, window, lambda s: s.step >= start + steps, TIMEOUT_MS)
    window.worker.pause()
    return wait_for(qtbot, window, lambda s: not s.loop.playing, TIMEOUT_MS)


def test_a_pinned_drawing_reaches_the_probe_strip_and_the_trainer(qtbot, window):
    canvas = np.zeros((280, 280), np.float32)
    canvas[40:240, 120:160] = 1.0  # a "1"
    image = to_mnist(canvas)
    count = window.probes.count
    window.pin_drawing(image, 1)
    assert window.probes.count == count + 1 and window.probes.probe_labels()[-1] == 1
    np.testing.assert_array_equal(window.probes.probe_images()[-1], image)
    snap = wait_for(qtbot, window, lambda s: s.probe_probs.shape[0] == count + 1, TIMEOUT_MS)
    assert np.isfinite(snap.probe_probs[-1]).all()  # the trainer answers for the drawing


def test_ablating_a_unit_from_the_inspector_reaches_the_trainer_and_comes_back(qtbot, window):
    train_a_little(qtbot, window)
    window.weights.unitClicked.emit(3)
    assert window.current_tab_panel() is window.unit_inspector
    window.unit_inspector.ablateRequested.emit(3, False)
    snap = wait_for(qtbot, window, lambda s: s.unit_mask[3] == 0, TIMEOUT_MS)
    assert snap.unit_mask.sum() == len(snap.unit_mask) - 1
    window.unit_inspector.ablateRequested.emit(3, True)
    wait_for(qtbot, window, lambda s: s.unit_mask[3] == 1, TIMEOUT_MS)


def test_confusion_matrix_fills_and_a_cell_lists_its_members(qtbot, window, small_mnist):
    train_a_little(qtbot, window, 100)
    qtbot.waitUntil(lambda: window.confusion.matrix().sum() == len(small_mnist.y_test), timeout=TIMEOUT_MS)
    matrix = window.confusion.matrix()
    true, pred = np.unravel_index(np.argmax(matrix - np.diag(np.diag(matrix))), matrix.shape)
    window.confusion.select_cell(int(true), int(pred))
    preds = window.confusion.predictions()
    expected = cell_members(small_mnist.y_test, preds, int(true), int(pred))
    assert list(window.confusion.shown_indices()) == list(expected[:len(window.confusion.shown_indices())])
    window.pin_test_image(int(expected[0]))
    assert int(expected[0]) in window.probes.probe_indices()


def test_timeline_scrub_shows_the_past_and_live_returns(qtbot, window):
    train_a_little(qtbot, window, 40)
    train_a_little(qtbot, window, 40)
    qtbot.waitUntil(lambda: len(window.timeline.timeline) >= 3, timeout=TIMEOUT_MS)
    window.timeline.scrub_to(0)
    past = window.timeline.selected_snapshot()
    assert not window.timeline.is_live and past.step < window.latest.step
    shown = window.weights.shown_snapshot
    assert shown.step == past.step
    np.testing.assert_array_equal(shown.W1, past.W1)
    window.timeline.go_live()
    assert window.timeline.is_live
    assert window.weights.shown_snapshot.step == window.latest.step


def test_presentation_mode_zoom_theme_and_enlarge(qtbot, window):
    presentation.toggle_fullscreen(window)
    qtbot.waitUntil(window.isFullScreen, timeout=5000)
    presentation.toggle_fullscreen(window)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5000)
    size = window.controls.font().pointSizeF()
    window.zoom.zoom_in()
    assert window.zoom.factor > 1 and window.controls_scroll.width() > 330  # the controls column grows too
    window.zoom.reset()
    assert window.zoom.factor == 1 and window.controls.font().pointSizeF() == pytest.approx(size)
    window.theme_action.trigger()  # the View menu entry
    assert window.theme_action.isChecked()
    window.theme_action.trigger()
    frame = window.frames_by_name["weights"]
    qtbot.mouseDClick(window.weights, QtCore.Qt.MouseButton.LeftButton)
    assert window.focus.enlarged is frame and window.focus.currentIndex() == 1
    window.focus.toggle(frame)
    assert window.focus.enlarged is None and window.focus.currentIndex() == 0


def test_a_scenario_restarts_with_its_settings_and_shows_what_to_watch(qtbot, window):
    from mnist_viz.core.presets import PRESETS
    assert window.choose_scenario("lr-too-low", confirm=True)
    wanted = PRESETS["lr-too-low"].settings
    wait_for(qtbot, window, lambda s: s.settings == wanted, TIMEOUT_MS)
    assert PRESETS["lr-too-low"].what_to_watch in window.controls.preset_note.text()


def test_save_and_load_session_and_a_corrupt_file_changes_nothing(qtbot, window, tmp_path):
    saved = train_a_little(qtbot, window, 30)
    path = tmp_path / "lecture.npz"
    window.files.save_session(str(path))
    qtbot.waitUntil(path.exists, timeout=TIMEOUT_MS)
    train_a_little(qtbot, window, 30)
    window.compare.start({"lr": 0.5})
    window.files.load_session(str(path))
    wait_for(qtbot, window, lambda s: s.step == saved.step, TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.compare.comparison is None, timeout=TIMEOUT_MS)  # run B was the old run's twin
    bad = tmp_path / "corrupt.npz"
    bad.write_bytes(b"PK\x03\x04 not really a session")
    window.files.load_session(str(bad))
    qtbot.waitUntil(lambda: "corrupt.npz" in window.files.last_error, timeout=TIMEOUT_MS)
    after = train_a_little(qtbot, window, 10)
    assert after.step >= saved.step + 10  # the session kept running


def _crafted_sessions(good: Path, folder: Path) -> dict[str, Path]:
    """Hostile variants of a good session file (the full set is in tests/core/test_hostile_checkpoint.py)."""
    with zipfile.ZipFile(good) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    meta = json.loads(np.load(io.BytesIO(entries["meta.npy"])).tobytes().decode())

    def variant(name, **changes):
        path = folder / f"{name}.npz"
        with zipfile.ZipFile(path, "w") as zf:
            for member, data in {**entries, **changes}.items():
                if data is not None:
                    zf.writestr(member, data)
        return path

    def meta_bytes(change):
        m = json.loads(json.dumps(meta))
        change(m)
        buffer = io.BytesIO()
        np.save(buffer, np.frombuffer(json.dumps(m).encode(), np.uint8))
        return buffer.getvalue()

    lying = io.BytesIO()
    np.lib.format.write_array_header_1_0(lying, {"descr": "<f4", "fortran_order": False, "shape": (100_000, 100_000)})
    fifo = folder / "pipe.npz"
    os.mkfifo(fifo)
    return {
        "37 GiB promised": variant("huge", **{"param_0.npy": lying.getvalue() + b"\0" * 64}),
        "negative cursor": variant("cursor", **{"meta.npy": meta_bytes(lambda m: m["counters"].update(cursor=-1))}),
        "10 MB marker label": variant("label", **{"meta.npy": meta_bytes(
            lambda m: m["history"].update(markers=[[1, 0.1, 64, "x" * 10**7]]))}),
        "optimizer slot missing": variant("slot", **{"opt_v_1.npy": None}),
        "a pipe": fifo,
        "a folder": folder,
    }


def test_every_crafted_session_through_the_file_menu_leaves_the_lecture_running(qtbot, window, tmp_path):
    train_a_little(qtbot, window, 30)
    good = tmp_path / "good.npz"
    window.files.save_session(str(good))
    qtbot.waitUntil(good.exists, timeout=TIMEOUT_MS)
    for fault, path in _crafted_sessions(good, tmp_path).items():
        before = train_a_little(qtbot, window, 5)
        window.files.last_error = ""
        window.files.load_session(str(path))
        qtbot.waitUntil(lambda path=path: str(path) in window.files.last_error, timeout=TIMEOUT_MS)
        after = train_a_little(qtbot, window, 5)
        assert after.loop.run_id == before.loop.run_id and after.step > before.step, fault  # same run, going on
        assert len(window.files.last_error) < 400, fault  # one clear message, not a dump


def test_exports_write_valid_files_and_report_unwritable_paths(qtbot, window, tmp_path):
    train_a_little(qtbot, window, 20)
    assert window.files.export_panel(window.curves, str(tmp_path / "curves.png"))
    assert not QtGui.QImage(str(tmp_path / "curves.png")).isNull()
    assert window.files.export_panel(window.confusion, str(tmp_path / "errors.svg"))
    assert ET.parse(tmp_path / "errors.svg").getroot().tag.endswith("svg")
    assert not window.files.export_panel(window.weights, str(tmp_path / "missing" / "w.png"))
    assert "missing" in window.files.last_error
    window.files.export_metrics(str(tmp_path / "metrics.csv"))
    qtbot.waitUntil((tmp_path / "metrics.csv").exists, timeout=TIMEOUT_MS)
    with open(tmp_path / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sum(r["kind"] == "step" for r in rows) >= 20
    window.files.export_metrics(str(tmp_path / "nowhere" / "m.csv"))
    qtbot.waitUntil(lambda: "nowhere" in window.files.last_error, timeout=TIMEOUT_MS)


def test_a_file_operation_is_answered_as_itself_whatever_arrives_in_between(qtbot, window, tmp_path):
    train_a_little(qtbot, window, 5)
    messages = []
    window.statusBar().messageChanged.connect(lambda m: messages.append(m) if m else None)  # "" = moved to the toast
    # All three leave before the first answer is back: the refusal arrives while the saves are pending.
    window.worker.update_settings(activation="tanh")  # refused (needs a restart)
    window.files.save_session(str(tmp_path / "gone" / "s.npz"))  # fails
    window.files.save_session(str(tmp_path / "fine.npz"))  # succeeds
    qtbot.waitUntil(lambda: (tmp_path / "fine.npz").exists() and any("fine.npz" in m for m in messages),
                    timeout=TIMEOUT_MS)
    assert "Saving the session failed" in "\n".join(messages) and "gone" in window.files.last_error
    assert "restart" not in window.files.last_error  # the refused setting went to the status line only
    assert any(m.startswith("Not applied:") and "restart" in m for m in messages)
    assert not window.files.pending  # every answer matched its request
    since = len(messages)
    window.worker.update_settings(activation="sigmoid")  # refused with no file operation pending
    # Any message since: the coach may say a hint in the status bar after the refusal (seen in CI).
    qtbot.waitUntil(lambda: any("sigmoid" in m or "restart" in m for m in messages[since:]), timeout=TIMEOUT_MS)
    assert "gone" in window.files.last_error  # no new error box for a refused setting
