"""How smooth is the window while training runs at full speed? All panels live, 512 hidden units.

Measures, in one process and one run (timings on these machines are noisy: compare within a run):

* redraw rate: frames painted per second (paint events of the weight mosaic's view, and snapshots
  shown by the window);
* event-loop latency: a 10 ms QTimer probe records how late each tick fires (p50 / p99 / max);
* training throughput with the window open, against the headless ``Trainer`` loop with the same
  settings run for a few seconds right before and right after each GUI phase (wall-clock samples
  per second; ``--repeats`` interleaves more rounds);
* launch time: process start to the window's first paint (``run_app`` in a subprocess, median of 3);
* memory: resident set size after warm-up and at the end of the GUI phase.

Run under Xvfb:

    xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/gui_bench.py [--json]
    xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/gui_bench.py --compare-blas --seconds 20

``--compare-blas`` runs the GUI phase once per BLAS thread setting (1 and the library default) —
the measurement behind ``worker.default_threads``.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADLESS_OTHER_LOAD: list[float] = []  # per headless run, see headless_throughput
TARGETS = {"fps": 30.0, "latency_p99_ms": 50.0, "throughput_ratio": 0.85, "launch_s": 1.5}


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def thread_cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) per thread of this process, keyed ``"name/tid"`` (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    result = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        result[f"{name}/{task.name}"] = (int(fields[11]) + int(fields[12])) / tick
    return result


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a whole process (Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_cores(seconds: float = 0.0, _last: list = []) -> float:  # noqa: B006 - a deliberate cache
    """Cores busy on the whole machine since the previous call (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle, total = values[3] + values[4], sum(values[:8])
    busy = 0.0
    if _last:
        d_total, d_idle = total - _last[0], idle - _last[1]
        busy = os.cpu_count() * (d_total - d_idle) / max(1, d_total)
    _last[:] = [total, idle]
    return busy


def cpu_shares(before: dict, after: dict, seconds: float) -> dict[str, float]:
    """CPU use over ``seconds`` in cores (1.0 = one core busy) of the window's GUI (main) thread and
    of the rest of the window's process (snapshot receiver, Qt's own threads)."""
    main = f"/{os.getpid()}"
    shares = {"gui": 0.0, "window_other": 0.0, "threads": {}}
    for key, value in after.items():
        used = (value - before.get(key, 0.0)) / seconds
        shares["gui" if key.endswith(main) else "window_other"] += used
        name = key.split("/")[0]
        shares["threads"][name] = shares["threads"].get(name, 0.0) + used
    return shares


# --------------------------------------------------------------------------- launch time
def launch_child() -> int:
    """Run the real ``run_app``; print the wall time of the first paint, then close."""
    from PySide6 import QtCore

    from mnist_viz.gui.app import run_app

    def hook(window):
        def painted():
            print(f"FIRST_PAINT {time.time():.6f}", flush=True)
            QtCore.QTimer.singleShot(0, window.close)
        window.firstPainted.connect(painted)

    return run_app([sys.argv[0]], on_window=hook)


def measure_launch(repeats: int = 3) -> list[float]:
    """Seconds from process start to first paint, for ``repeats`` fresh processes."""
    times = []
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryDirectory() as config:
        env["XDG_CONFIG_HOME"] = config  # the child's QSettings go to a throwaway folder
        for _ in range(repeats):
            t0 = time.time()
            out = subprocess.run([sys.executable, __file__, "--launch-child"], env=env, capture_output=True,
                                 text=True, timeout=60)
            stamps = [line.split()[1] for line in out.stdout.splitlines() if line.startswith("FIRST_PAINT")]
            if not stamps:
                raise RuntimeError(f"launch child printed no FIRST_PAINT:\n{out.stdout}\n{out.stderr}")
            times.append(float(stamps[0]) - t0)
    return times


# ------------------------------------------------------------------------ headless loop
def headless_throughput(data, settings, seconds: float, blas_threads: int | None = None) -> float:
    """Wall-clock training samples per second of a bare ``Trainer.step`` loop (``blas_threads``
    None = headless by core.parallel's rule, as ``mnist-viz train`` runs)."""
    from mnist_viz.core.parallel import limit_blas, threads_for
    from mnist_viz.core.trainer import Trainer
    from mnist_viz.runtime.shared_data import ARRAY_NAMES, release_pages

    with limit_blas(blas_threads or threads_for(window=False)):
        trainer = Trainer(data, settings)
        for _ in range(20):  # warm-up: caches, BLAS threads, allocator
            trainer.step()
        start_samples, t0 = trainer.samples_seen, time.perf_counter()
        own0, _ = process_cpu_seconds(os.getpid()), machine_busy_cores()
        while time.perf_counter() - t0 < seconds:
            trainer.step()
        elapsed = time.perf_counter() - t0
        # Cores the rest of the machine used meanwhile (other jobs): a slow headless run with a
        # large number here was disturbed, and the ratios against it are inflated.
        HEADLESS_OTHER_LOAD.append(machine_busy_cores() - (process_cpu_seconds(os.getpid()) - own0) / elapsed)
        samples = trainer.samples_seen - start_samples
    # The headless trainer ran in this process and read every image: let go of those pages, which a
    # window (training in its own process) would not have, before the next window phase counts RSS.
    for name in ARRAY_NAMES:
        release_pages(getattr(data, name))
    return samples / elapsed


# ----------------------------------------------------------------------------- GUI phase
class _PaintCounter:
    """Counts paint events of one widget (an event filter)."""

    def __init__(self, widget):
        from PySide6 import QtCore

        class Filter(QtCore.QObject):
            def __init__(self, outer):
                super().__init__()
                self.outer = outer

            def eventFilter(self, obj, event):
                if event.type() == QtCore.QEvent.Type.Paint:
                    self.outer.count += 1
                return False

        self.count = 0
        self._filter = Filter(self)
        widget.installEventFilter(self._filter)


def gui_phase(app, data, settings, seconds: float, warmup: float, variant: dict, profile: str | None = None,
              tabs: list[str] | None = None) -> dict:
    """Open the window, train with every panel live, and measure. ``variant`` (see ``parse_variant``):
    ``threads`` BLAS threads for the training process, ``timeout`` its OPENBLAS_THREAD_TIMEOUT,
    ``nice`` its niceness. ``profile``: write a cProfile of the GUI thread over the measured span to
    this file (it slows the GUI thread down)."""
    saved_timeout = os.environ.get("OPENBLAS_THREAD_TIMEOUT")
    if variant.get("timeout") is not None:
        # Read by OpenBLAS when it loads in the (spawned) training process, which inherits this
        # process's environment at start; the window's own OpenBLAS has long been loaded.
        os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(variant["timeout"])
    try:
        return _gui_phase(app, data, settings, seconds, warmup, variant["threads"], profile, variant, tabs or [])
    finally:
        if saved_timeout is None:
            os.environ.pop("OPENBLAS_THREAD_TIMEOUT", None)
        else:
            os.environ["OPENBLAS_THREAD_TIMEOUT"] = saved_timeout


def parse_variant(text: str) -> dict:
    """``THREADS[:TIMEOUT[:NICE]]``, e.g. ``1``, ``2:4`` (2 BLAS threads, OPENBLAS_THREAD_TIMEOUT=4),
    ``2:4:5`` (and the training process at nice 5); ``default`` threads = the library's default,
    an empty TIMEOUT = the app's choice."""
    from mnist_viz.core.parallel import cores_available

    parts = text.split(":")
    threads = cores_available() if parts[0] == "default" else int(parts[0])  # the library's default: one per core
    timeout = int(parts[1]) if len(parts) > 1 and parts[1] else None
    nice = int(parts[2]) if len(parts) > 2 and parts[2] else None
    return {"threads": threads, "timeout": timeout, "nice": nice, "name": text}


TAB_SECONDS = 2.0  # how long each of --tabs stays shown before the next


def _cycle_tabs(window, tabs: list[str]):
    """A running QTimer that shows the tabs of the window's panels named in ``tabs`` in turn
    (``None`` for no tabs): a lecturer moves between tabs, and only the shown one paints."""
    from PySide6 import QtCore

    if not tabs:
        return None
    panels = [getattr(window, name) for name in tabs]
    window.show_tab(panels[0])
    turn = [0]

    def next_tab():
        turn[0] = (turn[0] + 1) % len(panels)
        window.show_tab(panels[turn[0]])
    timer = QtCore.QTimer()
    timer.timeout.connect(next_tab)
    timer.start(int(TAB_SECONDS * 1000))
    return timer


def _gui_phase(app, data, settings, seconds, warmup, blas_threads, profile, variant, tabs) -> dict:
    from PySide6 import QtCore

    from mnist_viz.gui.app import limit_window_blas
    from mnist_viz.gui.window import MainWindow

    # The window's process limits its own BLAS threads as run_app does; the headless runs around
    # this phase keep theirs.
    with limit_window_blas(), tempfile.TemporaryDirectory() as folder:
        store = QtCore.QSettings(str(Path(folder) / "bench.ini"), QtCore.QSettings.Format.IniFormat)
        window = MainWindow(data, settings, store=store, blas_threads=blas_threads)
        window.resize(1600, 1000)
        window.show()
        window.start()
        window.controls.start_button.click()
        tab_timer = _cycle_tabs(window, tabs)
        paints = _PaintCounter(window.weights._graphics.viewport())
        lateness: list[float] = []
        probe = QtCore.QTimer()
        probe.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        probe.setInterval(10)
        last = [time.perf_counter()]

        def on_probe():
            now = time.perf_counter()
            lateness.append(now - last[0] - 0.010)
            last[0] = now
        probe.timeout.connect(on_probe)
        probe.start()

        def run_for(duration: float) -> None:
            loop = QtCore.QEventLoop()  # a real event loop: idle waiting, as in the app
            QtCore.QTimer.singleShot(int(duration * 1000), loop.quit)
            loop.exec()

        run_for(warmup)
        if variant.get("nice") is not None:
            os.setpriority(os.PRIO_PROCESS, window.worker._process.pid, variant["nice"])
        lateness.clear()
        snap0 = window.latest
        frames0, paints0, t0, rss0 = window.frames, paints.count, time.perf_counter(), rss_mb()
        trainer_pid = window.worker._process.pid
        cpu0, trainer0, _ = thread_cpu_seconds(), process_cpu_seconds(trainer_pid), machine_busy_cores()
        profiler = None
        if profile:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        run_for(seconds)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        t1, snap1, cpu1 = time.perf_counter(), window.latest, thread_cpu_seconds()
        trainer1, machine = process_cpu_seconds(trainer_pid), machine_busy_cores()
        result = {
            "blas_threads": variant["name"],
            "openblas_thread_timeout": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
            "seconds": round(t1 - t0, 2),
            "fps_painted": (paints.count - paints0) / (t1 - t0),
            "fps_snapshots": (window.frames - frames0) / (t1 - t0),
            "latency_p50_ms": float(np.percentile(lateness, 50) * 1e3),
            "latency_p99_ms": float(np.percentile(lateness, 99) * 1e3),
            "latency_max_ms": float(np.max(lateness) * 1e3),
            "samples_per_second": (snap1.samples - snap0.samples) / (t1 - t0),
            "steps": snap1.step,
            "rss_start_mb": rss0,
            "rss_end_mb": rss_mb(),
            "cpu_cores": {**cpu_shares(cpu0, cpu1, t1 - t0), "trainer": (trainer1 - trainer0) / (t1 - t0),
                          "machine": machine},
        }
        probe.stop()
        if tab_timer is not None:
            tab_timer.stop()
        window.close()
        ended = not window.worker.isRunning()
        result["thread_ended_on_close"] = ended
        window.deleteLater()
        app.processEvents()
        del window
        gc.collect()  # the window's Python side is in reference cycles: free it before the next phase
    return result


# ---------------------------------------------------------------------------- reporting
def _thousands(values: list[float]) -> str:
    """``[47237, 56198]`` -> ``"(47k|56k)"``: the headless runs a GUI phase is compared with."""
    return "(" + "|".join(f"{v / 1000:.0f}k" for v in values) + ")"


def print_table(report: dict) -> None:
    rows = [("launch to first paint", f"{report['launch_s']:.2f} s (runs: "
             + ", ".join(f"{t:.2f}" for t in report["launch_runs_s"]) + ")", f"<= {TARGETS['launch_s']} s"),
            ("headless training", f"{report['headless_samples_per_second']:,.0f} samples/s (runs: "
             + ", ".join(f"{p[0]:,.0f}" for p in report["headless_pairs"]) + ")", ""),
            ("headless, 1 BLAS thread", f"{report['headless_1_thread_samples_per_second']:,.0f} samples/s (runs: "
             + ", ".join(f"{p[1]:,.0f}" for p in report["headless_pairs"]) + ")", ""),
            ("headless: rest of machine", "{} cores (per headless run, in order)".format(
                ", ".join(f"{c:.2f}" for c in report["headless_other_load"])), "")]
    for gui in report["gui"]:
        tag = f"[BLAS {gui['blas_threads']}]"
        rows += [
            (f"{tag} redraw", f"{gui['fps_painted']:.1f} frames/s painted, {gui['fps_snapshots']:.1f} snapshots/s",
             f">= {TARGETS['fps']:.0f}"),
            (f"{tag} event latency", (f"p50 {gui['latency_p50_ms']:.1f} ms, p99 {gui['latency_p99_ms']:.1f} ms, "
                                      f"max {gui['latency_max_ms']:.1f} ms"),
             f"p99 <= {TARGETS['latency_p99_ms']:.0f} ms"),
            (f"{tag} training in window", (f"{gui['samples_per_second']:,.0f} samples/s = "
                                           f"{gui['throughput_ratio']:.0%} of headless "
                                           f"{_thousands(gui['headless_neighbours'])} "
                                           f"({gui['throughput_ratio_1_thread']:.0%} of 1-thread "
                                           f"{_thousands(gui['headless_1_neighbours'])})"),
             f">= {TARGETS['throughput_ratio']:.0%}"),
            (f"{tag} memory (RSS)", (f"{gui['rss_start_mb']:.0f} MiB after warm-up -> {gui['rss_end_mb']:.0f} MiB "
                                     f"after {gui['seconds']:.0f} s"), "flat"),
            (f"{tag} CPU use (cores)", "GUI thread {gui:.2f}, window's other threads {window_other:.2f}, "
             "training process {trainer:.2f}".format(**gui["cpu_cores"]), "of 2"),
            (f"{tag} rest of the machine", "{:.2f} cores (X server, and anything else running: noise if large)".format(
                gui["cpu_cores"]["machine"] - gui["cpu_cores"]["gui"] - gui["cpu_cores"]["window_other"]
                - gui["cpu_cores"]["trainer"]), ""),
            (f"{tag} thread ended on close", str(gui["thread_ended_on_close"]), "True"),
        ]
    width = max(len(r[0]) for r in rows)
    tabs = " (tabs shown in turn: " + ", ".join(report["tabs"]) + ")" if report["tabs"] else ""
    print(f"\nmnist-viz GUI benchmark — {report['hidden']}, batch {report['batch_size']}, "
          f"{report['optimizer']}, all panels live{tabs}, {report['screen']}")
    print(f"{'measure':<{width}}  {'result':<72}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<72}  {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", default="512", help="hidden sizes, e.g. 512 or 512,128")
    parser.add_argument("--tabs", default="", metavar="ATTR,...",
                        help="window panels (attribute names, e.g. layer_health,activation_space) whose tabs "
                             "are shown in turn, TAB_SECONDS each, during the GUI phase (default: the first tab)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seconds", type=float, default=60.0, help="GUI phase length (memory is compared over it)")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--headless-seconds", type=float, default=8.0, help="headless run before and after")
    parser.add_argument("--blas-threads", default="worker", help="'worker' (the app's choice), 'default', or N")
    parser.add_argument("--compare-blas", action="store_true", help="GUI phase with 1 and with default BLAS threads")
    parser.add_argument("--variants", nargs="+", metavar="THREADS[:TIMEOUT[:NICE]]",
                        help="GUI phase once per variant, e.g. 1 2 2:4 2:4:5 (see parse_variant)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="rounds of GUI phase(s), each followed by a headless pair (see main)")
    parser.add_argument("--skip-launch", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the GUI thread during the GUI phase")
    parser.add_argument("--launch-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.launch_child:
        return launch_child()

    launch = [] if args.skip_launch else measure_launch()
    from PySide6 import QtGui, QtWidgets

    from mnist_viz.core.data import clear_bundled_cache, load_bundled
    from mnist_viz.core.snapshot import Settings
    from mnist_viz.gui import worker
    from mnist_viz.runtime.shared_data import publish_dataset

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0]])
    # As the app does (gui/app.py): the images published once, the loaded copy dropped, so the RSS
    # measured is the window's and not a second copy only this benchmark would hold.
    data = publish_dataset(load_bundled())
    clear_bundled_cache()
    hidden = tuple(int(h) for h in args.hidden.split(","))
    settings = Settings(hidden=hidden, batch_size=args.batch_size)
    tabs = [t for t in args.tabs.split(",") if t]
    if args.variants:
        names = args.variants
    elif args.compare_blas:
        names = ["1", "default"]
    elif args.blas_threads == "worker":
        names = [str(worker.default_threads())]
    else:
        names = [args.blas_threads]
    variants = [parse_variant(name) for name in names]

    # Headless runs (library-default threads, then 1 thread) before the first GUI phase, between
    # rounds and after the last: each GUI phase is compared with the headless runs on either side
    # of it. Two-thread speed on these shared machines drifts between runs (seen: 36k to 62k
    # samples/s minutes apart, 1-thread speed steady), so a single before/after pair can mislead.
    def headless_pair() -> tuple[float, float]:
        return (headless_throughput(data, settings, args.headless_seconds),
                headless_throughput(data, settings, args.headless_seconds, blas_threads=1))

    pairs = [headless_pair()]
    guis = []
    for _ in range(args.repeats):
        round_guis = [gui_phase(app, data, settings, args.seconds, args.warmup, v, args.profile, tabs)
                      for v in variants]
        pairs.append(headless_pair())
        for gui in round_guis:
            gui["headless_neighbours"] = [pairs[-2][0], pairs[-1][0]]
            gui["headless_1_neighbours"] = [pairs[-2][1], pairs[-1][1]]
            gui["throughput_ratio"] = gui["samples_per_second"] / statistics.mean(gui["headless_neighbours"])
            gui["throughput_ratio_1_thread"] = gui["samples_per_second"] / statistics.mean(gui["headless_1_neighbours"])
        guis += round_guis
    headless = statistics.mean(p[0] for p in pairs)
    headless_1 = statistics.mean(p[1] for p in pairs)
    screen = QtGui.QGuiApplication.primaryScreen().size()
    report = {"hidden": "784-" + "-".join(map(str, hidden)) + "-10", "tabs": tabs,
              "batch_size": args.batch_size, "optimizer": settings.optimizer,
              "screen": f"{screen.width()}x{screen.height()} ({QtGui.QGuiApplication.platformName()})",
              "launch_runs_s": launch, "launch_s": statistics.median(launch) if launch else float("nan"),
              "headless_samples_per_second": headless, "headless_pairs": pairs,
              "headless_1_thread_samples_per_second": headless_1, "headless_other_load": HEADLESS_OTHER_LOAD,
              "gui": guis}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
