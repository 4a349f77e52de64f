"""Named recipes: the classic from-scratch tutorials, fast modern settings, and teaching scenarios.

Each preset is a ``Settings`` plus a training budget (epochs, or full-batch iterations), the pace the
window trains it at, and the text a lecturer shows: what it is and what to watch for.

Where a budget applies: ``mnist-viz train`` always trains it; the window pauses at it only for a
recipe (``stops_at_budget``). ``window_budget`` says which, so the listing and the window agree.
"""
from __future__ import annotations

from dataclasses import dataclass

from mnist_viz.core.snapshot import Settings


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

    @property
    def budget(self) -> str:
        """``"2000 iterations"``, ``"3 epochs"``, ``"1 epoch"``."""
        if self.iterations:
            return f"{self.iterations} iteration{'s' if self.iterations != 1 else ''}"
        return f"{self.epochs:g} epoch{'s' if self.epochs != 1 else ''}"

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
        return f"{self.budget}, then pauses" if self.stops_at_budget else "trains until you pause"


WATCH_PACE = 30.0  # s per epoch for the scenarios the room watches step by step

_CLASSIC_FULL_BATCH = Settings(hidden=(128,), activation="relu", init="small", optimizer="gd", lr=0.5)

_PRESETS = [
    Preset("fast", "Fast default (momentum SGD, batch 128)", "fast",
           "784-128-10 ReLU, He init, SGD with momentum 0.9, lr 0.2 shrinking ×0.4 each epoch, batch 128, "
           "3 epochs.",
           "Test accuracy passes 97.5% within three epochs: under a second of training.",
           Settings(hidden=(128,), activation="relu", init="he", optimizer="momentum", lr=0.2, momentum=0.9,
                    batch_size=128, lr_decay=0.4), epochs=3),
    Preset("best", "98% in seconds (Adam, 256 units)", "fast",
           "784-256-10 ReLU, He init, Adam lr 0.003 decaying ×0.6 per epoch, batch 128, 6 epochs.",
           "A wider layer and a decaying step size pass 98% test accuracy within five or six epochs.",
           Settings(hidden=(256,), activation="relu", init="he", optimizer="adam", lr=3e-3, batch_size=128,
                    lr_decay=0.6), epochs=6),
    Preset("classic-full-batch", "Classic: full-batch GD, lr 0.5", "classic",
           "The from-scratch tutorial: 784-128-10 ReLU, weights 0.01·N(0,1), full-batch gradient descent, "
           "lr 0.5, 2000 iterations (each one a pass over all 60,000 images).",
           "It gets there, but every step costs a full pass over the data: minutes, not seconds.",
           _CLASSIC_FULL_BATCH, iterations=2000, reference="97.47% test"),
    Preset("classic-full-batch-slow", "Classic: full-batch GD, lr 0.01", "classic",
           "The same tutorial network with lr 0.01 and 1000 iterations.",
           "With a step this small the loss creeps down; after 1000 full passes it is still far from done.",
           _CLASSIC_FULL_BATCH.replace(lr=0.01), iterations=1000, reference="79.17% test"),
    Preset("classic-sigmoid", "Classic: sigmoid 64 units, 80/20 split", "classic",
           "784-64-10 sigmoid, weights 0.01·N(0,1), lr 0.01 for 100 epochs, the last 20% of the training "
           "images held out for validation. The tutorial does not state its batch size; minibatches of "
           "768 reproduce its ≈83% (batch 512 gives 87%, full batch stays near chance).",
           "Sigmoid units with tiny weights learn slowly: accuracy climbs in a long, shallow ramp.",
           Settings(hidden=(64,), activation="sigmoid", init="small", optimizer="sgd", lr=0.01, batch_size=768,
                    val_size=12_000), epochs=100, reference="~83% validation"),
    Preset("classic-kaggle", "Classic: 10 hidden units (Kaggle tutorial)", "classic",
           "784-10-10 ReLU on 41,000 training images with 1,000 held out (as the Kaggle train.csv tutorial), "
           "full-batch gradient descent, lr 0.1, 500 iterations.",
           "Ten hidden units are enough for about 85%: each tile is a blurry template for several digits.",
           Settings(hidden=(10,), activation="relu", init="he", optimizer="gd", lr=0.1, train_subset=41_000,
                    val_size=1_000), iterations=500, reference="~85% dev"),
    Preset("classic-adam", "Classic: Adam, batch 32, 10 epochs", "classic",
           "784-128-10 ReLU with Adam (lr 0.001), batch 32, 10 epochs, as in the Keras-style tutorials.",
           "Adam makes the curves drop in the first few hundred steps; later epochs add little.",
           Settings(hidden=(128,), activation="relu", init="he", optimizer="adam", lr=1e-3, batch_size=32),
           epochs=10, reference="97.65% test"),
    Preset("lr-too-high", "Learning rate far too high", "teaching",
           "SGD with lr 10 on 784-128-10 leaky ReLU; then the same learning rate with ReLU units.",
           "The loss goes up instead of down, about tenfold every few steps: every update overshoots the "
           "valley further than the last, until after 40-60 steps the next one would overflow to NaN; the "
           "guard refuses it and pauses. While it is paused, set Activation to ReLU (training restarts at the "
           "same learning rate): the loss spikes to thousands, then each batch's loss sits at chance, 2.3 (the "
           "smoothed line lags behind), with no NaN at all, because every unit has died; within about 60 "
           "steps the watchdog pauses with 'all units dead'. Either way, 'Lower learning rate and "
           "restore' goes on learning.",
           Settings(hidden=(128,), activation="leaky_relu", init="he", optimizer="sgd", lr=10.0, batch_size=128),
           epochs=1, seconds_per_epoch=WATCH_PACE),
    Preset("lr-too-low", "Learning rate far too low", "teaching",
           "SGD with lr 0.0005 on 784-128-10 ReLU.",
           "The loss curve is almost flat and the weight tiles stay noise: each step is too small to matter.",
           Settings(hidden=(128,), activation="relu", init="he", optimizer="sgd", lr=5e-4, batch_size=128),
           epochs=2, seconds_per_epoch=WATCH_PACE),
    Preset("dead-relu", "Dead ReLUs", "teaching",
           "ReLU units, SGD with lr 1.5 and He init: a few large early updates push many units' biases so "
           "negative that they never fire again.",
           "Watch the hidden activations of a probe: many units sit at exactly zero for every image, and "
           "their weight tiles stop changing.",
           Settings(hidden=(128,), activation="relu", init="he", optimizer="sgd", lr=1.5, batch_size=128),
           epochs=2, seconds_per_epoch=WATCH_PACE),
    Preset("sigmoid-saturation", "Sigmoid saturation", "teaching",
           "Sigmoid units with large initial weights (Xavier scaled up by a high learning rate of 5).",
           "Hidden activations pile up at 0 and 1, where the sigmoid is flat: gradients vanish and "
           "learning crawls until the units leave saturation.",
           Settings(hidden=(128,), activation="sigmoid", init="xavier", optimizer="sgd", lr=5.0, batch_size=128),
           epochs=2, seconds_per_epoch=WATCH_PACE),
    Preset("overfit", "Overfitting on 500 images", "teaching",
           "784-256-10 ReLU trained with Adam on only the first 500 training images; 10,000 other "
           "training images are held out for validation.",
           "Training accuracy reaches 100% while validation accuracy stalls far lower and the "
           "validation loss turns upward: the network memorises instead of generalising.",
           Settings(hidden=(256,), activation="relu", init="he", optimizer="adam", lr=1e-3, batch_size=50,
                    train_subset=500, val_size=10_000), epochs=200),
    Preset("adam-vs-sgd", "Adam versus SGD", "teaching",
           "Same network as the fast preset with plain SGD at lr 0.01; run it, then switch the optimizer "
           "to Adam live and compare the curve's slope before and after the marker.",
           "Plain SGD at a cautious learning rate improves steadily but slowly; Adam's per-weight step "
           "sizes make the loss fall much faster from the same point.",
           Settings(hidden=(128,), activation="relu", init="he", optimizer="sgd", lr=0.01, batch_size=128),
           epochs=3, seconds_per_epoch=WATCH_PACE),
]

PRESETS: dict[str, Preset] = {p.name: p for p in _PRESETS}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
