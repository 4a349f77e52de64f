"""Fixtures for the headless core tests: small slices of the bundled MNIST."""
import dataclasses

import numpy as np
import pytest


@pytest.fixture(scope="session")
def small(mnist):
    """3,000 training and 1,000 test images: enough to learn something in well under a second."""
    return dataclasses.replace(mnist, x_train=mnist.x_train[:3000], y_train=mnist.y_train[:3000],
                               x_test=mnist.x_test[:1000], y_test=mnist.y_test[:1000],
                               x_val=np.zeros((0, 784), np.float32), y_val=np.zeros(0, np.int64))
