"""The dataset and snapshot folders that both processes map."""
from __future__ import annotations

import errno
import gc
import os
from pathlib import Path

import numpy as np

from mnist_viz.runtime.shared_data import (
    open_dataset,
    publish_dataset,
    published_spec,
    release_pages,
    remove_stale_folders,
    share_dataset,
)


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


def test_a_published_dataset_is_one_mapped_copy_whose_folder_goes_with_it(small_mnist):
    """The window maps the published copy and its training processes map the same files: the folder
    stays while the dataset lives and is removed when it is garbage."""
    data = publish_dataset(small_mnist)
    spec = published_spec(data)
    assert spec is not None and published_spec(small_mnist) is None
    assert publish_dataset(data) is data  # published once
    folder = Path(spec["folder"])
    assert isinstance(data.x_train.base, np.memmap) and not data.x_train.flags.writeable
    np.testing.assert_array_equal(open_dataset(spec).x_test, small_mnist.x_test)  # what a process maps
    assert data.name == small_mnist.name and data.class_names == small_mnist.class_names
    del data
    gc.collect()
    assert not folder.exists()


def test_a_dataset_no_disk_can_take_stays_the_windows_own_copy(small_mnist, monkeypatch, caplog):
    """Both the RAM disk and the temporary folder full: the window still opens with its own copy
    (the worker then tries per training process and reports a failure there), and nothing is left."""
    from mnist_viz.runtime import shared_data

    made = []

    def full(data, folder):
        made.append(folder)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shared_data, "share_dataset", full)
    assert publish_dataset(small_mnist) is small_mnist and published_spec(small_mnist) is None
    assert made and not Path(made[0]).exists()
    assert "could not be shared" in caplog.text and "No space left" in caplog.text


def test_released_pages_leave_the_process_but_not_the_data(small_mnist):
    """After a pass over every image the pages need not stay resident; reading again still gives them."""
    data = publish_dataset(small_mnist)
    total = float(data.x_train.sum())
    resident = _resident_kib()
    release_pages(data.x_train)
    assert _resident_kib() < resident - 0.8 * data.x_train.nbytes / 1024
    assert float(data.x_train.sum()) == total
    release_pages(np.zeros(3))  # not a mapping: nothing happens


def _resident_kib() -> int:
    """This process's resident memory in KiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")
