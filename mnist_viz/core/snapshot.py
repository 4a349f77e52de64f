"""Frozen value objects that cross threads: ``Settings`` and ``Snapshot``; plus ``History``,
the trainer's bounded record of curves and markers.

A ``Snapshot`` holds copies of the arrays a view needs, marked read-only, so the GUI thread can
paint from it while the trainer keeps training on its own arrays.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mnist_viz.core.activations import ACTIVATIONS
from mnist_viz.core.i18n import N_, tr
from mnist_viz.core.network import INITS
from mnist_viz.core.optim import OPTIMIZERS

if TYPE_CHECKING:
    from mnist_viz.core.health import LayerHealth
    from mnist_viz.core.presets import Preset
    from mnist_viz.core.watchdog import Trouble

# Settings that act on the next step without rebuilding the network.
LIVE_FIELDS = frozenset({"lr", "batch_size", "optimizer", "momentum", "beta1", "beta2", "eps", "l2",
                         "lr_decay", "hidden", "dropout", "augment_shift", "augment_rotate"})
# Settings that need a fresh network (the GUI asks before applying them).
EVAL_SPLIT_NAMES = {"test": N_("test"), "validation": N_("validation")}  # Snapshot.eval_split, as shown


def eval_split_name(split: str) -> str:
    """``Snapshot.eval_split`` ("test" or "validation") in the current language."""
    return tr(EVAL_SPLIT_NAMES.get(split, split))


RESTART_FIELDS = frozenset({"activation", "init", "seed", "train_subset", "val_size"})


MAX_HIDDEN_LAYERS = 8  # deeper than any lesson needs; a settings file asking for 10^6 layers is refused
MAX_DROPOUT = 0.9  # beyond, almost nothing of a layer is left to learn with
MAX_SHIFT = 4  # pixels: further, a digit's edge starts to leave the 28×28 image
MAX_ROTATE = 30.0  # degrees: further, a 6 starts to look like a 9 and a 7 like a 1


@dataclass(frozen=True)
class Settings:
    """Everything that defines a run. ``hidden`` is a tuple of hidden-layer widths.

    ``batch_size`` is ignored by ``optimizer="gd"`` (full-batch gradient descent).
    ``lr_decay`` multiplies the learning rate after each epoch (1.0 = constant).
    ``train_subset`` trains on only the first N training images (the overfitting scenario);
    ``val_size`` holds out the last N training images for validation (0 = none; then the test
    set is used for periodic evaluation, as the classic tutorials do).
    """

    hidden: tuple[int, ...] = (128,)
    activation: str = "relu"
    init: str = "he"
    optimizer: str = "adam"
    lr: float = 1e-3
    batch_size: int = 128
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    l2: float = 0.0
    lr_decay: float = 1.0
    seed: int = 0
    train_subset: int = 0
    val_size: int = 0
    dropout: float = 0.0
    augment_shift: int = 0
    augment_rotate: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))
        # plain Python numbers, so that equal settings compare equal and the JSON stays readable
        object.__setattr__(self, "dropout", float(self.dropout))
        object.__setattr__(self, "augment_shift", int(self.augment_shift))
        object.__setattr__(self, "augment_rotate", float(self.augment_rotate))

    def problems(self) -> list[str]:
        """Plain-language reasons these settings are unusable (empty when they are fine)."""
        p = []
        if not self.hidden or any(h < 1 or h > 4096 for h in self.hidden):
            p.append(f"hidden sizes must be between 1 and 4096, got {list(self.hidden)[:10]}")
        if len(self.hidden) > MAX_HIDDEN_LAYERS:
            p.append(f"at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(self.hidden)}")
        if self.activation not in ACTIVATIONS:
            p.append(f"activation {self.activation!r} is not one of {', '.join(ACTIVATIONS)}")
        if self.init not in INITS:
            p.append(f"init {self.init!r} is not one of {', '.join(INITS)}")
        if self.optimizer not in OPTIMIZERS:
            p.append(f"optimizer {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
        if not (np.isfinite(self.lr) and self.lr > 0):
            p.append(f"learning rate must be a positive number, got {self.lr}")
        if self.batch_size < 1:
            p.append(f"batch size must be at least 1, got {self.batch_size}")
        if not 0 <= self.momentum < 1:
            p.append(f"momentum must be in [0, 1), got {self.momentum}")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            p.append(f"Adam betas must be in [0, 1), got {self.beta1}, {self.beta2}")
        if not self.eps > 0:
            p.append(f"eps must be positive, got {self.eps}")
        if not (np.isfinite(self.l2) and self.l2 >= 0):
            p.append(f"L2 weight decay must be zero or positive, got {self.l2}")
        if not 0 < self.lr_decay <= 1:
            p.append(f"lr decay must be in (0, 1], got {self.lr_decay}")
        if self.train_subset < 0 or self.val_size < 0:
            p.append("train_subset and val_size must be zero or positive")
        p.extend(self._regularisation_problems())
        return p

    def _regularisation_problems(self) -> list[str]:
        p = []
        if not (_is_number(self.dropout) and 0 <= self.dropout <= MAX_DROPOUT):
            p.append(f"dropout is the share of hidden units switched off, from 0 to {MAX_DROPOUT:g}; "
                     f"got {self.dropout!r}")
        if not (_is_number(self.augment_shift) and self.augment_shift == int(self.augment_shift)
                and 0 <= self.augment_shift <= MAX_SHIFT):
            p.append(f"augment_shift is the largest shift in whole pixels, from 0 to {MAX_SHIFT}; "
                     f"got {self.augment_shift!r}")
        if not (_is_number(self.augment_rotate) and 0 <= self.augment_rotate <= MAX_ROTATE):
            p.append(f"augment_rotate is the largest turn in degrees, from 0 to {MAX_ROTATE:g}; "
                     f"got {self.augment_rotate!r}")
        return p

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Settings:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        d = dict(d)
        if "hidden" in d:
            d["hidden"] = tuple(d["hidden"])
        return cls(**d)

    def hyperparams(self) -> dict:
        """What the optimizer reads each step."""
        return {"lr": self.lr, "momentum": self.momentum, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


def _is_number(value: object) -> bool:
    """A real, finite number (not a string, not ``True``, not NaN)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


class DecimatingSeries:
    """An append-only series of rows with bounded memory.

    Holds at most ``capacity`` rows. When full, neighbouring pairs are averaged (halving the
    rows) and from then on every ``stride`` incoming rows are averaged into one, so a curve over
    an hour keeps its shape in constant memory. Column 0 is the x value (e.g. step).

    Attributes:
        columns: names of the ``(n, len(columns))`` float64 columns.
    """

    def __init__(self, columns: tuple[str, ...], capacity: int = 20_000):
        if capacity < 4 or capacity % 2:
            raise ValueError("capacity must be an even number >= 4")
        self.columns = columns
        self.capacity = capacity
        self._data = np.empty((capacity, len(columns)), dtype=np.float64)
        self._n = 0
        self.stride = 1
        self._pending = np.zeros(len(columns), dtype=np.float64)
        self._pending_n = 0
        self.total = 0  # rows ever appended

    def __len__(self) -> int:
        return self._n

    def append(self, row) -> None:
        self.extend(np.asarray(row, dtype=np.float64)[None, :])

    def extend(self, rows: np.ndarray) -> None:
        """Append ``(k, len(columns))`` rows."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(self.columns))
        self.total += len(rows)
        if self.stride == 1 and self._pending_n == 0:
            room = self.capacity - self._n
            head = rows[:room]
            self._data[self._n:self._n + len(head)] = head
            self._n += len(head)
            rows = rows[room:]
            if len(rows):
                self._halve()
        for row in rows:  # only reached once decimating, i.e. rarely per call
            self._pending += row
            self._pending_n += 1
            if self._pending_n == self.stride:
                if self._n == self.capacity:
                    self._halve()
                    continue  # stride doubled: keep accumulating into the same bucket
                self._data[self._n] = self._pending / self._pending_n
                self._n += 1
                self._pending[:] = 0
                self._pending_n = 0

    def _halve(self) -> None:
        half = self._n // 2
        pairs = self._data[: half * 2].reshape(half, 2, -1).mean(axis=1)
        self._data[:half] = pairs
        self._n = half
        self.stride *= 2

    def array(self) -> np.ndarray:
        """Copy of the stored rows, ``(n, len(columns))`` float64."""
        return self._data[: self._n].copy()

    def column(self, name: str) -> np.ndarray:
        return self._data[: self._n, self.columns.index(name)].copy()

    def load(self, rows: np.ndarray, stride: int = 1, total: int | None = None) -> None:
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(self.columns))[-self.capacity:]
        self._n = len(rows)
        self._data[: self._n] = rows
        self.stride = max(1, int(stride))
        self._pending[:] = 0
        self._pending_n = 0
        self.total = int(total if total is not None else len(rows))


STEP_COLUMNS = ("step", "epoch", "samples", "loss", "accuracy")
EVAL_COLUMNS = ("step", "epoch", "samples", "eval_loss", "eval_accuracy", "train_accuracy")


@dataclass
class Marker:
    """A labelled event on the curves, e.g. ``lr 0.1 → 1.0`` at step 1200."""

    step: int
    epoch: float
    samples: int
    label: str


@dataclass
class History:
    """What a run has produced so far: per-step training loss/accuracy (bounded), periodic
    evaluations, and knob-change markers."""

    steps: DecimatingSeries = field(default_factory=lambda: DecimatingSeries(STEP_COLUMNS))
    evals: DecimatingSeries = field(default_factory=lambda: DecimatingSeries(EVAL_COLUMNS, 4_000))
    markers: list[Marker] = field(default_factory=list)

    MAX_MARKERS = 2_000

    def add_marker(self, marker: Marker) -> None:
        self.markers.append(marker)
        del self.markers[: -self.MAX_MARKERS]


def frozen(a: np.ndarray) -> np.ndarray:
    """A read-only copy of ``a``."""
    c = np.array(a, copy=True)
    c.flags.writeable = False
    return c


@dataclass(frozen=True)
class LoopState:
    """What the training loop that made a snapshot was doing (``mnist_viz.runtime`` fills it; a
    trainer on its own leaves the defaults).

    Attributes:
        run_id: increments on every reset and load, so a view knows to clear its curves.
        applied_seq: sequence number of the newest command applied before this snapshot (a window
            compares it with the commands it sent, so an in-flight change is not overwritten).
        playing: whether training is running.
        speed_limit: steps per second in slow motion, 0 = as fast as possible.
        budget: the ``Preset`` whose epochs or iterations the run trains to, or ``None``.
        process: which training process made it: 0 for the first, one more for each that replaced
            a process that died (the window knows from it that the replacement is running).
    """

    run_id: int = 0
    applied_seq: int = 0
    playing: bool = False
    speed_limit: float = 0.0
    budget: Preset | None = None
    process: int = 0


@dataclass(frozen=True)
class Snapshot:
    """Everything a view needs at one instant, detached from the trainer.

    Arrays are read-only copies:
        params: every parameter ``(W1, b1, W2, b2, ...)``: layer k's weights ``W{k}`` are
            ``params[2k-2]``, ``(fan_in, fan_out) float32``, its biases ``params[2k-1]``; a view can
            run the network as it was at this instant (``analysis.network_from_params``).
        W1, b1, W_out (properties): ``params[0]`` ``(784, H)``, ``params[1]`` ``(H,)`` and the output
            layer's weights ``params[-2]`` ``(H_last, 10)``.
        probe_probs: ``(P, 10) float32`` softmax of the probe images.
        probe_hidden: ``(P, H) float32`` first hidden layer's activations on the probes.
        new_steps: ``(k, len(STEP_COLUMNS)) float64`` per-step rows since the previous snapshot.
        new_evals: ``(k, len(EVAL_COLUMNS)) float64`` evaluation rows since the previous snapshot.
        unit_mask: ``(H,) float32``, 0 for ablated units.
        test_pred: ``(10000,) uint8`` predictions on the test set from the latest evaluation, or
            ``None`` when there has been none since the previous snapshot (keep the last one).
    Scalars: ``effective_lr`` (the learning rate after decay), ``eval_split`` (``"test"`` or
    ``"validation"``: what the evaluations measure), ``loop`` (see ``LoopState``).
    ``health``: one ``health.LayerHealth`` per layer (hidden layers, then the output layer), or
    empty when the snapshot was made without it (``Trainer.snapshot(health=False)``: a loop may
    measure it less often than it sends snapshots; then keep the last one, as for ``test_pred``).
    """

    step: int
    epoch: float
    samples: int
    elapsed: float
    samples_per_second: float
    settings: Settings
    params: tuple
    unit_mask: np.ndarray
    probe_probs: np.ndarray
    probe_hidden: np.ndarray
    new_steps: np.ndarray
    new_evals: np.ndarray
    new_markers: tuple[Marker, ...] = ()
    diverged: str = ""  # plain-language reason when training stopped (guard or watchdog), else ""
    trouble: Trouble | None = None  # what stopped it, in parts (kind, headline, detail), else None
    last_eval_accuracy: float = float("nan")
    effective_lr: float = float("nan")
    eval_split: str = "test"
    loop: LoopState = LoopState()
    test_pred: np.ndarray | None = None
    health: tuple[LayerHealth, ...] = ()

    @property
    def W1(self) -> np.ndarray:
        """``(784, H) float32`` first-layer weights (one column per hidden unit)."""
        return self.params[0]

    @property
    def b1(self) -> np.ndarray:
        """``(H,) float32`` first-layer biases."""
        return self.params[1]

    @property
    def W_out(self) -> np.ndarray:
        """``(H_last, 10) float32`` output-layer weights."""
        return self.params[-2]
