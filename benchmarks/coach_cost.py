"""µs per coach call (coach_hints on the last WINDOW rows) at 1k/10k/100k history rows, against one
training step at 784-128-10 (batch 128), interleaved in one run. Run: python benchmarks/coach_cost.py"""
import time

import numpy as np

from mnist_viz.core.coach import coach_hints
from mnist_viz.core.data import load_bundled
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


def main(rounds: int = 5, calls: int = 200) -> None:
    trainer = Trainer(load_bundled(), Settings(hidden=(128,)))
    for _ in range(50):
        trainer.step()
    snap = trainer.snapshot()
    rng = np.random.default_rng(0)
    histories = {n: np.column_stack([np.arange(n), np.zeros(n), np.zeros(n), 1 + rng.random(n), rng.random(n)])
                 for n in (1_000, 10_000, 100_000)}
    evals = rng.random((100, 6))
    timings: dict[str, list[float]] = {name: [] for name in [*map(str, histories), "step"]}
    for _ in range(rounds):
        for n, steps in histories.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                coach_hints(snap, steps, evals)
            timings[str(n)].append((time.perf_counter() - t0) / calls)
        t0 = time.perf_counter()
        for _ in range(20):
            trainer.step()
        timings["step"].append((time.perf_counter() - t0) / 20)
    for name, values in timings.items():
        label = "training step 784-128-10" if name == "step" else f"coach call, {int(name):,} rows"
        print(f"{label:28s} median {1e6 * np.median(values):8.1f} µs")


if __name__ == "__main__":
    main()
