"""Running the network of a snapshot (core.analysis): what the drawing pad, the unit inspector,
the templates and the confusion gallery compute from a moment of training."""
import numpy as np

from mnist_viz.core.analysis import hidden_layer_count, network_answer, snapshot_network
from mnist_viz.core.network import softmax
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


def trained_snapshot(data, hidden=(16,)):
    trainer = Trainer(data, Settings(hidden=hidden, train_subset=1000))
    for _ in range(3):
        trainer.step()
    return trainer, trainer.snapshot()


def test_hidden_layer_count(small):
    assert hidden_layer_count(trained_snapshot(small, (16,))[1]) == 1
    assert hidden_layer_count(trained_snapshot(small, (16, 8))[1]) == 2


def test_network_answer_is_the_trainers_network_with_its_ablated_units_off(small):
    trainer, _ = trained_snapshot(small)
    trainer.set_unit_enabled(3, False)
    snap = trainer.snapshot()
    x = small.x_test[:5]
    probs, hidden = network_answer(snap, x)
    logits, cache = trainer.net.forward(x, keep=True)
    assert probs.shape == (5, 10) and hidden.shape == (5, 16) and probs.dtype == hidden.dtype == np.float32
    np.testing.assert_allclose(probs, softmax(logits), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(hidden, cache[0])
    assert (hidden[:, 3] == 0).all()  # the switched-off unit
    assert snapshot_network(snap).params[0] is snap.params[0]  # weights shared, not copied


def test_network_answer_of_a_diverged_snapshot_is_none(small):
    trainer, _ = trained_snapshot(small)
    trainer.net.params[0][0, 0] = np.nan
    trainer.step()
    assert network_answer(trainer.snapshot(), small.x_test[:2]) is None
