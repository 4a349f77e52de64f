"""Engine benchmarks whose output goes into the README.

    python benchmarks/engine_bench.py [--threads N] [--rounds 7] [--json]

Measures, in one process so that ratios are fair on a shared machine:
1. load time of the bundled MNIST (best of 5, cold module cache each time);
2. for 784-128-10 SGD and 784-512-10 Adam (ReLU, batch 128, float32): an epoch of our engine
   (``Trainer.run_epoch``: guard, watchdog and all), of a plain NumPy loop written the obvious way
   (the tutorials' 20 lines, in float32 on the same arrays), and of PyTorch (if installed:
   nn.Linear, autograd, torch.optim), epochs interleaved so all three see the same machine load;
   medians and the ratios between them;
3. the floor: the FLOPs an epoch's matrix products need (dense, 784 input columns) divided by the
   rate this machine reaches for a product of the first layer's own shape (B x 784 x H);
4. time-to-accuracy of the `fast` and `best` presets (training seconds until 97.5% / 98.0% test).

Every engine gets the same threads: ``--threads`` (default: core.parallel's headless rule, every
core), for BLAS, for our element-wise passes and for PyTorch.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import date

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from mnist_viz.core import data as data_module
from mnist_viz.core.parallel import limit_blas, threads_for
from mnist_viz.core.presets import get_preset
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer

BATCH = 128
CASES = {"784-128-10 SGD": {"hidden": 128, "optimizer": "sgd", "lr": 0.05},
         "784-512-10 Adam": {"hidden": 512, "optimizer": "adam", "lr": 0.001}}


def flops_per_epoch(n: int, hidden: int) -> float:
    """Multiply-adds x2 for one epoch of 784-H-10: forward, weight gradients, and the hidden-layer
    gradient (the input-pixel gradient is never needed)."""
    fwd = 2 * (784 * hidden + hidden * 10)
    bwd = 2 * (784 * hidden) + 2 * (hidden * 10) * 2
    return n * (fwd + bwd)


def gemm_rate(m: int, k: int, n: int, seconds: float = 1.0) -> float:
    """Best observed float32 GEMM rate in FLOP/s for an (m,k) @ (k,n) product."""
    rng = np.random.default_rng(0)
    a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
    out = np.empty((m, n), np.float32)
    best = 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        reps = max(1, int(2e8 // (m * k * n)))
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=out)
        best = max(best, 2 * m * k * n * reps / (time.perf_counter() - t0))
    return best


def time_load(repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        data_module.clear_bundled_cache()  # measure a real load, not the in-process cache
        t0 = time.perf_counter()
        data_module.load_bundled()
        best = min(best, time.perf_counter() - t0)
    return best


class PlainEpoch:
    """The obvious NumPy loop: 784-H-10 ReLU, softmax cross-entropy, SGD or Adam, float32, a fresh
    array for every intermediate (as the tutorials write it, in float32 so that only the engineering
    differs from ours)."""

    def __init__(self, data, hidden: int, optimizer: str, lr: float):
        rng = np.random.default_rng(0)
        self.x, self.y = data.x_train, data.y_train
        self.params = [rng.standard_normal((784, hidden), dtype=np.float32) * np.float32(np.sqrt(2 / 784)),
                       np.zeros(hidden, np.float32),
                       rng.standard_normal((hidden, 10), dtype=np.float32) * np.float32(np.sqrt(2 / hidden)),
                       np.zeros(10, np.float32)]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.optimizer, self.lr, self.t, self.rng = optimizer, np.float32(lr), 0, rng

    def __call__(self) -> float:
        t0 = time.perf_counter()
        order = self.rng.permutation(len(self.x))
        for i in range(0, len(order), BATCH):
            idx = order[i:i + BATCH]
            self.step(self.x[idx], self.y[idx])
        return time.perf_counter() - t0

    def step(self, x, y) -> None:
        W1, b1, W2, b2 = self.params
        z1 = x @ W1 + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ W2 + b2
        p = np.exp(z2 - z2.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        d2 = p
        d2[np.arange(len(y)), y] -= 1
        d2 /= len(y)
        d1 = (d2 @ W2.T) * (z1 > 0)
        grads = [x.T @ d1, d1.sum(axis=0), a1.T @ d2, d2.sum(axis=0)]
        if self.optimizer == "sgd":
            for param, g in zip(self.params, grads):
                param -= self.lr * g
            return
        self.t += 1
        for param, g, m, v in zip(self.params, grads, self.m, self.v):
            m[:] = 0.9 * m + 0.1 * g
            v[:] = 0.999 * v + 0.001 * g * g
            m_hat = m / np.float32(1 - 0.9 ** self.t)
            v_hat = v / np.float32(1 - 0.999 ** self.t)
            param -= self.lr * m_hat / (np.sqrt(v_hat) + np.float32(1e-8))


class TorchEpoch:
    """The same MLP, loss and optimizer in PyTorch, idiomatically (nn.Linear, autograd, torch.optim)."""

    def __init__(self, data, hidden: int, optimizer: str, lr: float):
        import torch
        self.torch = torch
        torch.manual_seed(0)
        # torch wants writable arrays; the bundled data is read-only, so give it copies
        self.x, self.y = torch.from_numpy(np.array(data.x_train)), torch.from_numpy(np.array(data.y_train))
        self.model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
        make = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
        self.opt = make(self.model.parameters(), lr=lr)
        self.loss = torch.nn.CrossEntropyLoss()

    def __call__(self) -> float:
        t0 = time.perf_counter()
        perm = self.torch.randperm(len(self.x))
        for i in range(0, len(self.x), BATCH):
            idx = perm[i:i + BATCH]
            self.opt.zero_grad(set_to_none=True)
            self.loss(self.model(self.x[idx]), self.y[idx]).backward()
            self.opt.step()
        return time.perf_counter() - t0


def ours_epoch(trainer: Trainer) -> float:
    t0 = time.perf_counter()
    trainer.run_epoch()
    return time.perf_counter() - t0


def compare(data, case: dict, rounds: int, threads: int) -> dict:
    """Interleaved epochs of ours, the plain loop and PyTorch at one setting; medians and ratios."""
    trainer = Trainer(data, Settings(hidden=(case["hidden"],), optimizer=case["optimizer"], lr=case["lr"],
                                     batch_size=BATCH))
    engines = {"ours": lambda: ours_epoch(trainer), "plain NumPy": PlainEpoch(data, **case)}
    try:
        import torch
        torch.set_num_threads(threads)
        engines["PyTorch"] = TorchEpoch(data, **case)
        torch_info = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        torch_info = "torch not installed"
    times: dict[str, list[float]] = {name: [] for name in engines}
    for epoch in engines.values():
        epoch()  # warm-up
    for _ in range(rounds):  # interleaved, so all see the same machine load
        for name, epoch in engines.items():
            times[name].append(epoch())
    medians = {name: statistics.median(t) for name, t in times.items()}
    floor = flops_per_epoch(len(data.x_train), case["hidden"]) / gemm_rate(BATCH, 784, case["hidden"])
    return {"epoch_s": medians, "all_s": times, "torch": torch_info, "floor_s": floor,
            "ours_vs": {name: medians[name] / medians["ours"] for name in medians if name != "ours"},
            "ours_over_floor": medians["ours"] / floor}


def time_to_accuracy(data, preset_name: str, target: float, max_epochs: int = 12) -> dict:
    """Training seconds (excluding evaluation) until test accuracy first reaches ``target``,
    evaluating after every epoch of the preset."""
    preset = get_preset(preset_name)
    trainer = Trainer(data, preset.settings)
    for _ in range(max_epochs):
        trainer.run_epoch()
        acc = trainer.evaluate("test")[1]
        if acc >= target:
            return {"preset": preset_name, "target": target, "reached": True, "seconds": trainer.elapsed,
                    "epochs": trainer.epoch, "test_accuracy": acc}
    return {"preset": preset_name, "target": target, "reached": False, "seconds": trainer.elapsed,
            "epochs": trainer.epoch, "test_accuracy": acc}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved epochs per engine")
    parser.add_argument("--threads", type=int, default=threads_for(window=False), help="threads of every engine")
    args = parser.parse_args()

    limit_blas(args.threads)
    load_s = time_load()
    data = data_module.load_bundled()
    results = {
        "date": date.today().isoformat(), "threads": args.threads,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"NumPy {np.__version__}",
        "load_bundled_s": load_s,
        "cases": {name: compare(data, case, args.rounds, args.threads) for name, case in CASES.items()},
        "fast_97_5": time_to_accuracy(data, "fast", 0.975),
        "best_98_0": time_to_accuracy(data, "best", 0.980),
    }
    print(json.dumps(results, indent=2) if args.json else markdown(results))


GOALS = {("784-128-10 SGD", "plain NumPy"): "≥ 1.5×", ("784-128-10 SGD", "PyTorch"): "≥ 1.8×",
         ("784-512-10 Adam", "plain NumPy"): "≥ 1.3×", ("784-512-10 Adam", "PyTorch"): "≥ 1.4×"}


def markdown(r: dict) -> str:
    rows = [("Load bundled MNIST (verify SHA-256, best of 5)", f"{r['load_bundled_s']:.3f} s", "≤ 0.3 s")]
    for name, c in r["cases"].items():
        times = ", ".join(f"{engine} {seconds:.3f} s" for engine, seconds in c["epoch_s"].items())
        rows.append((f"{name}, batch 128: epoch (median of interleaved rounds)", times, ""))
        for engine, ratio in c["ours_vs"].items():
            rows.append((f"… ours vs {engine} (same run)", f"{ratio:.2f}× as fast", GOALS.get((name, engine), "")))
        rows.append((f"… ours vs the floor (products at the B×784×H rate: {c['floor_s']:.3f} s)",
                     f"{c['ours_over_floor']:.2f}× the floor", "≤ 1.8×" if "SGD" in name else ""))
    for key, goal in (("fast_97_5", "≤ 1.0 s"), ("best_98_0", "≤ 2.5 s")):
        t = r[key]
        got = (f"{t['seconds']:.2f} s ({t['epochs']:.0f} epochs, {t['test_accuracy']:.2%})" if t["reached"]
               else f"not reached in {t['epochs']:.0f} epochs ({t['test_accuracy']:.2%})")
        rows.append((f"Preset `{t['preset']}` to {t['target']:.1%} test accuracy (training time)", got, goal))
    torch_info = next(iter(r["cases"].values()))["torch"]
    lines = [f"Measured {r['date']} on {r['machine']}, {r['threads']} thread(s) for every engine ({torch_info}).",
             "", "| measure | result | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
