"""Without a usable RAM disk (missing, read-only, full, too small as Docker's 64 MB default) the data is
shared through the temporary folder instead, and the app trains all the same. Every file stays under
tmp_path: the RAM disk and the temporary folder are both redirected there."""
from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
from collections import namedtuple

import numpy as np
import pytest

from mnist_viz.core.data import Dataset
from mnist_viz.runtime import shared_data
from mnist_viz.runtime.shared_data import open_dataset, ram_folder, remove_stale_folders, share_dataset

Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def places(tmp_path, monkeypatch):
    """``(ram_disk, temp)``: a stand-in RAM disk and temporary folder in tmp_path, and a fresh
    "said so once" state."""
    ram_disk, temp = tmp_path / "shm", tmp_path / "tmp"
    ram_disk.mkdir()
    temp.mkdir()
    monkeypatch.setattr(shared_data, "RAM_DISK", str(ram_disk))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(shared_data, "_told", False)
    monkeypatch.setattr(shared_data, "_relocated", [])
    return ram_disk, temp


@pytest.fixture
def tiny():
    """A dataset of a few images: what matters here is where it goes, not its size."""
    rng = np.random.default_rng(0)
    return Dataset(x_train=rng.random((20, 784), dtype=np.float32), y_train=rng.integers(0, 10, 20),
                   x_test=rng.random((5, 784), dtype=np.float32), y_test=rng.integers(0, 10, 5), name="tiny")


def _disk_usage_with(monkeypatch, place, free: int) -> None:
    """``shutil.disk_usage`` reports ``free`` bytes for ``place`` (other folders: the truth)."""
    real = shutil.disk_usage

    def usage(path):
        if os.path.realpath(path).startswith(os.path.realpath(place)):
            return Usage(64 << 20, (64 << 20) - free, free)
        return real(path)

    monkeypatch.setattr(shared_data.shutil, "disk_usage", usage)


def _round_trips(data: Dataset, folder: str, where) -> None:
    spec = share_dataset(data, folder)
    assert os.path.dirname(spec["folder"]) == str(where)
    back = open_dataset(spec)
    for name in shared_data.ARRAY_NAMES:
        np.testing.assert_array_equal(getattr(back, name), getattr(data, name))
    assert back.name == "tiny"


def _fallback_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "instead" in r.getMessage()]


def test_the_ram_disk_is_used_when_it_can_take_the_data(places, tiny, caplog):
    ram_disk, _ = places
    folder = ram_folder()
    assert os.path.dirname(folder) == str(ram_disk)
    assert os.path.basename(folder).startswith(f"mnist-viz-{os.getpid()}-")
    _round_trips(tiny, folder, ram_disk)
    assert _fallback_lines(caplog) == []


def test_without_a_ram_disk_the_temporary_folder_is_used_and_the_log_says_so_once(places, tiny, monkeypatch, caplog):
    ram_disk, temp = places
    monkeypatch.setattr(shared_data, "RAM_DISK", str(ram_disk / "missing"))
    with caplog.at_level(logging.WARNING, logger=shared_data.__name__):
        folder, snapshot_folder = ram_folder(), ram_folder()
    assert os.path.dirname(folder) == os.path.dirname(snapshot_folder) == str(temp)
    assert os.path.basename(folder).startswith(f"mnist-viz-{os.getpid()}-")  # remove_stale_folders can tell
    _round_trips(tiny, folder, temp)
    [line] = _fallback_lines(caplog)
    assert "does not exist" in line and str(temp) in line


def test_a_read_only_ram_disk_is_left_alone(places, tiny, monkeypatch, caplog):
    # Tests run as root, whom chmod does not stop: the folder's creation fails the way a read-only mount fails it.
    ram_disk, temp = places
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(*args, dir=None, **kwargs):
        if dir is not None and os.path.realpath(dir) == os.path.realpath(ram_disk):
            raise OSError(errno.EROFS, "Read-only file system", str(dir))
        return real_mkdtemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(shared_data.tempfile, "mkdtemp", mkdtemp)
    with caplog.at_level(logging.WARNING, logger=shared_data.__name__):
        folder = ram_folder()
    assert os.path.dirname(folder) == str(temp)
    _round_trips(tiny, folder, temp)
    [line] = _fallback_lines(caplog)
    assert "cannot be written to (Read-only file system)" in line


def test_a_ram_disk_mounted_read_only_is_named_so(places, tiny, monkeypatch, caplog):
    ram_disk, temp = places
    real_statvfs = os.statvfs

    class ReadOnly:
        def __init__(self, real):
            self._real = real
            self.f_flag = real.f_flag | os.ST_RDONLY

        def __getattr__(self, name):
            return getattr(self._real, name)

    monkeypatch.setattr(shared_data.os, "statvfs",
                        lambda path: ReadOnly(real_statvfs(path)) if str(path) == str(ram_disk) else real_statvfs(path))
    with caplog.at_level(logging.WARNING, logger=shared_data.__name__):
        folder = ram_folder()
    assert os.path.dirname(folder) == str(temp)
    [line] = _fallback_lines(caplog)
    assert "is mounted read-only" in line


def test_a_ram_disk_too_small_for_the_dataset_is_not_used(places, tiny, monkeypatch, caplog):
    ram_disk, temp = places
    _disk_usage_with(monkeypatch, ram_disk, free=64 << 20)  # Docker's default, the data needs ~220 MB
    with caplog.at_level(logging.WARNING, logger=shared_data.__name__):
        folder = ram_folder()
    assert os.path.dirname(folder) == str(temp) and list(ram_disk.iterdir()) == []
    _round_trips(tiny, folder, temp)
    [line] = _fallback_lines(caplog)
    assert "has 67 MB free" in line


def test_data_larger_than_the_room_left_goes_to_the_temporary_folder(places, tiny, monkeypatch):
    # ram_folder() made room for MNIST; a bigger --data file still finds no room when it is written.
    ram_disk, temp = places
    folder = ram_folder()
    _disk_usage_with(monkeypatch, ram_disk, free=shared_data.SPACE_MARGIN)
    _round_trips(tiny, folder, temp)
    assert os.listdir(folder) == []  # nothing left behind on the small disk


def test_a_ram_disk_that_fills_up_while_writing_is_given_up_for_the_temporary_folder(places, tiny, monkeypatch):
    ram_disk, temp = places
    folder = ram_folder()
    real_save = np.save

    def save(path, array):  # a third of the way through, the disk is full
        if str(path).startswith(str(ram_disk)) and str(path).endswith("x_test.npy"):
            with open(path, "wb") as f:
                f.write(b"\x93NUMPY half")
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(path, array)

    monkeypatch.setattr(shared_data.np, "save", save)
    _round_trips(tiny, folder, temp)
    assert os.listdir(folder) == []  # the half-written files are gone from the full disk
    moved = shared_data._relocated[0]
    shared_data._remove_relocated()  # what runs at exit: the caller does not know this folder
    assert not os.path.exists(moved)


def test_other_write_errors_are_not_hidden(places, tiny, monkeypatch):
    def save(path, array):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(shared_data.np, "save", save)
    with pytest.raises(OSError, match="Input/output error"):
        share_dataset(tiny, ram_folder())


def test_stale_folders_are_swept_from_the_ram_disk_and_the_temporary_folder(places):
    ram_disk, temp = places
    dead_pid = 2**22 + 54321  # above Linux's pid_max: no process has it
    stale = [ram_disk / f"mnist-viz-{dead_pid}-a", temp / f"mnist-viz-{dead_pid}-b"]
    alive = [ram_disk / f"mnist-viz-{os.getpid()}-c", temp / f"mnist-viz-{os.getpid()}-d"]
    for folder in stale + alive:
        folder.mkdir()
    if not os.path.isdir("/proc/self"):
        pytest.skip("liveness is read from /proc (Linux)")
    assert sorted(remove_stale_folders()) == sorted(str(f) for f in stale)
    assert all(f.exists() for f in alive)
