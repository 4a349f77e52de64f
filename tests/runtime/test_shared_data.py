"""The dataset and snapshot folders that both processes map."""
from __future__ import annotations

import os

import numpy as np

from mnist_viz.runtime.shared_data import open_dataset, remove_stale_folders, share_dataset


def test_folders_left_by_a_killed_window_are_removed_at_the_next_start(tmp_path):
    dead_pid = 2**22 + 12345  # above Linux's pid_max: no process has it
    stale, alive, other = (tmp_path / f"mnist-viz-{dead_pid}-abc", tmp_path / f"mnist-viz-{os.getpid()}-def",
                           tmp_path / "mnist-viz-notapid-x")
    for folder in (stale, alive, other):
        folder.mkdir()
        (folder / "x_train.npy").write_bytes(b"0" * 100)
    assert remove_stale_folders(str(tmp_path)) == [str(stale)]
    assert not stale.exists() and alive.exists() and other.exists()


def test_a_shared_dataset_maps_back_equal_and_read_only(tmp_path, small_mnist):
    spec = share_dataset(small_mnist, tmp_path)
    data = open_dataset(spec)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(data, name), getattr(small_mnist, name))
    assert not data.x_train.flags.writeable and data.name == small_mnist.name
