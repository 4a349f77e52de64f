"""What the robustness lab (``core.robustness``, the Robustness tab) costs: one spoiler's 5-point
curve on the full 10,000-image test set at 784-512-10, as the window computes it.

    python benchmarks/robustness_bench.py              # 1 BLAS thread, as the window process uses
    python benchmarks/robustness_bench.py --threads 2 --rounds 5

For each spoiler, the median over ``--rounds`` of:
1. spoiling the test set at the curve's four non-zero amounts (``spoil``, one copy at a time);
2. the forward passes of the five points (``robustness_curve`` minus the spoiling);
3. the whole ``robustness_curve`` call (what one round of the panel measures);
4. one round of the panel (``gui.panels.robustness.compute``: that curve, plus the per-class
   accuracy on the test set spoiled at the sliders' settings, cached as uint8 between rounds).
Then all five curves one after another (what a full round-robin costs, and what ``mnist-viz
evaluate`` spends on the curves). The network is a fresh 784-512-10 ReLU one (the cost does not
depend on the weights' values).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from mnist_viz.core import robustness as rb
from mnist_viz.core.data import load_bundled
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


def _seconds(call) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def _median(call, rounds: int) -> float:
    return statistics.median(_seconds(call) for _ in range(rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1, as the window)")
    parser.add_argument("--rounds", type=int, default=3, help="repetitions; the median is shown")
    parser.add_argument("--hidden", type=int, default=512)
    args = parser.parse_args()

    # Qt only for the panel's compute(), which itself uses none; offscreen so no display is needed.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from mnist_viz.gui.panels import robustness as panel

    data = load_bundled()
    trainer = Trainer(data, Settings(hidden=(args.hidden,)))
    trainer.step()
    snap = trainer.snapshot()
    params, x, y = snap.params, data.x_test, data.y_test
    buffer = np.empty(x.shape, np.float32)
    sliders = (("noise", 0.2), ("rotate", 15.0), ("shift", 0.0), ("thickness", 0.0), ("occlude", 0.0))
    print(f"784-{args.hidden}-10 on {len(x):,} test images, {args.threads} BLAS thread(s), median of {args.rounds}")
    print(f"{'spoiler':<11}{'spoil 4 pts':>13}{'forward 5':>11}{'curve':>9}{'panel round':>13}")
    total = 0.0
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for kind, spoiler in rb.SPOILERS.items():
            amounts = [a for a in spoiler.points if a]
            spoiling = _median(lambda: [rb.spoil(kind, x, a, 0, buffer) for a in amounts], args.rounds)  # noqa: B023
            curve = _median(lambda: rb.robustness_curve(params, "relu", x, y, kind), args.rounds)  # noqa: B023
            cached = panel.compute(panel._Job(snap, kind, sliders, None, x, y, 0)).spoiled
            job = panel._Job(snap, kind, sliders, cached, x, y, 0)
            round_ = _median(lambda: panel.compute(job), args.rounds)  # noqa: B023
            total += curve
            print(f"{kind:<11}{spoiling * 1e3:>10.0f} ms{(curve - spoiling) * 1e3:>8.0f} ms{curve * 1e3:>6.0f} ms"
                  f"{round_ * 1e3:>10.0f} ms")
        every = _median(lambda: [rb.robustness_curve(params, "relu", x, y, k) for k in rb.SPOILERS], args.rounds)
    print(f"all five curves one after another: {every:.2f} s (sum of the rows: {total:.2f} s)")


if __name__ == "__main__":
    main()
