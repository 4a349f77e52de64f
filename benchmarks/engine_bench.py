"""Engine benchmarks whose output goes into the README.

    python benchmarks/engine_bench.py            # markdown table on stdout
    python benchmarks/engine_bench.py --json     # the same numbers as JSON

Measures, in one process so that ratios are fair on a shared machine:
1. load time of the bundled MNIST (best of 5, cold module cache each time);
2. training throughput of our NumPy engine and of PyTorch (if installed) on the same
   784-128-10 ReLU MLP, batch 128, plain SGD, float32 — epochs interleaved ours/theirs so both see
   the same machine load — and their ratio;
3. the matmul floor: FLOPs one epoch needs divided by the GEMM rate this machine reaches
   (a large square SGEMM, and the network's own 128x784x128 shape);
4. time-to-accuracy of the `fast` and `best` presets (training seconds until 97.5% / 98.0% test).
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
from mnist_viz.core.presets import get_preset
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer

H, BATCH, LR = 128, 128, 0.05


def flops_per_epoch(n: int, hidden: int = H, batch_grad_input: bool = False) -> float:
    """Multiply-adds x2 for one epoch of 784-H-10: forward, weight gradients, and the hidden-layer
    gradient (the input-pixel gradient is never needed; ``batch_grad_input`` adds it for reference)."""
    fwd = 2 * (784 * hidden + hidden * 10)
    bwd = 2 * (784 * hidden) + 2 * (hidden * 10) * 2
    extra = 2 * 784 * hidden if batch_grad_input else 0
    return n * (fwd + bwd + extra)


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


class TorchEpoch:
    """The same MLP, loss and SGD in PyTorch, idiomatically (nn.Linear, autograd, optim.SGD)."""

    def __init__(self, data):
        import torch
        self.torch = torch
        torch.manual_seed(0)
        # torch wants writable arrays; the bundled data is read-only, so give it copies
        self.x, self.y = torch.from_numpy(np.array(data.x_train)), torch.from_numpy(np.array(data.y_train))
        self.model = torch.nn.Sequential(torch.nn.Linear(784, H), torch.nn.ReLU(), torch.nn.Linear(H, 10))
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.loss = torch.nn.CrossEntropyLoss()

    def __call__(self) -> float:
        torch = self.torch
        t0 = time.perf_counter()
        perm = torch.randperm(len(self.x))
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


def throughput(data, rounds: int) -> dict:
    trainer = Trainer(data, Settings(hidden=(H,), optimizer="sgd", lr=LR, batch_size=BATCH))
    ours_epoch(trainer)  # warm-up
    try:
        torch_epoch = TorchEpoch(data)
        torch_epoch()
        import torch
        torch_info = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        torch_epoch, torch_info = None, "torch not installed"
    ours, theirs = [], []
    for _ in range(rounds):  # interleaved, so both see the same machine load
        ours.append(ours_epoch(trainer))
        if torch_epoch:
            theirs.append(torch_epoch())
    result = {"ours_epoch_s": statistics.median(ours),
              "ours_samples_per_s": len(data.x_train) / statistics.median(ours),
              "ours_all": ours, "torch": torch_info}
    if theirs:
        result.update(torch_epoch_s=statistics.median(theirs), torch_all=theirs,
                      speedup_vs_torch=statistics.median(theirs) / statistics.median(ours))
    return result


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
    args = parser.parse_args()

    load_s = time_load()
    data = data_module.load_bundled()
    tp = throughput(data, args.rounds)
    peak = gemm_rate(2048, 2048, 2048)
    layer_rate = gemm_rate(BATCH, 784, H)
    flops = flops_per_epoch(len(data.x_train))
    results = {
        "date": date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {np.__version__}",
        "load_bundled_s": load_s, "throughput": tp,
        "gemm_peak_gflops": peak / 1e9, "gemm_layer_shape_gflops": layer_rate / 1e9,
        "epoch_gflop": flops / 1e9,
        "floor_ratio_peak": tp["ours_epoch_s"] / (flops / peak),
        "floor_ratio_layer_shape": tp["ours_epoch_s"] / (flops / layer_rate),
        "fast_97_5": time_to_accuracy(data, "fast", 0.975),
        "best_98_0": time_to_accuracy(data, "best", 0.980),
    }
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(markdown(results))


def markdown(r: dict) -> str:
    tp = r["throughput"]
    rows = [
        ("Load bundled MNIST (verify SHA-256, best of 5)", f"{r['load_bundled_s']:.3f} s", "≤ 0.3 s"),
        ("Our epoch, 784-128-10 SGD batch 128 (median)", (f"{tp['ours_epoch_s']:.3f} s "
                                                          f"({tp['ours_samples_per_s']:,.0f} samples/s)"), ""),
    ]
    if "torch_epoch_s" in tp:
        rows += [(f"PyTorch epoch, same net ({tp['torch']})", f"{tp['torch_epoch_s']:.3f} s", ""),
                 ("Speed-up vs PyTorch (same run)", f"{tp['speedup_vs_torch']:.2f}×", "≥ 1.2×")]
    rows += [
        (f"Matmul floor: {r['epoch_gflop']:.1f} GFLOP/epoch ÷ peak SGEMM {r['gemm_peak_gflops']:.0f} GFLOP/s",
         f"{r['floor_ratio_peak']:.2f}× the floor", "aim ≤ 1.4×"),
        (f"… ÷ SGEMM at the layer's shape 128×784×128, {r['gemm_layer_shape_gflops']:.0f} GFLOP/s",
         f"{r['floor_ratio_layer_shape']:.2f}× the floor", ""),
    ]
    for key, goal in (("fast_97_5", "≤ 1.5 s"), ("best_98_0", "≤ 5 s")):
        t = r[key]
        got = (f"{t['seconds']:.2f} s ({t['epochs']:.0f} epochs, {t['test_accuracy']:.2%})" if t["reached"]
               else f"not reached in {t['epochs']:.0f} epochs ({t['test_accuracy']:.2%})")
        rows.append((f"Preset `{t['preset']}` to {t['target']:.1%} test accuracy (training time)", got, goal))
    lines = [f"Measured {r['date']} on {r['machine']}.", "", "| measure | result | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
