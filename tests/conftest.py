"""Test-wide setup: Qt runs offscreen (no display needed); the bundled MNIST is loaded once.

This is the one place QT_QPA_PLATFORM is set for the suite (subprocesses the tests start inherit it);
setdefault, so a developer can still watch the windows with QT_QPA_PLATFORM=xcb.

The suite speaks English whatever the machine's locale (the CLI would follow LANG=de_DE.UTF-8):
MNIST_VIZ_LANGUAGE=en for the session and its subprocesses, and again for each test, so a test that
sets another language (or a window that writes the variable on a switch) leaves the next one English."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt
os.environ["MNIST_VIZ_LANGUAGE"] = "en"  # not setdefault: a shell's language must not change the tests

import dataclasses
import subprocess
import sys
import time

import numpy as np
import pytest

from mnist_viz.core.data import load_bundled


@pytest.fixture(autouse=True)
def english_environment(monkeypatch):
    """``MNIST_VIZ_LANGUAGE=en`` for the test, restored afterwards (``monkeypatch.setenv`` in a test
    overrides it)."""
    monkeypatch.setenv("MNIST_VIZ_LANGUAGE", "en")


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


@pytest.fixture(scope="session")
def python_start_time() -> float:
    """Seconds the interpreter itself takes to start (site packages, .pth files), before any of
    mnist-viz runs: the slowest of three ``python -c pass``. A Ctrl+C inside it is Python's own
    (site.py's traceback), which no program can catch."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t0)
    return max(times)
