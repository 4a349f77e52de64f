"""The dataset and the snapshot buffer in temporary folders both processes can map.

On Linux the folders go on the RAM disk (``/dev/shm``), so mapping them costs no disk I/O. Where
there is none (macOS, Windows), or it cannot take the data (missing, read-only, full, or too small:
Docker gives containers 64 MB, the bundled MNIST needs ~220 MB), they go to the system's temporary
folder instead, which works the same way, only backed by the disk cache; the log says so once.
"""
from __future__ import annotations

import atexit
import contextlib
import errno
import logging
import mmap
import os
import shutil
import sys
import tempfile
import weakref
from pathlib import Path

import numpy as np

from mnist_viz.core.data import DIGIT_NAMES, Dataset

log = logging.getLogger(__name__)

RAM_DISK = "/dev/shm"
ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test", "x_val", "y_val")
# What ``ram_folder`` makes room for when not told: the bundled MNIST, 70,000 float32 images of 784
# pixels and int64 labels (~220 MB). The snapshot buffer (a few MB) fits in the margin.
DEFAULT_NEED = 70_000 * (784 * 4 + 8)
# Kept free beyond what is written: a tmpfs that fills up under a mapped file does not fail a write, it
# kills the writer (SIGBUS), so the check leaves room for the snapshot buffer (~2-5 MB at 512 hidden
# units) and for others. 32 MiB: a RAM disk of 256 MB (docker run --shm-size=256m) still takes MNIST.
SPACE_MARGIN = 32 << 20
# Write errors after which the same data goes to the temporary folder instead of failing the start.
FALLBACK_ERRORS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, getattr(errno, "EDQUOT", errno.ENOSPC))

_told = False  # the fallback was logged (once per process: the window creates folders per training process)
_relocated: list[str] = []  # folders share_dataset moved to the temporary folder; removed at exit
# Datasets ``publish_dataset`` mapped back from their folder -> the spec ``open_dataset`` takes
_published: weakref.WeakKeyDictionary[Dataset, dict] = weakref.WeakKeyDictionary()


def ram_folder(needed: int = DEFAULT_NEED) -> str:
    """A new temporary folder, on the RAM disk when it exists, is writable and has room for
    ``needed`` bytes (plus a margin), otherwise in the temporary folder; named after this process so
    that a later start can tell it was left behind (``remove_stale_folders``)."""
    reason = _ram_disk_problem(needed)
    if reason is None:
        try:
            return tempfile.mkdtemp(prefix=_prefix(), dir=RAM_DISK)
        except OSError as e:  # read-only, no permission: only trying tells
            reason = f"cannot be written to ({e.strerror})"
    _tell_fallback(RAM_DISK, reason)
    return tempfile.mkdtemp(prefix=_prefix())


def _prefix() -> str:
    return f"mnist-viz-{os.getpid()}-"


def _ram_disk_problem(needed: int) -> str | None:
    """Why the RAM disk cannot take ``needed`` bytes, or ``None`` when it looks like it can."""
    if not os.path.isdir(RAM_DISK):
        return "does not exist"
    if hasattr(os, "statvfs") and os.statvfs(RAM_DISK).f_flag & os.ST_RDONLY:
        return "is mounted read-only"
    if not os.access(RAM_DISK, os.W_OK):
        return "is not writable for this user"
    free = _free_bytes(RAM_DISK)
    if free is not None and free < needed + SPACE_MARGIN:
        return f"has {_mb(free)} free, {_mb(needed + SPACE_MARGIN)} are needed"
    return None


def _free_bytes(folder: str | os.PathLike) -> int | None:
    """Free bytes on ``folder``'s file system, or ``None`` when it cannot be asked."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def _tell_fallback(where: str | os.PathLike, reason: str) -> None:
    """Log once where the shared data goes instead of ``where``, and why (a warning on Linux, which
    has a RAM disk normally; elsewhere the temporary folder is the normal place)."""
    global _told
    if not _told:
        _told = True
        log.log(logging.WARNING if sys.platform.startswith("linux") else logging.INFO,
                "mnist-viz: %s %s; sharing the data through %s instead (on disk, a little slower to start)",
                where, reason, tempfile.gettempdir())


def remove_stale_folders(parent: str | None = None) -> list[str]:
    """Delete ``mnist-viz-<pid>-*`` folders in ``parent`` (default: the RAM disk and the temporary
    folder, where ``ram_folder`` puts them) whose process is gone: a window killed before it could
    clean up leaves ~200 MB of dataset behind. Returns what was deleted (Linux: a process is alive
    while /proc/<pid> exists; elsewhere nothing is deleted)."""
    if not os.path.isdir("/proc/self"):
        return []
    parents = [parent] if parent is not None else list(dict.fromkeys([RAM_DISK, tempfile.gettempdir()]))
    removed = []
    for folder in parents:
        for path in Path(folder).glob("mnist-viz-*-*"):
            pid = path.name.split("-")[2]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(str(path))
    return removed


def share_dataset(data: Dataset, folder: str | os.PathLike) -> dict:
    """Write ``data``'s arrays as ``.npy`` files in ``folder`` for the training process to map
    without copying. Returns the spec ``open_dataset`` takes.

    When ``folder`` has no room for them, or the writing fails because its disk is full or
    read-only, they go to a new folder in the temporary folder instead (the spec names it; it is
    removed when this process exits)."""
    folder = Path(folder)
    needed = sum(getattr(data, name).nbytes for name in ARRAY_NAMES)
    free = _free_bytes(folder)
    if free is not None and free < needed + SPACE_MARGIN and _can_move(folder):
        folder = _move(folder, f"has {_mb(free)} free, {_mb(needed + SPACE_MARGIN)} are needed")
    try:
        _write_arrays(data, folder)
    except OSError as e:
        if e.errno not in FALLBACK_ERRORS or not _can_move(folder):
            raise
        folder = _move(folder, f"cannot take the data ({e.strerror})")
        _write_arrays(data, folder)
    return {"folder": str(folder), "name": getattr(data, "name", "dataset"),
            "class_names": list(getattr(data, "class_names", DIGIT_NAMES))}


def _write_arrays(data: Dataset, folder: Path) -> None:
    for name in ARRAY_NAMES:
        np.save(folder / f"{name}.npy", np.ascontiguousarray(getattr(data, name)))


def _can_move(folder: Path) -> bool:
    """Whether a fallback folder would be somewhere else: not when ``folder`` is in it already."""
    return folder.resolve().parent != Path(tempfile.gettempdir()).resolve()


def _move(folder: Path, reason: str) -> Path:
    """A new folder in the temporary folder, instead of ``folder`` (emptied of what was written)."""
    _tell_fallback(folder.parent, reason)
    for name in ARRAY_NAMES:  # a half-written dataset on a full RAM disk holds memory nobody uses
        with contextlib.suppress(OSError):  # gone, or the disk went read-only: nothing more to do
            (folder / f"{name}.npy").unlink()
    new = tempfile.mkdtemp(prefix=_prefix())
    if not _relocated:
        atexit.register(_remove_relocated)
    _relocated.append(new)
    return Path(new)


def _remove_relocated() -> None:
    """The callers remove the folders they made; these ones they do not know about."""
    for folder in _relocated:
        shutil.rmtree(folder, ignore_errors=True)


def open_dataset(spec: dict) -> Dataset:
    """The ``Dataset`` written by ``share_dataset``, its arrays memory-mapped read-only."""
    folder = Path(spec["folder"])
    arrays = {name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r")) for name in ARRAY_NAMES}
    return Dataset(name=spec["name"], class_names=tuple(spec.get("class_names", DIGIT_NAMES)), **arrays)


def publish_dataset(data: Dataset) -> Dataset:
    """``data`` written once to a new ``ram_folder`` and memory-mapped back, read-only: the window and
    every training process it starts then read one copy (``published_spec``) instead of each holding
    its own (the window's float32 copy of MNIST was 215 MiB of its memory). Returns the mapped
    dataset; ``data`` itself may then be dropped. The folder is removed when the returned dataset is
    garbage collected or this process exits, and by ``remove_stale_folders`` after a crash. A dataset
    that is published already is returned as it is; one that cannot be written anywhere (disks full)
    too, unpublished."""
    if data in _published:
        return data
    folder = ram_folder(sum(getattr(data, name).nbytes for name in ARRAY_NAMES))
    try:
        spec = share_dataset(data, folder)
    except OSError as e:
        # Neither the RAM disk nor the temporary folder took it: the window keeps its own copy and
        # the worker tries again per training process, where a failure is reported to the user.
        log.warning("mnist-viz: the dataset could not be shared (%s); the window keeps its own copy", e)
        shutil.rmtree(folder, ignore_errors=True)
        return data
    if spec["folder"] != folder:  # moved to the temporary folder: the empty RAM-disk one is not needed
        shutil.rmtree(folder, ignore_errors=True)
    mapped = open_dataset(spec)
    _published[mapped] = spec
    weakref.finalize(mapped, shutil.rmtree, spec["folder"], ignore_errors=True)
    return mapped


def published_spec(data: Dataset) -> dict | None:
    """The spec of a dataset ``publish_dataset`` returned (its folder stays while it lives), else ``None``."""
    return _published.get(data)


def release_pages(array: np.ndarray) -> None:
    """Let this process's page tables drop a memory-mapped ``array``'s pages after a pass over all
    of it (the Data tab's statistics read the 188 MB of training images once): the data stays on
    the RAM disk and a later read maps it again, but the window's resident memory no longer counts
    pages it is done with. Does nothing for an array that is not a file mapping."""
    base: object = array
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    handle = getattr(base, "_mmap", None)
    if isinstance(handle, mmap.mmap) and hasattr(handle, "madvise"):
        with contextlib.suppress(OSError, ValueError):  # closed already, or a kernel without it
            handle.madvise(mmap.MADV_DONTNEED)
