"""Reading a checkpoint from a stranger: every size, shape, type and range is checked before any
array is allocated or any value adopted.

The order matters because a crafted file can promise anything. First the file itself: a regular
file of sensible size whose zip directory lists a few dozen members (read from the archive's end
record, before ``zipfile`` builds one object per member). Then the ``meta`` entry, capped at
``MAX_META_BYTES`` and checked field by field (``check_meta``). Only then the arrays: the shape and
dtype each must have follow from the checked metadata, and each member's ``.npy`` header is compared
with them before its data is read, so nothing larger than the network the metadata describes (within
the engine's own limits) is ever allocated. Last the values: weights finite and representable in
float32, unit masks of 0s and 1s, the batch order a permutation.

Every fault raises ``CheckpointError`` with one message naming the file and the fault.
"""
from __future__ import annotations

import json
import math
import os
import re
import stat
import struct
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from mnist_viz.core.i18n import format_int, format_number, tr
from mnist_viz.core.optim import OPTIMIZERS, make_optimizer
from mnist_viz.core.snapshot import EVAL_COLUMNS, MAX_HIDDEN_LAYERS, STEP_COLUMNS, History, Settings

FORMAT = "mnist-viz-checkpoint"
VERSION = 1

MAX_FILE_BYTES = 4 * 2**30  # a 3-layer 4096-unit network with Adam's state is ~0.6 GB
MAX_META_BYTES = 16 * 2**20  # metadata of a real session is a few kB (plus ~100 bytes per marker)
MAX_MEMBERS = 256
MAX_DIRECTORY_BYTES = 2**20
MAX_COUNT = 10**15  # steps, samples, epochs, optimizer steps: beyond any lecture
MAX_TRAIN_ROWS = 10**8
MAX_HISTORY_ROWS = 1_000_000  # a real history keeps at most DecimatingSeries' capacity
MAX_LABEL_CHARS = 200  # marker labels such as "lr 0.001 → 5" (a 10 MB label froze the window)
FLOAT32_MAX = float(np.finfo(np.float32).max)

_MEMBER = re.compile(r"^(meta|param_\d+|mask_\d+|opt_[a-z]+_\d+|history_steps|history_evals|order)\.npy$")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or written; the message names the file and the fault."""


# ------------------------------------------------------------------------------------ the file
def open_archive(path: Path) -> tuple[BinaryIO, zipfile.ZipFile]:
    """The checked file, open, and its zip directory. Raises ``CheckpointError``."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise CheckpointError(tr("checkpoint {path} does not exist").format(path=path)) from None
    except OSError as e:
        raise _unreadable(path, e) from e
    if not stat.S_ISREG(info.st_mode):
        raise CheckpointError(tr("{path} is not a regular file (a folder, a pipe or a device cannot be a "
                                 "checkpoint)").format(path=path))
    if info.st_size > MAX_FILE_BYTES:
        raise CheckpointError(tr("{path} is {size} GB; a mnist-viz checkpoint is at most {limit} GB").format(
            path=path, size=format_number(info.st_size / 2**30, 1), limit=format_int(MAX_FILE_BYTES // 2**30)))
    try:
        f = open(path, "rb")  # noqa: SIM115 - returned open, closed by the caller
    except OSError as e:
        raise _unreadable(path, e) from e
    try:
        if f.read(4) != b"PK\x03\x04":  # every .npz is a zip archive
            raise CheckpointError(tr("{path} is not a mnist-viz checkpoint (not a readable .npz archive)").format(
                path=path))
        _check_directory(f, info.st_size, path)
        return f, zipfile.ZipFile(f)
    except CheckpointError:
        f.close()
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        f.close()
        raise CheckpointError(tr("{path} is not a mnist-viz checkpoint (not a readable .npz archive: {reason})").format(
            path=path, reason=e)) from e


def _unreadable(path: Path, e: OSError) -> CheckpointError:
    return CheckpointError(tr("cannot read checkpoint {path}: {reason}").format(path=path, reason=e.strerror or e))


def _check_directory(f: BinaryIO, size: int, path: Path) -> None:
    """Refuse an archive whose end record announces more members or a larger directory than a
    checkpoint has, before ``zipfile`` reads the directory into one object per member."""
    tail_size = min(size, 22 + 65_535)  # the end record, with the longest possible comment
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise CheckpointError(tr("{path} is not a mnist-viz checkpoint (not a readable .npz archive: {reason})").format(
            path=path, reason=tr("its zip end record is missing")))
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10: at + 16])
    if entries > MAX_MEMBERS or directory_bytes > MAX_DIRECTORY_BYTES:
        raise CheckpointError(tr("{path} lists {entries} members in a {size}-byte directory; a "
                                 "checkpoint has at most {limit}").format(
            path=path, entries=format_int(entries), size=format_int(directory_bytes), limit=MAX_MEMBERS))
    f.seek(0)


def member_headers(zf: zipfile.ZipFile, path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """``{entry name without .npy: (shape, dtype)}`` from each member's ``.npy`` header alone."""
    headers = {}
    for info in zf.infolist():
        if not _MEMBER.match(info.filename):
            raise CheckpointError(tr("{path} is not a mnist-viz checkpoint (it holds an entry {entry} "
                                     "that no checkpoint has)").format(path=path, entry=repr(info.filename[:80])))
        try:
            with zf.open(info) as stream:
                version = np.lib.format.read_magic(stream)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _fortran, dtype = read(stream)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, RuntimeError) as e:
            raise CheckpointError(tr("{path}: entry {entry} is not a readable array ({reason})").format(
                path=path, entry=info.filename, reason=e)) from e
        if dtype.hasobject or dtype.kind not in "biuf":
            raise CheckpointError(tr("{path}: entry {entry} holds {dtype} data; checkpoints hold numbers only").format(
                path=path, entry=info.filename, dtype=dtype))
        headers[info.filename[:-4]] = (tuple(int(n) for n in shape), dtype)
    return headers


def read_member(zf: zipfile.ZipFile, name: str, path: Path) -> np.ndarray:
    """The array of entry ``name`` (its header already checked)."""
    try:
        with zf.open(f"{name}.npy") as stream:
            return np.lib.format.read_array(stream, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, RuntimeError) as e:
        raise CheckpointError(tr("{path}: entry {entry} is damaged ({reason})").format(
            path=path, entry=f"{name}.npy", reason=e)) from e


def read_meta(zf: zipfile.ZipFile, headers: dict, path: Path) -> dict:
    """The ``meta`` entry's JSON, size-capped, with format and version checked."""
    if "meta" not in headers:
        raise CheckpointError(tr("{path} is not a mnist-viz checkpoint (it has no 'meta' entry)").format(path=path))
    shape, dtype = headers["meta"]
    if len(shape) != 1 or dtype.itemsize != 1 or shape[0] > MAX_META_BYTES:
        raise CheckpointError(tr("{path}: the metadata entry is {shape} of {dtype}; expected at most "
                                 "{limit} MB of text").format(path=path, shape=shape, dtype=dtype,
                                                              limit=MAX_META_BYTES // 2**20))
    try:
        meta = json.loads(read_member(zf, "meta", path).tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(tr("{path}: the checkpoint's metadata is corrupt ({reason})").format(
            path=path, reason=e)) from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise CheckpointError(tr("{path} is not a mnist-viz checkpoint (format is {found})").format(
            path=path, found=repr(str(found)[:80])))
    if meta.get("version") != VERSION:
        raise CheckpointError(tr("{path} is checkpoint version {version}; "
                                 "this mnist-viz reads version {readable}").format(
            path=path, version=str(meta.get("version"))[:20], readable=VERSION))
    return meta


# ------------------------------------------------------------------------------------ metadata
class _Fault(ValueError):
    """A metadata field that is missing, of the wrong type or out of range (message: which)."""


def _field(d: Any, key: str, where: str) -> Any:
    if not isinstance(d, dict):
        raise _Fault(f"{where} is not a table")
    if key not in d:
        raise _Fault(f"{where}.{key} is missing")
    return d[key]


def _check_scale(scale: Any, n_states: int) -> None:
    """``optimizer.scale`` (see ``Optimizer.state_scale``): none, or one number in (0, 1] per state."""
    if not isinstance(scale, list) or (scale and len(scale) != n_states):
        raise _Fault(f"optimizer.scale is {str(scale)[:60]}, expected {n_states} numbers or none")
    for x in scale:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 < x <= 1:
            raise _Fault(f"optimizer.scale holds {repr(x)[:40]}, expected a number in (0, 1]")


def _count(value: Any, where: str, high: int = MAX_COUNT, low: int = 0) -> int:
    """An int (never a bool or a string) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Fault(f"{where} is {type(value).__name__} {str(value)[:40]!r}, expected a whole number")
    if not low <= value <= high:
        raise _Fault(f"{where} is {value}, outside {low}..{high:,}")
    return value


def _real(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise _Fault(f"{where} is {str(value)[:40]!r}, expected a finite number >= 0")
    return float(value)


def check_meta(meta: dict, path: Path) -> Settings:
    """Check every field the loader uses; returns the settings. Raises ``CheckpointError``."""
    try:
        return _check_meta(meta)
    except _Fault as e:
        raise CheckpointError(tr("{path}: the checkpoint's metadata is inconsistent: {fault}").format(
            path=path, fault=e)) from None


def _check_meta(meta: dict) -> Settings:
    raw = _field(meta, "settings", "meta")
    if not isinstance(raw, dict):
        raise _Fault("settings is not a table")
    if not isinstance(raw.get("hidden", []), list) or len(raw.get("hidden", [])) > MAX_HIDDEN_LAYERS:
        raise _Fault(f"settings.hidden must list 1 to {MAX_HIDDEN_LAYERS} layer sizes")
    try:
        settings = Settings.from_dict(raw)
    except (TypeError, ValueError) as e:
        raise _Fault(f"settings: {str(e)[:200]}") from None
    sizes = _field(meta, "sizes", "meta")
    if not isinstance(sizes, list) or [_count(s, "sizes[]", 4096, 1) for s in sizes] != \
            [sizes[0], *settings.hidden, sizes[-1]]:
        raise _Fault(f"sizes {str(sizes)[:80]} do not match the settings' hidden sizes {list(settings.hidden)}")
    if sizes[-1] != 10:
        raise _Fault(f"the network has {sizes[-1]} outputs; mnist-viz networks have 10")
    if _count(_field(meta, "n_params", "meta"), "n_params") != 2 * (len(sizes) - 1):
        raise _Fault(f"n_params is {meta['n_params']}, but {len(sizes) - 1} layers have {2 * (len(sizes) - 1)}")
    optimizer = _field(meta, "optimizer", "meta")
    if _field(optimizer, "name", "optimizer") not in OPTIMIZERS or optimizer["name"] != settings.optimizer:
        raise _Fault(f"optimizer {str(optimizer['name'])[:40]!r} is not the settings' {settings.optimizer!r}")
    _count(_field(optimizer, "t", "optimizer"), "optimizer.t")
    _check_scale(optimizer.get("scale", []), len(make_optimizer(settings.optimizer).state_names))
    data = _field(meta, "data", "meta")
    n_train = _count(_field(data, "n_train", "data"), "data.n_train", MAX_TRAIN_ROWS, 1)
    counters = _field(meta, "counters", "meta")
    for name in ("step_count", "samples_seen", "epochs_done"):
        _count(_field(counters, name, "counters"), f"counters.{name}")
    _count(_field(counters, "cursor", "counters"), "counters.cursor", n_train)
    _real(_field(counters, "elapsed", "counters"), "counters.elapsed")
    _check_history_meta(_field(meta, "history", "meta"))
    _check_rng(_field(meta, "rng", "meta"))
    return settings


def _check_history_meta(history: Any) -> None:
    for name in ("steps_stride", "evals_stride"):
        _count(_field(history, name, "history"), f"history.{name}", MAX_COUNT, 1)
    for name in ("steps_total", "evals_total"):
        _count(_field(history, name, "history"), f"history.{name}")
    markers = _field(history, "markers", "history")
    if not isinstance(markers, list) or len(markers) > History.MAX_MARKERS:
        raise _Fault(f"history.markers must be a list of at most {History.MAX_MARKERS:,} markers")
    for i, marker in enumerate(markers):
        where = f"history.markers[{i}]"
        if not isinstance(marker, list) or len(marker) != 4:
            raise _Fault(f"{where} is not [step, epoch, samples, label]")
        _count(marker[0], f"{where} step")
        _real(marker[1], f"{where} epoch")
        _count(marker[2], f"{where} samples")
        if not isinstance(marker[3], str) or len(marker[3]) > MAX_LABEL_CHARS:
            raise _Fault(f"{where} label must be text of at most {MAX_LABEL_CHARS} characters")


def _check_rng(rng: Any) -> None:
    """``None`` (the generators as seeded) or both PCG64 states as NumPy writes them."""
    if rng is None:
        return
    for name in ("init", "shuffle"):
        state = _field(rng, name, "rng")
        if _field(state, "bit_generator", f"rng.{name}") != "PCG64":
            raise _Fault(f"rng.{name} is not a PCG64 generator state")
        inner = _field(state, "state", f"rng.{name}")
        for key in ("state", "inc"):
            _count(_field(inner, key, f"rng.{name}.state"), f"rng.{name}.state.{key}", 2**128 - 1)
        _count(_field(state, "has_uint32", f"rng.{name}"), f"rng.{name}.has_uint32", 1)
        _count(_field(state, "uinteger", f"rng.{name}"), f"rng.{name}.uinteger", 2**32 - 1)


# ------------------------------------------------------------------------------------ arrays
def expected_shapes(meta: dict, settings: Settings) -> dict[str, tuple[int, ...] | None]:
    """What each entry's shape must be (``None``: row count free, checked by ``check_headers``)."""
    sizes = meta["sizes"]
    shapes: dict[str, tuple[int, ...] | None] = {"meta": None, "history_steps": None, "history_evals": None,
                                                 "order": (meta["data"]["n_train"],)}
    params = []
    for i in range(len(sizes) - 1):
        params += [(sizes[i], sizes[i + 1]), (sizes[i + 1],)]
    shapes.update({f"param_{i}": shape for i, shape in enumerate(params)})
    shapes.update({f"mask_{i}": (size,) for i, size in enumerate(settings.hidden)})
    for slot in make_optimizer(settings.optimizer).state_names:
        shapes.update({f"opt_{slot}_{i}": shape for i, shape in enumerate(params)})
    return shapes


def check_headers(headers: dict, shapes: dict, settings: Settings, path: Path) -> None:
    """Every entry is one the metadata calls for, with the shape it calls for; the parameters are all
    there, and the optimizer's state is whole or absent (absent: it starts again from zero)."""
    for name, (shape, dtype) in headers.items():
        if name not in shapes:
            raise CheckpointError(tr("{path}: entry {entry} does not belong to this network "
                                     "({optimizer}, layers {layers})").format(
                path=path, entry=f"{name}.npy", optimizer=settings.optimizer, layers=list(settings.hidden)))
        want = shapes[name]
        if name.startswith("history_"):
            columns = len(STEP_COLUMNS if name == "history_steps" else EVAL_COLUMNS)
            if len(shape) != 2 or shape[1] != columns or shape[0] > MAX_HISTORY_ROWS:
                raise CheckpointError(tr("{path}: entry {entry} is {shape}; expected at most {limit} rows "
                                         "of {columns} columns").format(
                    path=path, entry=name, shape=shape, limit=format_int(MAX_HISTORY_ROWS), columns=columns))
        elif want is not None and shape != want:
            raise CheckpointError(tr("{path}: entry {entry} is {shape}; the network described needs {needed}").format(
                path=path, entry=name, shape=shape, needed=want))
        if name == "order" and dtype.kind not in "iu":
            raise CheckpointError(tr("{path}: the batch order holds {dtype} numbers; expected whole numbers").format(
                path=path, dtype=dtype))
    missing = [n for n in shapes if n.startswith("param_") and n not in headers]
    if missing:
        raise CheckpointError(tr("{path}: the checkpoint is incomplete (missing {entries})").format(
            path=path, entries=", ".join(missing)))
    slots = [n for n in shapes if n.startswith("opt_")]
    present = [n for n in slots if n in headers]
    if present and len(present) != len(slots):
        absent = sorted(set(slots) - set(present))
        raise CheckpointError(tr("{path}: the optimizer's state is incomplete (missing {entries})").format(
            path=path, entries=", ".join(absent[:4]) + (" …" if len(absent) > 4 else "")))


def check_values(arrays: dict[str, np.ndarray], path: Path) -> None:
    """Weights and optimizer state finite and within float32; masks 0 or 1; the order a permutation."""
    for name, a in arrays.items():
        if name.startswith(("param_", "opt_")) and a.size:
            # max and min: NaN and inf carry through both, no |a| copy is made, and they give the range below
            high, low = float(a.max()), float(a.min())
            if not (math.isfinite(high) and math.isfinite(low)):
                raise CheckpointError(tr("{path}: entry {entry} holds NaN or infinite numbers").format(
                    path=path, entry=name))
            if max(high, -low) > FLOAT32_MAX:
                raise CheckpointError(tr("{path}: entry {entry} holds values up to {value}, beyond "
                                         "float32's range").format(
                    path=path, entry=name, value=f"{max(high, -low):.3g}"))
        elif name.startswith("mask_") and not np.isin(a, (0, 1)).all():
            raise CheckpointError(tr("{path}: unit mask {entry} holds values other than 0 and 1").format(
                path=path, entry=name))
    order = arrays.get("order")
    if order is not None and len(order):
        n = len(order)
        if int(order.min()) < 0 or int(order.max()) >= n or np.bincount(order.astype(np.int64), minlength=n).max() != 1:
            raise CheckpointError(tr("{path}: the batch order is not a permutation of 0..{last}").format(
                path=path, last=n - 1))
