"""TrainingWorker: the window's handle on training, which runs in a process of its own.

The window never touches the trainer. It sends commands (play, pause, step, reset, settings,
probes, speed limit, restore) that the training loop applies between two steps, so a change acts on
the next batch; a burst of the same setting collapses to its last value (``CommandBuffer``).
Snapshots come back by the "pull" model: the loop builds one at most every ``SNAPSHOT_INTERVAL``
seconds, and only after the window took the previous one with ``take_snapshot()``. A snapshot
carries the curve points since the previous snapshot, so this is what guarantees that no point is
lost however slow the window is: meanwhile the points pile up in the trainer.

Why a process (``training_process``): Python's GIL lets only one thread run Python at a time, and a
training thread lost most of its speed to the painting thread (measured: 16-30% of headless speed at
512 units with every panel live). ``TrainingWorker`` is still a ``QThread``: on it the window's
process receives the training process's messages (snapshots, state changes, errors) without ever
blocking the GUI thread.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QThread, Signal

from mnist_viz.core.snapshot import Settings, Snapshot
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui import training_process
from mnist_viz.gui.snapshot_transport import SnapshotReader
from mnist_viz.gui.training_process import EVAL_INTERVAL, SNAPSHOT_INTERVAL, check_not_spawning

if TYPE_CHECKING:
    from mnist_viz.core.data import Dataset

# BLAS threads in the training process: 1. Measured 2026-11-21 with benchmarks/gui_bench.py
# --variants 1 2:4 2 --repeats 2 --seconds 20 (2 cores, 512 hidden units, every panel live; "2:4" =
# two threads with OPENBLAS_THREAD_TIMEOUT=4, so an idle BLAS thread sleeps instead of spinning):
#   1 thread:  33.8-33.9 frames/s, p99 15-18 ms, 36.1-37.3k samples/s (92-93% of a 1-thread headless run)
#   2:4:       34.0-34.6 frames/s, p99 29-31 ms, 26.1-37.6k samples/s, a third of a core more CPU
#   2:         31.8-32.8 frames/s, p99 31-32 ms, 16.9-22.3k samples/s (the idle thread spins on the
#              window's core and every product waits for whichever thread lost the core)
# Headless, 2 threads train 1.5x faster than 1 (57-61k vs 39-41k samples/s in the same run), but the
# window needs ~0.45 of the second core to paint ~34 frames/s, and a second BLAS thread sharing that
# core gains nothing: 1 thread is as fast or faster and keeps the event latency low.
DEFAULT_BLAS_THREADS = 1
RECEIVE_POLL = 0.05  # s the receiving thread waits for a message before checking on the process


RAM_DISK = "/dev/shm"


def _ram_folder() -> str:
    """A temp folder, on the RAM disk when there is one (the dataset and the snapshot buffer live
    there), named after this process so that a later start can tell it was left behind
    (``remove_stale_folders``)."""
    if not os.path.isdir(RAM_DISK):
        return tempfile.mkdtemp(prefix="mnist-viz-")
    return tempfile.mkdtemp(prefix=f"mnist-viz-{os.getpid()}-", dir=RAM_DISK)


def remove_stale_folders(parent: str) -> list[str]:
    """Delete ``mnist-viz-<pid>-*`` folders in ``parent`` whose process is gone: a window killed
    before it could clean up leaves ~200 MB of dataset in RAM. Returns what was deleted (Linux:
    a process is alive while /proc/<pid> exists)."""
    removed = []
    for path in Path(parent).glob("mnist-viz-*-*"):
        pid = path.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def _freeze(snap: Snapshot) -> Snapshot:
    """Mark a snapshot's arrays read-only again (pickling does not keep that flag)."""
    for value in vars(snap).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return snap


class TrainingWorker(QThread):
    """Starts the training process and relays between it and the window.

    Every public method may be called from the GUI thread at any time; commands only queue a
    message (acted on before the next batch), ``take_snapshot`` only swaps a reference.

    Signals (delivered queued to the GUI thread):
        snapshotReady(): a snapshot is waiting for ``take_snapshot``.
        playingChanged(bool): training started or stopped (also on divergence).
        commandFailed(str): a command was refused, e.g. a setting the trainer rejected.
        failed(str): training crashed (traceback text) or its process died; training has ended.

    Snapshot ``extras`` set by the loop: ``run`` (increments on every reset, so a view knows to clear
    its curves), ``cmd_seq`` (commands applied before this snapshot; compare ``commands_sent``),
    ``playing`` (bool), ``speed_limit`` (steps/s, 0 = unlimited), ``effective_lr``, ``budget`` (the
    ``Preset`` whose budget the run is training to, or ``None``), ``eval_split`` ("test" or "validation").
    """

    snapshotReady = Signal()
    playingChanged = Signal(bool)
    commandFailed = Signal(str)
    info = Signal(str)
    failed = Signal(str)

    def __init__(self, data: Dataset, settings: Settings | None = None, *,
                 blas_threads: int | None = DEFAULT_BLAS_THREADS, snapshot_interval: float = SNAPSHOT_INTERVAL,
                 eval_interval: float = EVAL_INTERVAL, parent=None):
        check_not_spawning()
        super().__init__(parent)
        self.setObjectName("mnist-viz-worker")
        self.settings = settings or Settings()
        Trainer(data, self.settings)  # raises ValueError here, in the caller, if the settings do not fit
        self._data = data
        self._options = (blas_threads, snapshot_interval, eval_interval)
        context = multiprocessing.get_context("spawn")  # fork is unsafe in a process running Qt threads
        self._context = context
        self._commands = context.Queue()
        self._events = context.Queue()
        self._want = context.Event()
        self._want.set()
        self._sent = 0
        self._snap_lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._process = None
        self._stopping = False

    # ------------------------------------------------------------ commands
    @property
    def commands_sent(self) -> int:
        """How many commands were queued so far (see the ``cmd_seq`` snapshot extra)."""
        return self._sent

    def _put(self, kind: str, payload=None) -> None:
        self._sent += 1
        self._commands.put((kind, payload, self._sent))

    def play(self) -> None:
        self._put("play")

    def pause(self) -> None:
        self._put("pause")

    def set_playing(self, playing: bool) -> None:
        self._put("play" if playing else "pause")

    def step_once(self, n: int = 1) -> None:
        """Pause and train exactly ``n`` batches."""
        self._put("step", int(n))

    def update_settings(self, **changes) -> None:
        """Live settings (``Trainer.update``); a burst of calls collapses to the last values."""
        self._put("update", changes)

    def reset(self, settings: Settings | None = None) -> None:
        """Pause at step 0 with fresh weights from the seed; with ``settings``, restart with those."""
        self._put("reset", settings)

    def restore_last_good(self, lr_factor: float = 1.0, resume: bool | None = None) -> None:
        """Back to the last sane weights; ``lr_factor`` (e.g. 0.1) scales the learning rate too.
        ``resume``: start (True) or pause (False) afterwards; ``None`` keeps the current state."""
        self._put("restore", (float(lr_factor), resume))

    def set_budget(self, preset) -> None:
        """Train ``preset``'s budget (its epochs or full-batch iterations), then pause and report the
        accuracy reached next to the tutorial's (an ``info`` message). ``None``, or a teaching
        scenario (``Preset.stops_at_budget``): train until paused.
        Resetting with other settings drops the budget; resetting with the same ones runs it again."""
        self._put("budget", preset if preset is not None and preset.stops_at_budget else None)

    def set_probes(self, images: np.ndarray) -> None:
        """``(P, 784) float32`` images whose softmax and hidden activations each snapshot carries."""
        self._put("probes", np.array(images, dtype=np.float32).reshape(-1, 784))

    def set_unit_enabled(self, unit: int, enabled: bool) -> None:
        """Switch hidden unit ``unit`` off (ablate) or back on; an evaluation follows at once."""
        self._put("unit", (int(unit), bool(enabled)))

    def save_session(self, path: str) -> None:
        """Write a checkpoint with the whole history; ``info`` or ``commandFailed`` reports back."""
        self._put("save", str(path))

    def load_session(self, path: str) -> None:
        """Replace the run by a saved one; a bad file is refused (``commandFailed``) and changes nothing."""
        self._put("load", str(path))

    def export_metrics_csv(self, path: str) -> None:
        self._put("csv", str(path))

    def set_speed_limit(self, steps_per_second: float | None) -> None:
        """Slow motion: at most this many steps per second (``None`` or 0 = as fast as possible)."""
        self._put("speed", float(steps_per_second or 0.0))

    # ----------------------------------------------------------- snapshots
    def take_snapshot(self) -> Snapshot | None:
        """The snapshot that arrived since the last call, or ``None``; lets the loop build the next."""
        with self._snap_lock:
            snap, self._latest = self._latest, None
        if snap is not None:
            self._want.set()
        return snap

    # ---------------------------------------------------------- lifecycle
    def is_training_alive(self) -> bool:
        """True while the training process exists (started and not yet ended)."""
        return self._process is not None and self._process.is_alive()

    def stop(self, timeout_ms: int = 1000) -> bool:
        """End training: ask the loop to stop after the current batch; if it has not within
        ``timeout_ms``, end its process (nothing is lost: the window keeps the settings). True when
        the process and this thread have ended."""
        deadline = time.monotonic() + timeout_ms / 1000
        if not self._stopping:
            self._stopping = True
            self._put("stop")
            self._commands.cancel_join_thread()  # never block exit on a queue the loop will not read
        self.wait(max(0, int((deadline - time.monotonic()) * 1000)))
        process = self._process
        if process is not None and process.is_alive():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():  # inside one long NumPy call: end it rather than hang the window
                process.terminate()
                process.join(0.5)
        self.wait(500)  # the receiving loop notices a finished process within RECEIVE_POLL
        return not self.isRunning() and (process is None or not process.is_alive())

    def run(self) -> None:  # the receiving thread
        if os.path.isdir(RAM_DISK):
            remove_stale_folders(RAM_DISK)
        folder, snapshot_folder = _ram_folder(), _ram_folder()
        reader = SnapshotReader()
        try:
            spec = training_process.share_dataset(self._data, folder)
            if not self._stopping:
                self._process = self._context.Process(
                    target=training_process.main, name="mnist-viz-trainer", daemon=True,
                    args=(self._commands, self._events, self._want, spec, self.settings, *self._options,
                          snapshot_folder))
                self._process.start()
                self._receive(folder, reader)
        except Exception:  # noqa: BLE001 - report any failure to the window instead of dying silently
            self.failed.emit(traceback.format_exc())
        finally:
            reader.close()
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(snapshot_folder, ignore_errors=True)

    def _receive(self, folder: str, reader: SnapshotReader) -> None:
        """Relay messages until the loop says it stopped or its process is gone."""
        while True:
            try:
                kind, payload = self._events.get(timeout=RECEIVE_POLL)
            except queue.Empty:
                if not self._process.is_alive():
                    if not self._stopping:
                        self.failed.emit(f"The training process ended unexpectedly "
                                         f"(exit code {self._process.exitcode}).")
                    return
                continue
            if kind == "snapshot":
                snap = _freeze(reader.unpack(*payload))  # copied out before the loop may write the next
                with self._snap_lock:
                    self._latest = snap
                self.snapshotReady.emit()
            elif kind == "playing":
                self.playingChanged.emit(payload)
            elif kind == "command_failed":
                self.commandFailed.emit(payload)
            elif kind == "info":
                self.info.emit(payload)
            elif kind == "failed":
                self.failed.emit(payload)
            elif kind == "ready":
                shutil.rmtree(folder, ignore_errors=True)  # mapped by the process now; free the names
            elif kind == "stopped":
                return
