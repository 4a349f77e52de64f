"""Would cache-sized chunks speed up Adam's element-wise passes? (issue 15: measured, not kept)

At 784-512-10 the optimizer's update is 10 NumPy passes over every weight (``optim._adam``) and the
guard 4 more (max and min of the new weights and of ``v``). This times them whole, as the engine runs
them, and chunk by chunk (each chunk's guard while it is still in cache), alternated, on one thread,
and checks that both give the same bits.

    python benchmarks/adam_chunks.py [--rounds 5] [--updates 300]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from mnist_viz.core.optim import _adam
from mnist_viz.core.trainer import all_finite  # the engine's own guard

SHAPES = [(784, 512), (512,), (512, 10), (10,)]  # 784-512-10: W1, b1, W2, b2
CHUNKS = (4096, 8192, 16384, 32768, 65536)
B1, B2, EPS, STEP = np.float32(0.9), np.float32(0.999), np.float32(1e-7), np.float32(1e-3)


class Update:
    """The parameters, gradients and Adam state of one 784-512-10 network (float32, seeded)."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        make = lambda: [rng.standard_normal(s, dtype=np.float32) * np.float32(0.01) for s in SHAPES]  # noqa: E731
        self.p, self.g0, self.m, self.v = make(), make(), make(), [np.abs(a) for a in make()]
        self.new_p, self.new_m, self.new_v = make(), make(), make()
        self.g = [a.copy() for a in self.g0]

    def fresh_gradients(self) -> None:
        for a, b in zip(self.g, self.g0):
            np.copyto(a, b)  # _adam overwrites the gradient (scratch)

    def whole(self) -> bool:
        for arrays in zip(self.p, self.g, self.m, self.v, self.new_p, self.new_m, self.new_v):
            _adam(B1, B2, EPS, STEP, *arrays)
        return all_finite(self.new_p + self.new_v)

    def chunked(self, n: int) -> bool:
        ok = True
        for arrays in zip(self.p, self.g, self.m, self.v, self.new_p, self.new_m, self.new_v):
            flat = [a.reshape(-1) for a in arrays]
            for start in range(0, flat[0].size, n):
                part = [a[start:start + n] for a in flat]
                _adam(B1, B2, EPS, STEP, *part)
                ok = ok and all_finite([part[4], part[6]])
        return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--updates", type=int, default=300)
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    u = Update()
    ways = {"whole": u.whole, **{f"chunks of {n}": (lambda n=n: u.chunked(n)) for n in CHUNKS}}
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):  # alternated: every way sees the same machine
        for name, update in ways.items():
            t0 = time.perf_counter()
            for _ in range(args.updates):
                u.fresh_gradients()
                update()
            times[name].append((time.perf_counter() - t0) / args.updates)
    copy = time.perf_counter()
    for _ in range(args.updates):
        u.fresh_gradients()
    copy = (time.perf_counter() - copy) / args.updates
    u.fresh_gradients()
    u.whole()
    reference = [a.copy() for a in u.new_p + u.new_m + u.new_v]
    u.fresh_gradients()
    u.chunked(CHUNKS[1])
    same = all(np.array_equal(a, b) for a, b in zip(reference, u.new_p + u.new_m + u.new_v))
    print(f"Adam update + guard at 784-512-10, 1 thread, {args.rounds} rounds of {args.updates} "
          f"(gradient copy, {copy * 1e6:.0f} µs, taken off)")
    for name, ts in times.items():
        print(f"  {name:16s} {(min(ts) - copy) * 1e6:7.0f} - {(max(ts) - copy) * 1e6:7.0f} µs")
    print(f"  chunked result bit-for-bit the same as whole: {same}")


if __name__ == "__main__":
    main()
