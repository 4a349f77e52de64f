"""Named recipes: the classic from-scratch tutorials, fast modern settings, and teaching scenarios.

Each preset is a ``Settings`` plus a training budget (epochs, or full-batch iterations), the pace the
window trains it at, and the text a lecturer shows: what it is and what to watch for.

A teaching scenario also carries a ``Question`` to put to the class before it runs (predicting
before watching is what makes a demonstration teach: Crouch et al. 2004), with the answer that
its run really shows and why, in words tied to what the panels show.

The texts a lecturer reads (titles, descriptions, what to watch, the questions, their choices and
explanations) are English msgids marked with ``N_``: whatever shows them translates them with ``tr``.

Where a budget applies: ``mnist-viz train`` always trains it; the window pauses at it only for a
recipe (``stops_at_budget``). ``window_budget`` says which, so the listing and the window agree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from mnist_viz.core.i18n import N_, tr
from mnist_viz.core.snapshot import Settings

CHOICE_LETTERS = "ABCD"
REVEAL_AFTER_S = 20.0  # seconds of training after which a question's answer shows by itself


@dataclass(frozen=True)
class Question:
    """A question put to the class before a scenario runs ("what will the loss do?").

    Attributes:
        prompt: the question, one or two short sentences.
        choices: 2 to 4 possible answers (shown as A, B, C, D), short enough for a button.
        answer: index into ``choices`` of what the run really shows.
        why: the explanation shown with the answer, tied to what the panels show.
        reveal_after: seconds of training after which the answer shows by itself; ``None`` = only
            when the lecturer asks for it (the run needs the lecturer to do something first).
    """

    prompt: str
    choices: tuple[str, ...]
    answer: int
    why: str
    reveal_after: float | None = REVEAL_AFTER_S

    def __post_init__(self) -> None:
        if not isinstance(self.choices, tuple):
            raise ValueError("a question's choices must be a tuple of strings")
        if not 2 <= len(self.choices) <= len(CHOICE_LETTERS):
            raise ValueError(f"a question needs 2 to {len(CHOICE_LETTERS)} choices, not {len(self.choices)}")
        texts = [_required_text(choice, "choice") for choice in self.choices]
        if len(set(texts)) != len(texts):
            raise ValueError("two choices of a question say the same thing")
        _required_text(self.prompt, "prompt")
        _required_text(self.why, "explanation (why)")
        # bool is an int to Python, but True as an answer index is a mistake, not choice B
        if isinstance(self.answer, bool) or not isinstance(self.answer, int) \
                or not 0 <= self.answer < len(self.choices):
            raise ValueError(f"the answer must be the index of one of the {len(self.choices)} choices, "
                             f"not {self.answer!r}")
        if self.reveal_after is not None and not (math.isfinite(self.reveal_after) and self.reveal_after > 0):
            raise ValueError(f"reveal_after must be a positive number of seconds or None, not {self.reveal_after!r}")

    def letter(self, index: int) -> str:
        """``"A"`` for choice 0, ``"B"`` for choice 1, ..."""
        return CHOICE_LETTERS[index]

    @property
    def answer_text(self) -> str:
        return self.choices[self.answer]


def _required_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"a question's {what} must be a non-empty string")
    return value.strip()


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    kind: str  # "classic", "fast" or "teaching"
    description: str
    what_to_watch: str
    settings: Settings
    epochs: float | None = None
    iterations: int | None = None
    reference: str = ""  # what the original tutorial reported, when this reproduces one
    # The pace the window trains it at, in seconds per epoch; None = full speed. A recipe is timed
    # against its promise ("under a second", "minutes"), so it runs at full speed; a scenario the
    # room should watch happen step by step (a loss that climbs, units that die) is slowed down.
    seconds_per_epoch: float | None = None
    question: Question | None = None  # asked before a teaching scenario runs (see Question)

    @property
    def budget(self) -> str:
        """``"2000 iterations"``, ``"3 epochs"``, ``"1 epoch"``."""
        if self.iterations:
            text = tr("{n} iterations") if self.iterations != 1 else tr("{n} iteration")
            return text.format(n=self.iterations)
        text = tr("{n} epochs") if self.epochs != 1 else tr("{n} epoch")
        return text.format(n=f"{self.epochs:g}")

    @property
    def stops_at_budget(self) -> bool:
        """Whether the window pauses at the end of the budget: a recipe (classic, fast) does, so its
        result can be set against the tutorial's; a teaching scenario is a demonstration that runs
        until the lecturer pauses it (its budget is for ``mnist-viz train``)."""
        return self.kind in ("classic", "fast")

    @property
    def window_budget(self) -> str:
        """What the window does with the budget, in the words ``mnist-viz presets`` prints:
        ``"3 epochs, then pauses"`` or ``"trains until you pause"``."""
        return tr("{budget}, then pauses").format(budget=self.budget) if self.stops_at_budget \
            else tr("trains until you pause")


WATCH_PACE = 30.0  # s per epoch for the scenarios the room watches step by step

# The questions of the teaching scenarios. Each answer is what the scenario's run does with its
# default seed (tests/core/test_presets.py checks the claims); the numbers in ``why`` were measured
# on the full training set, so they are said as "about".
_ASK_LR_TOO_HIGH = Question(
    N_("Learning rate 10, where about 0.1 is usual. What will the loss do?"),
    (N_("Fall fast, then level off"), N_("Fall slowly"), N_("Climb until training stops"), N_("Stay flat")),
    2,
    N_("Each step overshoots the bottom of the valley further than the last: the loss climbs about tenfold "
       "every few steps. After 40 to 60 steps the numbers overflow (to infinity): the guard refuses that "
       "step and pauses, and the orange banner says why."))
_ASK_LR_TOO_LOW = Question(
    N_("Learning rate 0.0005, 200 times below usual. What will the loss do?"),
    (N_("Fall fast, then level off"), N_("Creep down, barely moving"), N_("Climb until training stops"),
     N_("Jump up and down wildly")),
    1,
    N_("Each step is too small to matter: in a whole epoch (half a minute here) the loss only creeps from "
       "about 2.4 to 2.2 and the weight tiles still look like noise. At a learning rate of 0.1 the same "
       "network passes 90% in that time."),
    reveal_after=WATCH_PACE)  # one epoch at the scenario's pace: the time the answer speaks of
_ASK_DEAD_RELU = Question(
    N_("ReLU units, learning rate 1.5. What happens to the hidden units?"),
    (N_("All learn, only faster"), N_("Most go silent for good"), N_("Outputs grow without limit"),
     N_("Nothing unusual")),
    1,
    N_("The first big steps push most units so negative that they output 0 for every image, and a unit "
       "that never fires gets no gradient: it never comes back. Over half die within 20 steps, 80% later "
       "(the Health tab's % dead), and their tiles freeze. The rest still learn, less well: about 87% "
       "after an epoch (92% at lr 0.1)."))
_ASK_SIGMOID_SATURATION = Question(
    N_("Sigmoid units, learning rate 5. Where will their outputs end up?"),
    (N_("Spread evenly over 0-1"), N_("Near 0.5, the middle"), N_("Piled up at 0 and at 1"), N_("All at exactly 0")),
    2,
    N_("The big steps push the units' inputs far from zero, where the sigmoid is flat: 9 in 10 hidden "
       "outputs end up below 0.05 or above 0.95, and half the units are stuck for almost every image (the Health "
       "tab's % saturated). A stuck unit gets almost no gradient, so it stops learning; the others carry on."))
_ASK_OVERFIT = Question(
    N_("It learns all 500 training images. What will validation accuracy do?"),
    (N_("Reach 100% too"), N_("Stall far lower"), N_("Fall to chance, 10%"), N_("Climb slowly to 100%")),
    1,
    N_("It memorises its 500 images instead of learning what makes a digit: all right within about 15 "
       "epochs, while validation accuracy (10,000 images it never trains on) stops near 86% and the "
       "validation loss turns back up. That gap is overfitting."))
_ASK_ADAM_VS_SGD = Question(
    N_("SGD, then Adam mid-run (same weights). What will the loss do then?"),
    (N_("Fall at the same rate"), N_("Fall much faster"), N_("Jump up: it starts over"), N_("Stop falling")),
    1,
    N_("The weights stay; only how each step is taken changes. Adam gives every weight its own step size, "
       "so the ones SGD moved timidly now move: the loss more than halves within about 20 steps of the "
       "marker."),
    reveal_after=None)  # the answer needs the lecturer's switch first: it shows when asked for

_CLASSIC_FULL_BATCH = Settings(hidden=(128,), activation="relu", init="small", optimizer="gd", lr=0.5)

_PRESETS = [
    Preset("fast", N_("Fast default (momentum SGD, batch 128)"), "fast",
           N_("784-128-10 ReLU, He init, SGD with momentum 0.9, lr 0.2 shrinking ×0.4 each epoch, batch 128, "
              "3 epochs."),
           N_("Test accuracy passes 97.5% within three epochs: under a second of training."),
           Settings(hidden=(128,), activation="relu", init="he", optimizer="momentum", lr=0.2, momentum=0.9,
                    batch_size=128, lr_decay=0.4), epochs=3),
    Preset("best", N_("98% in seconds (Adam, 256 units)"), "fast",
           N_("784-256-10 ReLU, He init, Adam lr 0.006 decaying ×0.4 per epoch, batch 128, 6 epochs."),
           N_("A wider layer and a decaying step size pass 98% test accuracy within three or four epochs."),
           Settings(hidden=(256,), activation="relu", init="he", optimizer="adam", lr=6e-3, batch_size=128,
                    lr_decay=0.4), epochs=6),
    Preset("mlp-800-distort", N_("98.4% in under a minute (800 units, dropout, moved digits)"), "fast",
           N_("784-800-10 ReLU, He init, Adam lr 0.002 shrinking ×0.75 each epoch, batch 128; dropout 0.4 on the "
              "hidden layer, and every training image moved up to ±2 px and turned up to ±10°, a new draw each "
              "time; 12 epochs."),
           N_("Simard et al. (2003) report 98.4% test accuracy for this network trained without moved images. "
              "Here the test accuracy passes 98.4% after 6 to 8 epochs (seeds 0-2; about 20-25 s of training on "
              "2 cores) and ends near 98.5-98.6%. The training accuracy stays lower, about 97%: training images "
              "are seen moved and with units switched off, the test images as they are, with every unit."),
           Settings(hidden=(800,), activation="relu", init="he", optimizer="adam", lr=2e-3, batch_size=128,
                    lr_decay=0.75, dropout=0.4, augment_shift=2, augment_rotate=10.0), epochs=12,
           reference="98.4% test (Simard et al. 2003, without distortions)"),
    Preset("classic-full-batch", N_("Classic: full-batch GD, lr 0.5"), "classic",
           N_("The from-scratch tutorial: 784-128-10 ReLU, weights 0.01·N(0,1), full-batch gradient descent, "
              "lr 0.5, 2000 iterations (each one a pass over all 60,000 images)."),
           N_("It gets there, but every step costs a full pass over the data: minutes, not seconds."),
           _CLASSIC_FULL_BATCH, iterations=2000, reference="97.47% test"),
    Preset("classic-full-batch-slow", N_("Classic: full-batch GD, lr 0.01"), "classic",
           N_("The same tutorial network with lr 0.01 and 1000 iterations."),
           N_("With a step this small the loss creeps down; after 1000 full passes it is still far from done."),
           _CLASSIC_FULL_BATCH.replace(lr=0.01), iterations=1000, reference="79.17% test"),
    Preset("classic-sigmoid", N_("Classic: sigmoid 64 units, 80/20 split"), "classic",
           N_("784-64-10 sigmoid, weights 0.01·N(0,1), lr 0.01 for 100 epochs, the last 20% of the training "
              "images held out for validation. The tutorial does not state its batch size; minibatches of "
              "768 reproduce its ≈83% (batch 512 gives 87%, full batch stays near chance)."),
           N_("Sigmoid units with tiny weights learn slowly: accuracy climbs in a long, shallow ramp."),
           Settings(hidden=(64,), activation="sigmoid", init="small", optimizer="sgd", lr=0.01, batch_size=768,
                    val_size=12_000), epochs=100, reference="~83% validation"),
    Preset("classic-kaggle", N_("Classic: 10 hidden units (Kaggle tutorial)"), "classic",
           N_("784-10-10 ReLU on 41,000 training images with 1,000 held out (as the Kaggle train.csv tutorial), "
              "full-batch gradient descent, lr 0.1, 500 iterations."),
           N_("Ten hidden units are enough for about 85%: each tile is a blurry template for several digits."),
           Settings(hidden=(10,), activation="relu", init="he", optimizer="gd", lr=0.1, train_subset=41_000,
                    val_size=1_000), iterations=500, reference="~85% dev"),
    Preset("classic-adam", N_("Classic: Adam, batch 32, 10 epochs"), "classic",
           N_("784-128-10 ReLU with Adam (lr 0.001), batch 32, 10 epochs, as in the Keras-style tutorials."),
           N_("Adam makes the curves drop in the first few hundred steps; later epochs add little."),
           Settings(hidden=(128,), activation="relu", init="he", optimizer="adam", lr=1e-3, batch_size=32),
           epochs=10, reference="97.65% test"),
    Preset("lr-too-high", N_("Learning rate far too high"), "teaching",
           N_("SGD with lr 10 on 784-128-10 leaky ReLU; then the same learning rate with ReLU units."),
           N_("The loss goes up instead of down, about tenfold every few steps: every update overshoots the "
              "valley further than the last, until after 40-60 steps the next one would overflow to NaN; the "
              "guard refuses it and pauses. While it is paused, set Activation to ReLU (training restarts at the "
              "same learning rate): the loss spikes to thousands, then each batch's loss sits at chance, 2.3 (the "
              "smoothed line lags behind), with no NaN at all, because every unit has died; within about 60 "
              "steps the watchdog pauses with 'all units dead'. Either way, 'Lower learning rate and "
              "restore' goes on learning."),
           Settings(hidden=(128,), activation="leaky_relu", init="he", optimizer="sgd", lr=10.0, batch_size=128),
           epochs=1, seconds_per_epoch=WATCH_PACE, question=_ASK_LR_TOO_HIGH),
    Preset("lr-too-low", N_("Learning rate far too low"), "teaching",
           N_("SGD with lr 0.0005 on 784-128-10 ReLU."),
           N_("The loss curve is almost flat and the weight tiles stay noise: each step is too small to matter."),
           Settings(hidden=(128,), activation="relu", init="he", optimizer="sgd", lr=5e-4, batch_size=128),
           epochs=2, seconds_per_epoch=WATCH_PACE, question=_ASK_LR_TOO_LOW),
    Preset("dead-relu", N_("Dead ReLUs"), "teaching",
           N_("ReLU units, SGD with lr 1.5 and He init: a few large early updates push many units' biases so "
              "negative that they never fire again."),
           N_("Open the Health tab: layer 1's share of dead units passes one half within about 20 steps and "
              "never comes back; their weight tiles freeze, and a probe's activations sit at exactly zero."),
           Settings(hidden=(128,), activation="relu", init="he", optimizer="sgd", lr=1.5, batch_size=128),
           epochs=2, seconds_per_epoch=WATCH_PACE, question=_ASK_DEAD_RELU),
    Preset("sigmoid-saturation", N_("Sigmoid saturation"), "teaching",
           N_("Sigmoid units (Xavier init) trained by SGD at a very high learning rate, 5: the first updates push "
              "their inputs far from zero."),
           N_("Open the Health tab: the share of saturated units jumps within the first steps and the activation "
              "band presses against 0 and 1, where the sigmoid is flat; a saturated unit gets almost no gradient "
              "and stops learning, while the others carry on."),
           Settings(hidden=(128,), activation="sigmoid", init="xavier", optimizer="sgd", lr=5.0, batch_size=128),
           epochs=2, seconds_per_epoch=WATCH_PACE, question=_ASK_SIGMOID_SATURATION),
    Preset("overfit", N_("Overfitting on 500 images"), "teaching",
           N_("784-256-10 ReLU trained with Adam on only the first 500 training images; 10,000 other "
              "training images are held out for validation."),
           N_("Training accuracy reaches 100% while validation accuracy stalls far lower and the "
              "validation loss turns upward: the network memorises instead of generalising."),
           Settings(hidden=(256,), activation="relu", init="he", optimizer="adam", lr=1e-3, batch_size=50,
                    train_subset=500, val_size=10_000), epochs=200, question=_ASK_OVERFIT),
    Preset("adam-vs-sgd", N_("Adam versus SGD"), "teaching",
           N_("Same network as the fast preset with plain SGD at lr 0.01; run it, then switch the optimizer "
              "to Adam live and compare the curve's slope before and after the marker."),
           N_("Plain SGD at a cautious learning rate improves steadily but slowly; Adam's per-weight step "
              "sizes make the loss fall much faster from the same point."),
           Settings(hidden=(128,), activation="relu", init="he", optimizer="sgd", lr=0.01, batch_size=128),
           epochs=3, seconds_per_epoch=WATCH_PACE, question=_ASK_ADAM_VS_SGD),
]

PRESETS: dict[str, Preset] = {p.name: p for p in _PRESETS}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(tr("unknown preset {name}; choose one of: {presets}").format(
            name=repr(name), presets=", ".join(PRESETS))) from None
