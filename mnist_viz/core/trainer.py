"""The training loop: one step at a time, settings that change between steps, a guard against
divergence and a watchdog for collapse, copies of recent good states to restore, and snapshots for
the views.

``Trainer`` is plain Python with no threads or timers; the GUI worker and the CLI both drive it by
calling ``step()`` in a loop, which is what lets the window and the headless trainer agree.
"""
from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from mnist_viz.core.analysis import predictions
from mnist_viz.core.augment import Augmenter, augment, is_identity
from mnist_viz.core.health import PROBE_SIZE, LayerHealth, layer_health
from mnist_viz.core.i18n import format_int, tr
from mnist_viz.core.network import DTYPE, MLP, ResizePlan, cross_entropy, dropout_masks, remap_hidden, softmax
from mnist_viz.core.optim import make_optimizer
from mnist_viz.core.phases import mark, start_step
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
from mnist_viz.core.watchdog import Trouble, Watchdog

if TYPE_CHECKING:
    from mnist_viz.core.data import Dataset

N_CLASSES = 10
COPY_EVERY = 50  # steps between copies of the state that "restore" chooses from ...
RECENT_COPIES = 6  # ... of which the newest this many are kept (with the best evaluated one)
RESTORE_EVAL_ROWS = 2_000  # eval-split images each candidate is scored on when restoring (~3 ms each at 128 units)
RESTORE_TOLERANCE = 0.005  # accuracy within which the newer copy wins: 10 of 2,000 images (the score's
                           # standard error at 97% is ~0.4 points)
STREAM_LIMIT = 200_000  # per-step rows kept for a snapshot consumer that has fallen behind
RESTORED_LABEL = "restored"  # how the marker a restore leaves starts ("restored step 420")
# Random streams of a run, all from its seed: SeedSequence(seed) children 0 (initial weights and new
# units) and 1 (batch order) are generators that run on; dropout and augmentation draw step n's
# numbers from children (2, n) and (3, n), made afresh each step. So turning one knob, or resizing,
# changes none of the other draws, and a step's draws depend only on the seed and the step number
# (a checkpoint needs no state for them; a restored run draws the same numbers again).
DROPOUT_STREAM, AUGMENT_STREAM = 2, 3


def restored_step(label: str) -> int | None:
    """The step a ``restored step N`` marker went back to, or ``None`` for any other marker."""
    words = label.split()
    if len(words) == 3 and words[0] == RESTORED_LABEL and words[1] == "step":
        digits = words[2].replace(",", "")
        return int(digits) if digits.isdigit() else None
    return None


@dataclass(eq=False)  # copies are told apart by identity (their arrays have no truth value)
class StateCopy:
    """A copy of the network and optimizer at ``step``, for "restore": ``params`` as the network's
    ``[W1, b1, ...]``, ``state`` as the optimizer's (named lists of parameter-shaped arrays)."""

    step: int
    params: list[np.ndarray]
    state: dict[str, list[np.ndarray]]
    t: int
    optimizer: str
    lr: float  # the learning-rate setting these weights were trained with
    scale: list[float] = field(default_factory=list)  # what ``state`` is divided by (Optimizer.state_scale)

    def follow_resize(self, plan: ResizePlan, new_units: Sequence[np.ndarray]) -> None:
        """Resize as the live network was: ``new_units`` are its three new slices (see ``remap_hidden``)."""
        self.params = remap_hidden(self.params, plan, list(new_units))
        self.state = {n: remap_hidden(arrs, plan, [0.0, 0.0, 0.0]) for n, arrs in self.state.items()}


class TrainingDiverged(RuntimeError):
    """Raised by ``step()`` while training is stopped by the guard or the watchdog (until
    ``restore_last_good`` or ``reset``)."""


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


def change_label(name: str, old, new) -> str:
    """The marker for a setting's change: ``lr 0.1 → 1``, ``dropout 0 → 0.5``, ``shift off → ±2 px``,
    ``rotation off → ±10°`` (one word for the knob first: the curves shorten labels to it)."""
    if name == "augment_shift":
        return f"shift {_amount(old, ' px')} → {_amount(new, ' px')}"
    if name == "augment_rotate":
        return f"rotation {_amount(old, '°')} → {_amount(new, '°')}"
    return f"{name} {describe_value(old)} → {describe_value(new)}"


def _amount(value: float, unit: str) -> str:
    return f"±{value:g}{unit}" if value else "off"


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
        trouble: what stopped training (``watchdog.Trouble``: a refused non-finite step, an exploding
            loss, a collapse, a dead layer), or ``None``; ``diverged`` is its message or ``""``.
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
        self.augmenter = Augmenter()
        self.optimizer = make_optimizer(s.optimizer)
        self.step_count = 0
        self.samples_seen = 0
        self.epochs_done = 0
        self.cursor = 0
        self.order = self._new_order()
        self.elapsed = 0.0
        self.history = History()
        self.trouble: Trouble | None = None
        self.watchdog = Watchdog()
        self._stream: deque = deque(maxlen=STREAM_LIMIT)
        self._stream_evals: list = []
        self._stream_markers: list[Marker] = []
        self._pending_rows: list[tuple] = []
        self._unsent_test_pred: np.ndarray | None = None
        self._acc_since_eval = [0, 0]  # correct, seen
        self._trained_lr = s.lr  # the lr setting the present weights were last updated with
        self._copies: deque[StateCopy] = deque(maxlen=RECENT_COPIES)
        self._best_copy: tuple[float, StateCopy] | None = None  # (eval accuracy, copy) of the best evaluation
        self._keep_copy()
        self._rate = (0.0, 0, 0.0)  # (time, samples, samples/s) for a smoothed throughput
        # layer health (issue 12) is measured on the same images all run long, so its curves show the network change
        self.health_probe_x = _health_probe(self.data)
        self._update_step = -1  # the step whose update the optimizer's spare buffers still hold (see _params_before)

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
    def diverged(self) -> str:
        """Why training is stopped, in plain words (``trouble``'s message), or ``""``."""
        return self.trouble.message if self.trouble else ""

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
            labels.append(change_label(name, old_value, new_value))
        if not labels:
            return []
        self._keep_copy()  # the state before a knob was turned: what "restore" most often wants
        if new.hidden != self.settings.hidden:
            self._resize(new.hidden)
        if new.optimizer != self.settings.optimizer:
            self.optimizer = make_optimizer(new.optimizer)  # state of one optimizer means nothing to another
            self._update_step = -1
        self.settings = new
        for label in labels:
            self.add_marker(label)
        return labels

    def _resize(self, hidden: tuple[int, ...]) -> None:
        """Resize each hidden layer whose size changed; the optimizer state and every kept copy
        follow, so that a later restore keeps the new sizes (and the same new units)."""
        x_ref = self.x_train[:1024]
        self._update_step = -1  # the resized parameters have no "before the last step"
        for layer, size in enumerate(hidden):
            if size != self.net.sizes[layer + 1]:
                plan = self.net.resize_hidden(size, layer, x_ref)
                self.optimizer.follow_resize(plan)
                p = self.net.params
                new_units = (p[2 * layer][:, len(plan.keep):], p[2 * layer + 1][len(plan.keep):],
                             p[2 * layer + 2][len(plan.keep):, :])
                for copy in self._all_copies():
                    copy.follow_resize(plan, new_units)
        self.watchdog.restart()  # a smaller layer may lose accuracy on purpose: not a collapse

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
            self.watchdog.restart()  # switching units off may cost accuracy on purpose
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

    def peek_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The batch the next ``step()`` trains on, ``(x (B,784), y (B,))``, without taking it.

        Nothing changes: at the end of an epoch the next epoch's shuffle is drawn from a copy of the
        shuffle generator, which is the draw ``step()`` will then make. Full-batch ``gd`` trains on
        the whole training split every step, so that is what it returns. With augmentation on, the
        images come moved and turned as that step will see them (a copy: the same draws)."""
        if self.settings.optimizer == "gd":
            return self._augmented(self.x_train, out=np.empty_like(self.x_train)), self.y_train
        order, cursor = self.order, self.cursor
        if cursor >= self.n_train:  # step() starts a new epoch first, with a new order
            order, cursor = deepcopy(self.shuffle_rng).permutation(self.n_train), 0
        idx = order[cursor: cursor + self.batch_size]
        x = self.x_train[idx]
        return self._augmented(x, out=np.empty_like(x)), self.y_train[idx]

    def _step_rng(self, stream: int) -> np.random.Generator:
        """The generator of ``stream`` (``DROPOUT_STREAM``, ``AUGMENT_STREAM``) for the next step."""
        return np.random.default_rng(np.random.SeedSequence(self.settings.seed, spawn_key=(stream, self.step_count)))

    def _augmented(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The next step's training images ``(B, 784)``: ``x`` itself without augmentation, else
        each image moved and turned (into the augmenter's buffer, or into ``out``)."""
        s = self.settings
        if is_identity(s.augment_shift, s.augment_rotate):
            return x
        return augment(x, self._step_rng(AUGMENT_STREAM), s.augment_shift, s.augment_rotate, self.augmenter, out)

    def next_dropout_masks(self, batch: int) -> list[np.ndarray] | None:
        """The dropout masks the next ``step()`` applies to a batch of ``batch`` images (the same
        draws: call it to take that step apart), one ``(batch, H_i) float32`` per hidden layer; ``None``
        without dropout. See ``network.dropout_masks``."""
        p = self.settings.dropout
        return dropout_masks(self._step_rng(DROPOUT_STREAM), batch, self.net.sizes[1:-1], p) if p else None

    @property
    def next_step_lr(self) -> float:
        """The learning rate the next ``step()`` uses: ``effective_lr``, after the decay of the epoch
        that step starts if the present one is complete."""
        epochs = self.epochs_done + (1 if self.cursor >= self.n_train else 0)
        return self.settings.lr * self.settings.lr_decay ** epochs

    def step(self) -> StepResult:
        """One optimisation step on the next batch.

        The guard: if the loss, a gradient, or any new weight or optimizer value would be NaN/inf,
        the step is not applied (weights and optimizer state stay exactly as they were). The
        watchdog: a taken step whose loss exploded, or after which accuracy is back at chance or a
        hidden layer is dead, stops training too. Either way ``trouble`` says what happened and
        further calls raise ``TrainingDiverged`` until ``restore_last_good()`` or ``reset()``.
        """
        if self.trouble:
            raise TrainingDiverged(self.trouble.message)
        t0 = time.perf_counter()
        start_step()
        if self.cursor >= self.n_train:
            self._end_epoch()
        x, y = self.next_batch()
        x = self._augmented(x)
        masks = self.next_dropout_masks(len(x))
        mark("batch (gather, augment, dropout masks)")
        silent: list[int] = []
        loss, grads, logits = self.net.loss_and_grads(x, y, self.settings.l2, silent, masks)
        correct = int(np.count_nonzero(logits.argmax(axis=1) == y))
        mark("count correct")
        result = StepResult(loss, correct / len(y), len(y))
        if not math.isfinite(loss):
            return self._refuse(result, tr("the loss became infinite") if loss == math.inf
                                else tr("the loss became not a number (NaN)"))
        hp = self.settings.hyperparams()
        hp["lr"] = self.effective_lr
        # The gradients are not checked on their own: an inf or NaN in one always shows in the proposal
        # (see Optimizer.unchecked_state), and one pass over the proposal is the guard's whole cost.
        proposal = self.optimizer.propose(self.net.params, grads, hp)
        mark("update: propose")
        if not all_finite(proposal):
            self.optimizer.discard()
            return self._refuse(result, self._why_not_finite(x, y, masks))
        mark("guard: new weights")
        self.optimizer.commit(self.net.params)
        self._trained_lr = self.settings.lr
        self._record(loss, len(y), correct)
        self._update_step = self.step_count
        self.elapsed += time.perf_counter() - t0
        found = self.watchdog.observe(loss, correct / len(y), silent[0] if silent else None)
        mark("commit, record, watchdog")
        if found:
            return self._stop(result, *found)
        return result

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
        if self.step_count % COPY_EVERY == 0:
            self._keep_copy()

    def flush(self) -> None:
        """Move the per-step rows batched since the last flush into ``history.steps`` (steps are
        recorded in batches of 512 because one ``extend`` is much cheaper than 512 appends); call it
        before reading the history."""
        if self._pending_rows:
            self.history.steps.extend(np.array(self._pending_rows))
            self._pending_rows.clear()

    # ------------------------------------------------------------- trouble
    def _lr_hint(self) -> str:
        lr, optimizer = self.effective_lr, self.settings.optimizer
        if lr > (0.01 if optimizer == "adam" else 1.0):
            return tr("The learning rate ({lr} with {optimizer}) is far too high: each update overshoots the "
                      "valley further than the last.").format(lr=describe_value(lr), optimizer=optimizer)
        return tr("The learning rate is {lr} ({optimizer}): the weights may have grown without bound.").format(
            lr=describe_value(lr), optimizer=optimizer)

    def _why_not_finite(self, x: np.ndarray, y: np.ndarray, masks: list[np.ndarray] | None) -> str:
        """Why a step's proposal was not finite: its gradients (computed again, the same numbers:
        the optimizer used the first ones as scratch) or the update itself."""
        with np.errstate(all="ignore"):
            _loss, grads, _logits = self.net.loss_and_grads(x, y, self.settings.l2, None, masks)
        if not all_finite(grads):
            return tr("the gradients overflowed (became infinite or NaN)")
        return tr("the update would have made weights or the optimizer's running "
                  "averages overflow (grow past float32's largest number, 3.4e38)")

    def _refuse(self, result: StepResult, what: str) -> StepResult:
        """The guard's answer to a step that would break the weights: not applied, training stopped."""
        n = self.step_count + 1
        self._update_step = -1  # the refused proposal may have overwritten the spare buffers
        detail = tr("That step was not applied: the weights are still those of step {step}.").format(
            step=format_int(self.step_count))
        headline = tr("Training stopped before step {step}: {what}").format(step=format_int(n), what=what)
        return self._set_trouble(Trouble("not finite", n, headline, f"{detail} {self._lr_hint()}"), result)

    def _stop(self, result: StepResult, kind: str, what: str, numbers: str) -> StepResult:
        """The watchdog's answer to a taken step that shows training has gone wrong."""
        headline = tr("Training paused at step {step}: {what}").format(step=format_int(self.step_count), what=what)
        return self._set_trouble(Trouble(kind, self.step_count, headline, f"{numbers} {self._lr_hint()}"), result)

    def _set_trouble(self, trouble: Trouble, result: StepResult) -> StepResult:
        self.trouble = trouble
        self.add_marker(trouble.label)
        return StepResult(result.loss, result.accuracy, result.batch_size, trouble.message)

    # ---------------------------------------------------------------- restore
    def _copy_now(self) -> StateCopy:
        return StateCopy(self.step_count, self.net.copy_params(), self.optimizer.copy_state(), self.optimizer.t,
                         self.optimizer.name, self._trained_lr, self.optimizer.state_scale())

    def _keep_copy(self) -> None:
        """Keep a copy of the present state among the recent ones (one per step count)."""
        if self._copies and self._copies[-1].step == self.step_count:
            self._copies.pop()
        self._copies.append(self._copy_now())

    def _all_copies(self) -> list[StateCopy]:
        best = [self._best_copy[1]] if self._best_copy else []
        return [*self._copies, *(c for c in best if c not in self._copies)]

    def best_copy(self) -> tuple[StateCopy, float, float]:
        """The kept copy that scores best on the first ``RESTORE_EVAL_ROWS`` eval-split images: the
        newest whose accuracy is within ``RESTORE_TOLERANCE`` of the highest (so a difference of a
        few images, within the score's noise, does not undo thousands of steps), then lowest loss.
        Returns ``(copy, accuracy, loss)``."""
        x, y = self.x_eval[:RESTORE_EVAL_ROWS], self.y_eval[:RESTORE_EVAL_ROWS]
        scored = []
        with np.errstate(all="ignore"):  # a copy from the middle of a blow-up may overflow
            for copy in self._all_copies():
                net = MLP.from_params(copy.params, self.net.activation, self.net.unit_mask)
                loss, accuracy, _ = _loss_accuracy_predictions(net, x, y)
                scored.append((accuracy, -loss if math.isfinite(loss) else -math.inf, copy.step, copy))
        best = max(accuracy for accuracy, *_ in scored)
        close = [s for s in scored if s[0] >= best - RESTORE_TOLERANCE]
        accuracy, neg_loss, _, copy = max(close, key=lambda s: (s[2], s[1]))  # the newest of those
        return copy, accuracy, -neg_loss

    def restore_last_good(self, lr_factor: float = 1.0) -> str:
        """Go back to the best recent state by evaluation (see ``best_copy``): weights and optimizer
        state, keeping the present layer sizes, switched-off units and settings. With ``lr_factor``
        below 1 the learning rate is lowered too: to ``lr * lr_factor``, or to the rate the restored
        weights were trained with if that is lower (Adam at lr 5 ×0.1 is still far too high; the
        0.001 it came from is not). Returns what was done, in words, and leaves a marker
        ``restored step N``."""
        copy, accuracy, _loss = self.best_copy()
        self.net.set_params([p.copy() for p in copy.params])
        self._update_step = -1
        if copy.optimizer == self.optimizer.name:
            self.optimizer.set_state(copy.state, copy.t, copy.scale)
        else:
            self.optimizer = make_optimizer(self.settings.optimizer)
        self.optimizer.discard()
        self._trained_lr = copy.lr
        self.trouble = None
        self.watchdog.restart()
        self.add_marker(f"{RESTORED_LABEL} step {copy.step:,}")
        rows = min(RESTORE_EVAL_ROWS, len(self.x_eval))
        message = (f"Restored the weights of step {copy.step:,}, the best of the {len(self._all_copies())} recent "
                   f"copies ({accuracy:.1%} on {rows:,} {self.eval_split_name} images)")
        if lr_factor != 1.0:
            lowered = self.settings.lr * lr_factor
            lr = min(lowered, copy.lr) if lr_factor < 1 else lowered
            self.update(lr=lr)
            why = " (what those weights were trained with)" if lr < lowered else ""
            message += f"; learning rate now {describe_value(lr)}{why}"
        return message

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
            "optimizer": {"name": self.optimizer.name, "t": self.optimizer.t, "arrays": self.optimizer.state_arrays(),
                          "scale": self.optimizer.state_scale()},
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
        it was. ``order`` may be ``None`` (a fresh shuffle), ``unit_masks`` entries too (all on), and
        ``rng`` too (the generators as seeded)."""
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
        self.optimizer.load_state_arrays(opt["arrays"], len(self.net.params), opt["t"], opt.get("scale", ()))
        for name, arrays in self.optimizer.state.items():
            if [a.shape for a in arrays] != [p.shape for p in self.net.params]:
                raise ValueError(f"optimizer state {name!r} does not have the parameters' shapes")
        c = state["counters"]
        self.step_count, self.samples_seen = int(c["step_count"]), int(c["samples_seen"])
        self.epochs_done, self.elapsed = int(c["epochs_done"]), float(c["elapsed"])
        if state["order"] is not None:
            self.order = np.asarray(state["order"], np.int64)
        self.cursor = min(max(0, int(c["cursor"])), self.n_train)  # with a fresh order: how far the epoch got
        h = state["history"]
        self.history.steps.load(h["steps"], h["steps_stride"], h["steps_total"])
        self.history.evals.load(h["evals"], h["evals_stride"], h["evals_total"])
        self.history.markers = list(h["markers"])
        if state["rng"] is not None:  # None: the generators stay as seeded (a state rebuilt from a snapshot)
            self.net.rng.bit_generator.state = state["rng"]["init"]
            self.shuffle_rng.bit_generator.state = state["rng"]["shuffle"]
        self._copies.clear()
        self._keep_copy()

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
        loss, acc, _ = _loss_accuracy_predictions(self.net, x, y, batch)
        return loss, acc

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
        loss, acc, preds = _loss_accuracy_predictions(self.net, self.x_eval, self.y_eval)
        if test_predictions:
            # the eval split usually *is* the test set: reuse its predictions instead of a second pass
            on_test = self.x_eval is self.data.x_test
            self._unsent_test_pred = preds if on_test else predictions(self.net, self.data.x_test)
        correct, seen = self._acc_since_eval
        train_acc = correct / seen if seen else math.nan
        self._acc_since_eval = [0, 0]
        row = (self.step_count, self.epoch, self.samples_seen, loss, acc, train_acc)
        if not self.trouble and (self._best_copy is None or acc > self._best_copy[0]):
            self._best_copy = (acc, self._copy_now())  # kept for restore, whatever the recent copies hold
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
    def snapshot(self, probe_x: np.ndarray | None = None, loop: LoopState | None = None,
                 health: bool = True) -> Snapshot:
        """A detached, read-only view of the present state.

        Args:
            probe_x: ``(P, 784) float32`` images whose softmax and hidden activations to include.
            loop: what the loop driving this trainer is doing (``Snapshot.loop``).
            health: include ``layer_health()`` (``Snapshot.health``; a forward pass over the
                ``PROBE_SIZE`` health probes, see ``benchmarks/health_cost.py`` for its cost).
        The per-step rows, evaluations and markers made since the previous call are included once
        (this drains them: call it from one consumer only).
        """
        self.flush()
        if probe_x is None:
            probe_x = np.zeros((0, self.net.sizes[0]), dtype=DTYPE)
        if len(probe_x) == 0:
            probs = np.full((0, N_CLASSES), np.nan, DTYPE)
            hidden = np.zeros((0, self.net.sizes[1]), DTYPE)
        else:  # the guard keeps the weights finite; huge ones may still overflow the logits (then NaN)
            with np.errstate(all="ignore"):
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
            diverged=self.diverged, trouble=self.trouble,
            last_eval_accuracy=float(last_eval[-1]) if len(last_eval) else math.nan,
            effective_lr=self.effective_lr, eval_split=self.eval_split_name, loop=loop or LoopState(),
            health=self.layer_health() if health else ())

    def layer_health(self) -> tuple[LayerHealth, ...]:
        """One ``health.LayerHealth`` per layer: weights, the last step's update and the activations
        on ``health_probe_x``. Costs a forward pass over those images: call it per snapshot, not per step."""
        return layer_health(self.net, self.health_probe_x, self._params_before())

    def _params_before(self) -> list[np.ndarray] | None:
        """The parameters as they were before the last step, or ``None`` if unknown.

        Free: ``Optimizer.commit`` swaps the new parameters in and keeps the ones they replaced as
        its spare buffers, untouched until the next ``propose``. They stop being "before the last
        step" when anything else sets the parameters (a resize, a restore, a load, a reset, a new
        optimizer) or a refused step proposes into them; each of those sets ``_update_step`` to -1.
        """
        spares = self.optimizer.replaced_params
        if self._update_step != self.step_count or [a.shape for a in spares] != [p.shape for p in self.net.params]:
            return None
        return spares

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


def _health_probe(data: Dataset) -> np.ndarray:
    """``(<= PROBE_SIZE, 784) float32``: the first test images (training images if there are none),
    the fixed batch the layer health is measured on."""
    source = data.x_test if len(data.x_test) else data.x_train
    return np.ascontiguousarray(source[:PROBE_SIZE], dtype=DTYPE)


def all_finite(arrays: Sequence[np.ndarray]) -> bool:
    """Whether every value of every array is finite.

    First the sum of squares, one BLAS pass (26 µs for W1 at 784-512, against 43 µs for a max and a
    min, 2026-12-04): a NaN or an inf anywhere makes it NaN or inf, so a finite sum proves every
    value finite. A sum that is not finite may also be large finite values whose squares overflow;
    then the max and the min decide (NaN and inf carry through both, and they cannot overflow)."""
    return all(a.size == 0 or _finite(a) for a in arrays)


def _finite(a: np.ndarray) -> bool:
    flat = a.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(np.dot(flat, flat)):
            return True
    return math.isfinite(a.max()) and math.isfinite(a.min())


def _loss_accuracy_predictions(net: MLP, x: np.ndarray, y: np.ndarray, batch: int = 10_000):
    """``(mean loss, accuracy, predictions (N,) uint8)`` of ``net`` for ``x (N, 784)``, ``y (N,)``, in one pass."""
    if len(x) == 0:
        raise ValueError("the split is empty")
    total_loss, preds = 0.0, np.empty(len(x), np.uint8)
    for i in range(0, len(x), batch):
        logits = net.forward(x[i:i + batch])[0]
        loss, _ = cross_entropy(logits, y[i:i + batch])
        total_loss += loss * len(logits)
        preds[i:i + batch] = logits.argmax(axis=1)
    return total_loss / len(x), float(np.count_nonzero(preds == y)) / len(x), preds
