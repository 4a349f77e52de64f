"""The training loop that runs in its own process, next to the window's.

Why a process and not a thread: training and painting are both Python, and Python runs one thread's
Python code at a time (the GIL). Measured here with every panel live at 512 hidden units, a training
*thread* got ~16-30% of the headless trainer's speed while the window painted ~24 frames/s, because
each of the trainer's many short NumPy calls has to win the GIL back from the painting thread. In a
process of its own the trainer keeps one core to itself and the window the other.

This module has no Qt import: it is what the child process runs (``main``), and ``TrainingLoop`` can
be driven and tested without a window. The GUI side is ``worker.TrainingWorker``.
"""
from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import queue
import time
import traceback
from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from mnist_viz.core import checkpoint
from mnist_viz.core.data import Dataset
from mnist_viz.core.files import write_metrics_csv
from mnist_viz.core.presets import Preset
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.snapshot_transport import SnapshotWriter

SNAPSHOT_INTERVAL = 0.027  # s between snapshots: at most ~37/s; with the time a step and a frame take, ~33 frames/s arrive
EVAL_INTERVAL = 1.0  # s of wall time between evaluations on the eval split, at least ...
EVAL_BUDGET = 0.03  # ... and evaluation takes at most this share of the time (10,000 test images at 512
                    # units take ~50-100 ms on one core: then it runs every ~2-3 s)
# The first seconds of a run are where the curves move most: a fast preset is past 95% within a
# second, and with one evaluation a second its test curve was a straight line from chance to the end.
# So during the first EARLY_EVAL_SECONDS of training time the interval is a quarter of the training
# time so far (at least MIN_EVAL_INTERVAL) and evaluation may take EARLY_EVAL_BUDGET of the time.
EARLY_EVAL_SECONDS = 3.0
EARLY_EVAL_BUDGET = 0.25
MIN_EVAL_INTERVAL = 0.1
IDLE_WAIT = 0.1  # s a paused loop sleeps between looks at its command queue
PARENT_CHECK_INTERVAL = 1.0  # s between checks that the window's process is still there

_ARRAYS = ("x_train", "y_train", "x_test", "y_test", "x_val", "y_val")


def check_not_spawning() -> None:
    """Refuse to start training from a module that a training process is importing.

    The training process is started with multiprocessing's "spawn" method, which imports the
    launching script's module again in the new process. A script whose top level opens the window
    without ``if __name__ == "__main__":`` would then open a second window from inside the training
    process; say so plainly instead."""
    # multiprocessing sets this flag on the new process while it re-imports the launching script.
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError("mnist-viz: the window was opened while a training process was starting. Put the "
                           "script's top-level code under  if __name__ == \"__main__\":  (multiprocessing's rule).")


# ------------------------------------------------------------------------------ the dataset
def share_dataset(data: Dataset, folder: str | os.PathLike) -> dict:
    """Write ``data``'s arrays as ``.npy`` files in ``folder`` (ideally on a RAM disk such as
    /dev/shm) for the training process to map without copying. Returns the spec ``open_dataset``
    takes."""
    folder = Path(folder)
    for name in _ARRAYS:
        np.save(folder / f"{name}.npy", np.ascontiguousarray(getattr(data, name)))
    return {"folder": str(folder), "name": getattr(data, "name", "dataset")}


def open_dataset(spec: dict) -> Dataset:
    """The ``Dataset`` written by ``share_dataset``, its arrays memory-mapped read-only."""
    folder = Path(spec["folder"])
    arrays = {name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r")) for name in _ARRAYS}
    return Dataset(name=spec["name"], **arrays)


# ------------------------------------------------------------------------------ commands
class CommandBuffer:
    """Commands ``[kind, payload]`` waiting to be applied, in order, with coalescing: consecutive
    ``update`` commands merge into one dict (a burst of 1,000 slider moves becomes one
    ``Trainer.update`` and one marker, carrying the last value), and a new ``probes`` or ``speed``
    command replaces a waiting one of its kind."""

    REPLACEABLE = ("probes", "speed")

    def __init__(self) -> None:
        self.items: list[list[Any]] = []
        self.seq = 0  # sequence number of the newest command added

    def add(self, kind: str, payload: Any, seq: int = 0) -> None:
        self.seq = max(self.seq, seq)
        if kind == "update" and self.items and self.items[-1][0] == "update":
            self.items[-1][1].update(payload)
        elif kind in self.REPLACEABLE and any(item[0] == kind for item in self.items):
            next(item for item in self.items if item[0] == kind)[1] = payload
        else:
            self.items.append([kind, dict(payload) if kind == "update" else payload])

    def take(self) -> tuple[list[list[Any]], int]:
        """The waiting commands, and the sequence number they bring the loop up to."""
        items, self.items = self.items, []
        return items, self.seq


# ------------------------------------------------------------------------------ the loop
class TrainingLoop:
    """Steps the trainer while playing, applies commands between steps, evaluates now and then,
    and sends a snapshot when one is due and the window asked for it ("pull": the window takes
    snapshot n before snapshot n+1 is built, so the per-step rows a snapshot carries since the
    previous one are never lost).

    Args:
        trainer: the trainer to drive.
        send: ``send(kind, payload)`` to the window: ``("snapshot", Snapshot)``, ``("playing", bool)``,
            ``("command_failed", str)``.
        snapshot_wanted: returns True when the window has taken the last snapshot; called only
            when a snapshot is due, and must then reset itself (e.g. an Event's wait/clear).
    """

    def __init__(self, trainer: Trainer, send: Callable[[str, Any], None], snapshot_wanted: Callable[[], bool],
                 snapshot_interval: float = SNAPSHOT_INTERVAL, eval_interval: float = EVAL_INTERVAL):
        self.trainer = trainer
        self.send = send
        self.snapshot_wanted = snapshot_wanted
        self.snapshot_interval = snapshot_interval
        self.eval_interval = eval_interval
        self.commands = CommandBuffer()
        self.stopped = False
        self.playing = False
        self.steps_owed = 0
        self.speed_limit = 0.0
        self.probes = np.zeros((0, 784), np.float32)
        self.run_id = 0
        self.applied_seq = 0
        self.dirty = True
        self.last_publish = -math.inf
        self.last_step_time = -math.inf
        self.last_eval = (-1, -math.inf)  # (step, time) of the last evaluation
        self.eval_cost = 0.0
        self.budget: Preset | None = None  # the recipe whose budget this run trains, see _do_budget
        self.budget_armed = False  # True until the budget is reached; Start then trains on

    # ---------------------------------------------------------------- one pass
    def tick(self) -> float | None:
        """Apply waiting commands, train one batch if due, evaluate and publish if due. Returns
        ``None`` when a batch was trained, else how long the caller may sleep (new commands should
        wake it earlier)."""
        items, seq = self.commands.take()
        self.apply(items)
        self.applied_seq = max(self.applied_seq, seq)
        if self.stopped:
            return None
        wait = self._step_if_due(time.perf_counter())
        now = time.perf_counter()
        self._maybe_evaluate(now)
        publish_wait = self._maybe_publish(now)
        return None if wait is None else min(wait, publish_wait)

    def _step_if_due(self, now: float) -> float | None:
        tr = self.trainer
        if tr.diverged or not (self.steps_owed or self.playing):
            if tr.diverged:
                self.steps_owed = 0
            return IDLE_WAIT
        if not self.steps_owed and self.speed_limit > 0:
            due = self.last_step_time + 1.0 / self.speed_limit
            if now < due:
                return due - now
        self.steps_owed = max(0, self.steps_owed - 1)
        self.last_step_time = now
        result = tr.step()
        self.dirty = True
        if result.diverged:
            self._set_playing(False)
        elif self.budget_armed and self._budget_reached():
            self._finish_budget()
        return None

    def _budget_reached(self) -> bool:
        epochs, iterations = self.budget.epochs, self.budget.iterations
        return ((iterations is not None and self.trainer.step_count >= iterations)
                or (epochs is not None and self.trainer.epoch >= epochs - 1e-9))

    def _finish_budget(self) -> None:
        """Pause where the recipe ends, evaluate, and tell the room how it did."""
        self.budget_armed = False
        self._set_playing(False)
        self.steps_owed = 0
        _, accuracy = self.evaluate()
        preset = self.budget
        reference = f" (the tutorial reported {preset.reference})" if preset.reference else ""
        self.send("info", f"“{preset.title}” finished its {preset.budget}: {self.trainer.eval_split_name} "
                          f"accuracy {accuracy:.2%}{reference}. Start trains on.")

    def _maybe_evaluate(self, now: float) -> None:
        step, when = self.last_eval
        trained = self.trainer.elapsed
        if trained < EARLY_EVAL_SECONDS:
            interval = max(min(self.eval_interval, max(MIN_EVAL_INTERVAL, trained / 4)),
                           self.eval_cost / EARLY_EVAL_BUDGET)
        else:
            interval = max(self.eval_interval, self.eval_cost / EVAL_BUDGET)
        if self.trainer.step_count != step and now - when >= interval and not self.trainer.diverged:
            self.evaluate(now)

    def evaluate(self, now: float | None = None) -> tuple[float, float]:
        """Add an evaluation point to the curves (the trainer's eval split); returns it as
        ``(loss, accuracy)``."""
        now = time.perf_counter() if now is None else now
        result = self.trainer.record_evaluation(test_predictions=True)  # feeds the confusion matrix
        self.eval_cost = time.perf_counter() - now
        self.last_eval = (self.trainer.step_count, now)
        self.dirty = True
        return result

    def _maybe_publish(self, now: float) -> float:
        if not self.dirty:
            return IDLE_WAIT
        due = self.last_publish + self.snapshot_interval
        if now < due:
            return due - now
        if not self.snapshot_wanted():
            return min(IDLE_WAIT, self.snapshot_interval)  # the window has not taken the last one yet
        self.send("snapshot", self.trainer.snapshot(self.probes, extras=self._extras()))
        self.dirty = False
        self.last_publish = now
        return IDLE_WAIT

    def _extras(self) -> dict:
        return {"run": self.run_id, "cmd_seq": self.applied_seq, "playing": self.playing,
                "speed_limit": self.speed_limit, "effective_lr": self.trainer.effective_lr,
                "budget": self.budget if self.budget_armed else None,
                "eval_split": self.trainer.eval_split_name}

    def _set_playing(self, playing: bool) -> None:
        if playing != self.playing:
            self.playing = playing
            self.send("playing", playing)
        self.dirty = True

    # --------------------------------------------------------------- commands
    def apply(self, commands: list) -> None:
        for kind, payload in commands:
            try:
                getattr(self, f"_do_{kind}")(payload)
            except (ValueError, OSError) as e:  # a refused setting or an unwritable file must not end training
                self.send("command_failed", str(e))
            self.dirty = True

    def _do_stop(self, _) -> None:
        self.stopped = True

    def _do_play(self, _) -> None:
        self._set_playing(not self.trainer.diverged)

    def _do_pause(self, _) -> None:
        self._set_playing(False)

    def _do_step(self, n: int) -> None:
        self._set_playing(False)
        self.steps_owed += n

    def _do_update(self, changes: dict) -> None:
        self.trainer.update(**changes)

    def _do_reset(self, settings: Settings | None) -> None:
        # A fresh start waits at step 0 for Start, so the room sees the first steps happen.
        self._set_playing(False)
        # Resetting the same recipe runs its budget again; other settings are no longer the recipe.
        if settings is not None and settings != self.trainer.settings:
            self.budget = None
        self.budget_armed = self.budget is not None
        self.trainer.reset(settings)
        self.run_id += 1
        self.steps_owed = 0
        self.evaluate()

    def _do_restore(self, payload: tuple[float, bool | None]) -> None:
        lr_factor, resume = payload
        self.trainer.restore_last_good()
        if lr_factor != 1.0:
            self.trainer.update(lr=self.trainer.settings.lr * lr_factor)
        if resume is not None:
            self._set_playing(resume)

    def _do_budget(self, preset: Preset | None) -> None:
        """Pause when the run reaches ``preset``'s budget (its epochs or iterations); ``None`` trains
        until paused."""
        self.budget = preset
        self.budget_armed = preset is not None and not self._budget_reached()

    def _do_probes(self, images: np.ndarray) -> None:
        self.probes = images

    def _do_speed(self, limit: float) -> None:
        self.speed_limit = limit

    def _do_unit(self, payload: tuple[int, bool]) -> None:
        unit, enabled = payload
        self.trainer.set_unit_enabled(int(unit), bool(enabled))
        self.evaluate()  # the class sees the accuracy change at once

    def _do_save(self, path: str) -> None:
        checkpoint.save_checkpoint(self.trainer, path)
        self.send("info", f"Session saved to {path}")

    def _do_load(self, path: str) -> None:
        checkpoint.load_checkpoint(self.trainer, path)  # a bad file raises and leaves the session as it was
        self._set_playing(False)
        self.budget, self.budget_armed = None, False  # a loaded session is no longer the preset's run
        self.run_id += 1  # the views clear, then get the loaded run's whole history
        self.trainer.replay_history()
        self.evaluate()
        self.send("info", f"Session loaded from {path} (step {self.trainer.step_count})")

    def _do_csv(self, path: str) -> None:
        self.trainer._flush()
        write_metrics_csv(self.trainer.history, path)
        self.send("info", f"Metrics written to {path}")


# ------------------------------------------------------------------------ the process
def _drain(commands, buffer: CommandBuffer, timeout: float | None) -> None:
    """Move every waiting message from the process queue into ``buffer``; wait up to ``timeout``
    for the first one (``None``: do not wait). Each message is ``(kind, payload, seq)``."""
    if not timeout and commands.empty():  # the common case while training: one cheap poll per step
        return
    try:
        message = commands.get(timeout=timeout) if timeout else commands.get_nowait()
        while True:
            buffer.add(*message)
            message = commands.get_nowait()
    except queue.Empty:
        pass


def main(commands, events, want, data_spec: dict, settings: Settings, blas_threads: int | None,
         snapshot_interval: float, eval_interval: float, snapshot_folder: str) -> None:
    """Entry point of the training process: runs until a ``stop`` command arrives or the window's
    process is gone. ``commands``/``events`` are multiprocessing queues, ``want`` an Event the
    window sets when it has taken a snapshot; snapshots go out as ``(light snapshot, layout)``
    with their large arrays in a file in ``snapshot_folder`` (see ``snapshot_transport``)."""
    writer = SnapshotWriter(snapshot_folder)

    def send(kind: str, payload: Any = None) -> None:
        events.put((kind, writer.pack(payload) if kind == "snapshot" else payload))

    def snapshot_wanted() -> bool:
        if want.is_set():
            want.clear()
            return True
        return False

    limit = threadpool_limits(limits=blas_threads, user_api="blas") if blas_threads else contextlib.nullcontext()
    try:
        # Overflow is how divergence starts; the trainer detects it and the window explains it in
        # plain words, so NumPy's warnings would only add noise to the lecturer's terminal.
        with limit, np.errstate(over="ignore", invalid="ignore"):
            loop = TrainingLoop(Trainer(open_dataset(data_spec), settings), send, snapshot_wanted,
                                snapshot_interval, eval_interval)
            send("ready")
            _run(loop, commands)
    except Exception:  # noqa: BLE001 - the window shows it; the process ends
        send("failed", traceback.format_exc())
    writer.close()
    send("stopped")


def _run(loop: TrainingLoop, commands) -> None:
    parent = multiprocessing.parent_process()
    next_parent_check = time.perf_counter() + PARENT_CHECK_INTERVAL
    loop.evaluate()  # a first point on the accuracy curve, at step 0
    wait = None
    while not loop.stopped:
        _drain(commands, loop.commands, wait)
        wait = loop.tick()
        if time.perf_counter() > next_parent_check:
            next_parent_check = time.perf_counter() + PARENT_CHECK_INTERVAL
            if parent is not None and not parent.is_alive():
                return  # the window's process died without saying stop: do not train on as an orphan
