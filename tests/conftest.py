"""Test-wide setup: Qt runs offscreen (no display needed); the bundled MNIST is loaded once."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import dataclasses  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mnist_viz.core.data import load_bundled  # noqa: E402


@pytest.fixture(scope="session")
def mnist():
    """The full bundled MNIST (60,000 train / 10,000 test, read-only, shared)."""
    return load_bundled()


@pytest.fixture(scope="session")
def small_mnist(mnist):
    """2,000 training and 500 test images: enough for a trainer to learn something in a moment."""
    return dataclasses.replace(mnist, x_train=mnist.x_train[:2000], y_train=mnist.y_train[:2000],
                               x_test=mnist.x_test[:500], y_test=mnist.y_test[:500],
                               x_val=np.zeros((0, 784), np.float32), y_val=np.zeros(0, np.int64))
