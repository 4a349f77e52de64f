"""Where does the window's GUI thread spend a frame? All panels live, training at full speed.

Opens the window as ``gui_bench.py`` does (512 hidden units, Adam, batch 128), trains, and times
on the GUI thread (``time.thread_time``: CPU, not waiting) for ``--seconds``:

* each panel's ``show_snapshot`` (the NumPy work and the Qt calls that set its items);
* each pyqtgraph view's ``paintEvent`` (its scene walk and the images and curves it draws);
* the top-level window's repaint (``UpdateRequest``: every widget's paint plus the flush to the X
  server), of which the pyqtgraph views are a part;
* the GUI thread's whole CPU time over the span, from /proc, so the rest (the event loop,
  receiving snapshots, timers) is what the above leave.

Results are milliseconds of GUI-thread CPU per frame shown, and the GUI thread's cores in all.

    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/frame_breakdown.py --seconds 20
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gui_bench import thread_cpu_seconds  # noqa: E402


class Clock:
    """GUI-thread CPU seconds accumulated per name (``time.thread_time``)."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.counts: collections.Counter[str] = collections.Counter()
        self.on = False

    def wrap(self, name: str, function):
        def timed(*args, **kwargs):
            if not self.on:
                return function(*args, **kwargs)
            t0 = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.thread_time() - t0
                self.counts[name] += 1
        return timed


def _owner_name(widget, names: dict[int, str]) -> str:
    """The name of the panel (an attribute of the window) that holds ``widget``."""
    while widget is not None:
        name = names.get(id(widget))
        if name is not None:
            return name
        widget = widget.parent()
    return "other view"


def instrument(window, clock: Clock) -> None:
    """Time every panel's ``show_snapshot`` and every pyqtgraph view's paint in ``window``."""
    import pyqtgraph as pg

    from mnist_viz.gui.panels.base import Panel

    names = {id(value): name for name, value in vars(window).items() if isinstance(value, Panel)}
    for panel_name in ("status_label", "metrics", "banner", "timeline"):
        names.setdefault(id(getattr(window, panel_name)), panel_name)
    for key, name in names.items():
        panel = next(v for v in vars(window).values() if id(v) == key)
        if hasattr(panel, "show_snapshot"):
            panel.show_snapshot = clock.wrap(f"show_snapshot: {name}", panel.show_snapshot)
    window.worker.take_snapshot = clock.wrap("receive snapshot (take_snapshot)", window.worker.take_snapshot)
    window.timeline.offer = clock.wrap("timeline.offer", window.timeline.offer)
    window._sync_controls = clock.wrap("sync controls", window._sync_controls)
    paint = pg.GraphicsView.paintEvent

    def timed_paint(view, event):
        if not clock.on:
            return paint(view, event)
        t0 = time.thread_time()
        try:
            return paint(view, event)
        finally:
            name = f"paint view: {_owner_name(view, names)}"
            clock.seconds[name] += time.thread_time() - t0
            clock.counts[name] += 1
    pg.GraphicsView.paintEvent = timed_paint


def window_class(clock: Clock):
    """MainWindow with its top-level repaint (UpdateRequest: paint every dirty widget, flush) timed."""
    from PySide6 import QtCore

    from mnist_viz.gui.window import MainWindow

    class TimedWindow(MainWindow):
        def show_snapshot(self, snap):
            clock.wrap("MainWindow.show_snapshot (all panels)", super().show_snapshot)(snap)

        def event(self, event):
            if not clock.on or event.type() != QtCore.QEvent.Type.UpdateRequest:
                return super().event(event)
            t0 = time.thread_time()
            try:
                return super().event(event)
            finally:
                clock.seconds["window repaint (all widgets + flush)"] += time.thread_time() - t0
                clock.counts["window repaint (all widgets + flush)"] += 1
    return TimedWindow


def run(seconds: float, warmup: float, hidden: tuple[int, ...], size: tuple[int, int]) -> dict:
    from PySide6 import QtCore, QtWidgets

    from mnist_viz.core.data import clear_bundled_cache, load_bundled
    from mnist_viz.core.snapshot import Settings
    from mnist_viz.gui import worker
    from mnist_viz.gui.app import limit_window_blas
    from mnist_viz.runtime.shared_data import publish_dataset

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0]])
    data = publish_dataset(load_bundled())
    clear_bundled_cache()
    clock = Clock()
    with limit_window_blas(), tempfile.TemporaryDirectory() as folder:
        store = QtCore.QSettings(str(Path(folder) / "bench.ini"), QtCore.QSettings.Format.IniFormat)
        window = window_class(clock)(data, Settings(hidden=hidden, batch_size=128), store=store,
                                     blas_threads=worker.default_threads())
        instrument(window, clock)
        window.resize(*size)
        window.show()
        window.start()
        window.controls.start_button.click()

        def run_for(duration: float) -> None:
            loop = QtCore.QEventLoop()
            QtCore.QTimer.singleShot(int(duration * 1000), loop.quit)
            loop.exec()

        run_for(warmup)
        main = f"/{os.getpid()}"
        cpu0 = sum(v for k, v in thread_cpu_seconds().items() if k.endswith(main))
        frames0, t0 = window.frames, time.perf_counter()
        clock.on = True
        run_for(seconds)
        clock.on = False
        elapsed = time.perf_counter() - t0
        cpu1 = sum(v for k, v in thread_cpu_seconds().items() if k.endswith(main))
        frames = window.frames - frames0
        window.close()
        app.processEvents()
    per_frame = {name: 1e3 * s / frames for name, s in clock.seconds.most_common()}
    return {"seconds": elapsed, "frames": frames, "fps": frames / elapsed,
            "gui_thread_cores": (cpu1 - cpu0) / elapsed, "gui_thread_ms_per_frame": 1e3 * (cpu1 - cpu0) / frames,
            "ms_per_frame": per_frame, "calls_per_frame": {n: c / frames for n, c in clock.counts.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--hidden", default="512")
    parser.add_argument("--size", default="1600x1000", help="window size WxH")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    result = run(args.seconds, args.warmup, tuple(int(h) for h in args.hidden.split(",")), (width, height))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"\nGUI thread per frame — 784-{args.hidden.replace(',', '-')}-10, Adam, window {args.size}, "
          f"{result['fps']:.1f} frames/s over {result['seconds']:.0f} s")
    print(f"GUI thread in all: {result['gui_thread_cores']:.2f} cores = "
          f"{result['gui_thread_ms_per_frame']:.2f} ms/frame")
    for name, ms in result["ms_per_frame"].items():
        print(f"  {ms:6.2f} ms  ({result['calls_per_frame'][name]:.2f} calls/frame)  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
