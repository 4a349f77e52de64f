import numpy as np
import pytest

from mnist_viz.core.network import softmax
from mnist_viz.core.softmax_temperature import entropy_bits, max_entropy_bits, tempered_softmax

Z = np.array([2.0, -1.0, 0.5, 3.0, 0.0, -2.0, 1.0, 0.2, -0.3, 2.9])


def test_t1_is_plain_softmax():
    np.testing.assert_allclose(tempered_softmax(Z, 1.0), softmax(Z[None])[0], rtol=1e-12)


def test_large_t_uniform_small_t_onehot():
    hot = tempered_softmax(Z, 1e-3)
    assert hot.argmax() == Z.argmax() and hot.max() > 1 - 1e-9
    assert entropy_bits(tempered_softmax(Z, 1e6)) == pytest.approx(max_entropy_bits(10), abs=1e-6)


def test_stable_for_huge_logits():
    p = tempered_softmax(Z * 1e6, 0.1)
    assert np.isfinite(p).all() and p.sum() == pytest.approx(1.0)


def test_entropy_direct_formula():
    p = tempered_softmax(Z, 2.0)
    assert entropy_bits(p) == pytest.approx(-sum(q * np.log(q) for q in p) / np.log(2))


def test_bad_temperature():
    with pytest.raises(ValueError, match="temperature"):
        tempered_softmax(Z, 0.0)


def test_probe_logits_t1_is_the_snapshots_probe_probs(small):
    from mnist_viz.core.softmax_temperature import probe_logits
    from mnist_viz.core.trainer import Trainer
    trainer = Trainer(small)
    for _ in range(20):
        trainer.step()
    probes = small.x_test[:3]
    snap = trainer.snapshot(probes, health=False)
    for k in range(3):
        np.testing.assert_allclose(tempered_softmax(probe_logits(snap, probes[k]), 1.0), snap.probe_probs[k],
                                   atol=1e-5)
