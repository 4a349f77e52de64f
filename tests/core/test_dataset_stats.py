import numpy as np

from mnist_viz.core import dataset_stats as ds


def test_means_counts_match_direct(small):
    x, y = small.x_train, small.y_train
    means = ds.class_means(x, y)
    for c in range(10):
        np.testing.assert_allclose(means[c], x[y == c].mean(axis=0), atol=1e-5)
    assert (ds.class_counts(y) == [(y == c).sum() for c in range(10)]).all()


def test_histogram_and_zero_fraction(small):
    x = small.x_train
    counts, edges, zero = ds.pixel_histogram(x, bins=32)
    assert counts.sum() == x.size and len(edges) == 33
    assert zero == np.mean(x == 0)


def test_random_per_class_seeded(small):
    y = small.y_train
    a = ds.random_per_class(y, 5, seed=1)
    assert (a == ds.random_per_class(y, 5, seed=1)).all()
    assert (y[a] == np.arange(10)[:, None]).all()
