"""A mock lecture with the lecture tools, screenshot after each step (the README's pictures).

    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/lecture_screenshots.py docs/screenshots/ --size 1920x1080

Script: load the "dead ReLUs" scenario and let it run, switch to the fast preset and train, draw a
digit and pin it to the probes, inspect and ablate a hidden unit, open the confusion matrix and
click its worst cell, scrub the timeline back, enter presentation mode (larger text, the mosaic
enlarged), and export a panel. Reuses ``screenshots.py``'s driver.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import screenshots


def lecture(window, out: Path, size: tuple[int, int], app_quit):
    """``(action, seconds to let it show, screenshot name or None)`` steps."""
    c = window.controls
    export_dir = Path(tempfile.mkdtemp(prefix="mnist-viz-export-"))

    def scenario(name):
        return lambda: window.choose_scenario(name, confirm=True)

    def draw_and_pin():
        window.show_tab(window.drawing)
        # a "2": a top arc, a diagonal, a base stroke, in canvas pixels (280 x 280)
        arc = [(90 + 100 * (1 - np.cos(t)) / 2, 90 - 50 * np.sin(t)) for t in np.linspace(0.2, np.pi, 12)]
        window.drawing.draw_stroke(arc + [(95, 220), (200, 220)])

    def pin():
        image = window.drawing.network_input()
        if image is not None:
            window.pin_drawing(image, 2)

    def inspect_unit():
        snap = window.latest
        unit = int(np.argmax(np.abs(snap.W_out).sum(axis=1))) if snap is not None else 0
        window._on_unit_clicked(unit)
        window.inspected = unit

    def ablate():
        window.unit_inspector.ablateRequested.emit(window.inspected, False)

    def worst_cell():
        window.show_tab(window.confusion)
        m = window.confusion.matrix()
        if m is not None and m.sum():
            off = m - np.diag(np.diag(m))
            t, p = np.unravel_index(np.argmax(off), off.shape)
            window.confusion.select_cell(int(t), int(p))

    def scrub_back():
        c.start_button.click() if window.latest.loop.playing else None
        window.show_tab(window.probes)
        if len(window.timeline.timeline) > 2:
            window.timeline.scrub_to(len(window.timeline.timeline) // 5)

    def presentation():
        window.timeline.go_live()
        window.zoom.set_factor(1.3)
        window.focus.toggle(window.frames_by_name["weights"])

    def leave_presentation():
        window.focus.restore()
        window.zoom.reset()
        window.files.export_panel(window.templates, str(export_dir / "templates.svg"))
        window.files.export_panel(window.weights, str(export_dir / "mosaic.png"))

    return [
        (lambda: window.resize(*size), 1.0, None),
        (scenario("dead-relu"), 1.0, None),
        (c.start_button.click, 6.0, "l01-scenario-dead-relu"),
        (scenario("fast"), 1.0, None),
        (c.start_button.click, 8.0, "l02-fast-training"),
        (draw_and_pin, 2.0, "l03-draw"),
        (pin, 2.0, "l04-pinned-drawing"),
        (inspect_unit, 2.0, "l05-inspect-unit"),
        (ablate, 3.0, "l06-unit-ablated"),
        (lambda: window.show_tab(window.templates), 2.0, "l07-class-templates"),
        (worst_cell, 2.0, "l08-confusion-cell"),
        (scrub_back, 2.0, "l09-timeline-scrubbed"),
        (presentation, 2.0, "l10-presentation-mosaic"),
        (leave_presentation, 1.0, None),
        (app_quit, 0, None),
    ]


if __name__ == "__main__":
    screenshots.script = lecture  # same driver, different script
    sys.exit(screenshots.main())
