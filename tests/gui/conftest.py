"""Fixtures for the GUI tests: Qt runs offscreen, so they need no display."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import dataclasses  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402



@pytest.fixture(scope="session")
def small_mnist(mnist):
    """2,000 training and 500 test images: enough for a trainer to learn something in a moment."""
    return dataclasses.replace(mnist, x_train=mnist.x_train[:2000], y_train=mnist.y_train[:2000],
                               x_test=mnist.x_test[:500], y_test=mnist.y_test[:500],
                               x_val=np.zeros((0, 784), np.float32), y_val=np.zeros(0, np.int64))


@pytest.fixture
def store(tmp_path):
    """A QSettings file in a temp folder: the tests never touch the user's real settings."""
    from PySide6 import QtCore
    return QtCore.QSettings(str(tmp_path / "mnist-viz.ini"), QtCore.QSettings.Format.IniFormat)
