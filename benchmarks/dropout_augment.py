"""Dropout and input augmentation (issue 13, item 4): time to 98.4% and what they cost.

    python benchmarks/dropout_augment.py                   # the preset, then the costs
    python benchmarks/dropout_augment.py --skip-costs      # only the preset's run
    python benchmarks/dropout_augment.py --dropout 0.4 --lr 0.002   # a trial with other settings

1. Trains the ``mlp-800-distort`` preset (784-800-10, dropout, moved and turned training images) as
   ``mnist-viz train`` does (default BLAS threads), evaluates on the 10,000 test images after every
   epoch, and prints test accuracy against training seconds (evaluation time not counted) and when
   98.4% was first reached: Simard et al. (2003) report 98.4% for this network trained without
   distortions.
2. Throughput of 784-800-10 (batch 128, Adam) with nothing, dropout only, augmentation only, and
   both, in blocks interleaved so that all four see the same machine load; the median of the blocks.
3. The cost of one batch of 128's augmentation and dropout masks, next to one training step.

The load average is printed before and after: on a shared machine, read the numbers with it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from mnist_viz.core.augment import Augmenter, draw
from mnist_viz.core.data import load_bundled
from mnist_viz.core.network import dropout_masks
from mnist_viz.core.presets import get_preset
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer

PRESET = "mlp-800-distort"
TARGET = 0.984
BUDGET_S = 60.0


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def time_to_target(data, settings: Settings, epochs: float, seconds: float) -> tuple[list[tuple], float | None]:
    """Train epoch by epoch until ``epochs`` or ``seconds`` of training. Returns the rows
    ``(epoch, training seconds, test accuracy, test loss)`` and the training seconds at the first
    evaluation at or above ``TARGET`` (``None`` if never)."""
    tr = Trainer(data, settings)
    rows, reached = [], None
    while tr.epoch < epochs - 1e-9 and tr.elapsed < seconds:
        tr.run_epoch()
        loss, accuracy = tr.evaluate("test")
        rows.append((tr.epoch, tr.elapsed, accuracy, loss))
        print(f"  epoch {tr.epoch:4.1f}  {tr.elapsed:6.1f} s  test accuracy {accuracy:.2%}  loss {loss:.4f}",
              flush=True)
        if reached is None and accuracy >= TARGET:
            reached = tr.elapsed
    return rows, reached


def throughput(data, blocks: int, steps: int) -> dict[str, float]:
    """Median samples per second of 784-800-10 (batch 128, Adam) with each regulariser, interleaved."""
    base = Settings(hidden=(800,), optimizer="adam", lr=1e-3, batch_size=128)
    kinds = {"none": base, "dropout 0.3": base.replace(dropout=0.3),
             "augment ±2 px ±10°": base.replace(augment_shift=2, augment_rotate=10.0),
             "both": base.replace(dropout=0.3, augment_shift=2, augment_rotate=10.0)}
    trainers = {name: Trainer(data, s) for name, s in kinds.items()}
    rates: dict[str, list[float]] = {name: [] for name in kinds}
    for tr in trainers.values():
        tr.train(iterations=10)  # warm up
    for _ in range(blocks):
        for name, tr in trainers.items():
            before_t, before_n = tr.elapsed, tr.samples_seen
            tr.train(iterations=steps)
            rates[name].append((tr.samples_seen - before_n) / (tr.elapsed - before_t))
    return {name: statistics.median(r) for name, r in rates.items()}


def per_batch_costs(data, repeats: int = 300) -> dict[str, float]:
    """Milliseconds per batch of 128: the shift-only and the shift-and-turn warp, the dropout masks
    for 800 units, and a whole training step of 784-800-10 without either."""
    x = np.ascontiguousarray(data.x_train[:128])
    rng = np.random.default_rng(0)
    augmenter = Augmenter()
    tr = Trainer(data, Settings(hidden=(800,), optimizer="adam", batch_size=128))
    tr.train(iterations=10)

    def ms(fn) -> float:
        fn()
        t0 = time.perf_counter()
        for _ in range(repeats):
            fn()
        return (time.perf_counter() - t0) / repeats * 1e3

    shifts, angles = draw(rng, 128, 2, 10.0)
    return {"shift ±2 px": ms(lambda: augmenter.warp(x, shifts, np.zeros(128))),
            "shift ±2 px and turn ±10°": ms(lambda: augmenter.warp(x, shifts, angles)),
            "draw the shifts and angles": ms(lambda: draw(rng, 128, 2, 10.0)),
            "dropout masks (128, 800)": ms(lambda: dropout_masks(rng, 128, [800], 0.3)),
            "one training step, neither": ms(lambda: tr.step()) if repeats else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=BUDGET_S, help="training seconds to stop after")
    parser.add_argument("--epochs", type=float, help="epochs to stop after (default: the preset's)")
    parser.add_argument("--skip-costs", action="store_true", help="only the preset's run")
    parser.add_argument("--skip-run", action="store_true", help="only the costs")
    for name, kind in (("lr", float), ("lr_decay", float), ("dropout", float), ("augment_shift", int),
                       ("augment_rotate", float), ("batch_size", int), ("seed", int), ("optimizer", str),
                       ("momentum", float), ("hidden", int)):
        parser.add_argument("--" + name.replace("_", "-"), type=kind)
    args = parser.parse_args(argv)
    preset = get_preset(PRESET)
    changes = {k: getattr(args, k) for k in ("lr", "lr_decay", "dropout", "augment_shift", "augment_rotate",
                                             "batch_size", "seed", "optimizer", "momentum")
               if getattr(args, k) is not None}
    if args.hidden:
        changes["hidden"] = (args.hidden,)
    settings = preset.settings.replace(**changes)
    data = load_bundled()
    print(f"{load()}; {os.cpu_count()} cores")
    if not args.skip_run:
        epochs = args.epochs or preset.epochs
        print(f"\n{PRESET}{' with ' + str(changes) if changes else ''}: up to {epochs:g} epochs or "
              f"{args.seconds:g} s of training")
        print(f"  {settings}")
        rows, reached = time_to_target(data, settings, epochs, args.seconds)
        best = max(rows, key=lambda r: r[2])
        when = f"first reached after {reached:.1f} s of training" if reached is not None else "not reached"
        print(f"  {TARGET:.1%} test accuracy: {when}; best {best[2]:.2%} at epoch {best[0]:g} ({best[1]:.1f} s)")
        print(f"  {load()}")
    if not args.skip_costs:
        print("\nthroughput of 784-800-10, batch 128, Adam (median of 5 interleaved blocks of 150 steps):")
        rates = throughput(data, blocks=5, steps=150)
        for name, rate in rates.items():
            print(f"  {name:<22}{rate:9,.0f} samples/s  ({rate / rates['none']:.0%} of none)")
        print("\nper batch of 128 (mean of 300):")
        for name, value in per_batch_costs(data).items():
            print(f"  {name:<30}{value:6.2f} ms")
        print(f"  {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
