"""Save and load a whole training session: network, optimizer state, settings, counters, history.

Format: one ``.npz`` (read with ``allow_pickle=False``: no code can ride along in a checkpoint)
whose ``meta`` entry is UTF-8 JSON bytes and whose other entries are plain numeric arrays.
Writes go to a temporary file in the same folder that is then renamed over the target, so a crash
mid-write leaves either the old file or the new one, never half of one.

The metadata names the dataset the session was trained on and its class names. A session is loaded
only onto data with the same class names: a network that learned T-shirts and trousers, shown on
digits (or the other way round), would label every image with a class it never learned, and the
probes and the confusion matrix would show the room nonsense as if it were the network's answer.
The same classes under another name (MNIST's IDX files, Kaggle's digits) load, and the loader is
told the names differ (``session_data_note``). A session saved before the dataset was recorded is
taken as one trained on MNIST's digits.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_viz.core import checkpoint_check as check
from mnist_viz.core.checkpoint_check import FORMAT, VERSION, CheckpointError
from mnist_viz.core.data import BUNDLED_NAME, DIGIT_NAMES, MAX_CLASS_NAME, N_CLASSES
from mnist_viz.core.files import FileWriteError, atomic_write
from mnist_viz.core.i18n import format_int, tr
from mnist_viz.core.snapshot import History, Marker, Settings

if TYPE_CHECKING:
    from mnist_viz.core.data import Dataset
    from mnist_viz.core.snapshot import Snapshot
    from mnist_viz.core.trainer import Trainer

OLD_SESSION_DATA = "MNIST"  # what a session that names no dataset was trained on (see the module docstring)
MAX_DATA_NAME = 200  # characters of a dataset's name kept in, and read from, a session


def save_checkpoint(trainer: Trainer, path: str | os.PathLike) -> Path:
    """Write ``trainer``'s full state to ``path`` atomically. Returns the path written."""
    return save_state(trainer.state_dict(), path, trainer.n_train, int(trainer.x_train.shape[1]), trainer.data)


def save_state(state: dict, path: str | os.PathLike, n_train: int, n_features: int,
               data: Dataset | None = None) -> Path:
    """Write a ``Trainer.state_dict``-shaped ``state`` (trained on ``n_train`` images of
    ``n_features`` pixels of ``data``, whose name and class names are recorded) to ``path``
    atomically. Returns the path written."""
    arrays = _state_arrays(state)
    meta = _state_meta(state, n_train, n_features)
    if data is not None:
        meta["data"].update(name=str(data.name)[:MAX_DATA_NAME], class_names=list(_class_names(data)))
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    try:
        return atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]  # mypy matches **arrays to savez's allow_pickle: bool
    except FileWriteError as e:
        raise CheckpointError(tr("cannot write checkpoint {path}: {reason}").format(
            path=e.path, reason=e.reason)) from e


def _state_arrays(state: dict) -> dict[str, np.ndarray]:
    """The file's array entries: ``param_{i}`` (``params[i]``), ``mask_{i}``, ``opt_{name}``, the
    history's rows and the batch order."""
    arrays = {f"param_{i}": p for i, p in enumerate(state["params"])}
    arrays.update({f"mask_{i}": m for i, m in enumerate(state["unit_masks"])})
    arrays.update({f"opt_{k}": a for k, a in state["optimizer"]["arrays"].items()})
    arrays["history_steps"] = state["history"]["steps"]
    arrays["history_evals"] = state["history"]["evals"]
    if state["order"] is not None:  # None: a fresh shuffle when loaded
        arrays["order"] = state["order"]
    return arrays


def _state_meta(state: dict, n_train: int, n_features: int) -> dict:
    h = state["history"]
    params = state["params"]
    return {
        "format": FORMAT, "version": VERSION,
        "settings": state["settings"].to_dict(),
        "sizes": [int(params[0].shape[0]), *(int(params[i].shape[1]) for i in range(0, len(params), 2))],
        "n_params": len(params),
        "optimizer": {"name": state["optimizer"]["name"], "t": state["optimizer"]["t"],
                      "scale": list(state["optimizer"].get("scale", []))},
        "counters": state["counters"],
        "history": {"steps_stride": h["steps_stride"], "steps_total": h["steps_total"],
                    "evals_stride": h["evals_stride"], "evals_total": h["evals_total"],
                    "markers": [[m.step, m.epoch, m.samples, m.label] for m in h["markers"]]},
        "rng": state["rng"],
        "data": {"n_train": n_train, "n_features": n_features},
    }


def state_from_snapshot(snap: Snapshot, history: History, n_train: int) -> dict:
    """A ``Trainer.state_dict`` rebuilt from what a window holds: the latest snapshot (settings,
    weights, first layer's unit mask, counters) and the history it gathered from the snapshots.
    A snapshot carries no optimizer state, batch order or random generator states: loaded, the run
    goes on with fresh ones (momentum and Adam's running averages start again from zero, a new
    shuffle of the rest of the epoch)."""
    n_hidden = len(snap.settings.hidden)
    epochs_done = int(snap.epoch)
    h = history
    return {
        "settings": snap.settings,
        "params": [np.array(p) for p in snap.params],
        "unit_masks": [np.array(snap.unit_mask), *([None] * (n_hidden - 1))],
        "optimizer": {"name": snap.settings.optimizer, "t": 0, "arrays": {}},
        "counters": {"step_count": snap.step, "samples_seen": snap.samples, "epochs_done": epochs_done,
                     "cursor": min(n_train, round((snap.epoch - epochs_done) * n_train)), "elapsed": snap.elapsed},
        "order": None,
        "history": {"steps": h.steps.array(), "steps_stride": h.steps.stride, "steps_total": h.steps.total,
                    "evals": h.evals.array(), "evals_stride": h.evals.stride, "evals_total": h.evals.total,
                    "markers": list(h.markers)},
        "rng": None,
    }


def read_checkpoint(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray], Settings]:
    """``(meta, arrays, settings)`` of a checkpoint file, every size, shape, type and value checked
    before it is used (``checkpoint_check``: nothing larger than the network the metadata describes
    is ever allocated). Raises ``CheckpointError`` naming the file and the fault."""
    path = Path(path)
    f, zf = check.open_archive(path)
    with f, zf:
        headers = check.member_headers(zf, path)
        meta = check.read_meta(zf, headers, path)
        settings = check.check_meta(meta, path)
        check.check_headers(headers, check.expected_shapes(meta, settings), settings, path)
        arrays = {name: check.read_member(zf, name, path) for name in headers if name != "meta"}
    check.check_values(arrays, path)
    return meta, arrays, settings


def load_checkpoint(trainer: Trainer, path: str | os.PathLike) -> None:
    """Restore ``trainer`` (built on compatible data) to the state saved in ``path``.

    The trainer is modified only after the whole file has been read and checked, so a bad file
    leaves the running session as it was.
    """
    meta, arrays, settings = read_checkpoint(path)
    check_session_data(meta, trainer.data, path)
    if meta["sizes"][0] != trainer.x_train.shape[1]:
        raise CheckpointError(tr("{path} was trained on {pixels}-pixel inputs, "
                                 "but the loaded data has {loaded}").format(
            path=path, pixels=format_int(meta["sizes"][0]), loaded=format_int(trainer.x_train.shape[1])))
    params = [arrays[f"param_{i}"] for i in range(meta["n_params"])]
    try:
        trainer.load_state_dict(_file_state(meta, arrays, params, settings, trainer.n_train))
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise CheckpointError(tr("{path}: the checkpoint does not fit this data ({reason})").format(
            path=path, reason=f"{type(e).__name__}: {e}")) from e


def _file_state(meta: dict, arrays: dict, params: list[np.ndarray], settings: Settings, n_train: int) -> dict:
    """The ``Trainer.state_dict`` a checked checkpoint file describes: a missing unit mask means all
    units on, a batch order for another number of training images (other data, another split) a
    fresh shuffle, missing history rows an empty history, missing optimizer state a fresh one."""
    masks = [arrays.get(f"mask_{i}") for i in range(len(settings.hidden))]
    order = arrays.get("order")
    h = meta["history"]
    return {
        "settings": settings, "params": params,
        "unit_masks": masks,
        "optimizer": {"name": meta["optimizer"]["name"], "t": meta["optimizer"]["t"],
                      "scale": meta["optimizer"].get("scale", []),  # absent before 2026-12-03: textbook state
                      "arrays": {k[4:]: v for k, v in arrays.items() if k.startswith("opt_")}},
        "counters": meta["counters"],
        "order": order if order is not None and len(order) == n_train else None,
        "history": {"steps": arrays.get("history_steps", np.zeros((0, 5))), "steps_stride": h["steps_stride"],
                    "steps_total": h["steps_total"], "evals": arrays.get("history_evals", np.zeros((0, 6))),
                    "evals_stride": h["evals_stride"], "evals_total": h["evals_total"],
                    "markers": [Marker(int(s), float(e), int(n), str(lbl)) for s, e, n, lbl in h["markers"]]},
        "rng": meta["rng"],
    }


# ------------------------------------------------------------------------------------- the data

def _class_names(data: Dataset) -> tuple[str, ...]:
    return tuple(getattr(data, "class_names", DIGIT_NAMES))


def session_data(meta: dict, path: str | os.PathLike) -> tuple[str, tuple[str, ...]]:
    """``(dataset name, class names)`` a session's metadata records; ``("MNIST", digits)`` for a
    session saved before they were recorded. Raises ``CheckpointError`` for a malformed record."""
    record = meta.get("data")
    record = record if isinstance(record, dict) else {}
    name = record.get("name", OLD_SESSION_DATA)
    names = record.get("class_names", list(DIGIT_NAMES))
    if not isinstance(name, str) or len(name) > MAX_DATA_NAME:
        raise CheckpointError(tr("{path}: the checkpoint's metadata is inconsistent: {fault}").format(
            path=path, fault=tr("data.name is not a short text")))
    if (not isinstance(names, list) or len(names) != N_CLASSES
            or not all(isinstance(n, str) and 0 < len(n) <= MAX_CLASS_NAME for n in names)):
        raise CheckpointError(tr("{path}: the checkpoint's metadata is inconsistent: {fault}").format(
            path=path, fault=tr("data.class_names must list {n} short names").format(n=N_CLASSES)))
    return name, tuple(names)


def read_session_data(path: str | os.PathLike) -> tuple[str, tuple[str, ...]]:
    """``session_data`` of the file ``path``, reading only its metadata (the window asks before it
    sends a load). Raises ``CheckpointError`` for a file that is no readable session."""
    path = Path(path)
    f, zf = check.open_archive(path)
    with f, zf:
        return session_data(check.read_meta(zf, check.member_headers(zf, path), path), path)


def check_session_data(meta: dict, data: Dataset, path: str | os.PathLike) -> None:
    """Refuse (``CheckpointError``) a session trained on classes other than ``data``'s."""
    refuse_other_classes(*session_data(meta, path), data, path)


def refuse_other_classes(name: str, names: tuple[str, ...], data: Dataset, path: str | os.PathLike) -> None:
    """Raise ``CheckpointError`` when a session trained on ``name`` with class ``names`` does not
    fit ``data``'s classes."""
    if names != _class_names(data):
        raise CheckpointError(
            tr("{path} was trained on {name} ({classes}), but the data open now, {data}, "
               "has other classes ({data_classes}): the network would label every image with "
               "a class it never learned. Open {name} first, then load the session.").format(
                path=path, name=name, classes=_names_text(names), data=data.name,
                data_classes=_names_text(_class_names(data))))


def session_data_note(name: str, data: Dataset) -> str:
    """What to tell the user who loads a session trained on ``name`` onto ``data`` with the same
    classes: ``""`` when it is the same dataset (or the bundled MNIST and an older session)."""
    if name == data.name or (name == OLD_SESSION_DATA and data.name == BUNDLED_NAME):
        return ""
    return tr("it was trained on {name}; it goes on with {data}").format(name=name, data=data.name)


def _names_text(names: tuple[str, ...]) -> str:
    """``"digits 0-9"`` or ``"T-shirt/top, Trouser, Pullover, …"`` for a message."""
    return tr("digits 0-9") if names == DIGIT_NAMES else ", ".join(names[:3]) + ", …"
