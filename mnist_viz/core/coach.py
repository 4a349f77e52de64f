"""A coach: plain-language hints from rules on a run's live numbers, each with one fix.

A snapshot carries only the rows since the previous one (``new_steps``/``new_evals``), so the
rules take the history arrays: ``steps`` ``(n, len(STEP_COLUMNS))`` and ``evals``
``(m, len(EVAL_COLUMNS))`` float64. ``CoachFeed`` keeps a bounded copy of them from successive
snapshots (the window calls ``feed.hints(snap)``). Only the last ``WINDOW`` rows are looked at, so
a call costs the same at any history length (``benchmarks/coach_cost.py``).

Thresholds were measured on the teaching scenarios (``core.presets``) against healthy runs:
sigmoid-saturation shows 48-50% saturated hidden units from step 50 on, a healthy sigmoid run (SGD
lr 0.5 or Adam 1e-3) 0%; overfit (500 images) reaches 99% training accuracy at ~100 steps with
validation stuck near 89% (gap 0.10-0.11), a healthy run's gap stays within ±0.03.

Flicker: a loss rule needs ``MIN_STEPS`` rows of evidence; ``Coach`` adds hysteresis on top (a
hint shows after ``on_calls`` calls in a row that raise it and goes after ``off_calls`` that don't).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from mnist_viz.core.i18n import format_int, format_number, format_percent, format_significant, tr
from mnist_viz.core.optim import USUAL_LR
from mnist_viz.core.snapshot import EVAL_COLUMNS, RESTART_FIELDS, STEP_COLUMNS, Snapshot

WINDOW = 400  # step rows a rule looks at
MIN_STEPS = 100  # rows of evidence before a loss rule speaks
# A loss that rose by less than this (nats, mean of the last half against the first) is not climbing:
# near zero, a memorised run's loss wobbles from 0.001 to 0.02 and back (seen under Xvfb on
# "Overfitting on 500 images" after dropout was switched on: "the learning rate is too high" beside
# "the network is memorising").
MIN_RISE = 0.05
PLATEAU_STEPS = 300  # rows of a flat smoothed loss before "plateau"
PLATEAU_DROP = 0.02  # relative drop of the smoothed loss over the window below which it is flat
PLATEAU_FLOOR = 0.1  # a loss below this is "done", not stuck
DEAD_ALARM = 0.5  # share of dead ReLU units that is alarming
SATURATED_ALARM = 0.25  # scenario: 0.48-0.50, healthy sigmoid runs: 0.00
GAP_ALARM = 0.08  # train minus evaluation accuracy (scenario 0.10-0.11, healthy within 0.03)
MEMORISED = 0.97  # training accuracy above which a gap means memorising even if it no longer grows
SLOW_DROP = 0.05  # relative loss drop over the window below which learning is "very slow"
SMALL_BATCH = 16  # a batch this small ...
NOISY_LR_FACTOR = 5.0  # ... with SGD above this many times USUAL_LR makes a noisy loss
NOISY = 0.5  # relative spread (std / mean) of the recent losses that counts as noisy
LOSS_COL, ACC_COL = STEP_COLUMNS.index("loss"), STEP_COLUMNS.index("accuracy")
EVAL_ACC_COL, EVAL_TRAIN_ACC_COL = EVAL_COLUMNS.index("eval_accuracy"), EVAL_COLUMNS.index("train_accuracy")
ALARMING = frozenset({"lr_too_high", "lr_too_low", "dead_units", "saturated", "overfitting", "noisy_batch"})
LARGER_BATCH = 128


@dataclass(frozen=True)
class Hint:
    """One piece of advice. ``fix`` is a settings change (``None`` = no one-click fix);
    ``fix_label`` names it for a button ("Lower the learning rate to 0.1")."""

    id: str
    title: str
    text: str
    fix: dict | None = None
    fix_label: str = ""

    @property
    def needs_restart(self) -> bool:
        return bool(self.fix and set(self.fix) & RESTART_FIELDS)

    @property
    def alarming(self) -> bool:
        return self.id in ALARMING


def _round(value: float) -> float:
    return float(f"{value:.3g}")


def _num(x: float) -> str:
    """``x`` to 3 significant digits without trailing zeros, the locale's way: 0.0005 → "0.0005"."""
    return format_significant(x, 3)


def _lower_lr(lr: float) -> float:
    return _round(lr / 10)


def _lr_hint(lr: float, title: str, text: str) -> Hint:
    new = _lower_lr(lr)
    return Hint("lr_too_high", title, text, {"lr": new},
                tr("Lower the learning rate to {lr}").format(lr=_num(new)))


def _too_high(snap: Snapshot, early: float, late: float) -> Hint:
    lr = snap.settings.lr
    return _lr_hint(lr, tr("The learning rate is too high"),
                    tr("The loss went from {early} to {late} instead of down: each step jumps past the bottom of "
                       "the valley. Try a smaller learning rate than {lr}.").format(
                        early=_num(early), late=_num(late), lr=_num(lr)))


def _too_low(snap: Snapshot, late: float, drop: float) -> Hint:
    lr = snap.settings.lr
    new = _round(lr * 10)
    return Hint("lr_too_low", tr("Learning is very slow"),
                tr("After {steps} steps the loss is still {loss} and fell only {drop} lately: the steps "
                   "(learning rate {lr}) are too small.").format(
                    steps=format_int(snap.step), loss=format_number(late, 2), drop=format_percent(drop, 1),
                    lr=_num(lr)),
                {"lr": new}, tr("Raise the learning rate to {lr}").format(lr=_num(new)))


def _plateau(snap: Snapshot, late: float, rows: int) -> Hint:
    s = snap.settings
    fix: dict
    if s.optimizer == "adam":
        fix = {"lr": _round(s.lr * 0.3)}
        label = tr("Lower the learning rate to {lr}").format(lr=_num(fix["lr"]))
    else:
        fix = {"optimizer": "adam", "lr": USUAL_LR["adam"]}
        label = tr("Switch to Adam with learning rate {lr}").format(lr=_num(USUAL_LR["adam"]))
    return Hint("plateau", tr("The loss has stopped falling"),
                tr("The smoothed loss has stayed near {loss} for the last {steps} steps. Smaller steps, or an "
                   "optimizer that adapts its step size, can get it moving again.").format(
                    loss=format_number(late, 2), steps=format_int(rows)), fix, label)


def _noisy_batch(snap: Snapshot, spread: float) -> Hint:
    s = snap.settings
    return Hint("noisy_batch", tr("The batch is too small for this learning rate"),
                tr("With only {batch} images per step and learning rate {lr}, each step follows a few images' "
                   "whims: the loss jumps around by {spread} of its size. Larger batches average that out.").format(
                    batch=format_int(s.batch_size), lr=_num(s.lr), spread=format_percent(spread, 0)),
                {"batch_size": LARGER_BATCH},
                tr("Use batches of {batch} images").format(batch=format_int(LARGER_BATCH)))


def _smoothed(losses: np.ndarray, parts: int) -> np.ndarray:
    """Means of ``parts`` equal chunks of ``losses`` ``(k,)``: ``(parts,)``."""
    return np.array([chunk.mean() for chunk in np.array_split(losses, parts)])


def _loss_rules(snap: Snapshot, losses: np.ndarray) -> list[Hint]:
    """``losses`` ``(k,)``: the last training losses (at most ``WINDOW``)."""
    if len(losses) < MIN_STEPS or not np.all(np.isfinite(losses)):
        return []
    half = len(losses) // 2
    early, late = float(np.mean(losses[:half])), float(np.mean(losses[half:]))
    wobble = float(np.std(np.diff(losses[half:]))) / max(late, 1e-9)
    if (late > early * 1.05 and late - early > MIN_RISE) or (late > 1.5 and wobble > 0.5):
        return [_too_high(snap, early, late)]
    s = snap.settings
    usual = USUAL_LR.get(s.optimizer, s.lr)
    spread = float(np.std(losses[half:])) / max(late, 1e-9)
    if (s.optimizer in ("sgd", "momentum") and s.batch_size <= SMALL_BATCH and s.lr >= NOISY_LR_FACTOR * usual
            and spread > NOISY):
        return [_noisy_batch(snap, spread)]
    drop = (early - late) / max(early, 1e-9)
    if drop < SLOW_DROP and late > 0.5 and s.lr <= usual / 10:
        return [_too_low(snap, late, drop)]
    if len(losses) >= PLATEAU_STEPS and late > PLATEAU_FLOOR:
        thirds = _smoothed(losses, 3)
        if thirds[-1] > thirds[0] * (1 - PLATEAU_DROP):
            return [_plateau(snap, float(thirds[-1]), len(losses))]
    return []


def _dead_hint(snap: Snapshot, dead: float) -> Hint:
    share = format_percent(dead, 0)
    if snap.settings.activation == "leaky_relu":  # leaky ReLU already: smaller steps are what is left
        new = _lower_lr(snap.settings.lr)
        return Hint("dead_units", tr("Many hidden units are dead"),
                    tr("{share} of the hidden units output almost nothing for every image, so they barely learn. "
                       "Large steps pushed them there; smaller ones keep the others alive.").format(share=share),
                    {"lr": new}, tr("Lower the learning rate to {lr}").format(lr=_num(new)))
    return Hint("dead_units", tr("Many hidden units are dead"),
                tr("{share} of the hidden units output 0 for every image, so they no longer learn. Leaky ReLU "
                   "keeps a small slope below zero (this restarts training).").format(share=share),
                {"activation": "leaky_relu"}, tr("Switch to leaky ReLU"))


def _health_rules(snap: Snapshot, health: tuple) -> list[Hint]:
    hidden = [h for h in health if not h.is_output]
    dead = max((h.dead_fraction for h in hidden if np.isfinite(h.dead_fraction)), default=0.0)
    sat = max((h.saturated_fraction for h in hidden if np.isfinite(h.saturated_fraction)), default=0.0)
    hints = []
    if dead > DEAD_ALARM:
        hints.append(_dead_hint(snap, dead))
    if sat > SATURATED_ALARM:
        new = _lower_lr(snap.settings.lr)
        hints.append(Hint("saturated", tr("Hidden units are saturated"),
                          tr("{share} of the hidden units are stuck near 0 or 1, where their slope is almost zero, "
                             "so they get almost no gradient. Smaller steps keep them in their useful range.").format(
                              share=format_percent(sat, 0)),
                          {"lr": new}, tr("Lower the learning rate to {lr}").format(lr=_num(new))))
    return hints


def _overfit_rule(snap: Snapshot, evals: np.ndarray) -> list[Hint]:
    """``evals`` ``(m, len(EVAL_COLUMNS))``: the last 3 evaluations show a gap that grows, or a
    gap with the training images memorised."""
    if len(evals) < 3:
        return []
    gap = evals[-3:, EVAL_TRAIN_ACC_COL] - evals[-3:, EVAL_ACC_COL]
    train_acc = float(evals[-1, EVAL_TRAIN_ACC_COL])
    if not np.all(np.isfinite(gap)) or gap[-1] < GAP_ALARM or (gap[-1] < gap[0] and train_acc < MEMORISED):
        return []
    s = snap.settings
    fix: dict | None
    if s.dropout == 0:
        fix, label = {"dropout": 0.3}, tr("Turn dropout on (0.3)")
    elif s.augment_shift < 2:
        fix, label = {"augment_shift": 2}, tr("Move the digits by up to 2 pixels")
    elif s.train_subset:  # both remedies on already (a button for a fix in place misled, seen under Xvfb)
        fix, label = {"train_subset": 0}, tr("Train on all the training images")
    else:
        fix, label = None, ""
    return [Hint("overfitting", tr("The network is memorising"),
                 tr("Training accuracy is {train} but only {eval} on images it has not seen: it learns the "
                    "training images by heart instead of what makes a digit.").format(
                     train=format_percent(train_acc, 0), eval=format_percent(float(evals[-1, EVAL_ACC_COL]), 0)),
                 fix, label)]


def coach_hints(snap: Snapshot, steps: np.ndarray, evals: np.ndarray | None = None,
                health: tuple | None = None) -> list[Hint]:
    """Hints for ``snap`` given its run's history ``steps`` ``(n, 5)`` and ``evals`` ``(m, 6)``;
    ``health`` replaces ``snap.health`` (a snapshot made without health: pass the last one)."""
    steps = np.asarray(steps)
    losses = steps[-WINDOW:, LOSS_COL] if len(steps) else np.empty(0)
    if snap.diverged:
        # A stopped run's one hint is why it stopped: the other rules would read the numbers of the
        # moment it broke (test accuracy at chance beside a training accuracy still high read as
        # "memorising", seen beside the banner under Xvfb).
        return [_lr_hint(snap.settings.lr, tr("Training stopped: the learning rate is too high"), snap.diverged)]
    evals = np.empty((0, len(EVAL_COLUMNS))) if evals is None else np.asarray(evals)
    return (_loss_rules(snap, losses) + _health_rules(snap, snap.health if health is None else health)
            + _overfit_rule(snap, evals))


class Coach:
    """Hysteresis over ``coach_hints``: a hint shows after ``on_calls`` raises in a row, goes after
    ``off_calls`` calls without it."""

    def __init__(self, on_calls: int = 2, off_calls: int = 5):
        self.on_calls, self.off_calls = on_calls, off_calls
        self._seen: dict[str, int] = {}
        self._missing: dict[str, int] = {}
        self._shown: dict[str, Hint] = {}

    def reset(self) -> None:
        self._seen.clear()
        self._missing.clear()
        self._shown.clear()

    def update(self, snap: Snapshot, steps: np.ndarray, evals: np.ndarray | None = None,
               health: tuple | None = None) -> list[Hint]:
        raised = {h.id: h for h in coach_hints(snap, steps, evals, health)}
        for hint_id, hint in raised.items():
            self._seen[hint_id] = self._seen.get(hint_id, 0) + 1
            self._missing[hint_id] = 0
            if self._seen[hint_id] >= self.on_calls or snap.diverged:  # a stopped run: say why at once
                self._shown[hint_id] = hint
        for hint_id in list(self._shown):
            if hint_id not in raised:
                self._missing[hint_id] = self._missing.get(hint_id, 0) + 1
                if self._missing[hint_id] >= self.off_calls or snap.diverged:  # stopped: only why
                    del self._shown[hint_id]
                    self._seen[hint_id] = 0
        return list(self._shown.values())


class CoachFeed:
    """What the rules need, kept from successive snapshots: the last ``WINDOW`` step rows and the
    last ``EVAL_ROWS`` evaluation rows (``snap.new_steps`` / ``new_evals``), the last measured
    health; all cleared when ``snap.loop.run_id`` changes (a reset or a load). No Qt."""

    EVAL_ROWS = 16

    def __init__(self, coach: Coach | None = None):
        self.coach = coach or Coach()
        self._steps: deque = deque(maxlen=WINDOW)
        self._evals: deque = deque(maxlen=self.EVAL_ROWS)
        self._health: tuple = ()
        self._run_id: int | None = None

    def add(self, snap: Snapshot) -> None:
        if snap.loop.run_id != self._run_id:
            self._run_id = snap.loop.run_id
            self._steps.clear()
            self._evals.clear()
            self._health = ()
            self.coach.reset()
        self._steps.extend(np.asarray(snap.new_steps)[-WINDOW:])
        if snap.new_markers:  # a knob changed: the loss rules judge the new setting on its own steps
            # (dropout switched on raised the training loss, which read as "the learning rate is too high")
            since = max(m.step for m in snap.new_markers)
            self._steps = deque((row for row in self._steps if row[0] > since), maxlen=WINDOW)
        self._evals.extend(np.asarray(snap.new_evals)[-self.EVAL_ROWS:])
        if snap.health:
            self._health = snap.health

    def steps(self) -> np.ndarray:
        """``(k, len(STEP_COLUMNS))`` the kept step rows, oldest first."""
        return np.array(self._steps, dtype=np.float64).reshape(-1, len(STEP_COLUMNS))

    def evals(self) -> np.ndarray:
        """``(k, len(EVAL_COLUMNS))`` the kept evaluation rows, oldest first."""
        return np.array(self._evals, dtype=np.float64).reshape(-1, len(EVAL_COLUMNS))

    def hints(self, snap: Snapshot) -> list[Hint]:
        """Add ``snap`` and return the hints to show now (after hysteresis)."""
        self.add(snap)
        return self.judge(snap)

    def judge(self, snap: Snapshot) -> list[Hint]:
        """The hints to show now (after hysteresis) for what was added, up to ``snap`` (added before)."""
        return self.coach.update(snap, self.steps(), self.evals(), self._health)
