"""File > Open dataset…: a bad file leaves the running session alone and says why; a good one (with its
class names) moves the whole window onto it: a new training process, the title, and the class names on
the probes, the confusion matrix and the templates. Sessions of other classes are refused."""
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtWidgets

from mnist_viz.core import checkpoint
from mnist_viz.core.data import FASHION_CLASS_NAMES
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui import file_actions
from mnist_viz.gui.class_labels import FIT_LIMITS, fitting_names, short_name, short_names
from mnist_viz.gui.file_actions import export_file_name, open_dataset_path
from mnist_viz.gui.panels.confusion import ConfusionPanel
from mnist_viz.gui.panels.templates import ClassTemplatesPanel
from mnist_viz.gui.window import MainWindow

TIMEOUT_MS = 15_000
SETTINGS = Settings(hidden=(16,), batch_size=64)
N_TRAIN, N_TEST = 600, 300  # the new data: its test set is not the window's 500 images


@pytest.fixture
def window(qtbot, small_mnist, store):
    w = MainWindow(small_mnist, SETTINGS, store=store)
    qtbot.addWidget(w)
    w.show()
    w.start()
    yield w
    w.shutdown()


@pytest.fixture
def idle(qtbot, small_mnist, store):
    """A window whose training process has not started (for what needs no training)."""
    w = MainWindow(small_mnist, SETTINGS, store=store)
    qtbot.addWidget(w)
    yield w
    w.shutdown()


def trained(qtbot, window, steps=3):
    """Train a few steps and wait until the window shows them."""
    window.worker.step_once(steps)
    qtbot.waitUntil(lambda: window.latest is not None and window.latest.step >= steps, timeout=TIMEOUT_MS)
    return window.latest


def clothes_npz(folder, small_mnist, names=FASHION_CLASS_NAMES):
    """A keras-style npz (uint8 images) with a class_names.txt beside it."""
    as_bytes = lambda x: np.rint(np.asarray(x) * 255).astype(np.uint8).reshape(-1, 28, 28)  # noqa: E731
    path = folder / "clothes.npz"
    np.savez(path, x_train=as_bytes(small_mnist.x_train[:N_TRAIN]), y_train=small_mnist.y_train[:N_TRAIN],
             x_test=as_bytes(small_mnist.x_test[:N_TEST]), y_test=small_mnist.y_test[:N_TEST])
    (folder / "class_names.txt").write_text("\n".join(names) + "\n")
    return path


def answer_questions(monkeypatch, answer):
    asked = []

    def question(parent, title, text, *args):
        asked.append(text)
        return answer
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(question))
    return asked


def test_a_bad_file_keeps_the_running_session_and_shows_the_loaders_message(qtbot, window, tmp_path, small_mnist,
                                                                             monkeypatch):
    before = trained(qtbot, window)
    pid, data = window.worker.training_pid(), window.data
    asked = answer_questions(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes)
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"this is no zip archive")
    assert open_dataset_path(window, str(bad)) is False
    message = f"{bad} is not a zip/npz archive (it does not start with the zip signature)"
    assert window.files.last_error == message
    boxes = [b for b in window.findChildren(QtWidgets.QMessageBox) if b.isVisible()]
    assert [b.text() for b in boxes] == [message] and boxes[0].windowTitle() == "Cannot open the dataset"
    assert asked == []  # nothing to ask about: nothing changes
    assert window.data is data and window.worker.data is data
    assert window.windowTitle() == "mnist-viz — MNIST (bundled)"
    window.worker.step_once(2)  # the same process goes on with the same run
    qtbot.waitUntil(lambda: window.latest.step >= before.step + 2, timeout=TIMEOUT_MS)
    assert window.worker.training_pid() == pid and window.latest.loop.run_id == before.loop.run_id


def test_a_missing_path_and_a_wrong_kind_of_file_are_refused_too(idle, tmp_path):
    assert open_dataset_path(idle, str(tmp_path / "nope")) is False
    assert idle.files.last_error == f"{tmp_path / 'nope'} not found"
    (tmp_path / "notes.txt").write_text("hello")
    assert open_dataset_path(idle, str(tmp_path / "notes.txt")) is False
    assert "unrecognised kind of data file" in idle.files.last_error


def test_cancelling_the_question_keeps_the_run(idle, tmp_path, small_mnist, monkeypatch):
    idle.latest = types.SimpleNamespace(step=3)  # a run that has trained (all the question reads)
    data = idle.data
    asked = answer_questions(monkeypatch, QtWidgets.QMessageBox.StandardButton.Cancel)
    assert open_dataset_path(idle, str(clothes_npz(tmp_path, small_mnist))) is False
    assert asked == [("Train on clothes.npz (npz)? The current run ends (step 3).\n\n"
                      "To keep it, cancel and save the session first (File > Save session).")]
    assert idle.data is data and idle.probes.class_names() == tuple("0123456789")


def test_a_good_npz_with_class_names_switches_the_whole_window(qtbot, window, tmp_path, small_mnist, monkeypatch):
    trained(qtbot, window)
    window.compare.start({"lr": 0.5})  # a comparison ends: its run B trains on the old data
    old_pid = window.worker.training_pid()
    answer_questions(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes)
    assert open_dataset_path(window, str(clothes_npz(tmp_path, small_mnist))) is True
    assert window.windowTitle() == "mnist-viz — clothes.npz (npz)"
    assert window.data.name == "clothes.npz (npz)" and window.worker.data is window.data
    assert window.latest is None and window.confusion.matrix() is None  # the old run is gone from the views
    assert window.compare.comparison is None and "comparison ended" in window.statusBar().currentMessage()
    assert window.compare.view.probes.class_names() == FASHION_CLASS_NAMES  # ready for the next comparison
    for panel in (window.probes, window.confusion, window.templates):
        assert panel.class_names() == FASHION_CLASS_NAMES
    assert window.confusion.axis_labels("left") == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                                    "Shirt", "Sneaker", "Bag", "Ankle boot"]
    # along the top one cell's width each: one of the short forms, or the label numbers where none fits
    forms = [short_names(FASHION_CLASS_NAMES, limit) for limit in FIT_LIMITS] + [list("0123456789")]
    assert window.confusion.axis_labels("top") in forms and window.probes.bar_names() in forms
    # A new training process on the new data: its evaluations cover the new test set.
    window.worker.step_once(2)
    qtbot.waitUntil(lambda: window.worker.training_pid() not in (None, old_pid), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.latest is not None and window.latest.step >= 2
                    and window.confusion.matrix() is not None, timeout=TIMEOUT_MS)
    snap = window.latest
    window.flush_readouts()  # the probes get at most 10 snapshots a second: show the latest now
    assert window.confusion.matrix().sum() == N_TEST
    probe_labels = window.probes.probe_labels()
    predicted = int(snap.probe_probs[window.probes.selected].argmax())
    assert window.probes.detail_title().startswith(
        f"true {FASHION_CLASS_NAMES[probe_labels[window.probes.selected]]} → network says "
        f"{FASHION_CLASS_NAMES[predicted]}")
    window.confusion.select_cell(1, 1)
    assert window.confusion.gallery_title().startswith("True Trouser, answered correctly")
    window.templates.show_snapshot(snap)
    window.templates.flush()
    assert window.templates.label_texts() == short_names(FASHION_CLASS_NAMES, 8)
    # The output weights' rows and the activation map's legend name the classes too.
    left = window.output_weights.plot.getAxis("left")
    assert [text for _, text in left._tickLevels[0]] == short_names(FASHION_CLASS_NAMES, 8)
    assert left.labelText == "class" and "1 Trouser" in left.toolTip()
    assert "Classes:" in window.activation_space._legend_label.text()
    assert "Trouser" in window.activation_space._legend_label.text()
    assert window.controls.settings().hidden == SETTINGS.hidden


def test_a_settings_subset_too_large_for_the_new_data_is_dropped(qtbot, small_mnist, store, tmp_path):
    w = MainWindow(small_mnist, SETTINGS.replace(train_subset=1500), store=store)
    qtbot.addWidget(w)
    try:
        assert open_dataset_path(w, str(clothes_npz(tmp_path, small_mnist))) is True
        assert w.controls.settings().train_subset == 0 and w.worker.settings.train_subset == 0
        assert "the training subset of 1,500 did not fit its 600 images: dropped" in w.statusBar().currentMessage()
    finally:
        w.shutdown()


def test_a_session_of_other_classes_is_refused_in_the_window(idle, tmp_path, small_mnist):
    window = idle
    import dataclasses
    clothes = dataclasses.replace(small_mnist, name="Fashion-MNIST (IDX)", class_names=FASHION_CLASS_NAMES)
    path = tmp_path / "clothes-session.npz"
    checkpoint.save_checkpoint(Trainer(clothes, SETTINGS), path)
    sent = window.worker.commands_sent
    assert window.files.load_session(str(path)) is False
    assert window.worker.commands_sent == sent  # nothing was sent to the training process
    assert window.files.last_error.startswith(f"{path} was trained on Fashion-MNIST (IDX) (T-shirt/top, Trouser, "
                                              f"Pullover, …), but the data open now, MNIST (bundled), has other "
                                              f"classes (digits 0-9)")


def test_exports_and_sessions_name_a_dataset_other_than_mnist():
    assert export_file_name("Learning curves", 2334, "png", "Fashion-MNIST (IDX)") == \
        "mnist-viz-fashion-mnist-learning-curves-step-2334.png"
    assert export_file_name("session", 7, "npz", "train.csv (Kaggle)") == "mnist-viz-train-csv-session-step-7.npz"
    assert export_file_name("Learning curves", 2334, "png", "MNIST (bundled)") == \
        "mnist-viz-learning-curves-step-2334.png"
    assert export_file_name("window", None, "png") == "mnist-viz-window.png"


def test_long_names_are_shortened_and_never_collide():
    assert short_name("T-shirt/top", 7) == "T-shirt" and short_name("Ankle boot", 5) == "Ankle"
    assert short_name("Pullover", 5) == "Pull." and short_name("Bag", 5) == "Bag"
    assert short_names(["Shirt dress", "Shirt", *"abcdefgh"], 5) == ["0", "1", *"abcdefgh"]


def test_names_are_as_long_as_the_room_allows():
    seven_px = lambda text: 7 * len(text)  # noqa: E731  (a monospaced font, 7 px a character)
    assert fitting_names(FASHION_CLASS_NAMES, 80, seven_px) == list(FASHION_CLASS_NAMES)  # 11 characters fit
    assert fitting_names(FASHION_CLASS_NAMES, 35, seven_px) == ["T-sh.", "Trou.", "Pull.", "Dress", "Coat", "Sand.",
                                                                "Shirt", "Snea.", "Bag", "Ankle"]
    assert fitting_names(FASHION_CLASS_NAMES, 20, seven_px) == list("0123456789")  # not even 3 letters fit
    assert fitting_names(tuple("0123456789"), 1, seven_px) == list("0123456789")


def test_panels_built_on_digits_take_names_and_give_them_back(shown, small_mnist):
    confusion = shown(ConfusionPanel(small_mnist))
    assert confusion.axis_labels("top") == list("0123456789")
    confusion.set_class_names(FASHION_CLASS_NAMES)
    assert "Classes: 0 T-shirt/top · 1 Trouser" in confusion._graphics.toolTip()
    confusion.set_class_names(tuple("0123456789"))
    assert confusion.axis_labels("left") == list("0123456789") and "Classes" not in confusion._graphics.toolTip()
    templates = shown(ClassTemplatesPanel(min_interval=0))
    with pytest.raises(ValueError, match="need 10 class names"):
        templates.set_class_names(("a", "b"))


def test_open_dataset_menu_functions_reach_the_loader(idle, monkeypatch):
    window = idle
    seen = []
    monkeypatch.setattr(file_actions, "open_dataset_path", lambda w, path: seen.append(path) or True)
    window.files.open_bundled("mnist")
    window.files.open_bundled("fashion-mnist")
    assert seen == [None, "fashion-mnist"]


def test_mnist_viz_data_with_a_bad_path_says_why_and_exits_2(tmp_path):
    """`mnist-viz --data PATH` as a program: the loader's message in a box and on stderr, exit code 2."""
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent("""
        import sys
        from PySide6 import QtWidgets
        QtWidgets.QMessageBox.critical = staticmethod(lambda parent, title, text: print("BOX", title, text))
        from mnist_viz import cli
        if __name__ == "__main__":
            sys.exit(cli.main(["--data", sys.argv[1]]))
    """))
    missing = tmp_path / "no-such-folder"
    done = subprocess.run([sys.executable, str(script), str(missing)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 2
    assert f"BOX mnist-viz: cannot load the data {missing} not found" in done.stdout
    assert f"mnist-viz: error: {missing} not found" in done.stderr


def test_the_window_and_its_training_process_read_one_copy_of_the_images(qtbot, idle, tmp_path, small_mnist,
                                                                        monkeypatch):
    """The window maps the published copy (it held its own 215 MiB of MNIST beside the training
    process's); the training process maps the same files instead of a copy of its own, and opened
    data is published too."""
    from mnist_viz.gui import worker
    from mnist_viz.runtime.shared_data import published_spec

    spec = published_spec(idle.data)
    assert spec is not None and idle.worker.data is idle.data
    np.testing.assert_array_equal(idle.data.x_train, small_mnist.x_train)
    copies: list = []
    monkeypatch.setattr(worker, "share_dataset", lambda *a: copies.append(a))
    idle.show()
    idle.start()
    trained(qtbot, idle)
    assert copies == [] and Path(spec["folder"], "x_train.npy").exists()
    answer_questions(monkeypatch, QtWidgets.QMessageBox.StandardButton.Yes)
    assert open_dataset_path(idle, str(clothes_npz(tmp_path, small_mnist))) is True
    assert published_spec(idle.data) is not None and idle.data.name == "clothes.npz (npz)"
    trained(qtbot, idle)
    assert copies == []
