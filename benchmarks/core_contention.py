"""How much the one-thread trainer slows when the other core works (issue 15's "training >= 95% of
the one-thread headless trainer" beside the window).

    python benchmarks/core_contention.py [--rounds 3] [--steps 400]

The trainer (784-512-10 Adam, batch 128, 1 BLAS thread) is pinned to one core; a second process
pinned to another core runs, in turn: nothing, a pure-Python busy loop (no memory traffic), a NumPy
loop over 512 KB (fits the core's own cache), and a NumPy loop over 64 MB (streams from memory).
Rounds alternate the loads so that all see the same drift of the machine; the result is samples/s
per load and its ratio to the idle rounds. Linux only (CPU affinity).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

LOADS = {
    "idle": None,
    "pure-Python busy loop": "while True:\n    pass",
    "NumPy over 512 KB (in cache)": "import numpy as np\na = np.ones(128_000, np.float32)\nwhile True:\n    a *= 1.0",
    "NumPy over 64 MB (memory)": "import numpy as np\na = np.ones(16_000_000, np.float32)\nwhile True:\n    a *= 1.0",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        print("needs two cores")
        return 1
    from threadpoolctl import threadpool_limits

    from mnist_viz.core.data import load_bundled
    from mnist_viz.core.snapshot import Settings
    from mnist_viz.core.trainer import Trainer

    threadpool_limits(1)
    os.sched_setaffinity(0, {cores[1]})
    trainer = Trainer(load_bundled(), Settings(hidden=(512,), optimizer="adam", lr=0.001, batch_size=128))
    for _ in range(100):  # warm-up
        trainer.step()
    rates: dict[str, list[float]] = {name: [] for name in LOADS}
    for _ in range(args.rounds):
        for name, code in LOADS.items():
            load = None
            if code:
                pin = f"import os\nos.sched_setaffinity(0, {{{cores[0]}}})\n"
                load = subprocess.Popen([sys.executable, "-c", pin + code])
                time.sleep(0.5)  # started and running
            t0 = time.perf_counter()
            for _ in range(args.steps):
                trainer.step()
            rates[name].append(args.steps * 128 / (time.perf_counter() - t0))
            if load is not None:
                load.kill()
                load.wait()
    idle = sum(rates["idle"])
    print(f"784-512-10 Adam, 1 BLAS thread on core {cores[1]}; the load on core {cores[0]}; "
          f"{args.rounds} rounds alternated")
    for name, values in rates.items():
        runs = ", ".join(f"{v:,.0f}" for v in values)
        print(f"  {name:30s} {runs:>28s} samples/s   {sum(values) / idle:5.0%} of idle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
