"""RobustnessPanel: the live network on spoiled test images; every number it shows checked against
core.robustness computed on the snapshot's own weights."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mnist_viz.core import robustness as rb
from mnist_viz.core.analysis import snapshot_unit_masks
from mnist_viz.core.data import FASHION_CLASS_NAMES
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.robustness import SEED, RobustnessPanel, preview_indices


@pytest.fixture(scope="module")
def snap(small_mnist):
    trainer = Trainer(small_mnist, Settings(hidden=(32,), train_subset=2000))
    for _ in range(60):
        trainer.step()
    return trainer.snapshot()


@pytest.fixture
def panel(shown, small_mnist):
    return shown(RobustnessPanel(small_mnist, min_interval=0), 1400, 900)


def expected_curve(snap, data, kind):
    _, accuracies = rb.robustness_curve(snap.params, snap.settings.activation, data.x_test, data.y_test, kind,
                                        seed=SEED, unit_masks=snapshot_unit_masks(snap))
    return 100 * accuracies


def sliders_probs(snap, data, amounts):
    """Softmax on the test set spoiled at ``amounts``, stored as uint8 as the panel caches it."""
    spoiled = rb.to_bytes(rb.spoil_together(data.x_test, amounts, SEED))
    return rb.probabilities(snap.params, snap.settings.activation, spoiled, snapshot_unit_masks(snap))


def test_one_curve_per_computation_in_turn_equal_to_core(panel, snap, small_mnist):
    assert "Waiting" in panel.message() and all(len(panel.curve(k)[0]) == 0 for k in rb.SPOILERS)
    for round_, kind in enumerate(rb.SPOILERS):
        panel.show_snapshot(snap)
        points, accuracies = panel.curve(kind)
        np.testing.assert_array_equal(points, rb.SPOILERS[kind].points)
        np.testing.assert_allclose(accuracies, expected_curve(snap, small_mnist, kind))
        later = list(rb.SPOILERS)[round_ + 1:]
        assert all(len(panel.curve(k)[0]) == 0 for k in later)  # not measured yet: one per round
    assert panel.message() == "" and "at step 60" in panel._summary.text()
    panel.clear()
    assert "Waiting" in panel.message() and all(len(panel.curve(k)[0]) == 0 for k in rb.SPOILERS)


def test_sliders_drive_the_preview_the_per_class_bars_and_the_threshold(panel, snap, small_mnist):
    index = preview_indices(small_mnist.y_test)
    np.testing.assert_array_equal(small_mnist.y_test[index], np.arange(10))  # one image per class, in order
    np.testing.assert_array_equal(panel.preview_images(), small_mnist.x_test[index])  # clean at first
    panel.show_snapshot(snap)
    probs = sliders_probs(snap, small_mnist, {})
    np.testing.assert_allclose(panel.per_class(),
                               100 * rb.per_class_accuracy(small_mnist.y_test, probs.argmax(axis=1)))

    panel.set_amount("rotate", 30.0)
    panel.set_amount("noise", 0.2)
    amounts = {"rotate": 30.0, "noise": 0.2}
    assert panel.amounts() == {**dict.fromkeys(rb.SPOILERS, 0.0), **amounts}
    np.testing.assert_array_equal(panel.preview_images(), rb.spoil_together(small_mnist.x_test[index], amounts, SEED))
    probs = sliders_probs(snap, small_mnist, amounts)  # the slider moves recomputed the bars at once (interval 0)
    np.testing.assert_allclose(panel.per_class(),
                               100 * rb.per_class_accuracy(small_mnist.y_test, probs.argmax(axis=1)))
    assert panel._markers["rotate"].value() == 30.0

    panel.set_threshold(0.8)
    coverage, accuracy = rb.coverage_accuracy(probs, small_mnist.y_test, 0.8)
    assert panel._threshold_text.text() == f"Answers {coverage:.1%} of the images · {accuracy:.1%} of those right"
    answered = probs.max(axis=1) >= np.float32(0.8)  # the definition, by hand
    assert coverage == np.mean(answered) and 0 < coverage < 1
    preview_answers = panel._preview_caption.text().count("✓") + panel._preview_caption.text().count("✗")
    assert preview_answers == 10


def test_background_computation_drops_an_older_runs_result(qtbot, shown, snap, small_mnist):
    slow = shown(RobustnessPanel(small_mnist, min_interval=0.2), 1200, 800)
    slow.show_snapshot(snap)
    qtbot.waitUntil(lambda: len(slow.curve("noise")[0]) == 5, timeout=10_000)  # computed on its thread
    np.testing.assert_allclose(slow.curve("noise")[1], expected_curve(snap, small_mnist, "noise"))
    slow.flush()
    qtbot.wait(250)  # past the interval: the next snapshot is computed at once
    slow.show_snapshot(snap)
    assert slow._running is not None  # the next round (rotate) is in flight...
    slow.clear()  # ... and belongs to the run that ended here
    slow.flush()
    qtbot.wait(300)  # its queued signal, too, is dropped
    assert all(len(slow.curve(k)[0]) == 0 for k in rb.SPOILERS) and "Waiting" in slow.message()


def test_diverged_weights_keep_the_last_curves_and_say_so(panel, small_mnist):
    trainer = Trainer(small_mnist, Settings(hidden=(16,), train_subset=2000))
    trainer.step()
    panel.show_snapshot(trainer.snapshot())
    kept = panel.curve("noise")
    trainer.net.params[0][0, 0] = np.nan
    trainer.step()
    broken = trainer.snapshot()
    assert broken.diverged
    panel.show_snapshot(broken)
    assert "diverged" in panel.message()
    np.testing.assert_array_equal(panel.curve("noise")[1], kept[1])
    assert len(panel.curve("rotate")[0]) == 0


def test_class_names_come_from_the_dataset(panel, small_mnist):
    fashion_like = dataclasses.replace(small_mnist, class_names=FASHION_CLASS_NAMES, name="clothes")
    panel.set_dataset(fashion_like)
    axis = panel._class_plot.getAxis("bottom")
    assert axis.labelText == "class" and "Trouser" in [text for _, text in axis._tickLevels[0]]
    assert "1 Trouser" in panel._class_plot.toolTip()


def test_a_round_whose_signal_comes_before_its_future_is_done_still_starts_the_next(qtbot, shown, snap, small_mnist,
                                                                                    monkeypatch):
    """The round's result is emitted from inside the computation, so the GUI thread can handle it
    while the future is not yet done: the snapshot that waited must start then, or the curves stop
    following the training (seen under Xvfb)."""
    import threading
    from concurrent.futures import Future

    from mnist_viz.gui.panels import robustness as panel_module

    lab = shown(RobustnessPanel(small_mnist, min_interval=0.2), 1200, 800)
    started = []

    class NotYetDone:
        """Runs each job on a thread of its own, which emits the result as the real one does, but
        leaves the future not done: as the GUI thread can see it while handling the signal."""

        def submit(self, fn, job):
            started.append(job.kind)
            threading.Thread(target=fn, args=(job,), daemon=True).start()
            return Future()

    monkeypatch.setattr(panel_module, "ThreadPoolExecutor", lambda **_kw: NotYetDone())
    lab.show_snapshot(snap)
    assert started == ["noise"]
    lab._waiting = snap  # a newer snapshot parked while the round runs
    qtbot.waitUntil(lambda: len(lab.curve("noise")[0]) == 5, timeout=5000)  # the queued signal shown
    qtbot.waitUntil(lambda: len(started) == 2, timeout=5000)  # ... and the waiting one started
    assert started == ["noise", "rotate"]
