"""What the window's training process spends besides training: the loop's own work, without a window.

The window trains in a process of its own (``runtime.loop.TrainingLoop``) that, besides its steps,
evaluates on the eval split, takes a snapshot for every frame the window paints (the weights into the
shared file, the probes' forward pass) and the layer health four times a second. gui_bench measures
the window's training at 80-84% of the one-thread headless trainer; this script tells how much of the
gap is that loop's own work, measured where no window competes for the caches and cores: the same
``Trainer.step`` loop bare, and driven by a ``TrainingLoop`` whose "window" takes each snapshot at
once, with each part of its work switched off in turn. Rounds interleaved, one BLAS thread (the
window's training process on 2 cores).

    python benchmarks/loop_overhead.py [--hidden 512] [--optimizer adam] [--seconds 3] [--rounds 3]
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

# What the loop does per variant: (snapshots, health with them, evaluations).
VARIANTS = {
    "bare Trainer.step loop": None,
    "loop: steps only": (False, False, False),
    "loop: + evaluations": (False, False, True),
    "loop: + snapshots (no health)": (True, False, True),
    "loop: everything (as in the window)": (True, True, True),
}
N_PROBES = 10  # the window's probe strip


def bare_rate(trainer, seconds: float) -> float:
    """Training samples per second of ``trainer.step()`` in a plain loop."""
    s0, t0 = trainer.samples_seen, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trainer.step()
    return (trainer.samples_seen - s0) / (time.perf_counter() - t0)


def loop_rate(trainer, probes: np.ndarray, folder: str, seconds: float, snapshots: bool, health: bool,
              evaluations: bool) -> tuple[float, float]:
    """``(samples per second, snapshots per second)`` of a ``TrainingLoop`` driving ``trainer``,
    its snapshots packed into the shared file as the training process does and taken at once."""
    from mnist_viz.runtime import loop as loop_module
    from mnist_viz.runtime.protocol import Envelope, Play, SetProbes
    from mnist_viz.runtime.transport import SnapshotWriter

    writer = SnapshotWriter(folder)
    taken = [0]

    def send(event) -> None:
        if getattr(event, "snapshot", None) is not None:
            writer.pack(event.snapshot)
            taken[0] += 1

    saved = loop_module.HEALTH_INTERVAL
    loop_module.HEALTH_INTERVAL = saved if health else math.inf
    try:
        loop = loop_module.TrainingLoop(
            trainer, send, lambda: True,
            snapshot_interval=loop_module.SNAPSHOT_INTERVAL if snapshots else math.inf,
            eval_interval=loop_module.EVAL_INTERVAL if evaluations else math.inf)
        loop.receive(Envelope(1, SetProbes(images=probes)))
        loop.receive(Envelope(2, Play()))
        loop.tick()
        if not evaluations:
            loop.last_eval = (trainer.step_count, math.inf)  # none due: see TrainingLoop._maybe_evaluate
        s0, t0 = trainer.samples_seen, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            wait = loop.tick()
            if wait is not None and wait > 0 and not loop.playing:
                break
        elapsed = time.perf_counter() - t0
        return (trainer.samples_seen - s0) / elapsed, taken[0] / elapsed
    finally:
        loop_module.HEALTH_INTERVAL = saved
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", default="512")
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--seconds", type=float, default=3.0, help="per variant and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from mnist_viz.core.data import load_bundled
    from mnist_viz.core.parallel import limit_blas
    from mnist_viz.core.snapshot import Settings
    from mnist_viz.core.trainer import Trainer

    data = load_bundled()
    settings = Settings(hidden=tuple(int(h) for h in args.hidden.split(",")), optimizer=args.optimizer,
                        lr=args.lr, batch_size=128)
    probes = np.ascontiguousarray(data.x_test[:N_PROBES])
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    snaps: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with limit_blas(1), tempfile.TemporaryDirectory() as folder, np.errstate(over="ignore", invalid="ignore"):
        trainer = Trainer(data, settings)
        for _ in range(30):
            trainer.step()  # warm-up
        for _ in range(args.rounds):
            for name, variant in VARIANTS.items():
                if variant is None:
                    rates[name].append(bare_rate(trainer, args.seconds))
                    snaps[name].append(0.0)
                else:
                    rate, per_second = loop_rate(trainer, probes, folder, args.seconds, *variant)
                    rates[name].append(rate)
                    snaps[name].append(per_second)
    base = statistics.median(rates["bare Trainer.step loop"])
    print(f"Measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, NumPy "
          f"{np.__version__}, 1 BLAS thread; 784-{args.hidden.replace(',', '-')}-10 {args.optimizer}, batch 128, "
          f"{args.rounds} rounds of {args.seconds:g} s, interleaved")
    print(f"{'variant':40s} {'samples/s (median)':>20s} {'of bare':>8s} {'snapshots/s':>12s}")
    for name in VARIANTS:
        rate = statistics.median(rates[name])
        print(f"{name:40s} {rate:20,.0f} {rate / base:8.1%} {statistics.median(snaps[name]):12.1f}")


if __name__ == "__main__":
    main()
