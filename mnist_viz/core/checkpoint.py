"""Save and load a whole training session: network, optimizer state, settings, counters, history.

Format: one ``.npz`` (read with ``allow_pickle=False``: no code can ride along in a checkpoint)
whose ``meta`` entry is UTF-8 JSON bytes and whose other entries are plain numeric arrays.
Writes go to a temporary file in the same folder that is then renamed over the target, so a crash
mid-write leaves either the old file or the new one, never half of one.
"""
from __future__ import annotations

import itertools
import json
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_viz.core.files import FileWriteError, atomic_write
from mnist_viz.core.snapshot import History, Marker, Settings

if TYPE_CHECKING:
    from mnist_viz.core.snapshot import Snapshot
    from mnist_viz.core.trainer import Trainer

FORMAT = "mnist-viz-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or written; the message names the file and the fault."""


def save_checkpoint(trainer: Trainer, path: str | os.PathLike) -> Path:
    """Write ``trainer``'s full state to ``path`` atomically. Returns the path written."""
    return save_state(trainer.state_dict(), path, trainer.n_train, int(trainer.x_train.shape[1]))


def save_state(state: dict, path: str | os.PathLike, n_train: int, n_features: int) -> Path:
    """Write a ``Trainer.state_dict``-shaped ``state`` (trained on ``n_train`` images of
    ``n_features`` pixels) to ``path`` atomically. Returns the path written."""
    arrays = _state_arrays(state)
    arrays["meta"] = np.frombuffer(json.dumps(_state_meta(state, n_train, n_features)).encode(), dtype=np.uint8)
    try:
        return atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]  # mypy matches **arrays to savez's allow_pickle: bool
    except FileWriteError as e:
        raise CheckpointError(f"cannot write checkpoint {e.path}: {e.reason}") from e


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
        "optimizer": {"name": state["optimizer"]["name"], "t": state["optimizer"]["t"]},
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


def read_checkpoint(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    """``(meta, arrays)`` of a checkpoint file, checked for format and version.

    Raises ``CheckpointError`` naming the file for anything missing, corrupt or foreign.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":  # every .npz is a zip archive
                raise CheckpointError(f"{path} is not a mnist-viz checkpoint (not a readable .npz archive)")
            f.seek(0)
            with np.load(f, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise CheckpointError(f"{path} is not a mnist-viz checkpoint (not a readable .npz archive: {e})") from e
    except ValueError as e:
        raise CheckpointError(f"{path} holds data that would need pickle to read; refusing to load it") from e
    if "meta" not in arrays:
        raise CheckpointError(f"{path} is not a mnist-viz checkpoint (it has no 'meta' entry)")
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: the checkpoint's metadata is corrupt ({e})") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else meta
        raise CheckpointError(f"{path} is not a mnist-viz checkpoint (format is {found!r})")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} is checkpoint version {meta.get('version')}; "
                              f"this mnist-viz reads version {VERSION}")
    missing = [f"param_{i}" for i in range(meta.get("n_params", 0)) if f"param_{i}" not in arrays]
    if missing or not meta.get("n_params"):
        raise CheckpointError(f"{path}: the checkpoint is incomplete (missing {', '.join(missing) or 'parameters'})")
    return meta, arrays


def load_checkpoint(trainer: Trainer, path: str | os.PathLike) -> None:
    """Restore ``trainer`` (built on compatible data) to the state saved in ``path``.

    The trainer is modified only after the whole file has been read and checked, so a bad file
    leaves the running session as it was.
    """
    meta, arrays = read_checkpoint(path)
    try:
        settings = Settings.from_dict(meta["settings"])
        if tuple(meta["sizes"][1:-1]) != settings.hidden:
            raise ValueError(f"layer sizes {meta['sizes']} disagree with the settings' "
                             f"hidden sizes {list(settings.hidden)}")
        params = [arrays[f"param_{i}"] for i in range(meta["n_params"])]
        _check_shapes(params, meta["sizes"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: the checkpoint is inconsistent ({e})") from e
    if meta["sizes"][0] != trainer.x_train.shape[1]:
        raise CheckpointError(f"{path} was trained on {meta['sizes'][0]}-pixel inputs, "
                              f"but the loaded data has {trainer.x_train.shape[1]}")
    try:
        trainer.load_state_dict(_file_state(meta, arrays, params, settings, trainer.n_train))
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise CheckpointError(f"{path}: the checkpoint is inconsistent ({type(e).__name__}: {e})") from e


def _check_shapes(params: list[np.ndarray], sizes: list[int]) -> None:
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        if params[2 * i].shape != (fan_in, fan_out) or params[2 * i + 1].shape != (fan_out,):
            raise ValueError(f"layer {i + 1} has shapes {params[2 * i].shape}/{params[2 * i + 1].shape}, "
                             f"expected ({fan_in}, {fan_out})/({fan_out},)")
        if not all(np.isfinite(p).all() for p in params[2 * i: 2 * i + 2]):
            raise ValueError(f"layer {i + 1} holds NaN or infinite weights")


def _file_state(meta: dict, arrays: dict, params: list[np.ndarray], settings: Settings, n_train: int) -> dict:
    """The ``Trainer.state_dict`` a checkpoint file describes. Tolerant where the file may come from
    an older writer: a missing or misshapen unit mask means all units on, a batch order that does
    not fit this dataset a fresh shuffle, missing history rows an empty history."""
    masks = [arrays.get(f"mask_{i}") for i in range(len(settings.hidden))]
    order = arrays.get("order")
    h = meta["history"]
    return {
        "settings": settings, "params": params,
        "unit_masks": [m if m is not None and m.shape == (size,) else None for m, size in zip(masks, settings.hidden)],
        "optimizer": {"name": meta["optimizer"]["name"], "t": meta["optimizer"]["t"],
                      "arrays": {k[4:]: v for k, v in arrays.items() if k.startswith("opt_")}},
        "counters": meta["counters"],
        "order": order if order is not None and len(order) == n_train else None,
        "history": {"steps": arrays.get("history_steps", np.zeros((0, 5))), "steps_stride": h["steps_stride"],
                    "steps_total": h["steps_total"], "evals": arrays.get("history_evals", np.zeros((0, 6))),
                    "evals_stride": h["evals_stride"], "evals_total": h["evals_total"],
                    "markers": [Marker(int(s), float(e), int(n), str(lbl)) for s, e, n, lbl in h["markers"]]},
        "rng": meta["rng"],
    }
