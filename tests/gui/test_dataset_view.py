"""DatasetPanel: class means, counts, pixel histogram and random images per class of the dataset."""
import dataclasses

import numpy as np
import pytest

from mnist_viz.core.dataset_stats import class_counts, class_means, pixel_histogram
from mnist_viz.core.i18n import format_percent

FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot")


@pytest.fixture
def panel(shown, small_mnist):
    from mnist_viz.gui.panels.dataset_view import DatasetPanel
    p = shown(DatasetPanel(small_mnist), 1000, 800)
    assert p.wait_for_stats()
    return p


def test_stats_match_the_data(panel, small_mnist):
    stats = panel.stats()
    np.testing.assert_allclose(stats.means, class_means(small_mnist.x_train, small_mnist.y_train), atol=1e-6)
    np.testing.assert_array_equal(stats.train_counts, class_counts(small_mnist.y_train))
    np.testing.assert_array_equal(stats.test_counts, class_counts(small_mnist.y_test))
    np.testing.assert_array_equal(panel._train_bars.opts["height"], class_counts(small_mnist.y_train))
    share = pixel_histogram(small_mnist.x_train)[2]
    assert format_percent(share) in panel.zero_share_text()
    assert panel.mean_label_texts() == [str(d) for d in range(10)]


def test_samples_per_class_and_new_sample(panel, small_mnist):
    before = panel.sample_indices()
    assert before.shape == (10, 8)
    for c in range(10):
        assert (small_mnist.y_train[before[c]] == c).all()
    panel._new_sample_button.click()
    after = panel.sample_indices()
    assert not np.array_equal(before, after)
    assert (small_mnist.y_train[after] == np.arange(10)[:, None]).all()


def test_set_dataset_recomputes_and_clear_keeps(panel, small_mnist):
    other = dataclasses.replace(small_mnist, x_train=small_mnist.x_train[:500], y_train=small_mnist.y_train[:500],
                                class_names=FASHION)
    panel.set_dataset(other)
    assert panel.wait_for_stats()
    np.testing.assert_array_equal(panel.stats().train_counts, class_counts(other.y_train))
    assert "Trouser" in panel.mean_label_texts() and "Trouser" in panel.row_label_texts()
    panel.clear()
    assert panel.stats() is not None


def test_lazy_until_shown(qtbot, small_mnist):
    from mnist_viz.gui.panels.dataset_view import DatasetPanel
    p = DatasetPanel(small_mnist)
    qtbot.addWidget(p)
    qtbot.wait(50)
    assert p.stats() is None and "Computing" in p.zero_share_text()
