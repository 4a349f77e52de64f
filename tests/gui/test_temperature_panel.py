"""TemperaturePanel: softmax(z / T) of the selected probe, T on a log slider, the entropy in bits."""
import numpy as np
import pytest

from mnist_viz.core.softmax_temperature import max_entropy_bits
from mnist_viz.core.trainer import Trainer


@pytest.fixture(scope="module")
def trained(small_mnist):
    """A snapshot after a few steps and the probe images it carries."""
    trainer = Trainer(small_mnist)
    for _ in range(30):
        trainer.step()
    probes = small_mnist.x_test[:4]
    return trainer.snapshot(probes, health=False), probes, small_mnist.y_test[:4]


@pytest.fixture
def panel(shown, trained):
    from mnist_viz.gui.panels.temperature import TemperaturePanel
    p = shown(TemperaturePanel())
    snap, probes, labels = trained
    p.set_probe(probes[2], int(labels[2]))
    p.show_snapshot(snap)
    return p


def test_t1_bars_are_the_networks_probs(panel, trained):
    snap = trained[0]
    assert panel.temperature == pytest.approx(1.0)
    np.testing.assert_allclose(panel.probabilities(), snap.probe_probs[2], atol=1e-5)


def test_slider_extremes_entropy(panel):
    panel.slider.setValue(panel.slider.maximum())
    assert panel.temperature == pytest.approx(10.0)
    high = panel.entropy()
    panel.slider.setValue(panel.slider.minimum())
    assert panel.temperature == pytest.approx(0.1)
    low = panel.entropy()
    assert high > 0.9 * max_entropy_bits(10)
    assert low < 0.1 * max_entropy_bits(10)
    assert panel.probabilities().max() > 0.9
    assert "3.32" in panel.entropy_text()


def test_class_names_shown(panel):
    names = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
             "Ankle boot")
    panel.set_class_names(names)
    from mnist_viz.gui.class_labels import short_names
    from mnist_viz.gui.panels.temperature import NAME_CHARS
    assert panel.tick_texts() == short_names(names, NAME_CHARS)
    assert "Trouser" in panel.tick_texts()
    assert "Ankle boot" in panel._graphics.toolTip()
    assert names[panel._label] in panel._probe_text.text()  # the probe's true class, in full


def test_empty_states(shown, trained):
    from mnist_viz.gui.panels.temperature import TemperaturePanel
    p = shown(TemperaturePanel())
    assert "Start" in p.message() and p.entropy() is None
    p.show_snapshot(trained[0])
    assert "probe" in p.message()
    p.set_probe(trained[1][0], 0)
    assert p.message() == "" and p.entropy() is not None
    p.clear()
    assert p.entropy() is None and not p.probabilities().any()
    with pytest.raises(ValueError, match="784"):
        p.set_probe(np.zeros(10), 0)
