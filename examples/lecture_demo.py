"""The lecture-tool panels fed by a short real training run; saves one PNG per panel.

    python examples/lecture_demo.py OUTDIR [--hidden 64] [--steps 600]

Under a headless machine: ``QT_QPA_PLATFORM=offscreen python examples/lecture_demo.py /tmp/lecture`` (or
``xvfb-run -a -s "-screen 0 1600x1000x24" python examples/lecture_demo.py /tmp/lecture``). It needs the
package installed (``pip install -e .``); it exits when the pictures are saved.

It trains briefly, draws a "7" on the drawing pad, inspects (and switches off) the hidden unit
that votes most strongly, opens the most confused cell of the confusion matrix, scrubs the
timeline half-way back, and grabs each panel (also an SVG and a 2x PNG through ``gui.export``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PySide6 import QtWidgets

from mnist_viz.core.data import load_bundled
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.export import export_widget_png, export_widget_svg
from mnist_viz.gui.panels.confusion import ConfusionPanel
from mnist_viz.gui.panels.drawing import DrawingPanel
from mnist_viz.gui.panels.templates import ClassTemplatesPanel
from mnist_viz.gui.panels.timeline import TimelinePanel
from mnist_viz.gui.panels.unit_inspector import UnitInspectorPanel
from mnist_viz.gui.presentation import apply_theme

# A "7" as a lecturer would draw it: a top bar, then a slanted stroke down (canvas pixels, y down).
SEVEN = [(70, 62), (130, 58), (205, 60), (190, 95), (165, 140), (145, 185), (130, 228)]

SIZES = {"drawing": (1200, 760), "unit_inspector": (1100, 720), "templates": (1300, 560),
         "confusion": (1500, 860), "timeline": (1300, 200)}


def train(trainer: Trainer, steps: int, probe_x: np.ndarray, panels: dict, app) -> list:
    """Train ``steps`` steps; every 20 steps a snapshot goes to every panel and to the timeline;
    every 100 an evaluation with test-set predictions (for the confusion matrix)."""
    snaps = []
    for i in range(1, steps + 1):
        trainer.step()
        if i % 100 == 0 or i == steps:
            trainer.record_evaluation(test_predictions=True)
        if i % 20 == 0 or i == steps:
            snap = trainer.snapshot(probe_x)
            snaps.append(snap)
            feed(snap, panels)
            app.processEvents()
    return snaps


def feed(snap, panels: dict) -> None:
    panels["timeline"].offer(snap)
    for name, panel in panels.items():
        if name != "timeline":
            panel.show_snapshot(snap)


def strongest_unit(W_out: np.ndarray) -> int:
    """The hidden unit with the largest outgoing weights (the one whose loss should hurt most)."""
    return int(np.argmax(np.abs(W_out).sum(axis=1)))


def most_confused(counts: np.ndarray) -> tuple[int, int]:
    off = counts.copy()
    np.fill_diagonal(off, -1)
    t, p = np.unravel_index(int(np.argmax(off)), off.shape)
    return int(t), int(p)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    apply_theme(app)
    data = load_bundled()
    trainer = Trainer(data, Settings(hidden=(args.hidden,), train_subset=20_000, seed=1))
    probe_x = np.array(data.x_test[:10], dtype=np.float32)
    panels = {"drawing": DrawingPanel(), "unit_inspector": UnitInspectorPanel(),
              "templates": ClassTemplatesPanel(), "confusion": ConfusionPanel(data), "timeline": TimelinePanel()}
    for name, panel in panels.items():
        panel.setWindowTitle(f"mnist-viz — {name}")
        panel.resize(*SIZES[name])
        panel.show()
    app.processEvents()

    panels["drawing"].draw_stroke(SEVEN)
    snaps = train(trainer, args.steps, probe_x, panels, app)

    inspector = panels["unit_inspector"]
    unit = strongest_unit(snaps[-1].W_out)
    inspector.set_unit(unit)
    inspector.set_probe_index(0)
    inspector.set_probe_images(probe_x)  # its arithmetic: z = Σ wᵢxᵢ + b on the first probe
    inspector.ablateRequested.connect(lambda u, on: trainer.set_unit_enabled(u, on))
    inspector.ablate_button.click()  # as the lecturer would: switch the unit off ...
    trainer.record_evaluation(test_predictions=True)  # ... and the next evaluation shows the cost
    feed(trainer.snapshot(probe_x), panels)

    confusion = panels["confusion"]
    confusion.select_cell(*most_confused(confusion.matrix()))
    timeline = panels["timeline"]
    timeline.scrub_to(len(timeline.timeline) // 2)
    panels["templates"].flush()
    for _ in range(5):
        app.processEvents()

    for name, panel in panels.items():
        path = args.outdir / f"{name}.png"
        panel.grab().save(str(path))
        print(f"wrote {path}")
    print(f"wrote {export_widget_svg(confusion, args.outdir / 'confusion.svg')}")
    print(f"wrote {export_widget_png(panels['templates'], args.outdir / 'templates_2x.png', scale=2.0)}")
    acc = trainer.history.evals.column("eval_accuracy")
    print(f"unit {unit} switched off: accuracy {acc[-2]:.1%} -> {acc[-1]:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
