"""The "Backprop step" tab: four clicks walk one step, the signals ask for what each stage needs, and
the gradient tiles share the weight mosaic's colour scale."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from mnist_viz.core.backprop_step import StepExplanation, explain_next_step
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.tiling import SIDE, dequantize
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.backprop import BACKWARD, FORWARD, IDLE, LOSS, UPDATE, BackpropStepPanel
from mnist_viz.gui.panels.weights import WeightsPanel
from mnist_viz.gui.worker import TrainingWorker
from mnist_viz.runtime.protocol import CommandFailed


@pytest.fixture
def trainer(small_mnist):
    tr = Trainer(small_mnist, Settings(hidden=(20,), optimizer="sgd", lr=0.1, batch_size=40, seed=3))
    for _ in range(5):
        tr.step()
    return tr


def _panel(shown):
    panel = shown(BackpropStepPanel(), 900, 700)
    asked: list[str] = []
    panel.explainRequested.connect(lambda: asked.append("explain"))
    panel.stepRequested.connect(lambda: asked.append("step"))
    return panel, asked


def _reference_forward(tr, x):
    """Softmax probabilities ``(k, 10)`` of the trainer's ReLU network, in float64."""
    a = x.astype(np.float64)
    params = [p.astype(np.float64) for p in tr.net.params]
    for W, b in zip(params[0:-2:2], params[1:-2:2]):
        a = np.maximum(a @ W + b, 0)
    z = a @ params[-2] + params[-1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def test_four_clicks_walk_forward_loss_backward_update_and_ask_in_order(shown, trainer):
    panel, asked = _panel(shown)
    weights = shown(WeightsPanel(), 500, 400)
    snap = trainer.snapshot()
    weights.show_snapshot(snap)
    panel.show_snapshot(snap)
    panel.set_weight_level(weights.level)
    assert panel.stage == IDLE
    panel.next_button.click()
    assert asked == ["explain"] and panel.stage == FORWARD
    e = explain_next_step(trainer)  # what the training process answers
    panel.show_explanation(e)
    x, y = trainer.peek_batch()
    p = _reference_forward(trainer, x[:e.n_images])
    answers = p.argmax(axis=1)
    assert panel.digit_texts() == [f"{a}{'✓' if a == t else '✗'}" for a, t in zip(answers, y[:e.n_images])]
    assert panel.digits_image() is not None

    panel.next_button.click()
    assert panel.stage == LOSS and asked == ["explain"]
    losses = -np.log(p[np.arange(e.n_images), y[:e.n_images]])
    assert [float(t) for t in panel.digit_texts()] == pytest.approx(losses, abs=0.006)
    assert f"{e.mean_loss:.3g}" in panel._big.text()

    panel.next_button.click()
    assert panel.stage == BACKWARD and asked == ["explain"]
    assert panel.gradient_level == weights.level
    image = panel.gradient_image()
    assert image is not None
    tile = dequantize(image[:SIDE, :SIDE], weights.level)  # unit 0, not amplified
    expected = np.clip(e.sgd_update_W1[:, 0].reshape(SIDE, SIDE), -weights.level, weights.level)
    assert np.abs(tile - expected).max() <= weights.level / 62 / 2 + 1e-9
    n = panel.amplification
    assert n > 1 and f"×{n:,}" in panel._amplify_box.text()  # one step is far smaller than the weights
    panel.set_amplified(True)
    amplified = dequantize(panel.gradient_image()[:SIDE, :SIDE], weights.level)
    expected = np.clip(n * e.sgd_update_W1[:, 0].reshape(SIDE, SIDE), -weights.level, weights.level)
    assert np.abs(amplified - expected).max() <= weights.level / 62 / 2 + 1e-6

    panel.next_button.click()
    assert panel.stage == UPDATE and asked == ["explain", "step"]
    W_before = [w.copy() for w in trainer.net.params[0::2]]
    trainer.step()  # what the window's Step makes the training process do
    panel.show_snapshot(trainer.snapshot())
    ratios = [np.linalg.norm(w - b) / np.linalg.norm(w) for w, b in zip(trainer.net.params[0::2], W_before)]
    text = panel._numbers.text()
    assert f"layer 1 {100 * ratios[0]:.2g}%" in text and f"output {100 * ratios[1]:.2g}%" in text

    panel.next_button.click()
    assert panel.stage == FORWARD and asked == ["explain", "step", "explain"]


def test_the_gradient_scale_without_the_window_is_the_weight_mosaics_own_rule(shown, trainer):
    panel, _ = _panel(shown)
    weights = shown(WeightsPanel(), 500, 400)
    snap = trainer.snapshot()
    weights.show_snapshot(snap)  # its first level is the rule's target, unsmoothed
    panel.show_snapshot(snap)
    panel.advance()
    panel.show_explanation(explain_next_step(trainer))
    panel.advance()
    panel.advance()
    assert panel.gradient_level == pytest.approx(weights.level, rel=1e-12)
    panel.set_weight_level(math.nan)  # a bad level from the window: the panel's own again
    assert panel.gradient_level == pytest.approx(weights.level, rel=1e-12)


def test_a_step_the_panel_did_not_ask_for_starts_it_again(shown, trainer):
    panel, asked = _panel(shown)
    panel.advance()
    panel.show_explanation(explain_next_step(trainer))
    panel.advance()
    trainer.step()  # the lecturer pressed Start meanwhile
    panel.show_snapshot(trainer.snapshot())
    assert panel.stage == IDLE and panel.explanation is None and "Training went on" in panel.message()
    panel.clear()
    assert panel.stage == IDLE and asked == ["explain"]


def test_a_refused_explanation_is_said_and_the_panel_starts_again(shown):
    panel, asked = _panel(shown)
    panel.advance()
    panel.show_refusal(CommandFailed(command="save session", reason="disk full"))
    assert panel.stage == FORWARD
    panel.show_refusal(CommandFailed(command="explain step", reason="no step to explain: training stopped"))
    assert panel.stage == IDLE and "training stopped" in panel.message()
    panel.advance()
    assert asked == ["explain", "explain"]


def test_bad_explanations_do_not_crash_it(shown, trainer):
    panel, _ = _panel(shown)
    panel.show_explanation(None)
    panel.show_explanation("nonsense")
    assert panel.stage == IDLE
    e = explain_next_step(trainer)
    broken = [dataclasses.replace(e, sgd_update_W1=np.full_like(e.sgd_update_W1, np.nan), mean_loss=math.nan,
                                  image_losses=np.full(e.n_images, np.nan), grad_norms=(math.inf, math.nan),
                                  sgd_log10_ratios=(math.nan, math.nan)),
              dataclasses.replace(e, sgd_update_W1=np.zeros((10, 3), np.float32)),
              dataclasses.replace(e, images=np.zeros((0, 784), np.float32), labels=np.zeros(0, np.int64),
                                  predictions=np.zeros(0, np.int64), true_class_probs=np.zeros(0, np.float32),
                                  image_losses=np.zeros(0))]
    for bad in broken:
        panel.show_explanation(bad)
        panel.advance()
        if bad is broken[0]:
            assert panel.stage == LOSS and "not a number" in panel._big.text()  # said, not drawn as a number
        panel.advance()
        assert panel.stage == BACKWARD
        if bad is broken[1]:
            assert panel.gradient_image() is None  # not 784 pixels a unit: no tiles
        panel.advance()
        assert panel.stage == UPDATE


def test_the_worker_brings_the_explanation_from_the_training_process_and_step_applies_it(qtbot, small_mnist):
    w = TrainingWorker(small_mnist, Settings(hidden=(16,), optimizer="sgd", lr=0.1, batch_size=64))
    w.start()
    try:
        w.play()
        with qtbot.waitSignal(w.stepExplained, timeout=10_000) as got:
            w.explain_step(8)
        e = got.args[0]
        assert isinstance(e, StepExplanation) and e.n_images == 8 and e.sgd_update_W1.shape == (784, 16)
        w.step_once()

        def stepped():
            snap = w.take_snapshot()
            assert snap is not None and snap.step == e.step and snap.loop.applied_seq == w.commands_sent
            assert not snap.loop.playing
            assert snap.new_steps[-1, 3] == pytest.approx(e.mean_loss, rel=1e-6)
        qtbot.waitUntil(stepped, timeout=10_000)
    finally:
        assert w.stop(5000)
