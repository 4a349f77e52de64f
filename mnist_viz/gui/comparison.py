"""Comparison: two runs in lockstep, the window's run (A) against the same settings with one knob
changed (B). No painting here: this starts run B's training process, keeps the two in step, and
forwards the user's play / pause / step / reset to both.

Step for step: both runs start from step 0 with the same seed, so the same batch size gives both
the same order of training batches, and the same layer sizes give both the same initial weights
(a different hidden size cannot: its weight matrices have other shapes; ``notes`` says so). Each
training process has a core of its own; a shared pair of step counters (``runtime.lockstep``)
keeps the faster run at most ``slack`` steps ahead of the slower. Runs of different batch sizes are
kept in step by training images seen instead, so their curves reach the same epoch together.
"""
from __future__ import annotations

import contextlib
import dataclasses
import shutil
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore

from mnist_viz.core.i18n import N_, tr
from mnist_viz.core.snapshot import Settings, Snapshot
from mnist_viz.core.timeline import Timeline
from mnist_viz.core.trainer import describe_value
from mnist_viz.gui.worker import TrainingWorker
from mnist_viz.runtime import protocol as p
from mnist_viz.runtime.lockstep import create_counters
from mnist_viz.runtime.shared_data import ram_folder

if TYPE_CHECKING:
    from mnist_viz.core.data import Dataset

LOCK_SLACK = 3  # steps the faster run may be ahead: hides the waiting run's wake-up, keeps the curves level
B_TIMELINE_BYTES = 40_000_000  # run B's look-back record (run A's is the window's timeline)
# Settings the compare dialog offers, by the name the user reads.
# The titles are msgids, shown through tr.
KNOB_TITLES = {"optimizer": N_("optimizer"), "lr": N_("learning rate"), "hidden": N_("hidden units"),
               "activation": N_("activation"), "init": N_("initial weights"), "batch_size": N_("batch size")}


def describe_difference(a: Settings, b: Settings) -> str:
    """What differs between ``a`` and ``b``, for the legend: ``"optimizer sgd vs adam"``,
    ``"hidden 16 vs 256"``; ``"same settings"`` when nothing does."""
    # the settings' own names (``hidden``, ``lr``): what the controls and the command line call them
    parts = [tr("{setting} {a} vs {b}").format(setting=field.name, a=describe_value(getattr(a, field.name)),
                                               b=describe_value(getattr(b, field.name)))
             for field in dataclasses.fields(Settings) if getattr(a, field.name) != getattr(b, field.name)]
    return ", ".join(parts) or tr("same settings")


def run_label(settings: Settings, other: Settings) -> str:
    """The value of each setting that differs from ``other``: ``"adam"``, ``"256"`` (the legend's
    ``"A: sgd"`` / ``"B: adam"``)."""
    values = [describe_value(getattr(settings, f.name)) for f in dataclasses.fields(Settings)
              if getattr(settings, f.name) != getattr(other, f.name)]
    return ", ".join(values) or tr("same settings")


def comparison_notes(a: Settings, b: Settings) -> str:
    """What the room should know about how fair the comparison is, in plain words."""
    notes = []
    if a.hidden != b.hidden:
        notes.append(tr("different layer sizes: the initial weights cannot be the same (same seed, other shapes)"))
    if a.batch_size != b.batch_size or (a.optimizer == "gd") != (b.optimizer == "gd"):
        notes.append(tr("different batch sizes: the runs see different batches; they are kept level by training "
                        "images seen, not by steps"))
    return "; ".join(notes) or tr("same initial weights and the same batches, step for step")


def lock_unit(a: Settings, b: Settings) -> str:
    """``"steps"``, or ``"samples"`` when a step means a different number of images in each run."""
    same_batches = a.batch_size == b.batch_size and (a.optimizer == "gd") == (b.optimizer == "gd")
    return "steps" if same_batches else "samples"


class Comparison(QtCore.QObject):
    """Run ``worker_a``'s settings ``settings_a`` against ``settings_a.replace(**change)`` in a second
    training process (``worker_b``, made here), in lockstep.

    ``start()`` resets run A to step 0 with ``settings_a`` and starts run B (paused at step 0, same
    seed); then every command the user gives goes through the methods below to both runs. ``end()``
    stops run B and frees run A. B's snapshots: ``snapshotReady`` then ``take_snapshot()``, as a
    worker's; ``snapshot_near(step)`` gives a kept one for a scrubbed-back moment.

    Signals:
        snapshotReady(): a snapshot of run B is waiting.
        ended(): the comparison ended (``end()``, or run B's training failed).
    """

    snapshotReady = QtCore.Signal()
    ended = QtCore.Signal()

    def __init__(self, worker_a: TrainingWorker, data: Dataset, settings_a: Settings, change: dict[str, Any], *,
                 slack: int = LOCK_SLACK, blas_threads: int | None = None,
                 worker_options: dict[str, Any] | None = None, parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.settings_a = settings_a
        self.settings_b = settings_a.replace(**change)  # ValueError (plain words) for a value that does not fit
        self.change = dict(change)
        if self.settings_b == settings_a:
            raise ValueError(tr("the second run must differ from the first in at least one setting"))
        self.worker_a = worker_a
        self.worker_b = TrainingWorker(data, self.settings_b, blas_threads=blas_threads, **(worker_options or {}))
        self.unit = lock_unit(settings_a, self.settings_b)
        batch = max(settings_a.batch_size, self.settings_b.batch_size)
        self.slack = slack if self.unit == "steps" else slack * (len(data.x_train) if "gd" in (
            settings_a.optimizer, self.settings_b.optimizer) else batch)
        self.difference = describe_difference(settings_a, self.settings_b)
        self.label_a = f"A: {run_label(settings_a, self.settings_b)}"
        self.label_b = f"B: {run_label(self.settings_b, settings_a)}"
        self.notes = comparison_notes(settings_a, self.settings_b)
        self.latest_b: Snapshot | None = None
        self.timeline_b = Timeline(max_bytes=B_TIMELINE_BYTES)
        self.active = False
        self._folder = ""
        self._path = ""
        self.worker_b.snapshotReady.connect(self.snapshotReady)
        self.worker_b.failed.connect(lambda _: self.end())
        self.worker_b.processRestarted.connect(lambda _: self._lock(self.worker_b, 1))
        worker_a.processRestarted.connect(self._relock_a)

    # -------------------------------------------------------------- lifecycle
    def start(self, probes: np.ndarray | None = None, speed_limit: float | None = None) -> None:
        """Both runs to step 0, paused, in lockstep. ``probes (P, 784)`` and ``speed_limit``: what
        run A has, for run B."""
        self._folder = ram_folder(needed=4096)
        self._path = create_counters(self._folder)
        self.worker_a.reset(self.settings_a)
        self._lock(self.worker_a, 0)
        self._lock(self.worker_b, 1)
        if probes is not None:
            self.worker_b.set_probes(probes)
        self.worker_b.set_speed_limit(speed_limit)
        self.active = True
        self.worker_b.start()

    def end(self, timeout_ms: int = 1000) -> None:
        """Stop run B; run A trains on alone (its curves and weights stay)."""
        if not self.active:
            return
        self.active = False
        self.worker_a.send(p.LockStep(""))
        self.worker_b.stop(timeout_ms)
        shutil.rmtree(self._folder, ignore_errors=True)
        with contextlib.suppress(RuntimeError, TypeError):  # already disconnected
            self.worker_a.processRestarted.disconnect(self._relock_a)
        self.ended.emit()

    def _lock(self, worker: TrainingWorker, slot: int) -> None:
        worker.send(p.LockStep(self._path, slot, int(self.slack), self.unit))

    def _relock_a(self, _message: str = "") -> None:
        """A restarted training process starts without the lockstep: give it again."""
        if self.active:
            self._lock(self.worker_a, 0)

    # --------------------------------------------------------------- commands
    def _both(self, method: str, *args: Any) -> None:
        if self.active:
            getattr(self.worker_b, method)(*args)
        getattr(self.worker_a, method)(*args)

    def set_playing(self, playing: bool) -> None:
        self._both("set_playing", bool(playing))

    def play(self) -> None:
        self._both("play")

    def pause(self) -> None:
        self._both("pause")

    def step_once(self, n: int = 1) -> None:
        self._both("step_once", int(n))

    def set_language(self, code: str) -> None:
        self._both("set_language", code)

    def set_speed_limit(self, steps_per_second: float | None) -> None:
        self._both("set_speed_limit", steps_per_second)

    def set_probes(self, images: np.ndarray) -> None:
        """Run B's probes (run A's go through the window's own connection)."""
        if self.active:
            self.worker_b.set_probes(images)

    def reset(self, settings_a: Settings | None = None) -> None:
        """Both runs back to step 0 (same seed): run A with ``settings_a`` (default: as it started),
        run B with the same plus the compared change."""
        if settings_a is not None:
            self.settings_a = settings_a
            self.settings_b = settings_a.replace(**self.change)
        self.worker_a.reset(self.settings_a)
        if self.active:
            self.worker_b.reset(self.settings_b)
        self.timeline_b.clear()

    def update_settings(self, **changes: Any) -> None:
        """A live change of the user's: both runs, except that run B keeps its compared knob."""
        self.worker_a.update_settings(**changes)
        for_b = {k: v for k, v in changes.items() if k not in self.change}
        if self.active and for_b:
            self.worker_b.update_settings(**for_b)

    # -------------------------------------------------------------- snapshots
    def take_snapshot(self) -> Snapshot | None:
        """Run B's snapshot that arrived since the last call, or ``None``; kept for scrubbing."""
        snap = self.worker_b.take_snapshot() if self.active else None
        if snap is not None:
            self.latest_b = snap
            self.timeline_b.offer(snap)
        return snap

    def snapshot_near(self, step: int | None) -> Snapshot | None:
        """Run B's kept snapshot nearest training step ``step`` (a moment scrubbed back to); the
        latest when ``step`` is ``None`` (live) or nothing is kept."""
        if step is None or not len(self.timeline_b):
            return self.latest_b
        return self.timeline_b.nearest(int(step))
