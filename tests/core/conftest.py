"""Fixtures for the headless core tests: the bundled MNIST and small slices of it."""
import dataclasses

import numpy as np
import pytest

from mnist_viz.core.data import load_bundled


@pytest.fixture(scope="session")
def mnist():
    """The full bundled MNIST (60,000 train / 10,000 test)."""
    return load_bundled()


@pytest.fixture(scope="session")
def small(mnist):
    """3,000 training and 1,000 test images: enough to learn something in well under a second."""
    return dataclasses.replace(mnist, x_train=mnist.x_train[:3000], y_train=mnist.y_train[:3000],
                               x_test=mnist.x_test[:1000], y_test=mnist.y_test[:1000],
                               x_val=np.zeros((0, 784), np.float32), y_val=np.zeros(0, np.int64))
