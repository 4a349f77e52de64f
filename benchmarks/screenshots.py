"""Drive the real app as a lecturer would and save a screenshot after each step.

    xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/screenshots.py docs/screenshots/
    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/screenshots.py docs/screenshots/ --size 1920x1080

Script: start training, drag the learning-rate slider, drag the hidden-size slider down to 16 and up
to 512, pause, step one batch, load the "learning rate far too high" preset until it diverges, then
lower the learning rate and restore; finally run the "fast" preset to the end of its 3 epochs.
The window is ``run_app``'s own, with its settings kept in a
throwaway folder so the user's are untouched.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def drag(slider, target: int, steps: int = 12) -> None:
    """Move ``slider`` to ``target`` the way a mouse drag does: held down, several positions, released."""
    slider.setSliderDown(True)
    start = slider.value()
    for i in range(1, steps + 1):
        slider.setSliderPosition(round(start + (target - start) * i / steps))
    slider.setSliderDown(False)


def script(window, out: Path, size: tuple[int, int], app_quit):
    """The steps as ``(action, seconds to let it show, screenshot name or None)``."""
    from mnist_viz.gui.panels.controls import hidden_to_slider, lr_to_slider

    c = window.controls

    def preset(name):
        def load():
            c.set_has_progress(False)  # no question box in a script
            c.preset_combo.setCurrentIndex(c.preset_combo.findData(name))
            c.preset_combo.activated.emit(c.preset_combo.currentIndex())
        return load

    def diverge_if_needed():
        # The preset diverges on its own within a few hundred steps; if this run has not (a lucky
        # seed), push the rate far enough that the very next step overflows.
        if not (window.latest and window.latest.diverged):
            window.worker.update_settings(lr=1e30)

    return [
        (lambda: window.resize(*size), 1.0, "01-start"),
        (c.start_button.click, 4.0, "02-training"),
        (lambda: drag(c.lr_slider, lr_to_slider(0.003)), 3.0, "03-lr-dragged"),
        (lambda: drag(c.hidden_slider, hidden_to_slider(16)), 4.0, "04-hidden-16"),
        (lambda: drag(c.hidden_slider, hidden_to_slider(512)), 4.0, "05-hidden-512"),
        (c.start_button.click, 1.0, "06-paused"),
        (c.step_button.click, 1.0, "07-stepped"),
        (preset("lr-too-high"), 1.0, "08-preset-lr-too-high"),
        (c.start_button.click, 4.0, None),
        (diverge_if_needed, 1.5, "09-diverged"),
        (window.banner.restore_lower_button.click, 4.0, "10-restored-lower-lr"),
        (preset("fast"), 1.0, None),
        (c.start_button.click, 6.0, "11-preset-finished"),  # 3 epochs: pauses and reports by itself
        (app_quit, 0, None),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="folder for the PNG files")
    parser.add_argument("--size", default="1600x1000", help="window size, e.g. 1920x1080")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    suffix = "" if size == (1600, 1000) else f"-{size[0]}x{size[1]}"
    os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="mnist-viz-shots-"))

    from PySide6 import QtCore

    from mnist_viz.gui.app import run_app

    written = []

    def on_window(window):
        steps = script(window, out, size, window.close)

        def run(i: int) -> None:
            action, settle, name = steps[i]
            action()
            if i + 1 < len(steps):
                QtCore.QTimer.singleShot(int(settle * 1000), lambda: shoot_then_run(i, name))

        def shoot_then_run(i: int, name: str | None) -> None:
            if name:
                path = out / f"{name}{suffix}.png"
                window.grab().save(str(path))
                written.append(path)
            run(i + 1)

        QtCore.QTimer.singleShot(500, lambda: run(0))

    code = run_app([sys.argv[0]], on_window=on_window)
    for path in written:
        print(path)
    return code


if __name__ == "__main__":
    sys.exit(main())
