"""The watchdog: says, at once and in plain words, when training has gone wrong without a NaN.

A learning rate far too high does not always end in NaN. Measured on 784-128-10 after one epoch
(94.6% test), one step at SGD lr 10, 100 or 1e4, momentum lr 10 or Adam lr 5, 10 or 1e6 lifts the
batch loss from ~0.14 to 11 - 4e6 at the second or third step, and within ~7 steps every ReLU is
dead: the loss settles near or above chance (ln 10 = 2.3, or 3e3 at lr 1e4) with finite weights,
and accuracy stays at chance for good. With leaky ReLU the loss instead keeps growing, tenfold every
few steps, until it overflows (NaN/inf after 5-50 steps), which the trainer's guard refuses. The
rules below catch the finite cases:

* **exploded**: every batch loss of ``EXPLODE_STEPS`` steps in a row ``EXPLODE_RATIO`` times the
  smoothed loss before the streak began and above ``EXPLODE_FLOOR`` (four times chance: a mean
  cross-entropy of 9.2 gives the right digit ~1e-4 on average); or the smoothed loss above
  ``HIGH_LOSS`` (twice chance) for ``EXPLODE_STEPS`` steps while the accuracy of the last ``WINDOW``
  batches stays at most ``NEAR_CHANCE_ACCURACY`` (tanh at SGD lr 1 from scratch spends its first
  ~65 steps at a loss of 10-38 while its accuracy climbs from 15% to 60%, and ends at 92%: that is
  learning, not a blow-up). Patient on purpose: a loss that is
  heading for overflow gets there first, so the room sees it climb and then the NaN the
  "learning rate far too high" scenario is about;
* **collapsed**: the mean batch accuracy of the last ``WINDOW`` steps at or below
  ``COLLAPSE_ACCURACY`` (twice chance) after it had reached ``LEARNED_ACCURACY``;
* **dead**: every unit of a hidden layer silent (exactly 0) on every image of ``DEAD_STEPS``
  batches in a row; no gradient reaches the layers below, nothing can learn again.

Healthy runs stay far from every threshold (``closest`` keeps how close each run came, which
``benchmarks/false_alarms.py`` reports for every preset and for SGD up to lr 1 and Adam up to 0.01).
Input: one call of ``observe`` per step taken; nothing here holds arrays.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from mnist_viz.core.analysis import N_CLASSES
from mnist_viz.core.i18n import N_, format_int, format_number, format_percent, tr

CHANCE_ACCURACY = 1 / N_CLASSES
CHANCE_LOSS = math.log(N_CLASSES)  # cross-entropy of a uniform guess, ~2.30

EXPLODE_RATIO = 100.0
EXPLODE_FLOOR = 4 * CHANCE_LOSS
HIGH_LOSS = 2 * CHANCE_LOSS
EXPLODE_STEPS = 60
WINDOW = 20
COLLAPSE_ACCURACY = 2 * CHANCE_ACCURACY
NEAR_CHANCE_ACCURACY = 3 * CHANCE_ACCURACY
LEARNED_ACCURACY = 0.5
DEAD_STEPS = 10
SMOOTHING = 0.05  # weight of the newest batch in the smoothed loss (about the last 20 batches)

# The curves' marker labels stay English: they are stored in the history (and saved sessions) and
# matched by value (``TROUBLE_LABELS`` in the curves panel); N_ marks them for translating where shown.
MARKER_LABELS = {"not finite": N_("diverged (NaN/inf)"), "exploded": N_("loss exploded"),
                 "collapsed": N_("collapsed to chance"), "dead": N_("all units dead")}
KINDS = tuple(MARKER_LABELS)  # what can stop training: the guard's refusal, then the watchdog's rules


ADVICE = N_("Restore the best recent weights, lower the learning rate, and continue.")


@dataclass(frozen=True)
class Trouble:
    """What went wrong: ``kind`` (one of ``KINDS``), the step at which it was seen, and the words for
    the room: a one-line ``headline`` ("Training paused at step 1,614: accuracy collapsed to
    chance"), the ``detail`` (the numbers, and why), the whole ``message`` (with ``ADVICE``, for the
    command line) and the curves' marker ``label``."""

    kind: str
    step: int
    headline: str
    detail: str

    @property
    def message(self) -> str:
        return f"{self.headline}. {self.detail} {tr(ADVICE)}"

    @property
    def label(self) -> str:
        return MARKER_LABELS[self.kind]


class Watchdog:
    """Follows each step's batch loss, batch accuracy and hidden-layer activity (see the module's
    rules). ``restart()`` after anything that changes the network on purpose (reset, restore,
    resize, switching units off), so that the change itself is never taken for a collapse."""

    def __init__(self) -> None:
        # How close the run came to each rule (1.0 or more trips the rule where a score is given).
        self.closest: dict[str, float] = {"explode_steps": 0, "high_loss_steps": 0,
                                          "accuracy_after_learning": 1.0, "dead_steps": 0}
        self.restart()

    def restart(self) -> None:
        self.loss_ema = math.nan
        self.explode_reference = math.nan  # the smoothed loss before the present streak of exploded batches
        self.explode_steps = 0
        self.high_loss_steps = 0
        self.accuracies: deque[float] = deque(maxlen=WINDOW)
        self.best_window_accuracy = 0.0
        self.dead_steps = 0

    def observe(self, loss: float, accuracy: float, silent_layer: int | None) -> tuple[str, str, str] | None:
        """One taken step: its (finite) batch ``loss``, batch ``accuracy`` (0-1), and the first hidden
        layer (0-based) whose every enabled unit was 0 on the whole batch, or ``None``.
        Returns ``(kind, what happened in a few words, the numbers in a sentence)`` when a rule
        trips, else ``None``."""
        self.accuracies.append(accuracy)
        found = self._loss(loss) or self._accuracy() or self._dead(silent_layer)
        self.loss_ema = loss if math.isnan(self.loss_ema) else (1 - SMOOTHING) * self.loss_ema + SMOOTHING * loss
        return found

    def _loss(self, loss: float) -> tuple[str, str, str] | None:
        before = self.loss_ema
        reference = before if self.explode_steps == 0 else self.explode_reference
        if not math.isnan(reference) and loss > max(EXPLODE_RATIO * reference, EXPLODE_FLOOR):
            self.explode_reference, self.explode_steps = reference, self.explode_steps + 1
        else:
            self.explode_steps = 0
        smoothed = loss if math.isnan(before) else (1 - SMOOTHING) * before + SMOOTHING * loss
        near_chance = sum(self.accuracies) / len(self.accuracies) <= NEAR_CHANCE_ACCURACY
        self.high_loss_steps = self.high_loss_steps + 1 if smoothed > HIGH_LOSS and near_chance else 0
        c = self.closest
        c["explode_steps"] = max(c["explode_steps"], self.explode_steps)
        c["high_loss_steps"] = max(c["high_loss_steps"], self.high_loss_steps)
        if self.explode_steps >= EXPLODE_STEPS:
            return "exploded", tr("the loss exploded"), tr(
                "For {steps} batches in a row it was over {ratio} times where it had been (about {reference}; "
                "now {loss}; chance level is {chance}).").format(
                steps=format_int(EXPLODE_STEPS), ratio=f"{EXPLODE_RATIO:g}", reference=f"{reference:.2g}",
                loss=f"{loss:.3g}", chance=format_number(CHANCE_LOSS, 1))
        if self.high_loss_steps >= EXPLODE_STEPS:
            return "exploded", tr("the loss stays far above chance"), tr(
                "Smoothed, it has been above {high}, twice chance level, for {steps} steps (now {loss}), and "
                "accuracy near chance.").format(high=format_number(HIGH_LOSS, 1),
                                                steps=format_int(self.high_loss_steps), loss=f"{smoothed:.3g}")
        return None

    def _accuracy(self) -> tuple[str, str, str] | None:
        if len(self.accuracies) < WINDOW:
            return None
        mean = sum(self.accuracies) / WINDOW
        best = self.best_window_accuracy = max(self.best_window_accuracy, mean)
        if best < LEARNED_ACCURACY:
            return None
        self.closest["accuracy_after_learning"] = min(self.closest["accuracy_after_learning"], mean)
        if mean <= COLLAPSE_ACCURACY:
            return "collapsed", tr("accuracy collapsed to chance"), tr(
                "{mean} over the last {window} batches (chance is {chance}), after {best}: the network has "
                "forgotten what it learned, with no NaN in sight.").format(
                mean=format_percent(mean, 0), window=format_int(WINDOW), chance=format_percent(CHANCE_ACCURACY, 0),
                best=format_percent(best, 0))
        return None

    def _dead(self, silent_layer: int | None) -> tuple[str, str, str] | None:
        self.dead_steps = self.dead_steps + 1 if silent_layer is not None else 0
        self.closest["dead_steps"] = max(self.closest["dead_steps"], self.dead_steps)
        if self.dead_steps >= DEAD_STEPS and silent_layer is not None:
            return "dead", tr("every unit of hidden layer {layer} is dead").format(layer=silent_layer + 1), tr(
                "They output 0 for every image ({steps} batches in a row), so no gradient reaches the weights "
                "below and nothing can learn again.").format(steps=format_int(self.dead_steps))
        return None
