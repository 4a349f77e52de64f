"""Where each microsecond of a training step goes (issue 15): the engine's own phases, marked in
``Trainer.step`` and ``MLP.loss_and_grads`` (``core.phases``), summed over many steps.

    python benchmarks/step_breakdown.py [--steps 2000] [--threads 1] [--json]

Two settings: 784-128-10 SGD batch 128 and 784-512-10 Adam batch 128 (the window's). For each:
µs per step per phase and its share, the step's total with the marks listening, and without
(the plain ``Trainer.step`` loop; the difference is what listening costs). The GEMM floor line is
the time the step's matrix products take at the rate a product of the layer's own shape reaches
here (measured in the same run), for the dense problem (784 input columns).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

CASES = {"784-128-10 SGD": dict(hidden=(128,), optimizer="sgd", lr=0.05, batch_size=128),
         "784-512-10 Adam": dict(hidden=(512,), optimizer="adam", lr=0.001, batch_size=128)}


def gemm_seconds_per_step(hidden: int, batch: int) -> float:
    """Seconds the step's products take at this machine's rate for them: forward x @ W1 (B x 784 x H),
    h @ W2, the weight gradients and the hidden layer's gradient, each timed at its own shape."""
    rng = np.random.default_rng(0)
    shapes = [(batch, 784, hidden), (batch, hidden, 10), (784, batch, hidden), (hidden, batch, 10), (batch, 10, hidden)]
    total = 0.0
    for m, k, n in shapes:
        a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
        out = np.empty((m, n), np.float32)
        best = float("inf")
        for _ in range(7):
            reps = max(1, int(2e7 // (m * k * n)))
            t0 = time.perf_counter()
            for _ in range(reps):
                np.matmul(a, b, out=out)
            best = min(best, (time.perf_counter() - t0) / reps)
        total += best
    return total


def breakdown(data, settings: dict, steps: int) -> dict:
    from mnist_viz.core import phases
    from mnist_viz.core.snapshot import Settings
    from mnist_viz.core.trainer import Trainer

    trainer = Trainer(data, Settings(**settings))
    for _ in range(200):  # warm-up: buffers, caches, the allocator
        trainer.step()
    plain, listened, totals = [], [], {}
    for _ in range(5):  # alternated, so both see the same machine load
        t0 = time.perf_counter()
        for _ in range(steps // 10):
            trainer.step()
        plain.append((time.perf_counter() - t0) / (steps // 10))
        phases.listen()
        t0 = time.perf_counter()
        for _ in range(steps // 10):
            trainer.step()
        listened.append((time.perf_counter() - t0) / (steps // 10))
        for phase, seconds in phases.stop().items():
            totals[phase] = totals.get(phase, 0.0) + seconds
    n = 5 * (steps // 10)
    per_step = {phase: seconds / n for phase, seconds in totals.items()}
    return {"phases_us": {k: v * 1e6 for k, v in per_step.items()},
            "step_us_listening": float(np.median(listened)) * 1e6, "step_us_plain": float(np.median(plain)) * 1e6,
            "gemm_floor_us": gemm_seconds_per_step(settings["hidden"][0], settings["batch_size"]) * 1e6}


def markdown(results: dict) -> str:
    lines = [f"Measured {results['date']} on {results['machine']}, {results['threads']} BLAS thread(s).", ""]
    for case, r in results["cases"].items():
        total = sum(r["phases_us"].values())
        head = (f"**{case}** — a step: {r['step_us_plain']:.0f} µs (marks listening: {r['step_us_listening']:.0f} µs); "
                f"its matrix products at this machine's rate for their shapes: {r['gemm_floor_us']:.0f} µs "
                f"({r['step_us_plain'] / r['gemm_floor_us']:.2f}× that floor)")
        lines += [head, "", "| phase | µs per step | share |", "|---|---:|---:|"]
        for phase, us in sorted(r["phases_us"].items(), key=lambda kv: -kv[1]):
            lines.append(f"| {phase} | {us:.1f} | {us / total:.1%} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    from mnist_viz.core.data import load_bundled

    threadpool_limits(limits=args.threads, user_api="blas")
    data = load_bundled()
    results = {"date": date.today().isoformat(), "threads": args.threads,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores, NumPy {np.__version__}",
               "cases": {case: breakdown(data, s, args.steps) for case, s in CASES.items()}}
    print(json.dumps(results, indent=2) if args.json else markdown(results))


if __name__ == "__main__":
    main()
