"""Deeper networks in the window: the layer count and each layer's size in the controls, the
mosaic of a deeper layer (linear views), and the Unit tab for a deeper unit (its top-activating
test images, its arithmetic on the previous layer's activations), against real Trainer snapshots."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from mnist_viz.core.snapshot import Settings
from mnist_viz.core.tiling import SIDE, dequantize
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.controls import ControlsPanel, hidden_to_slider, slider_to_hidden
from mnist_viz.gui.panels.unit_inspector import TOP_IMAGES, UnitInspectorPanel
from mnist_viz.gui.panels.weights import WeightsPanel

PITCH = SIDE + 1
PROBES = 6


@pytest.fixture
def trainer(small_mnist):
    trainer = Trainer(small_mnist, Settings(hidden=(32, 16), train_subset=2000))
    for _ in range(30):
        trainer.step()
    return trainer


@pytest.fixture
def probes(small_mnist):
    return np.array(small_mnist.x_test[:PROBES], np.float32)


def relu_forward(params, x, layers):
    """The activations of hidden layer ``layers`` (1-based), in float64, independently of the engine."""
    a = np.asarray(x, np.float64)
    for k in range(layers):
        a = np.maximum(a @ params[2 * k].astype(np.float64) + params[2 * k + 1], 0.0)
    return a


# ------------------------------------------------------------------------------------ controls
@pytest.fixture
def controls(qtbot):
    panel = ControlsPanel(Settings(hidden=(256,)))
    qtbot.addWidget(panel)
    panel.resize(330, 900)
    panel.show()
    qtbot.waitExposed(panel)
    panel.questions, panel.sent, panel.restarts = [], [], []
    panel.ask_restart = lambda question: panel.questions.append(question) or True
    panel.liveChanged.connect(panel.sent.append)
    panel.restartRequested.connect(panel.restarts.append)
    panel.set_has_progress(True)
    return panel


def test_choosing_two_layers_asks_then_restarts_with_a_second_layer_of_64(controls):
    assert controls.layers_combo.currentData() == 1 and not controls.hidden_sliders[1].isVisible()
    controls.layers_combo.setCurrentIndex(controls.layers_combo.findData(2))
    controls.layers_combo.activated.emit(controls.layers_combo.currentIndex())  # what a pick in the list sends
    assert len(controls.questions) == 1 and "number of hidden layers" in controls.questions[0]
    assert [s.hidden for s in controls.restarts] == [(256, 64)] and controls.sent == []
    assert controls.hidden_sliders[1].isVisible() and not controls.hidden_sliders[2].isVisible()
    assert [label.text() for label in controls.hidden_labels[:2]] == ["Layer 1 units", "Layer 2 units"]
    assert controls.hidden_boxes[1].value() == 64


def test_a_refused_restart_keeps_one_layer(controls):
    controls.ask_restart = lambda question: False
    assert not controls.set_layer_count(3)
    assert controls.restarts == [] and controls.layers_combo.currentData() == 1
    assert controls.settings().hidden == (256,) and not controls.hidden_sliders[1].isVisible()


def test_dragging_layer_twos_slider_sends_one_live_resize_on_release(controls):
    controls.set_settings(Settings(hidden=(256, 64)))
    slider = controls.hidden_sliders[1]
    slider.setSliderDown(True)
    for n in (48, 40, 32, 24):
        slider.setValue(hidden_to_slider(n))
        assert controls.hidden_boxes[1].value() == n and controls.is_editing()
    assert controls.sent == []
    slider.setSliderDown(False)
    assert controls.sent == [{"hidden": (256, 24)}] and controls.restarts == []
    controls.hidden_boxes[1].setValue(100)  # typed: sent after the debounce, layer 1 untouched
    controls.flush()
    assert controls.sent[-1] == {"hidden": (256, 100)} and slider_to_hidden(slider.value()) == 96


def test_the_controls_show_every_layer_of_the_snapshots_settings(controls):
    controls.set_settings(Settings(hidden=(128, 40, 12)))
    assert controls.layers_combo.currentData() == 3 and controls.hidden_box.value() == 128
    assert [box.value() for box in controls.hidden_boxes] == [128, 40, 12]
    assert all(slider.isVisible() for slider in controls.hidden_sliders) and controls.sent == []
    controls.set_settings(Settings(hidden=(50,)))
    assert controls.hidden_labels[0].text() == "Hidden units" and not controls.hidden_sliders[1].isVisible()


# -------------------------------------------------------------------------------- weights panel
def decoded_tiles(panel: WeightsPanel, n: int) -> np.ndarray:
    """``(784, n)`` values read back from the panel's image."""
    _rows, cols = panel.layout_shape
    image = panel.image()
    tiles = [image[r * PITCH:r * PITCH + SIDE, c * PITCH:c * PITCH + SIDE].reshape(-1)
             for r, c in (divmod(u, cols) for u in range(n))]
    return dequantize(np.stack(tiles, axis=1), panel.level)


def test_the_mosaic_of_layer_two_shows_each_units_linear_view_and_follows_a_resize(shown, trainer, qtbot):
    panel = shown(WeightsPanel(), 900, 600)
    panel.show_snapshot(trainer.snapshot())
    assert panel.layer == 1 and panel.n_units == 32 and panel._layer_row.isVisible()
    panel.set_layer(2)
    assert panel.n_units == 16 and "linear view" in panel.title_text().lower()
    assert "ignoring the bends of the activation" in panel.note_text()
    expected = trainer.snapshot().params[0].astype(np.float64) @ trainer.snapshot().params[2]
    level = panel.level
    decoded = decoded_tiles(panel, 16)
    inside = np.abs(expected) < level  # saturated values are clipped to the colour range
    step = 2 * level / 120  # about one colour level
    assert inside.mean() > 0.9 and np.abs(decoded - expected)[inside].max() <= step

    trainer.update(hidden=(32, 24))
    panel.show_snapshot(trainer.snapshot())
    assert panel.n_units == 24 and panel.layer == 2

    clicks = []
    panel.deepUnitClicked.connect(lambda layer, unit: clicks.append((layer, unit)))
    panel.unitClicked.connect(lambda unit: clicks.append(("layer 1 only", unit)))
    _rows, _cols = panel.layout_shape
    pos = panel._image.mapToScene(QtCore.QPointF(PITCH * 1 + 10, PITCH * 0 + 10))
    view_pos = panel._graphics.mapFromScene(pos)
    qtbot.mouseClick(panel._graphics.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=view_pos)
    assert clicks == [(2, 1)]


def test_a_restart_to_one_layer_brings_the_mosaic_back_to_layer_one(shown, trainer, small_mnist):
    panel = shown(WeightsPanel(), 900, 600)
    panel.show_snapshot(trainer.snapshot())
    panel.set_layer(2)
    single = Trainer(small_mnist, Settings(hidden=(20,), train_subset=2000))
    panel.show_snapshot(single.snapshot())
    assert panel.layer == 1 and panel.n_units == 20 and not panel._layer_row.isVisible()
    assert panel.note_text() == ""


# ------------------------------------------------------------------------------ unit inspector
@pytest.fixture
def inspector(shown, probes, small_mnist):
    panel = shown(UnitInspectorPanel(), 1000, 760)
    panel.set_probe_images(probes)
    panel.set_test_images(small_mnist.x_test, small_mnist.y_test)
    return panel


def firing_unit(snap, x, layer, minimum=TOP_IMAGES) -> int:
    """A unit of ``layer`` that fires on more than ``minimum`` of the images ``x`` (or the test says nothing)."""
    acts = relu_forward(snap.params, x, layer)
    unit = int(np.argmax((acts > 0).sum(axis=0)))
    assert (acts[:, unit] > 0).sum() > minimum, "no unit fires on enough images for the test to say anything"
    return unit


def test_a_deeper_unit_shows_its_top_activating_test_images(inspector, trainer, probes, small_mnist):
    snap = trainer.snapshot(probes)
    x = small_mnist.x_test[:2000]
    unit = firing_unit(snap, x, 2)
    inspector.inspect(2, unit)
    inspector.show_snapshot(snap)
    acts = relu_forward(snap.params, x, 2)[:, unit]
    shown_top = inspector.top_images()
    assert len(shown_top) == TOP_IMAGES
    np.testing.assert_allclose(acts[shown_top], np.sort(acts)[::-1][:TOP_IMAGES], rtol=1e-4, atol=1e-5)
    labels = " ".join(str(int(v)) for v in small_mnist.y_test[shown_top])
    assert labels in inspector.top_text()
    assert inspector.message() == f"Layer 2 unit {unit} of 16"
    view = snap.params[0].astype(np.float64) @ snap.params[2][:, unit]
    np.testing.assert_allclose(inspector.weights_image().reshape(-1), view, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(inspector.outgoing_weights(), snap.W_out[unit])  # last hidden layer: digits
    assert not inspector.ablate_button.isEnabled() and "layer-1" in inspector.ablate_button.toolTip()


def test_a_deeper_units_arithmetic_uses_the_previous_layers_activations(inspector, trainer, probes):
    snap = trainer.snapshot(probes)
    unit = firing_unit(snap, probes, 2, minimum=0)
    probe = int(np.argmax(relu_forward(snap.params, probes, 2)[:, unit]))
    inspector.set_probe_index(probe)
    inspector.inspect(2, unit)
    inspector.show_snapshot(snap)
    x = relu_forward(snap.params, probes[probe:probe + 1], 1)[0]
    z = x @ snap.params[2][:, unit] + snap.params[3][unit]
    result = inspector.arithmetic()
    assert result is not None and result.z == pytest.approx(z, rel=1e-4, abs=1e-5) and z > 0
    assert inspector.probe_activation() == pytest.approx(max(z, 0.0), rel=1e-4, abs=1e-5)
    np.testing.assert_allclose(result.class_contributions, max(z, 0.0) * snap.W_out[unit], rtol=1e-4, atol=1e-5)
    assert "32 activations of layer 1" in inspector._inputs_note.text()


def test_a_deeper_unit_that_a_resize_removed_is_deselected_with_a_message(inspector, trainer, probes):
    inspector.inspect(2, 12)
    inspector.show_snapshot(trainer.snapshot(probes))
    assert inspector.top_images() is not None
    trainer.update(hidden=(32, 8))
    inspector.show_snapshot(trainer.snapshot(probes))
    assert "no longer exists" in inspector.message() and "8 units" in inspector.message()
    assert inspector.weights_image() is None and inspector.top_images() is None


def test_a_unit_of_a_middle_layer_sends_its_weights_to_the_next_layer(shown, small_mnist, probes):
    trainer = Trainer(small_mnist, Settings(hidden=(24, 12, 6), train_subset=2000))
    trainer.step()
    panel = shown(UnitInspectorPanel(), 1000, 760)
    panel.inspect(2, 3)
    panel.show_snapshot(trainer.snapshot(probes))
    np.testing.assert_array_equal(panel.outgoing_weights(), trainer.snapshot().params[4][3])
    assert "6 units of layer 3" in panel._vote_caption.text()
    assert "No test images" in panel.top_text()  # none given: it says so, nothing made up
    panel.inspect(1, 3)  # back to a layer-1 unit: its own captions and ablation
    assert panel.ablate_button.isEnabled() and panel.message().startswith("Layer 1 unit 3 of 24")


def test_a_diverged_deep_network_shows_no_wrong_numbers(shown, trainer, probes, small_mnist):
    weights = shown(WeightsPanel(), 900, 600)
    inspector = shown(UnitInspectorPanel(), 1000, 760)
    inspector.set_probe_images(probes)
    inspector.set_test_images(small_mnist.x_test)
    weights.set_layer(2)
    inspector.inspect(2, 0)
    trainer.net.params[2][0, 0] = np.nan  # a NaN weight of layer-2 unit 0: the next step's loss is NaN
    assert trainer.step().diverged
    snap = trainer.snapshot(probes)
    weights.show_snapshot(snap)
    inspector.show_snapshot(snap)
    assert weights.n_units == 16 and weights.image() is not None
    assert inspector.arithmetic() is None and "not finite" in inspector.equation_text()
    assert np.isfinite(inspector._image.image).all()
    assert "not finite" in inspector.top_text() and inspector.top_images() is None  # unit 0 is NaN on every image
    inspector.inspect(2, firing_unit(snap, small_mnist.x_test, 2))  # another unit's numbers are fine: shown
    assert len(inspector.top_images()) == TOP_IMAGES
