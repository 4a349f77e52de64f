"""The Unit tab's arithmetic section (z = Σ wᵢxᵢ + b → f → a, the heatmap of the terms, the class
pushes) against real snapshots from a small real Trainer (Qt offscreen)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtGui, QtWidgets

from mnist_viz.core.snapshot import Settings
from mnist_viz.core.tiling import SIDE
from mnist_viz.core.trainer import Trainer
from mnist_viz.core.unit_arithmetic import unit_arithmetic
from mnist_viz.gui import style
from mnist_viz.gui.panels.unit_inspector import (
    MINUS,
    UnitInspectorPanel,
    decimals_for,
    equation_line,
    push_summary,
    terms_rgb,
)

PROBES = 6
UNIT = 5


def trainer_after(data, hidden=(16,), activation="relu", steps=40) -> Trainer:
    trainer = Trainer(data, Settings(hidden=hidden, activation=activation, train_subset=2000))
    for _ in range(steps):
        trainer.step()
    return trainer


@pytest.fixture
def probes(small_mnist):
    return np.array(small_mnist.x_test[:PROBES], np.float32)


@pytest.fixture
def panel(shown, probes):
    panel = shown(UnitInspectorPanel(), 1000, 760)
    panel.set_probe_images(probes)
    panel.set_unit(UNIT)
    return panel


def minus(text: str) -> str:
    return text.replace("-", MINUS)


def firing_probe(snap) -> int:
    """A probe on which unit UNIT fires (so its pushes are not all zero and the test can fail)."""
    fires = np.flatnonzero(snap.probe_hidden[:, UNIT] > 0)
    assert len(fires), "unit 5 fires on no probe: pick another unit"
    return int(fires[0])


def test_the_panel_shows_the_engines_numbers_for_the_selected_probe(small_mnist, probes, panel):
    snap = trainer_after(small_mnist).snapshot(probes)
    p = firing_probe(snap)
    panel.set_probe_index(p)
    panel.show_snapshot(snap)
    result = panel.arithmetic()
    engine_z = (probes @ snap.W1 + snap.b1)[p, UNIT]
    tolerance = 8 * np.finfo(np.float32).eps * (np.abs(result.contributions).sum() + abs(result.bias))
    np.testing.assert_allclose(result.z, engine_z, rtol=0, atol=tolerance)
    np.testing.assert_allclose(result.activation, snap.probe_hidden[p, UNIT], rtol=0, atol=tolerance)
    # The heatmap is the terms over the digit; the bars are a · W_out[u].
    np.testing.assert_array_equal(panel.terms_image(), (probes[p] * snap.W1[:, UNIT]).reshape(SIDE, SIDE))
    np.testing.assert_allclose(panel._pushes.opts["height"], np.float32(result.output) * snap.W_out[UNIT])
    assert np.any(panel._pushes.opts["height"])
    # The equation carries the live numbers, in the order they are computed.
    text = panel.equation_text()
    assert text == f"Probe digit {p + 1}:  " + equation_line(result)  # the format itself: see the blackboard test
    d = decimals_for(result.weighted_sum, result.bias, result.z, result.activation)
    assert minus(f"= {result.weighted_sum:.{d}f} + ") in text and minus(f"= {result.z:.{d}f}  →  relu") in text

    other = (p + 1) % PROBES
    panel.set_probe_index(other)
    np.testing.assert_array_equal(panel.terms_image(), (probes[other] * snap.W1[:, UNIT]).reshape(SIDE, SIDE))
    assert panel.arithmetic().z != result.z and f"Probe digit {other + 1}:" in panel.equation_text()


def test_a_switched_off_unit_says_so_and_pushes_nothing(small_mnist, probes, panel):
    trainer = trainer_after(small_mnist)
    p = firing_probe(trainer.snapshot(probes))
    trainer.set_unit_enabled(UNIT, False)
    panel.set_probe_index(p)
    panel.show_snapshot(trainer.snapshot(probes))
    assert panel.arithmetic().activation > 0 and panel.arithmetic().output == 0
    assert panel.equation_text().endswith("switched off: a = 0")
    assert not np.any(panel._pushes.opts["height"]) and "adds nothing" in panel._push_note.text()


def test_no_images_no_probe_deep_and_diverged_networks_show_no_wrong_arithmetic(small_mnist, probes, shown):
    panel = shown(UnitInspectorPanel(), 1000, 760)
    panel.set_unit(UNIT)
    trainer = trainer_after(small_mnist, steps=3)
    panel.show_snapshot(trainer.snapshot(probes))
    assert panel.arithmetic() is None and "Select a probe" in panel.equation_text()  # the window sent no images
    panel.set_probe_images(probes)
    assert panel.arithmetic() is not None
    panel.set_probe_index(PROBES)  # past the last probe
    assert panel.arithmetic() is None and panel.terms_image() is None

    panel.set_probe_index(0)
    deep = trainer_after(small_mnist, hidden=(16, 8), steps=3)
    panel.show_snapshot(deep.snapshot(probes))
    assert panel.arithmetic() is not None and panel.arithmetic().class_contributions is None
    assert "next hidden layer (8 units)" in panel._push_caption.text()
    assert not np.any(panel._pushes.opts["height"])

    trainer.net.params[0][0, UNIT] = np.nan
    trainer.step()
    panel.show_snapshot(trainer.snapshot(probes))
    assert panel.arithmetic() is None and "not finite" in panel.equation_text()
    panel.clear()
    assert panel.arithmetic() is None and panel.equation_text() == ""


def test_the_arithmetic_text_is_large_enough_for_the_hall(small_mnist, probes, panel):
    panel.show_snapshot(trainer_after(small_mnist, steps=3).snapshot(probes))
    labels = [panel._equation, panel._terms_note, panel._push_caption, panel._push_note]
    assert all(label.font().pointSizeF() >= style.LABEL_PT for label in labels)
    assert panel._equation.font().bold() and panel._equation.font().pointSizeF() >= style.TITLE_PT
    captions = [label for label in panel.findChildren(QtWidgets.QLabel) if label.text().startswith("Terms")]
    assert len(captions) == 1 and captions[0].font().pointSizeF() >= style.LABEL_PT


def test_the_heatmap_uses_the_weight_colours_and_greys_out_blank_pixels(qtbot):
    terms = np.zeros(SIDE * SIDE, np.float32)
    x = np.zeros(SIDE * SIDE, np.float32)
    x[:3] = 1.0
    terms[:3] = [0.2, -0.2, 0.0]  # +level, -level, and ink on a zero weight
    terms[3] = 9.0  # no ink: grey, whatever the number says
    rgb = terms_rgb(terms, x, level=0.2).reshape(-1, 3)
    lut = style.diverging_lut()
    assert rgb[0].tolist() == lut[-1].tolist() and rgb[1].tolist() == lut[0].tolist()
    assert rgb[2].tolist() == lut[128].tolist()  # the middle of the map: white-ish, not grey
    assert rgb[3].tolist() == list(QtGui.QColor(style.LIGHT_GREY).getRgb()[:3])
    assert np.isfinite(terms_rgb(np.full(SIDE * SIDE, np.inf, np.float32), np.ones(SIDE * SIDE), 0.0)).all()


def one_pixel(weight: float, bias: float, activation: str = "relu", w_out=None):
    W1 = np.array([[weight]], np.float32)
    return unit_arithmetic(np.ones(1, np.float32), W1, np.array([bias], np.float32), 0, activation,
                           None if w_out is None else np.array([w_out], np.float32))


def test_the_equation_line_reads_like_the_blackboard():
    line = equation_line(one_pixel(3.41, -0.52))
    assert line == f"z = Σ wᵢxᵢ + b = 3.41 + ({MINUS}0.52) = 2.89  →  relu  →  a = 2.89"
    assert equation_line(one_pixel(-1.0, 0.25)).endswith(f"= {MINUS}0.75  →  relu  →  a = 0.00")
    # Small numbers keep three significant digits instead of rounding to 0.00.
    assert "0.0312" in equation_line(one_pixel(0.0312, 0.0, "tanh"))
    assert decimals_for(250.0) == 2 and decimals_for(0.004) == 5 and decimals_for(0.0) == 2


def test_the_push_summary_names_the_digits_it_helps_and_hurts_most():
    pushes = [0.1, -0.4, 0.0, 0.9, 0, 0, 0, 0, 0, -0.2]
    assert push_summary(one_pixel(2.0, 0.0, w_out=pushes)) == f"most for 3 (+1.80), most against 1 ({MINUS}0.80)"
    assert "adds nothing" in push_summary(one_pixel(-2.0, 0.0, w_out=pushes))
    assert push_summary(one_pixel(2.0, 0.0)) == ""  # deeper network: no per-digit push
