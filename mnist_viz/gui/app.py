"""``run_app``: start Qt, load the data, show the window, run the event loop.

Launch time matters (a lecturer opens the app in front of a room), so the data starts loading on a
helper thread *before* Qt and pyqtgraph are imported: decompressing MNIST (zlib releases the GIL)
and importing the GUI libraries then overlap on the two cores instead of adding up.

Before Qt starts, ``environment.window_problem`` checks that a window can open at all.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable

from mnist_viz.gui.environment import EXIT_NO_WINDOW, display_problem, x11_problem

# Signals that end the app: Ctrl+C in the terminal, `kill` or `timeout`, the terminal closing or a logout.
# BLAS threads of the window's own process (its matrix products: the activation-space map, a deeper
# unit's top images, templates). The training process has its own setting (worker.default_threads).
# With the library's default (one per core) the window's products spun a second core the training
# process was using: at 784-512-128-10 with the Health and Space tabs shown, gui_bench measured
# 27-32 frames/s, event latency p99 24-72 ms and training at 67-78% of the one-thread headless
# trainer; with one thread 33 frames/s, p99 25-27 ms and 89-91% (2026-12-02, README).
WINDOW_BLAS_THREADS = 1


def limit_window_blas():
    """Limit this (the window's) process to ``WINDOW_BLAS_THREADS`` BLAS threads; returns the
    threadpoolctl limiter (usable as a context manager, to undo it)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=WINDOW_BLAS_THREADS, user_api="blas")


EXIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def _start_loading(data_path: str | None) -> Callable:
    """Load the dataset on a thread; returns ``result(give_up)``, which waits and returns the
    Dataset or raises the loader's error; ``None`` if ``give_up()`` (asked every 50 ms) says so first."""
    box: dict = {}

    def load() -> None:
        from mnist_viz.core.data import load_dataset
        try:
            box["data"] = load_dataset(data_path)
        except Exception as e:
            box["error"] = e

    thread = threading.Thread(target=load, name="mnist-viz-load", daemon=True)
    thread.start()

    def result(give_up: Callable[[], bool] = lambda: False):
        while thread.is_alive() and not give_up():
            thread.join(0.05)
        if thread.is_alive():
            return None
        if "error" in box:
            raise box["error"]
        return box.pop("data")  # not kept here: the window keeps its own (shared) copy

    return result


# ----------------------------------------------------------------------------- signals
# Ctrl+C in the terminal, `kill`, `timeout` or a logout must close the window as its close button
# does (settings saved, training ended, shared files removed), whether the signal goes to this process
# or to its whole process group (the training process ignores them: runtime.loop.main). Raising an
# exception from a handler at an arbitrary point of the start is not safe (PySide turns one raised
# inside its lazy attribute lookup into an AttributeError with a traceback), so until the window can
# close, the signals are blocked: one that arrives waits, and the start checks for it between steps.
_handled: list[int] = []  # the exit signals this process acts on
_noted: list[int] = []  # ones that arrived while unblocked before the window could close


def _hold_signals() -> None:
    """Note the exit signals instead of acting on them, and block them in this thread. Threads
    started meanwhile (the worker's) inherit the blocked set, and so do the processes they start
    (the training process, multiprocessing's resource tracker): a signal to the whole group cannot
    kill those while they start, before they ignore it. A signal the process was started ignoring
    stays ignored (``nohup`` ignores SIGHUP so that a logout does not end the app: the user's choice)."""
    if not _handled:
        _handled.extend(sig for sig in EXIT_SIGNALS if signal.getsignal(sig) is not signal.SIG_IGN)
    for sig in _handled:
        signal.signal(sig, lambda signum, _frame: _noted.append(signum))
    if hasattr(signal, "pthread_sigmask"):  # not on Windows: there handlers note at once
        signal.pthread_sigmask(signal.SIG_BLOCK, EXIT_SIGNALS)


def _signalled() -> int | None:
    """The exit signal that arrived during the start (noted or waiting), or ``None``."""
    pending = signal.sigpending() if hasattr(signal, "sigpending") else set()
    waiting = [sig for sig in _handled if sig in pending]
    return (_noted + waiting or [None])[0]


def _release_signals(close: Callable[[], None]) -> None:
    """From now on an exit signal calls ``close`` from the event loop (at once if one came during
    the start). Python runs signal handlers only between bytecodes, so a timer gives it a chance
    4 times a second even while the event loop idles in C++."""
    from PySide6 import QtCore

    def on_signal(*_) -> None:
        QtCore.QTimer.singleShot(0, close)

    for sig in _handled:
        signal.signal(sig, on_signal)
    timer = QtCore.QTimer(QtCore.QCoreApplication.instance())
    timer.timeout.connect(lambda: None)
    timer.start(250)
    if _noted:
        on_signal()
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, EXIT_SIGNALS)  # a waiting signal is handled now


def _ignore_signals() -> None:
    """Once the window is closed: another signal would only interrupt the way out (the training
    process is ending, the settings are saved)."""
    for sig in _handled:
        signal.signal(sig, signal.SIG_IGN)


def _qt_running() -> bool:
    """A QApplication exists already (a test, a notebook): it opened fine, nothing to check."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    return widgets is not None and widgets.QApplication.instance() is not None


def run_app(argv: list[str] | None = None, data_path: str | None = None, on_window: Callable | None = None) -> int:
    """Open the window and run until it is closed. Returns the exit code (2 = no window can open
    here, or the data could not be loaded; 128 + the signal's number when one ended the start).
    Ctrl+C, SIGTERM and SIGHUP close the window as its close button does; ``run_app`` owns them
    for the rest of the process (a signal after the window closed is ignored: the app is leaving).

    Training runs in a separate process started by multiprocessing's "spawn" method, which imports
    the calling script again: call ``run_app`` from under ``if __name__ == "__main__":``.

    Args:
        argv: arguments for Qt (default ``sys.argv``).
        data_path: data to train on instead of the bundled MNIST (see ``core.data.load_dataset``).
        on_window: called with the ``MainWindow`` once it is shown (scripts and benchmarks use it
            to drive the app).
    """
    _hold_signals()  # first: a Ctrl+C while starting must not print a traceback
    from mnist_viz.runtime.loop import check_not_spawning

    check_not_spawning()  # before anything slow: a clear error instead of a second window
    qt_running = _qt_running()
    problem = None if qt_running else display_problem()
    if problem is None:
        data = _start_loading(data_path)
        problem = None if qt_running else x11_problem()  # while the data loads
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_NO_WINDOW
    if (signum := _signalled()) is not None:  # before the slow imports (between steps, see _hold_signals)
        return 128 + signum
    from PySide6 import QtWidgets

    from mnist_viz.core.data import DataError, clear_bundled_cache
    from mnist_viz.gui.window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(list(argv if argv is not None else sys.argv))
    app.setOrganizationName("mnist-viz")
    app.setApplicationName("mnist-viz")
    seen: list[int] = []  # the signal that made the loading give up

    def give_up() -> bool:
        signum = _signalled()
        if signum is not None:
            seen.append(signum)
        return signum is not None

    try:
        dataset = data(give_up=give_up)
    except (DataError, OSError, ValueError) as e:
        if _signalled() is None:
            _release_signals(QtWidgets.QApplication.closeAllWindows)  # a signal closes the message box
            QtWidgets.QMessageBox.critical(None, "mnist-viz: cannot load the data", str(e))
        print(f"mnist-viz: error: {e}", file=sys.stderr)
        return 2
    # A waiting signal can leave the pending set (another thread's handler took it) a moment before
    # its Python handler notes it: the loading gave up on it, so it counts (CI saw the gap once).
    if (signum := _signalled() or (seen[0] if seen else None)) is not None:
        return 128 + signum  # before the window exists there is nothing to save
    limit_window_blas()
    window = MainWindow(dataset)
    # The window maps the shared copy now (publish_dataset); the loaded one, also kept by the bundled
    # data's cache, would stay in this process's memory for nothing (188 MB of MNIST's training images).
    del dataset
    clear_bundled_cache()
    # Blocked again before the worker's thread starts: whatever the window's construction did to
    # this thread's signal mask, the training process must start with the exit signals blocked.
    _hold_signals()
    window.show()
    window.start()
    _release_signals(window.close)
    if on_window is not None:
        on_window(window)
    code = app.exec()
    _ignore_signals()
    if not window.shutdown(timeout_ms=5000):  # normally it ended in closeEvent already
        # The training thread is still inside one long NumPy call (a full-batch step on a big
        # network) that cannot be interrupted. The window is gone and the settings are saved, so
        # leave now rather than hang, or abort with "QThread destroyed while running".
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(run_app())
