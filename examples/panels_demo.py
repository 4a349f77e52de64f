"""All display panels in one window, fed by a short real training run; saves a screenshot.

    python examples/panels_demo.py out.png [--hidden 16] [--steps 300] [--ablate 3]
    python examples/panels_demo.py --bench [--hidden 512]     # time show_snapshot per panel

Under a headless machine: ``QT_QPA_PLATFORM=offscreen python examples/panels_demo.py out.png`` (or
``xvfb-run -a -s "-screen 0 1600x1000x24" python examples/panels_demo.py out.png``). It needs the
package installed (``pip install -e .``); it exits when the picture is saved.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time

import numpy as np
from PySide6 import QtWidgets

from mnist_viz.core.data import load_bundled
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.curves import CurvesPanel
from mnist_viz.gui.panels.output_weights import OutputWeightsPanel
from mnist_viz.gui.panels.probes import ProbesPanel
from mnist_viz.gui.panels.samples import SampleGridPanel
from mnist_viz.gui.panels.weights import WeightsPanel


def build_window(data) -> tuple[QtWidgets.QWidget, list]:
    """A 1600x1000 window: curves | weights over probes | output weights + samples."""
    curves, weights, output = CurvesPanel(), WeightsPanel(), OutputWeightsPanel()
    probes, samples = ProbesPanel(data), SampleGridPanel(data, count=24)
    window = QtWidgets.QWidget()
    window.setWindowTitle("mnist-viz panels demo")
    grid = QtWidgets.QGridLayout(window)
    grid.addWidget(curves, 0, 0)
    grid.addWidget(weights, 0, 1)
    grid.addWidget(output, 0, 2)
    grid.addWidget(probes, 1, 0, 1, 2)
    grid.addWidget(samples, 1, 2)
    grid.setColumnStretch(0, 4)
    grid.setColumnStretch(1, 4)
    grid.setColumnStretch(2, 3)
    grid.setRowStretch(0, 3)
    grid.setRowStretch(1, 2)
    window.resize(1600, 1000)
    return window, [curves, weights, output, probes, samples]


def feed(trainer: Trainer, panels: list, probes: ProbesPanel, steps: int, every: int, app) -> list:
    """Train ``steps`` steps, showing a snapshot every ``every`` steps; returns the snapshots."""
    probe_x = probes.probe_images()
    snaps = []
    trainer.add_marker("start")
    for i in range(steps):
        trainer.step()
        if (i + 1) % 100 == 0:
            trainer.record_evaluation()
        if (i + 1) == steps // 2:
            trainer.update(lr=trainer.settings.lr * 0.5)
        if (i + 1) % every == 0 or i + 1 == steps:
            snap = trainer.snapshot(probe_x)
            snaps.append(snap)
            for panel in panels:
                panel.show_snapshot(snap)
            app.processEvents()
    return snaps


def bench(hidden: int, repeats: int = 60) -> None:
    """Median and max ``show_snapshot`` time per panel at ``hidden`` units."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    data = load_bundled()
    window, panels = build_window(data)
    window.show()
    app.processEvents()
    trainer = Trainer(data, Settings(hidden=(hidden,), train_subset=5000))
    probe_x = panels[3].probe_images()
    snaps = []
    for _ in range(repeats):
        for _ in range(3):
            trainer.step()
        snaps.append(trainer.snapshot(probe_x))
    panels[0].show_snapshot(_long_history(snaps[0]))  # time the curves with their buffers full
    for panel in panels:
        times = []
        for snap in snaps:
            t0 = time.perf_counter()
            panel.show_snapshot(snap)
            times.append(time.perf_counter() - t0)
            app.processEvents()  # paint, as the window's timer would between frames
        times = np.array(times[5:]) * 1e3
        print(f"{type(panel).__name__:20s} H={hidden}: median {np.median(times):.2f} ms, "
              f"p90 {np.percentile(times, 90):.2f} ms, max {times.max():.2f} ms")
    # Painting happens after show_snapshot, on the same thread; report it too.
    t0 = time.perf_counter()
    for snap in snaps[:20]:
        for panel in panels:
            panel.show_snapshot(snap)
        window.repaint()
    print(f"all panels, show_snapshot + synchronous repaint: {(time.perf_counter() - t0) / 20 * 1e3:.1f} ms/frame")


def _long_history(snap, rows: int = 30_000):
    """``snap`` carrying ``rows`` synthetic per-step rows and 300 evaluations: an hour of curves."""
    step = np.arange(1, rows + 1, dtype=np.float64)
    loss = 2.3 * np.exp(-step / 3000) + 0.05 + 0.05 * np.random.default_rng(0).random(rows)
    steps = np.column_stack([step, step * 128 / 60_000, step * 128, loss, 1 - loss / 2.5])
    evals = steps[::100, :3]
    evals = np.column_stack([evals, steps[::100, 3], steps[::100, 4], steps[::100, 4]])
    return dataclasses.replace(snap, new_steps=steps, new_evals=evals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", default="panels.png", help="PNG file to write")
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--every", type=int, default=10, help="steps between snapshots")
    parser.add_argument("--ablate", type=int, default=2, help="switch off this many hidden units")
    parser.add_argument("--bench", action="store_true", help="time show_snapshot instead of saving a picture")
    args = parser.parse_args(argv)
    if args.bench:
        bench(args.hidden)
        return 0
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    data = load_bundled()
    window, panels = build_window(data)
    window.show()
    app.processEvents()
    trainer = Trainer(data, Settings(hidden=(args.hidden,), lr=2e-3))
    trainer.net.unit_mask[0][: args.ablate] = 0  # show how switched-off units look
    feed(trainer, panels, panels[3], args.steps, args.every, app)
    app.processEvents()
    if not window.grab().save(args.out):
        print(f"could not write {args.out}", file=sys.stderr)
        return 1
    rows, cols = panels[1].layout_shape
    print(f"wrote {args.out} (weights grid {rows} x {cols}, view range {panels[1]._view.viewRange()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
