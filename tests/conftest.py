"""Test-wide setup: Qt runs offscreen (no display needed); the bundled MNIST is loaded once."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import pytest  # noqa: E402

from mnist_viz.core.data import load_bundled  # noqa: E402


@pytest.fixture(scope="session")
def mnist():
    """The full bundled MNIST (60,000 train / 10,000 test, read-only, shared)."""
    return load_bundled()
