"""``run_app``: start Qt, load the data, show the window, run the event loop.

Launch time matters (a lecturer opens the app in front of a room), so the data starts loading on a
helper thread *before* Qt and pyqtgraph are imported: decompressing MNIST (zlib releases the GIL)
and importing the GUI libraries then overlap on the two cores instead of adding up.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable


def _start_loading(data_path: str | None) -> Callable:
    """Load the dataset on a thread; returns ``result()``, which waits and returns the Dataset or
    raises the loader's error."""
    box: dict = {}

    def load() -> None:
        from mnist_viz.core.data import load_dataset
        try:
            box["data"] = load_dataset(data_path)
        except Exception as e:
            box["error"] = e

    thread = threading.Thread(target=load, name="mnist-viz-load", daemon=True)
    thread.start()

    def result():
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["data"]

    return result


def _close_on_interrupt(window) -> None:
    """Ctrl+C in the terminal (or SIGTERM) closes the window properly: settings saved, training ended.
    Python runs signal handlers only between bytecodes, so a timer gives it a chance 4 times a second
    even while the event loop idles in C++."""
    from PySide6 import QtCore

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: window.close())
    timer = QtCore.QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)


def run_app(argv: list[str] | None = None, data_path: str | None = None, on_window: Callable | None = None) -> int:
    """Open the window and run until it is closed. Returns the exit code (2 = the data could not
    be loaded).

    Training runs in a separate process started by multiprocessing's "spawn" method, which imports
    the calling script again: call ``run_app`` from under ``if __name__ == "__main__":``.

    Args:
        argv: arguments for Qt (default ``sys.argv``).
        data_path: data to train on instead of the bundled MNIST (see ``core.data.load_dataset``).
        on_window: called with the ``MainWindow`` once it is shown (scripts and benchmarks use it
            to drive the app).
    """
    from mnist_viz.runtime.loop import check_not_spawning

    check_not_spawning()  # before anything slow: a clear error instead of a second window
    data = _start_loading(data_path)
    from PySide6 import QtWidgets

    from mnist_viz.core.data import DataError
    from mnist_viz.gui.window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(list(argv if argv is not None else sys.argv))
    app.setOrganizationName("mnist-viz")
    app.setApplicationName("mnist-viz")
    try:
        dataset = data()
    except (DataError, OSError, ValueError) as e:
        QtWidgets.QMessageBox.critical(None, "mnist-viz: cannot load the data", str(e))
        print(f"mnist-viz: error: {e}", file=sys.stderr)
        return 2
    window = MainWindow(dataset)
    window.show()
    window.start()
    _close_on_interrupt(window)
    if on_window is not None:
        on_window(window)
    code = app.exec()
    if not window.shutdown(timeout_ms=5000):  # normally it ended in closeEvent already
        # The training thread is still inside one long NumPy call (a full-batch step on a big
        # network) that cannot be interrupted. The window is gone and the settings are saved, so
        # leave now rather than hang, or abort with "QThread destroyed while running".
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(run_app())
