"""Snapshots from the training process to the window through a memory-mapped file, not a pipe.

A multiprocessing queue pickles a snapshot and pushes it through a pipe 64 KB at a time: at 512
hidden units that is ~1.7 MB of weights, ~27 write/read pairs per snapshot and ~800 wake-ups a
second between the training process's feeder thread and the window's receiving thread. Measured
(``benchmarks/gui_bench.py``, 2 BLAS threads): those wake-ups cost the trainer ~9% of its speed.
Here the training process copies the large arrays into a file on the RAM disk that both processes
map, and only the small rest of the snapshot goes through the queue, with where each array lies.

Safe with one buffer because snapshots are pulled: the loop writes snapshot n+1 only after the
window took snapshot n, and the window copies the arrays out before it takes it.

No Qt here: the writer runs in the training process.
"""
from __future__ import annotations

import dataclasses
import mmap
import os
from pathlib import Path
from typing import Any

import numpy as np

from mnist_viz.core.snapshot import Snapshot

MIN_SHARED_BYTES = 16 * 1024  # smaller arrays ride along in the pickled message
ALIGN = 64  # bytes: each array starts on a cache line


def _large_arrays(snap: Snapshot) -> list[np.ndarray]:
    """The snapshot's arrays worth sharing, each once (an array may be both a field and a parameter)."""
    seen: dict[int, np.ndarray] = {}
    candidates = [getattr(snap, f.name) for f in dataclasses.fields(snap)] + list(snap.params)
    for value in candidates:
        if isinstance(value, np.ndarray) and value.nbytes >= MIN_SHARED_BYTES:
            seen.setdefault(id(value), value)
    return list(seen.values())


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


class SnapshotWriter:
    """Training-process side: ``pack`` moves a snapshot's large arrays into a file in ``folder``
    and returns ``(light_snapshot, layout)`` to send; the window's ``SnapshotReader.unpack`` puts
    them back. The file grows (as a new file, so a reader's older mapping stays valid) when a
    snapshot no longer fits."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._path: Path | None = None
        self._map: mmap.mmap | None = None
        self._buffer: np.ndarray | None = None  # (size,) uint8 view of the map
        self._generation = 0

    def pack(self, snap: Snapshot) -> tuple[Snapshot, dict | None]:
        arrays = _large_arrays(snap)
        if not arrays:
            return snap, None
        buffer = self._ensure_capacity(sum(_aligned(a.nbytes) for a in arrays))
        slots: list[tuple[int, tuple[int, ...], str]] = []
        where: dict[int, int] = {}
        offset = 0
        for a in arrays:
            buffer[offset:offset + a.nbytes] = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
            where[id(a)] = len(slots)
            slots.append((offset, a.shape, a.dtype.str))
            offset += _aligned(a.nbytes)
        fields = {f.name: where[id(v)] for f in dataclasses.fields(snap)
                  if isinstance(v := getattr(snap, f.name), np.ndarray) and id(v) in where}
        params = {i: where[id(p)] for i, p in enumerate(snap.params) if id(p) in where}
        light = dataclasses.replace(snap, **dict.fromkeys(fields),  # type: ignore[arg-type]  # None marks "in the file"
                                    params=tuple(None if i in params else p for i, p in enumerate(snap.params)))
        return light, {"path": str(self._path), "slots": slots, "fields": fields, "params": params}

    def _ensure_capacity(self, size: int) -> np.ndarray:
        """The ``(>= size,) uint8`` buffer, in a new, larger file if the present one is too small."""
        if self._buffer is not None and self._map is not None and len(self._map) >= size:
            return self._buffer
        old = self._path
        self.close(unlink=False)
        self._generation += 1
        self._path = self.folder / f"snapshot-{os.getpid()}-{self._generation}.bin"
        size = _aligned(int(size * 1.25))  # room for a few more units before the next new file
        with open(self._path, "w+b") as f:
            f.truncate(size)
            self._map = mmap.mmap(f.fileno(), size)
        self._buffer = np.frombuffer(self._map, dtype=np.uint8)
        if old is not None:
            old.unlink(missing_ok=True)  # a reader still mapping it keeps its pages until it lets go
        return self._buffer

    def close(self, unlink: bool = True) -> None:
        """Release the mapping (and delete the file)."""
        self._buffer = None
        if self._map is not None:
            self._map.close()
            self._map = None
        if unlink and self._path is not None:
            self._path.unlink(missing_ok=True)


class SnapshotReader:
    """Window side: ``unpack(light_snapshot, layout)`` returns the full snapshot with its own
    copies of the arrays (the views and the look-back timeline keep them past the next write)."""

    def __init__(self) -> None:
        self._path: str | None = None
        self._buffer: np.ndarray | None = None

    def unpack(self, snap: Snapshot, layout: dict[str, Any] | None) -> Snapshot:
        if layout is None:
            return snap
        buffer = self._open(layout["path"])
        arrays = [np.array(buffer[offset:offset + int(np.prod(shape)) * np.dtype(dtype).itemsize]
                           .view(dtype).reshape(shape))
                  for offset, shape, dtype in layout["slots"]]
        params = tuple(arrays[layout["params"][i]] if i in layout["params"] else p for i, p in enumerate(snap.params))
        return dataclasses.replace(snap, params=params,
                                   **{name: arrays[slot] for name, slot in layout["fields"].items()})

    def _open(self, path: str) -> np.ndarray:
        if self._buffer is None or path != self._path:
            self.close()
            with open(path, "rb") as f:
                self._buffer = np.frombuffer(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), dtype=np.uint8)
            self._path = path
        return self._buffer

    def close(self) -> None:
        """Let go of the mapped file (its pages are freed once the writer deleted it)."""
        self._buffer, self._path = None, None
