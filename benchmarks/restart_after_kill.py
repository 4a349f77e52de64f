"""How long a lecture waits after ``kill -9`` of the training process: until the window hears of it,
and until training goes on from the last weights it received (issue 9: within 1 s and 3 s).

    python benchmarks/restart_after_kill.py [--repeats 5] [--hidden 512]
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtWidgets

from mnist_viz.core.data import load_dataset
from mnist_viz.core.snapshot import Settings
from mnist_viz.gui import worker as worker_module
from mnist_viz.gui.worker import TrainingWorker


def wait(app, predicate, timeout: float = 20.0) -> float:
    t0 = time.perf_counter()
    while not predicate():
        app.processEvents()
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError
        time.sleep(0.002)
    return time.perf_counter()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=128)
    args = ap.parse_args()
    app = QtWidgets.QApplication([])
    worker_module.RESTART_LIMIT = args.repeats  # the window gives up after 3 deaths a minute; here we kill on purpose
    worker = TrainingWorker(load_dataset(None), Settings(hidden=(args.hidden,)))
    latest = {"step": 0, "lost": None}

    def on_snapshot() -> None:
        snap = worker.take_snapshot()
        if snap is not None:
            latest["step"] = snap.step

    worker.snapshotReady.connect(on_snapshot)
    worker.processLost.connect(lambda message: latest.update(lost=time.perf_counter()))
    worker.start()
    worker.play()
    noticed, resumed = [], []
    for _ in range(args.repeats):
        wait(app, lambda: latest["step"] > 200)
        time.sleep(0.5)  # a moment of training, as in a lecture
        app.processEvents()
        latest["lost"] = None
        before = latest["step"]
        killed = time.perf_counter()
        os.kill(worker.training_pid(), signal.SIGKILL)
        wait(app, lambda: latest["lost"] is not None)
        noticed.append(latest["lost"] - killed)
        resumed.append(wait(app, lambda before=before: latest["step"] > before + 1) - killed)
    worker.stop(3000)
    print(f"# {time.strftime('%Y-%m-%d')}, 784-{args.hidden}-10, {args.repeats} kills: seconds from kill -9 to ...")
    print(f"noticed by the window:      median {statistics.median(noticed):.3f}  max {max(noticed):.3f}")
    print(f"training again, new steps:  median {statistics.median(resumed):.3f}  max {max(resumed):.3f}")


if __name__ == "__main__":
    main()
