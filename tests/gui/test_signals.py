"""Ctrl+C in the terminal, `timeout` or a logout (SIGINT, SIGTERM, SIGHUP to the whole process group)
close the real app while it trains: quickly, settings saved, no traceback from either process, no
process and no shared folder left. The app runs as its own program (a small script around ``run_app``)
in a session of its own, offscreen: no display needed."""
from __future__ import annotations

import glob
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from mnist_viz.gui.app import WINDOW_BLAS_THREADS
from mnist_viz.runtime import shared_data

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups and /proc (Linux)")

EXIT_LIMIT = 2.5  # s from the signal until every process of the group is gone (measured: ~0.2-0.4 s)

# The app as a user starts it, plus a line on stdout once training is under way (or, with an
# argument, as soon as the start is under way: run_app holds the signals then, the window does not exist).
HELPER = '''
import sys

from mnist_viz.gui import app
from mnist_viz.gui.app import run_app


def starting(start_loading):
    def start(data_path):
        print("STARTING", flush=True)
        return start_loading(data_path)
    return start


def on_window(window):
    from PySide6 import QtCore
    from threadpoolctl import threadpool_info

    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    print(f"WINDOW BLAS THREADS {max(blas)}", flush=True)

    def report():
        snap = window.latest
        if snap is not None and snap.loop.playing and snap.step > 0:
            print(f"TRAINING {snap.step}", flush=True)
            timer.stop()

    timer = QtCore.QTimer(window)
    timer.timeout.connect(report)
    timer.start(50)
    window.controls.start_button.click()


if __name__ == "__main__":  # the training process ("spawn") imports this file again
    if sys.argv[1:] == ["early"]:
        app._start_loading = starting(app._start_loading)
    sys.exit(run_app([sys.argv[0]], on_window=on_window))
'''


def _children(pid: int) -> list[int]:
    """Child processes of every thread of ``pid`` (the training process is started by the worker's)."""
    kids = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(path) as f:
                kids += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return kids


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _group(pgid: int) -> list[int]:
    """Live processes of the group (zombies are gone already; init reaps them in its own time)."""
    members = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                state, _ppid, group = f.read().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(group) == pgid and state != "Z":
            members.append(int(stat.split("/")[2]))
    return members


def _wait_for(app: subprocess.Popen, word: str, timeout: float, seen: list[str] | None = None) -> None:
    """Wait for the helper's line that starts with ``word`` (the lines read go to ``seen``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([app.stdout], [], [], 0.2)
        line = app.stdout.readline() if ready else ""
        if seen is not None and line:
            seen.append(line.strip())
        if line.startswith(word):
            return
        assert app.poll() is None, f"the app ended before {word} (exit code {app.returncode})"
    raise AssertionError(f"no {word} in time")


def _trainer(app: subprocess.Popen) -> int:
    trainers = [c for c in _children(app.pid) if "resource_tracker" not in _cmdline(c)]
    assert len(trainers) == 1, trainers
    return trainers[0]


def _signal_and_wait(app: subprocess.Popen, signame: str) -> tuple[float, list[int]]:
    """Send ``signame`` to the app's process group; seconds until all of it is gone, and what is left."""
    t0 = time.monotonic()
    os.killpg(app.pid, getattr(signal, signame))
    app.wait(timeout=10)
    while _group(app.pid) and time.monotonic() - t0 < 10:
        time.sleep(0.01)
    return time.monotonic() - t0, _group(app.pid)


def _run_app(tmp_path, *args: str) -> subprocess.Popen:
    (tmp_path / "app.py").write_text(HELPER)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    with open(tmp_path / "stderr.txt", "w") as stderr:  # the child keeps its own descriptor of it
        return subprocess.Popen([sys.executable, str(tmp_path / "app.py"), *args], cwd=tmp_path, env=env,
                                text=True, stdout=subprocess.PIPE, stderr=stderr, start_new_session=True)


def _end(app: subprocess.Popen) -> None:
    if app.poll() is None or _group(app.pid):
        os.killpg(app.pid, signal.SIGKILL)
    app.stdout.close()


def _shared_folders(pid: int) -> list[str]:
    patterns = [f"{parent}/mnist-viz-{pid}-*" for parent in (shared_data.RAM_DISK, tempfile.gettempdir())]
    return [path for pattern in patterns for path in glob.glob(pattern)]


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_to_the_process_group_closes_the_training_app_cleanly(signame, tmp_path):
    app = _run_app(tmp_path)
    lines: list[str] = []
    try:
        _wait_for(app, "TRAINING", timeout=30, seen=lines)
        trainer = _trainer(app)
        elapsed, left = _signal_and_wait(app, signame)
    finally:
        _end(app)
    errors = (tmp_path / "stderr.txt").read_text()
    print(f"{signame} to the group while training: everything gone {elapsed:.3f} s after the signal")
    assert "Traceback" not in errors, errors
    assert app.returncode == 0, errors
    assert left == [] and trainer not in _group(app.pid)
    assert elapsed < EXIT_LIMIT, f"{elapsed:.2f} s"
    assert _shared_folders(app.pid) == []
    assert "settings=" in (tmp_path / "config" / "mnist-viz" / "mnist-viz.conf").read_text()  # closeEvent saved them
    # The window's own matrix products use one BLAS thread (app.WINDOW_BLAS_THREADS): more spun the
    # core the training process trains on.
    assert f"WINDOW BLAS THREADS {WINDOW_BLAS_THREADS}" in lines, lines


@pytest.mark.slow
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_while_the_app_starts_ends_it_quietly(signame, tmp_path):
    app = _run_app(tmp_path, "early")
    try:
        _wait_for(app, "STARTING", timeout=30)
        elapsed, left = _signal_and_wait(app, signame)
    finally:
        _end(app)
    errors = (tmp_path / "stderr.txt").read_text()
    print(f"{signame} to the group while starting: everything gone {elapsed:.3f} s after the signal")
    assert "Traceback" not in errors, errors
    assert app.returncode == 128 + getattr(signal, signame), errors  # before the window: nothing to save
    assert left == [] and _shared_folders(app.pid) == []
    assert elapsed < EXIT_LIMIT, f"{elapsed:.2f} s"


@pytest.mark.slow
def test_ctrl_c_at_any_moment_of_the_start_ends_the_command_quietly(tmp_path, python_start_time):
    """``mnist-viz`` itself (``python -m mnist_viz``), Ctrl+C to its group from just after the
    interpreter started (imports, parsing, the data loading, Qt, the window opening)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    for delay in (0.02, 0.06, 0.15, 0.3, 0.6, 1.2):
        app = subprocess.Popen([sys.executable, "-m", "mnist_viz"], cwd=tmp_path, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            time.sleep(python_start_time + delay)
            _elapsed, left = _signal_and_wait(app, "SIGINT")
            errors = app.stderr.read()
        finally:
            _end(app)
            app.stderr.close()
        assert "Traceback" not in errors and "KeyboardInterrupt" not in errors, (delay, errors)
        assert app.returncode in (0, 130), (delay, app.returncode, errors)  # 0: the window had opened and closed
        assert left == [] and _shared_folders(app.pid) == [], delay
