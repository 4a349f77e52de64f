"""The training loop: one step at a time, settings that change between steps, a guard against
divergence, and snapshots for the views.

``Trainer`` is plain Python with no threads or timers; the GUI worker and the CLI both drive it by
calling ``step()`` in a loop, which is what lets the window and the headless trainer agree.
"""
from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mnist_viz.core.analysis import predictions
from mnist_viz.core.network import DTYPE, MLP, cross_entropy, softmax
from mnist_viz.core.optim import make_optimizer
from mnist_viz.core.snapshot import (
    EVAL_COLUMNS,
    LIVE_FIELDS,
    STEP_COLUMNS,
    History,
    LoopState,
    Marker,
    Settings,
    Snapshot,
    frozen,
)

if TYPE_CHECKING:
    from mnist_viz.core.data import Dataset

N_CLASSES = 10
GOOD_COPY_EVERY = 50  # steps between copies of the weights that "restore last good" returns to
STREAM_LIMIT = 200_000  # per-step rows kept for a snapshot consumer that has fallen behind


# The last sane state "restore" returns to: params, optimizer state, its step count, its name, unit masks.
_GoodCopy = tuple[list[np.ndarray], dict[str, list[np.ndarray]], int, str, list[np.ndarray]]


class TrainingDiverged(RuntimeError):
    """Raised by ``step()`` while the weights are broken (until ``restore_last_good`` or ``reset``)."""


@dataclass(frozen=True)
class StepResult:
    loss: float
    accuracy: float  # fraction of the batch classified correctly (before the update)
    batch_size: int
    diverged: str = ""  # plain-language reason; empty when the step was taken


def describe_value(value) -> str:
    """Short human form of a setting's value for markers: ``0.1``, ``128``, ``adam``."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, tuple):
        return "-".join(str(v) for v in value)
    return str(value)


def _split(data: Dataset, settings: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and evaluation arrays for these settings.

    ``val_size`` holds out the last N training rows; otherwise the dataset's own validation split
    is used if it has one, else the test set (as the classic tutorials evaluate).
    Returns ``(x_train (N,784), y_train (N,), x_eval (M,784), y_eval (M,))``.
    """
    x, y = data.x_train, data.y_train
    if settings.val_size:
        if settings.val_size >= len(x):
            raise ValueError(f"val_size {settings.val_size} leaves no training data (there are {len(x)} rows)")
        x_eval, y_eval = x[-settings.val_size:], y[-settings.val_size:]
        x, y = x[:-settings.val_size], y[:-settings.val_size]
    elif len(data.x_val):
        x_eval, y_eval = data.x_val, data.y_val
    else:
        x_eval, y_eval = data.x_test, data.y_test
    if settings.train_subset:
        if settings.train_subset > len(x):
            raise ValueError(f"train_subset {settings.train_subset} is more than the {len(x)} training rows")
        x, y = x[: settings.train_subset], y[: settings.train_subset]
    return x, y, x_eval, y_eval


class Trainer:
    """Trains an ``MLP`` on a ``Dataset`` with ``Settings`` that may change between steps.

    Attributes:
        net: the live network.
        optimizer: the live optimizer.
        settings: current settings.
        history: bounded record of per-step loss/accuracy, evaluations, and markers.
        step_count, samples_seen, epoch (float, fractional within an epoch), elapsed (training
        seconds, excluding evaluation and snapshots).
        diverged: plain-language reason when the last step hit NaN/inf, else ``""``.
    """

    def __init__(self, data: Dataset, settings: Settings | None = None):
        self.data = data
        self.settings = settings or Settings()
        self.reset(self.settings)

    # ------------------------------------------------------------------ setup
    def reset(self, settings: Settings | None = None) -> None:
        """Start again from fresh weights drawn from ``settings.seed``."""
        s = settings or self.settings
        self.x_train, self.y_train, self.x_eval, self.y_eval = _split(self.data, s)
        self.settings = s
        # Separate streams, so that resizing (which draws new weights) leaves the batch order alone.
        init_seq, shuffle_seq = np.random.SeedSequence(s.seed).spawn(2)
        self.net = MLP([self.x_train.shape[1], *s.hidden, N_CLASSES], s.activation, s.init,
                       np.random.default_rng(init_seq))
        self.shuffle_rng = np.random.default_rng(shuffle_seq)
        self.optimizer = make_optimizer(s.optimizer)
        self.step_count = 0
        self.samples_seen = 0
        self.epochs_done = 0
        self.cursor = 0
        self.order = self._new_order()
        self.elapsed = 0.0
        self.history = History()
        self.diverged = ""
        self._stream: deque = deque(maxlen=STREAM_LIMIT)
        self._stream_evals: list = []
        self._stream_markers: list[Marker] = []
        self._pending_rows: list[tuple] = []
        self._unsent_test_pred: np.ndarray | None = None
        self._acc_since_eval = [0, 0]  # correct, seen
        self._loss_ema = math.nan
        self._best_ema = math.inf
        self._good: _GoodCopy | None = None
        self._save_good()
        self._rate = (0.0, 0, 0.0)  # (time, samples, samples/s) for a smoothed throughput

    def _new_order(self) -> np.ndarray:
        return self.shuffle_rng.permutation(len(self.x_train))

    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def epoch(self) -> float:
        """Epochs completed, with the fraction of the current one."""
        return self.epochs_done + self.cursor / max(1, self.n_train)

    @property
    def eval_split_name(self) -> str:
        """What the periodic evaluations measure: ``"test"`` or ``"validation"``."""
        return "test" if self.x_eval is self.data.x_test else "validation"

    @property
    def effective_lr(self) -> float:
        return self.settings.lr * self.settings.lr_decay ** self.epochs_done

    @property
    def batch_size(self) -> int:
        return self.n_train if self.settings.optimizer == "gd" else min(self.settings.batch_size, self.n_train)

    # ---------------------------------------------------------- live changes
    def update(self, **changes) -> list[str]:
        """Change live settings; they act on the next step. Returns the marker labels made.

        Raises ``ValueError`` for a bad value or for a setting that needs ``reset`` (activation,
        init, seed, train_subset, val_size, or the number of hidden layers).
        """
        new = self.settings.replace(**changes)  # validates
        labels = []
        for name in changes:
            old_value, new_value = getattr(self.settings, name), getattr(new, name)
            if old_value == new_value:
                continue
            if name not in LIVE_FIELDS or (name == "hidden" and len(new_value) != len(old_value)):
                raise ValueError(f"changing {name} needs a restart (reset) of the network")
            labels.append(f"{name} {describe_value(old_value)} → {describe_value(new_value)}")
        if not labels:
            return []
        if new.hidden != self.settings.hidden:
            self._resize(new.hidden)
        if new.optimizer != self.settings.optimizer:
            self.optimizer = make_optimizer(new.optimizer)  # state of one optimizer means nothing to another
        self.settings = new
        for label in labels:
            self.add_marker(label)
        return labels

    def _resize(self, hidden: tuple[int, ...]) -> None:
        x_ref = self.x_train[:1024]
        for layer, size in enumerate(hidden):
            if size != self.net.sizes[layer + 1]:
                plan = self.net.resize_hidden(size, layer, x_ref)
                self.optimizer.follow_resize(plan)
        if self._good is not None and self._good[0][0].shape != self.net.params[0].shape:
            self._save_good()  # old copy has the wrong shape; the resized weights are the good ones now

    def add_marker(self, label: str) -> Marker:
        marker = Marker(self.step_count, self.epoch, self.samples_seen, label)
        self.history.add_marker(marker)
        self._stream_markers.append(marker)
        del self._stream_markers[:-1000]
        return marker

    def set_unit_enabled(self, unit: int, enabled: bool, layer: int = 0) -> None:
        """Switch hidden unit ``unit`` off (ablate: its activation is forced to 0, its weights are
        kept and stop learning) or back on. Leaves a marker such as ``unit 17 off``."""
        mask = self.net.unit_mask[layer]
        if not 0 <= unit < len(mask):
            raise ValueError(f"unit {unit} does not exist: layer {layer} has {len(mask)} units")
        if bool(mask[unit]) != enabled:
            mask[unit] = 1.0 if enabled else 0.0
            self.add_marker(f"unit {unit} {'on' if enabled else 'off'}")

    # ------------------------------------------------------------------ steps
    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The next training batch ``(x (B,784), y (B,))``; the last batch of an epoch may be short."""
        if self.settings.optimizer == "gd":
            self.cursor = self.n_train
            return self.x_train, self.y_train
        idx = self.order[self.cursor: self.cursor + self.batch_size]
        self.cursor += len(idx)
        return self.x_train[idx], self.y_train[idx]

    def step(self) -> StepResult:
        """One optimisation step on the next batch.

        If the loss or a gradient is NaN/inf, the update is not applied, ``diverged`` says why,
        and further calls raise ``TrainingDiverged`` until ``restore_last_good()`` or ``reset()``.
        """
        if self.diverged:
            raise TrainingDiverged(self.diverged)
        t0 = time.perf_counter()
        if self.cursor >= self.n_train:
            self._end_epoch()
        x, y = self.next_batch()
        loss, grads, logits = self.net.loss_and_grads(x, y, self.settings.l2)
        correct = int(np.count_nonzero(logits.argmax(axis=1) == y))
        grad_sq = sum(float(np.vdot(g, g)) for g in grads)
        if not (math.isfinite(loss) and math.isfinite(grad_sq)):
            return self._diverge(loss, len(y), correct)
        hp = self.settings.hyperparams()
        hp["lr"] = self.effective_lr
        self.optimizer.step(self.net.params, grads, hp)
        if not math.isfinite(sum(float(np.vdot(W, W)) for W in self.net.weights)):
            return self._diverge(math.inf, len(y), correct)
        self._record(loss, len(y), correct)
        self.elapsed += time.perf_counter() - t0
        return StepResult(loss, correct / len(y), len(y))

    def _end_epoch(self) -> None:
        self.epochs_done += 1
        self.cursor = 0
        if self.settings.optimizer != "gd":
            self.order = self._new_order()

    def _record(self, loss: float, n: int, correct: int) -> None:
        self.step_count += 1
        self.samples_seen += n
        self._acc_since_eval[0] += correct
        self._acc_since_eval[1] += n
        row = (self.step_count, self.epoch, self.samples_seen, loss, correct / n)
        self._pending_rows.append(row)
        self._stream.append(row)
        if len(self._pending_rows) >= 512:
            self.flush()
        self._loss_ema = loss if math.isnan(self._loss_ema) else 0.95 * self._loss_ema + 0.05 * loss
        self._best_ema = min(self._best_ema, self._loss_ema)
        # Keep a copy of the weights while the loss is sane: not above chance level (ln 10 ~ 2.3)
        # and not far above the best seen, so "restore" lands before a blow-up, not in its middle.
        if self.step_count % GOOD_COPY_EVERY == 0 and self._loss_ema <= max(1.5 * self._best_ema, 2.5):
            self._save_good()

    def flush(self) -> None:
        """Move the per-step rows batched since the last flush into ``history.steps`` (steps are
        recorded in batches of 512 because one ``extend`` is much cheaper than 512 appends); call it
        before reading the history."""
        if self._pending_rows:
            self.history.steps.extend(np.array(self._pending_rows))
            self._pending_rows.clear()

    def _diverge(self, loss: float, n: int, correct: int) -> StepResult:
        too_fast = self.effective_lr >= 0.1 or self.settings.optimizer == "adam"
        hint = ("the learning rate is probably too high" if too_fast
                else "the weights grew without bound")
        self.diverged = (f"Training stopped at step {self.step_count + 1}: the loss became "
                         f"{'infinite' if loss == math.inf else 'not a number (NaN)'} — {hint} "
                         f"(lr {describe_value(self.effective_lr)}). Restore the last good weights, "
                         f"lower the learning rate, and continue.")
        self.add_marker("diverged")
        return StepResult(loss, correct / n, n, self.diverged)

    def _save_good(self) -> None:
        self._good = (self.net.copy_params(), {k: [a.copy() for a in v] for k, v in self.optimizer.state.items()},
                      self.optimizer.t, self.optimizer.name, [m.copy() for m in self.net.unit_mask])

    def restore_last_good(self) -> None:
        """Go back to the last weights (and optimizer state) saved while the loss was sane."""
        assert self._good is not None  # reset() takes the first copy
        params, state, t, opt_name, masks = self._good
        self.net.set_params([p.copy() for p in params])
        self.net.unit_mask = [m.copy() for m in masks]
        if opt_name == self.optimizer.name:
            self.optimizer.state = {k: [a.copy() for a in v] for k, v in state.items()}
            self.optimizer.t = t
        else:
            self.optimizer = make_optimizer(self.settings.optimizer)
        hidden = tuple(self.net.sizes[1:-1])
        if hidden != self.settings.hidden:
            self.settings = self.settings.replace(hidden=hidden)
        self.diverged = ""
        self._loss_ema = math.nan
        self.add_marker("restored last good weights")

    # ------------------------------------------------------------ whole state
    def state_dict(self) -> dict:
        """Everything that defines this session, for a checkpoint: ``settings``; ``params`` (the
        network's ``[W1, b1, W2, b2, ...]``) and ``unit_masks`` (per hidden layer ``(H,)``);
        ``optimizer`` (``name``, step count ``t``, ``arrays``: its state by name); ``counters``;
        ``order`` (this epoch's ``(N,)`` batch order); ``history`` (step and evaluation rows with
        their strides and totals, markers); ``rng`` (both generators' states). The arrays are the
        live ones, not copies: write them out before training on."""
        self.flush()
        h = self.history
        return {
            "settings": self.settings,
            "params": list(self.net.params), "unit_masks": list(self.net.unit_mask),
            "optimizer": {"name": self.optimizer.name, "t": self.optimizer.t, "arrays": self.optimizer.state_arrays()},
            "counters": {"step_count": self.step_count, "samples_seen": self.samples_seen,
                         "epochs_done": self.epochs_done, "cursor": self.cursor, "elapsed": self.elapsed},
            "order": self.order,
            "history": {"steps": h.steps.array(), "steps_stride": h.steps.stride, "steps_total": h.steps.total,
                        "evals": h.evals.array(), "evals_stride": h.evals.stride, "evals_total": h.evals.total,
                        "markers": list(h.markers)},
            "rng": {"init": self.net.rng.bit_generator.state, "shuffle": self.shuffle_rng.bit_generator.state},
        }

    def load_state_dict(self, state: dict) -> None:
        """Become the session ``state`` describes (as ``state_dict`` returns it, on this dataset).

        The state is first restored into a fresh trainer and adopted only when every piece fitted, so
        a bad state (``KeyError``, ``TypeError``, ``ValueError``, ``IndexError``) leaves this one as
        it was. ``order`` may be ``None`` (a fresh shuffle), ``unit_masks`` entries too (all on)."""
        fresh = type(self)(self.data, state["settings"])
        fresh._restore(state)
        vars(self).clear()
        vars(self).update(vars(fresh))

    def _restore(self, state: dict) -> None:
        self.net.set_params(state["params"])
        self.net.unit_mask = [np.array(m, DTYPE) if m is not None else np.ones(h, DTYPE)
                              for m, h in zip(state["unit_masks"], self.net.sizes[1:-1])]
        opt = state["optimizer"]
        if opt["name"] != self.optimizer.name:
            raise ValueError(f"optimizer state is for {opt['name']!r}, the settings say {self.optimizer.name!r}")
        self.optimizer.load_state_arrays(opt["arrays"], len(self.net.params), opt["t"])
        for name, arrays in self.optimizer.state.items():
            if [a.shape for a in arrays] != [p.shape for p in self.net.params]:
                raise ValueError(f"optimizer state {name!r} does not have the parameters' shapes")
        c = state["counters"]
        self.step_count, self.samples_seen = int(c["step_count"]), int(c["samples_seen"])
        self.epochs_done, self.elapsed = int(c["epochs_done"]), float(c["elapsed"])
        if state["order"] is not None:
            self.order, self.cursor = np.asarray(state["order"], np.int64), int(c["cursor"])
        h = state["history"]
        self.history.steps.load(h["steps"], h["steps_stride"], h["steps_total"])
        self.history.evals.load(h["evals"], h["evals_stride"], h["evals_total"])
        self.history.markers = list(h["markers"])
        self.net.rng.bit_generator.state = state["rng"]["init"]
        self.shuffle_rng.bit_generator.state = state["rng"]["shuffle"]
        self._save_good()

    # ------------------------------------------------------------- loops
    def run_epoch(self) -> list[StepResult]:
        """Steps until the current epoch is complete (a single step for full-batch ``gd``)."""
        results = [self.step()]
        while self.cursor < self.n_train and not results[-1].diverged:
            results.append(self.step())
        return results

    def train(self, epochs: float | None = None, iterations: int | None = None, callback=None) -> None:
        """Train for ``epochs`` more epochs or ``iterations`` more steps, whichever is given.
        ``callback(trainer, result)`` is called after each step; a diverged step stops the loop."""
        if (epochs is None) == (iterations is None):
            raise ValueError("give exactly one of epochs or iterations")
        end_step = self.step_count + iterations if iterations is not None else None
        end_epoch = self.epoch + epochs if epochs is not None else None
        while True:
            if end_step is not None and self.step_count >= end_step:
                break
            if end_epoch is not None and self.epoch >= end_epoch - 1e-9:
                break
            result = self.step()
            if callback:
                callback(self, result)
            if result.diverged:
                break

    # ------------------------------------------------------------ evaluation
    def evaluate(self, split: str = "eval", batch: int = 10_000) -> tuple[float, float]:
        """``(mean loss, accuracy)`` on ``"train"``, ``"test"``, ``"val"`` or ``"eval"`` (the split
        used for periodic evaluation: the validation rows if there are any, else test)."""
        x, y = self._split_arrays(split)
        loss, acc, _ = self._loss_accuracy_predictions(x, y, batch)
        return loss, acc

    def _loss_accuracy_predictions(self, x: np.ndarray, y: np.ndarray, batch: int = 10_000):
        """``(mean loss, accuracy, predictions (N,) uint8)`` for ``x (N, 784)``, ``y (N,)``, in one pass."""
        if len(x) == 0:
            raise ValueError("the split is empty")
        total_loss, preds = 0.0, np.empty(len(x), np.uint8)
        for i in range(0, len(x), batch):
            logits = self.net.forward(x[i:i + batch])[0]
            loss, _ = cross_entropy(logits, y[i:i + batch])
            total_loss += loss * len(logits)
            preds[i:i + batch] = logits.argmax(axis=1)
        return total_loss / len(x), float(np.count_nonzero(preds == y)) / len(x), preds

    def _split_arrays(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        if split == "train":
            return self.x_train, self.y_train
        if split == "test":
            return self.data.x_test, self.data.y_test
        if split == "val":
            held_out = self.x_eval is not self.data.x_test
            return (self.x_eval, self.y_eval) if held_out else (self.data.x_val, self.data.y_val)
        if split == "eval":
            return self.x_eval, self.y_eval
        raise ValueError(f"unknown split {split!r}; use train, test, val or eval")

    def record_evaluation(self, test_predictions: bool = False) -> tuple[float, float]:
        """Evaluate on the eval split and add a point to the history (and the snapshot stream).
        With ``test_predictions``, the next snapshot also carries the test-set predictions
        (``Snapshot.test_pred``, for a confusion matrix)."""
        loss, acc, preds = self._loss_accuracy_predictions(self.x_eval, self.y_eval)
        if test_predictions:
            # the eval split usually *is* the test set: reuse its predictions instead of a second pass
            on_test = self.x_eval is self.data.x_test
            self._unsent_test_pred = preds if on_test else predictions(self.net, self.data.x_test)
        correct, seen = self._acc_since_eval
        train_acc = correct / seen if seen else math.nan
        self._acc_since_eval = [0, 0]
        row = (self.step_count, self.epoch, self.samples_seen, loss, acc, train_acc)
        self.history.evals.append(row)
        self._stream_evals.append(row)
        del self._stream_evals[:-1000]
        return loss, acc

    def replay_history(self) -> None:
        """Queue the whole history (curves and markers) for the next snapshot, e.g. after loading a
        session, so a view that was cleared shows the run from its start."""
        self.flush()
        self._stream.clear()
        self._stream.extend(map(tuple, self.history.steps.array()))
        self._stream_evals[:] = list(map(tuple, self.history.evals.array()))
        self._stream_markers[:] = list(self.history.markers)

    # ------------------------------------------------------------- snapshots
    def snapshot(self, probe_x: np.ndarray | None = None, loop: LoopState | None = None) -> Snapshot:
        """A detached, read-only view of the present state.

        Args:
            probe_x: ``(P, 784) float32`` images whose softmax and hidden activations to include.
            loop: what the loop driving this trainer is doing (``Snapshot.loop``).
        The per-step rows, evaluations and markers made since the previous call are included once
        (this drains them: call it from one consumer only).
        """
        self.flush()
        if probe_x is None:
            probe_x = np.zeros((0, self.net.sizes[0]), dtype=DTYPE)
        if self.diverged or len(probe_x) == 0:
            probs = np.full((len(probe_x), N_CLASSES), np.nan, DTYPE)
            hidden = np.zeros((len(probe_x), self.net.sizes[1]), DTYPE)
        else:
            logits, cache = self.net.forward(np.asarray(probe_x, DTYPE), keep=True)
            probs, hidden = softmax(logits), cache[0]
        new_steps = np.array(self._stream, dtype=np.float64).reshape(-1, len(STEP_COLUMNS))
        self._stream.clear()
        new_evals = np.array(self._stream_evals, dtype=np.float64).reshape(-1, len(EVAL_COLUMNS))
        self._stream_evals.clear()
        markers = tuple(self._stream_markers)
        self._stream_markers.clear()
        last_eval = self.history.evals.column("eval_accuracy")
        params = tuple(frozen(p) for p in self.net.params)
        test_pred, self._unsent_test_pred = self._unsent_test_pred, None
        return Snapshot(
            step=self.step_count, epoch=self.epoch, samples=self.samples_seen, elapsed=self.elapsed,
            samples_per_second=self._throughput(), settings=self.settings,
            params=params,
            test_pred=None if test_pred is None else frozen(test_pred),
            unit_mask=frozen(self.net.unit_mask[0]), probe_probs=frozen(probs), probe_hidden=frozen(hidden),
            new_steps=frozen(new_steps), new_evals=frozen(new_evals), new_markers=markers,
            diverged=self.diverged,
            last_eval_accuracy=float(last_eval[-1]) if len(last_eval) else math.nan,
            effective_lr=self.effective_lr, eval_split=self.eval_split_name, loop=loop or LoopState())

    def _throughput(self) -> float:
        """Training samples per second of training time, smoothed over roughly the last second."""
        t_prev, s_prev, rate = self._rate
        dt = self.elapsed - t_prev
        if dt >= 0.25:
            rate = (self.samples_seen - s_prev) / dt
            self._rate = (self.elapsed, self.samples_seen, rate)
        elif self.elapsed > 0 and rate == 0.0:
            rate = self.samples_seen / self.elapsed
        return rate
