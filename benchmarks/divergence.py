"""The divergence table and the false-alarm sweep of issue 9, on the full training set.

Table: train the default network (784-128-10, Adam lr 0.001, seed 0) for one epoch, turn one knob
to a far-too-high learning rate, and count the steps until the guard or the watchdog stops training;
then restore and compare the test accuracy with the one before the change.

Sweep (``--sweep``): every preset to its budget, 10 seeds of the fast preset, and SGD up to lr 1 and
Adam up to lr 0.01 from scratch (each activation) must never be stopped; prints how close each run
came to each rule (``Watchdog.closest``).

    python benchmarks/divergence.py [--sweep] [--quick]
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from mnist_viz.core.data import load_dataset
from mnist_viz.core.presets import PRESETS
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer

TABLE = [("sgd", 10, "relu"), ("sgd", 100, "relu"), ("sgd", 1e4, "relu"),
         ("sgd", 10, "leaky_relu"), ("sgd", 100, "leaky_relu"), ("sgd", 1e4, "leaky_relu"),
         ("momentum", 10, "relu"), ("adam", 5, "relu"), ("adam", 10, "relu"), ("adam", 1e6, "relu"),
         ("gd", 1e9, "relu")]


def table_case(data, optimizer: str, lr: float, activation: str, limit: int = 100) -> dict:
    """One row of the table: steps from the change to the stop, the stop's kind, test accuracy
    before the change and after the restore."""
    tr = Trainer(data, Settings(activation=activation))
    tr.train(epochs=1)
    _, before = tr.evaluate("test")
    first_bad = tr.step_count + 1
    tr.update(optimizer=optimizer, lr=lr)
    while not tr.trouble and tr.step_count < first_bad + limit:
        tr.step()
    trouble = tr.trouble
    row = {"case": f"{optimizer} lr {lr:g} {activation}", "before": before,
           "steps": None if trouble is None else trouble.step - first_bad + 1,
           "kind": trouble.kind if trouble else "NOT DETECTED"}
    if trouble:
        row["restored"] = tr.restore_last_good()
        row["after"] = tr.evaluate("test")[1]
    return row


def healthy_runs(quick: bool):
    """``(name, settings, epochs, iterations)`` of runs that must never be stopped."""
    for p in PRESETS.values():
        if p.name == "lr-too-high":
            continue
        epochs, iterations = p.epochs, p.iterations
        if quick and (iterations or 0) > 100:
            iterations = 100
        if quick and epochs and epochs > 3:
            epochs = 3
        yield f"preset {p.name}", p.settings, epochs, iterations
    fast = PRESETS["fast"]
    for seed in range(10):
        yield f"fast seed {seed}", fast.settings.replace(seed=seed), fast.epochs, None
    for activation in ("relu", "leaky_relu", "sigmoid", "tanh"):
        for lr in (0.1, 0.5, 1.0):
            yield f"sgd lr {lr} {activation}", Settings(activation=activation, optimizer="sgd", lr=lr), 2, None
        yield f"momentum lr 0.1 {activation}", Settings(activation=activation, optimizer="momentum", lr=0.1), 2, None
        for lr in (1e-3, 3e-3, 1e-2):
            yield f"adam lr {lr} {activation}", Settings(activation=activation, optimizer="adam", lr=lr), 2, None
    for init in ("small", "xavier"):
        yield f"sgd lr 1 init {init}", Settings(init=init, optimizer="sgd", lr=1.0), 2, None
    yield "gd lr 1 (full batch)", Settings(optimizer="gd", lr=1.0), None, 100
    yield "adam lr 0.01 batch 16", Settings(optimizer="adam", lr=1e-2, batch_size=16), 1, None
    yield "sgd lr 1 batch 16", Settings(optimizer="sgd", lr=1.0, batch_size=16), 1, None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", action="store_true", help="also run the false-alarm sweep")
    ap.add_argument("--quick", action="store_true", help="shorter budgets in the sweep")
    args = ap.parse_args()
    np.seterr(all="ignore")
    data = load_dataset(None)
    print(f"# divergence table, {time.strftime('%Y-%m-%d')}: default network after 1 epoch, one knob turned")
    print(f"{'case':<26}{'steps to stop':>14}  {'kind':<12}{'test before':>12}{'after restore':>14}")
    failures = 0
    for case in TABLE:
        row = table_case(data, *case)
        after = row.get("after")
        ok = row["steps"] is not None and after is not None and after >= row["before"] - 0.01
        failures += not ok
        print(f"{row['case']:<26}{row['steps'] if row['steps'] else '-':>14}  {row['kind']:<12}"
              f"{row['before']:>12.2%}{after if after is None else f'{after:.2%}':>14}{'' if ok else '  FAIL'}")
        sys.stdout.flush()
    if args.sweep:
        print("\n# false-alarm sweep: closest approach to each rule (explode and high-loss streaks trip at "
              "60 steps, dead at 10; accuracy after learning trips at 0.20)")
        for name, settings, epochs, iterations in healthy_runs(args.quick):
            tr = Trainer(data, settings)
            t0 = time.perf_counter()
            tr.train(epochs=epochs) if epochs else tr.train(iterations=iterations)
            c = tr.watchdog.closest
            acc = tr.evaluate("eval")[1]
            failures += bool(tr.trouble)
            print(f"{name:<30} {'STOPPED: ' + tr.trouble.kind if tr.trouble else 'ok':<18} eval {acc:6.2%}  "
                  f"explode {c['explode_steps']:>3}  high-loss {c['high_loss_steps']:>3}  "
                  f"acc-after-learning {c['accuracy_after_learning']:.2f}  dead {c['dead_steps']:>2}  "
                  f"({time.perf_counter() - t0:.0f} s)")
            sys.stdout.flush()
    print(f"\n{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
