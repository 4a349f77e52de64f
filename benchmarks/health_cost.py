"""What the layer health (issue 12, ``mnist_viz.core.health``) costs the training process.

    python benchmarks/health_cost.py                 # 1 BLAS thread, as the window's training process
    python benchmarks/health_cost.py --threads 2 --rounds 300

For 784-512-10 and 784-512-128-10 (and the default 784-128-10 for reference; ReLU, Adam, batch 128,
bundled MNIST), in one process and interleaved (step, health, step, health with exact quantiles,
...) so that all three see the same machine load, the median of:
1. one training step (``Trainer.step``);
2. one health computation (``Trainer.layer_health``: a forward pass over the 256 health probes and
   the per-layer numbers), as the trainer makes it at every snapshot;
3. the same with exact quantiles over every value (no ``QUANTILE_SAMPLE``), for comparison.
Printed as ms and as a share of a snapshot interval (1/33 s), which is also the share of the
training throughput lost when it is computed at 33 snapshots a second: that share of every second
goes to it instead of to steps (on top of what the rest of a snapshot costs). Also: how far the sampled
quantiles of the trained W1 are from the exact ones, in units of W1's standard deviation.

Then the number the issue asks for, measured directly: training throughput of a loop that takes a
snapshot every ``SNAPSHOT_INTERVAL`` (as the window's training process does) with the layer health
every ``HEALTH_INTERVAL`` (the loop's rule), against the same loop with no health at all, in
alternating rounds of ``--round-seconds`` (``--throughput-rounds`` of each).
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

from mnist_viz.core import health
from mnist_viz.core.data import load_bundled
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.runtime.loop import HEALTH_INTERVAL, SNAPSHOT_INTERVAL

SNAPSHOTS_PER_SECOND = 33  # the window's rate (runtime.loop.SNAPSHOT_INTERVAL and the frame time)
WARMUP_STEPS = 50  # past Adam's first steps and the allocation of the spare buffers


def _timed(call) -> float:
    t0 = time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1e3


def _exact_health(trainer: Trainer) -> None:
    saved = health.QUANTILE_SAMPLE
    health.QUANTILE_SAMPLE = sys.maxsize  # every value: exact quantiles
    try:
        trainer.layer_health()
    finally:
        health.QUANTILE_SAMPLE = saved


def measure(data, hidden: tuple[int, ...], rounds: int) -> dict:
    """Median ms of a step, a health computation and an exact-quantile one, interleaved."""
    trainer = Trainer(data, Settings(hidden=hidden, optimizer="adam", lr=1e-3, batch_size=128))
    trainer.train(iterations=WARMUP_STEPS)
    steps, healths, exact = [], [], []
    for _ in range(rounds):
        steps.append(_timed(trainer.step))
        healths.append(_timed(trainer.layer_health))  # right after a step: the update is known, as live
        steps.append(_timed(trainer.step))
        exact.append(_timed(lambda: _exact_health(trainer)))
    W1 = trainer.net.params[0]
    sample_error = np.max(np.abs(np.array(health.quantiles(W1)) - np.percentile(W1, health.QUANTILES)))
    return {"step": statistics.median(steps), "health": statistics.median(healths),
            "exact": statistics.median(exact), "sample_error": float(sample_error / W1.std())}


def loop_throughput(trainer: Trainer, seconds: float, with_health: bool) -> float:
    """Training samples per second of a loop stepping ``trainer`` for ``seconds`` and taking a
    snapshot (16 probe images) every ``SNAPSHOT_INTERVAL``, carrying the health every
    ``HEALTH_INTERVAL`` if ``with_health`` (``runtime.loop``'s rule), never otherwise."""
    probes = trainer.health_probe_x[:16]
    start, samples0 = time.perf_counter(), trainer.samples_seen
    last_snapshot = last_health = -1e9
    now = start
    while now - start < seconds:
        trainer.step()
        now = time.perf_counter()
        if now - last_snapshot >= SNAPSHOT_INTERVAL:
            health_now = with_health and now - last_health >= HEALTH_INTERVAL
            trainer.snapshot(probes, health=health_now)
            last_snapshot = now
            last_health = now if health_now else last_health
    return (trainer.samples_seen - samples0) / (time.perf_counter() - start)


def throughput_cost(data, hidden: tuple[int, ...], rounds: int, seconds: float) -> tuple[float, float, float]:
    """(samples/s without health, with health, share lost), medians over alternating rounds."""
    trainer = Trainer(data, Settings(hidden=hidden, optimizer="adam", lr=1e-3, batch_size=128))
    trainer.train(iterations=WARMUP_STEPS)
    without, with_ = [], []
    for _ in range(rounds):
        without.append(loop_throughput(trainer, seconds, with_health=False))
        with_.append(loop_throughput(trainer, seconds, with_health=True))
    a, b = statistics.median(without), statistics.median(with_)
    return a, b, 1 - b / a


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (the training process uses 1)")
    parser.add_argument("--rounds", type=int, default=200, help="interleaved rounds per network")
    parser.add_argument("--throughput-rounds", type=int, default=6, help="alternating loop rounds of each kind")
    parser.add_argument("--round-seconds", type=float, default=2.0, help="length of one loop round")
    args = parser.parse_args()
    data = load_bundled()
    interval_ms = 1e3 / SNAPSHOTS_PER_SECOND
    print(f"{args.threads} BLAS thread(s), {args.rounds} rounds, medians; snapshot interval {interval_ms:.1f} ms")
    print(f"{'network':<16}{'step ms':>9}{'health ms':>11}{'= steps':>9}{'% interval = % throughput':>27}"
          f"{'exact-q ms':>12}{'exact-q %':>11}{'q error/std':>13}")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for hidden in ((512,), (512, 128), (128,)):
            r = measure(data, hidden, args.rounds)
            name = "784-" + "-".join(map(str, hidden)) + "-10"
            print(f"{name:<16}{r['step']:>9.2f}{r['health']:>11.2f}{r['health'] / r['step']:>9.2f}"
                  f"{r['health'] / interval_ms:>27.1%}{r['exact']:>12.2f}{r['exact'] / interval_ms:>11.1%}"
                  f"{r['sample_error']:>13.4f}")
        print(f"\nTraining loop with a snapshot every {SNAPSHOT_INTERVAL * 1e3:.0f} ms, health every "
              f"{HEALTH_INTERVAL * 1e3:.0f} ms vs never ({args.throughput_rounds} alternating rounds of "
              f"{args.round_seconds:g} s, medians)")
        print(f"{'network':<16}{'no health':>14}{'with health':>14}{'throughput lost':>17}")
        for hidden in ((512,), (512, 128)):
            a, b, lost = throughput_cost(data, hidden, args.throughput_rounds, args.round_seconds)
            name = "784-" + "-".join(map(str, hidden)) + "-10"
            print(f"{name:<16}{a:>12,.0f}/s{b:>12,.0f}/s{lost:>17.1%}")


if __name__ == "__main__":
    main()
