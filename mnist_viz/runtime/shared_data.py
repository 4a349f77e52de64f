"""The dataset and the snapshot buffer in temporary folders both processes can map.

On Linux the folders go on the RAM disk (``/dev/shm``), so mapping them costs no disk I/O; where
there is none (macOS, Windows) they fall back to the system's temporary folder, which works the
same way, only backed by the disk cache.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from mnist_viz.core.data import Dataset

RAM_DISK = "/dev/shm"
ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test", "x_val", "y_val")


def ram_folder() -> str:
    """A new temporary folder, on the RAM disk when there is one, named after this process so that
    a later start can tell it was left behind (``remove_stale_folders``)."""
    if not os.path.isdir(RAM_DISK):
        return tempfile.mkdtemp(prefix=f"mnist-viz-{os.getpid()}-")
    return tempfile.mkdtemp(prefix=f"mnist-viz-{os.getpid()}-", dir=RAM_DISK)


def remove_stale_folders(parent: str = RAM_DISK) -> list[str]:
    """Delete ``mnist-viz-<pid>-*`` folders in ``parent`` whose process is gone: a window killed
    before it could clean up leaves ~200 MB of dataset in RAM. Returns what was deleted (Linux:
    a process is alive while /proc/<pid> exists; elsewhere nothing is deleted)."""
    if not os.path.isdir("/proc/self"):
        return []
    removed = []
    for path in Path(parent).glob("mnist-viz-*-*"):
        pid = path.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def share_dataset(data: Dataset, folder: str | os.PathLike) -> dict:
    """Write ``data``'s arrays as ``.npy`` files in ``folder`` for the training process to map
    without copying. Returns the spec ``open_dataset`` takes."""
    folder = Path(folder)
    for name in ARRAY_NAMES:
        np.save(folder / f"{name}.npy", np.ascontiguousarray(getattr(data, name)))
    return {"folder": str(folder), "name": getattr(data, "name", "dataset")}


def open_dataset(spec: dict) -> Dataset:
    """The ``Dataset`` written by ``share_dataset``, its arrays memory-mapped read-only."""
    folder = Path(spec["folder"])
    arrays = {name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r")) for name in ARRAY_NAMES}
    return Dataset(name=spec["name"], **arrays)
