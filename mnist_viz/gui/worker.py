"""TrainingWorker: the window's handle on training, which runs in a process of its own.

The window never touches the trainer. It sends commands (``runtime.protocol``: play, pause, step,
reset, settings, probes, speed limit, restore, files) that the training loop applies between two
steps, so a change acts on the next batch; a burst of the same setting collapses to its last value (``CommandBuffer``).
Snapshots come back by the "pull" model: the loop builds one at most every ``SNAPSHOT_INTERVAL``
seconds, and only after the window took the previous one with ``take_snapshot()``. A snapshot
carries the curve points since the previous snapshot, so this is what guarantees that no point is
lost however slow the window is: meanwhile the points pile up in the trainer.

Why a process (``runtime.loop``): Python's GIL lets only one thread run Python at a time, and a
training thread lost most of its speed to the painting thread (measured: 16-30% of headless speed at
512 units with every panel live). ``TrainingWorker`` is still a ``QThread``: on it the window's
process receives the training process's messages (snapshots, state changes, errors) without ever
blocking the GUI thread.

A training process that dies (killed, out of memory) loses nothing: the receiving thread notices
within ``RECEIVE_POLL``, and starts a new process that carries on from the latest snapshot's weights
and the history gathered from every snapshot (``runtime.protocol.Resume``), so the window keeps its
curves, markers and timeline. Meanwhile ``save_session`` writes the session from what the window
holds.

Another dataset (``set_dataset``) means another training process: the running one is asked to stop,
and once it has, a new one starts on the new data with fresh weights (a new run; the window clears
its views). Commands sent meanwhile go to the new process.
"""
from __future__ import annotations

import multiprocessing
import shutil
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QThread, QTimer, Signal

from mnist_viz.core import checkpoint
from mnist_viz.core.backprop_step import MAX_IMAGES
from mnist_viz.core.i18n import format_int, tr
from mnist_viz.core.parallel import threads_for
from mnist_viz.core.snapshot import History, Settings, Snapshot
from mnist_viz.core.trainer import Trainer
from mnist_viz.runtime import loop as training_loop
from mnist_viz.runtime import protocol as p
from mnist_viz.runtime.channels import WindowEnd
from mnist_viz.runtime.loop import EVAL_INTERVAL, SNAPSHOT_INTERVAL, check_not_spawning
from mnist_viz.runtime.shared_data import published_spec, ram_folder, remove_stale_folders, share_dataset
from mnist_viz.runtime.transport import SnapshotReader

if TYPE_CHECKING:
    from mnist_viz.core.data import Dataset
    from mnist_viz.core.presets import Preset

# Threads of the training process (BLAS and the element-wise passes): by core.parallel's rule, all
# cores but one, which the window needs to paint; so 1 on a 2-core machine. Measured 2026-11-21 with
# benchmarks/gui_bench.py --variants 1 2:4 2 --repeats 2 --seconds 20 (2 cores, 512 hidden units,
# every panel live; "2:4" = two threads with OPENBLAS_THREAD_TIMEOUT=4, so an idle BLAS thread sleeps):
#   1 thread:  33.8-33.9 frames/s, p99 15-18 ms, 36.1-37.3k samples/s (92-93% of a 1-thread headless run)
#   2:4:       34.0-34.6 frames/s, p99 29-31 ms, 26.1-37.6k samples/s, a third of a core more CPU
#   2:         31.8-32.8 frames/s, p99 31-32 ms, 16.9-22.3k samples/s (the idle thread spins on the
#              window's core and every product waits for whichever thread lost the core)
# Headless, 2 threads train 1.5x faster than 1, but the window needs ~0.45 of the second core to
# paint ~34 frames/s, and a second thread sharing that core gains nothing.
def default_threads() -> int:
    """The training process's threads by the rule (``MNIST_VIZ_THREADS`` overrides; a bad value
    falls back to the rule's own answer: the window must open)."""
    try:
        return threads_for(window=True)
    except ValueError:
        return threads_for(window=True, environ={})


RECEIVE_POLL = 0.05  # s the receiving thread waits for a message before checking on the process
RESTART_LIMIT = 3  # automatic restarts of a dying training process within RESTART_WINDOW s ...
RESTART_WINDOW = 60.0  # ... before the window stops trying (something kills it at once, every time)


def _freeze(snap: Snapshot) -> Snapshot:
    """Mark a snapshot's arrays read-only again (pickling does not keep that flag)."""
    for value in vars(snap).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return snap


class TrainingWorker(QThread):
    """Starts the training process and relays between it and the window.

    Every public method may be called from the GUI thread at any time; commands only queue a
    message (acted on before the next batch) and return its sequence number, which the events that
    answer it carry as ``reply_to``; ``take_snapshot`` only swaps a reference.

    Signals (delivered queued to the GUI thread):
        snapshotReady(): a snapshot is waiting for ``take_snapshot``.
        playingChanged(bool): training started or stopped (also on divergence).
        commandDone(CommandDone): a file was written or read as asked.
        commandFailed(CommandFailed): a command was refused (a setting the trainer rejected, a bad file).
        budgetFinished(BudgetFinished): a recipe reached its budget; training paused.
        stepExplained(StepExplanation): the answer to ``explain_step`` (``core.backprop_step``).
        weightsAltered(WeightsAltered): the answer to ``alter_weights`` or ``restore_weights``: test
            accuracy of the intact and of the present weights.
        failed(str): training crashed (traceback text), or its process kept dying; training has ended.
        processLost(str): the training process died; a new one is starting from the latest weights.
        processRestarted(str): the new process carries on the run.
    A snapshot's ``loop`` field says what the loop was doing (``core.snapshot.LoopState``).
    """

    snapshotReady = Signal()
    playingChanged = Signal(bool)
    commandDone = Signal(object)
    commandFailed = Signal(object)
    budgetFinished = Signal(object)
    stepExplained = Signal(object)
    weightsAltered = Signal(object)
    failed = Signal(str)
    processLost = Signal(str)
    processRestarted = Signal(str)

    def __init__(self, data: Dataset, settings: Settings | None = None, *,
                 blas_threads: int | None = None, snapshot_interval: float = SNAPSHOT_INTERVAL,
                 eval_interval: float = EVAL_INTERVAL, parent: Any = None):
        check_not_spawning()
        super().__init__(parent)
        self.setObjectName("mnist-viz-worker")
        self.settings = settings or Settings()
        Trainer(data, self.settings)  # raises ValueError here, in the caller, if the settings do not fit
        self._data = data
        self._options = (default_threads() if blas_threads is None else blas_threads, snapshot_interval, eval_interval)
        self._context = multiprocessing.get_context("spawn")  # fork is unsafe in a process running Qt threads
        self._new_channels()
        self._sent = 0
        self._local_seq = 0
        self._snap_lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._process: Any = None
        self._stopping = False
        # What a restarted process needs and a save without one writes: the newest snapshot received
        # (taken or not), the history its predecessors brought, the probes last sent.
        self._record_lock = threading.Lock()
        self._newest: Snapshot | None = None
        self._history = History()
        self._probes = np.zeros((0, 784), np.float32)
        self._restarts: list[float] = []
        self._alive = False  # a process is running the run (False from its death until its successor is Ready)
        self._switch_to: tuple[Dataset, Settings] | None = None  # set_dataset's, until the old process has ended
        self._relay: dict[type, Callable[[Any], None]] = {
            p.PlayingChanged: lambda e: self.playingChanged.emit(e.playing),
            p.CommandDone: self.commandDone.emit, p.CommandFailed: self.commandFailed.emit,
            p.BudgetFinished: self.budgetFinished.emit, p.ProcessFailed: lambda e: self.failed.emit(e.details),
            p.StepExplained: lambda e: self.stepExplained.emit(e.explanation),
            p.WeightsAltered: self.weightsAltered.emit}

    # ------------------------------------------------------------ commands
    @property
    def commands_sent(self) -> int:
        """How many commands were queued so far (compare a snapshot's ``loop.applied_seq``)."""
        return self._sent

    def send(self, command: p.Command) -> int:
        """Queue ``command`` for the training loop; returns its sequence number."""
        self._sent += 1
        if isinstance(command, p.SetProbes):
            self._probes = command.images
        self._channel.send(p.Envelope(self._sent, command))
        return self._sent

    def play(self) -> int:
        return self.send(p.Play())

    def pause(self) -> int:
        return self.send(p.Pause())

    def set_playing(self, playing: bool) -> int:
        return self.send(p.Play() if playing else p.Pause())

    def step_once(self, n: int = 1) -> int:
        """Pause and train exactly ``n`` batches."""
        return self.send(p.Step(int(n)))

    def explain_step(self, images: int = MAX_IMAGES) -> int:
        """Pause and take the next step apart without taking it; ``stepExplained`` brings it (or
        ``commandFailed`` says why not). A ``step_once()`` afterwards trains on that same batch."""
        return self.send(p.ExplainStep(int(images)))

    def alter_weights(self, noise: float, prune: float, seed: int = 0) -> int:
        """Pause and alter the live network's weights (``protocol.AlterWeights``): noise of ``noise`` ×
        each weight matrix's std, then the smallest ``prune`` fraction of each set to 0. Always of the
        intact weights; ``weightsAltered`` brings the accuracy before and after, ``commandFailed`` a
        refused value. Training on (``play``, ``step_once``) keeps the altered weights."""
        return self.send(p.AlterWeights(float(noise), float(prune), int(seed)))

    def set_language(self, code: str) -> int:
        """Have the training process write its messages in language ``code`` (``protocol.SetLanguage``)."""
        return self.send(p.SetLanguage(str(code)))

    def restore_weights(self) -> int:
        """Put back, bit for bit, the weights kept before the first ``alter_weights``."""
        return self.send(p.RestoreWeights())

    def update_settings(self, **changes: Any) -> int:
        """Live settings (``Trainer.update``); a burst of calls collapses to the last values."""
        return self.send(p.UpdateSettings(changes))

    def reset(self, settings: Settings | None = None) -> int:
        """Pause at step 0 with fresh weights from the seed; with ``settings``, restart with those."""
        return self.send(p.Reset(settings))

    def restore_last_good(self, lr_factor: float = 1.0, resume: bool | None = None) -> int:
        """Back to the last sane weights; ``lr_factor`` (e.g. 0.1) scales the learning rate too.
        ``resume``: start (True) or pause (False) afterwards; ``None`` keeps the current state."""
        return self.send(p.Restore(float(lr_factor), resume))

    def set_budget(self, preset: Preset | None) -> int:
        """Train ``preset``'s budget (its epochs or full-batch iterations), then pause and report the
        accuracy reached next to the tutorial's (``budgetFinished``). ``None``, or a teaching
        scenario (``Preset.stops_at_budget``): train until paused.
        Resetting with other settings drops the budget; resetting with the same ones runs it again."""
        return self.send(p.SetBudget(preset if preset is not None and preset.stops_at_budget else None))

    def set_probes(self, images: np.ndarray) -> int:
        """``(P, 784) float32`` images whose softmax and hidden activations each snapshot carries."""
        return self.send(p.SetProbes(np.array(images, dtype=np.float32).reshape(-1, 784)))

    def set_unit_enabled(self, unit: int, enabled: bool) -> int:
        """Switch hidden unit ``unit`` off (ablate) or back on; an evaluation follows at once."""
        return self.send(p.SetUnitEnabled(int(unit), bool(enabled)))

    def save_session(self, path: str) -> int:
        """Write a checkpoint with the whole history; ``commandDone`` or ``commandFailed`` answers.
        While no training process runs the run (it died and its successor is starting), the session
        is written here from what the window holds (``save_held_session``)."""
        if self._alive or self._newest is None:
            return self.send(p.SaveSession(str(path)))
        # Answered here, never sent: a negative number keeps it apart from the loop's sequence.
        self._local_seq -= 1
        seq, command = self._local_seq, p.SaveSession(str(path))
        try:
            self.save_held_session(path)
        except checkpoint.CheckpointError as e:
            answer: Any = p.CommandFailed(reply_to=seq, command=p.command_name(command), reason=str(e))
            QTimer.singleShot(0, lambda: self.commandFailed.emit(answer))  # after the caller noted the seq
        else:
            answer = p.CommandDone(reply_to=seq, command=p.command_name(command),
                                   message=tr("Session saved to {path} (from the window: the training process "
                                              "was restarting)").format(path=path))
            QTimer.singleShot(0, lambda: self.commandDone.emit(answer))
        return seq

    @property
    def data(self) -> Dataset:
        """The dataset trained on (after ``set_dataset``, the new one at once)."""
        return self._switch_to[0] if self._switch_to is not None else self._data

    def set_dataset(self, data: Dataset, settings: Settings | None = None) -> None:
        """Train on ``data`` from now on, with fresh weights from ``settings`` (default: the current
        ones): the training process is asked to stop and a new one starts on ``data``; its first
        snapshot is of step 0. Snapshots still on their way from the old process are dropped.
        Raises ``ValueError`` (and changes nothing) when the settings do not fit ``data`` (a
        training subset larger than it)."""
        settings = settings if settings is not None else self.settings
        Trainer(data, settings)  # raises here, before the running process is touched
        with self._record_lock:
            self._newest, self._history = None, History()  # nothing of the old run is saved or resumed
        with self._snap_lock:
            self._latest = None
        if not self.isRunning():  # not started (or ended): the next start uses the new data
            self._data, self.settings = data, settings
            return
        # Both in place before the Stop leaves: the receiving thread, told the old process stopped, at once
        # takes the data and the channel for the next one (what is sent from now on waits for it there).
        old, self._channel = self._channel, WindowEnd(self._context)
        self._switch_to = (data, settings)
        self._sent += 1
        old.send(p.Envelope(self._sent, p.Stop()))

    def _take_switch(self) -> bool:
        """After the old process ended: start using ``set_dataset``'s data. False if none was asked."""
        if self._switch_to is None:
            return False
        self._data, self.settings = self._switch_to
        self._switch_to = None
        self._restarts = []
        with self._record_lock:
            self._newest, self._history = None, History()
        return True

    def held_state(self) -> dict | None:
        """A ``Trainer.state_dict`` rebuilt from the newest snapshot and the history gathered from all
        of them (``checkpoint.state_from_snapshot``), or ``None`` before the first snapshot."""
        with self._record_lock:
            if self._newest is None:
                return None
            return checkpoint.state_from_snapshot(self._newest, self._history, len(self._data.x_train))

    def save_held_session(self, path: str) -> None:
        """Write the session the window holds (see ``held_state``); raises ``CheckpointError``."""
        state = self.held_state()
        if state is None:
            raise checkpoint.CheckpointError(tr("cannot write {path}: nothing has been trained yet").format(path=path))
        checkpoint.save_state(state, path, len(self._data.x_train), int(self._data.x_train.shape[1]), self._data)

    def load_session(self, path: str) -> int:
        """Replace the run by a saved one; a bad file is refused (``commandFailed``) and changes nothing."""
        return self.send(p.LoadSession(str(path)))

    def export_metrics_csv(self, path: str) -> int:
        return self.send(p.ExportMetrics(str(path)))

    def set_speed_limit(self, steps_per_second: float | None) -> int:
        """Slow motion: at most this many steps per second (``None`` or 0 = as fast as possible)."""
        return self.send(p.SetSpeedLimit(float(steps_per_second or 0.0)))

    # ----------------------------------------------------------- snapshots
    def take_snapshot(self) -> Snapshot | None:
        """The snapshot that arrived since the last call, or ``None``; lets the loop build the next."""
        with self._snap_lock:
            snap, self._latest = self._latest, None
        if snap is not None:
            self._channel.snapshot_taken()
        return snap

    # ---------------------------------------------------------- lifecycle
    def is_training_alive(self) -> bool:
        """True while the training process exists (started and not yet ended)."""
        return self._process is not None and self._process.is_alive()

    def training_pid(self) -> int | None:
        """The training process's id (for tests that kill it), or ``None``."""
        return None if self._process is None else self._process.pid

    def _new_channels(self) -> None:
        """Fresh pipes for a new training process (a killed one may have left half a message)."""
        old = getattr(self, "_channel", None)
        self._channel = WindowEnd(self._context)
        if old is not None:
            old.close()

    def stop(self, timeout_ms: int = 1000) -> bool:
        """End training: ask the loop to stop after the current batch; if it has not within
        ``timeout_ms``, end its process (nothing is lost: the window keeps the settings). True when
        the process and this thread have ended."""
        deadline = time.monotonic() + timeout_ms / 1000
        if not self._stopping:
            self._stopping = True
            self.send(p.Stop())
        self.wait(max(0, int((deadline - time.monotonic()) * 1000)))
        process = self._process
        if process is not None and process.is_alive():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():  # inside one long NumPy call: end it rather than hang the window
                process.kill()  # not terminate(): the training process ignores SIGTERM (loop.main)
                process.join(0.5)
        self.wait(500)  # the receiving loop notices a finished process within RECEIVE_POLL
        return not self.isRunning() and (process is None or not process.is_alive())

    def run(self) -> None:  # the receiving thread
        remove_stale_folders()
        reader = SnapshotReader()
        folders: list[str] = []
        try:
            resume = None
            while not self._stopping:
                spec, folder = published_spec(self._data), None  # the window's own mapped copy, if it has one
                if spec is None:
                    folder = ram_folder()
                    folders.append(folder)
                    spec = share_dataset(self._data, folder)
                snapshot_folder = ram_folder()
                folders.append(snapshot_folder)
                if self._stopping:
                    break
                settings = self.settings if resume is None else resume.state["settings"]
                channel = self._channel  # set_dataset replaces self._channel while this process still runs
                self._process = self._context.Process(
                    target=training_loop.main, name="mnist-viz-trainer", daemon=True,
                    args=(channel.trainer_end(), spec, settings, *self._options, snapshot_folder, resume))
                self._process.start()
                channel.process_started()
                died = self._receive(channel, folder, reader, resumed=resume is not None)
                reader.close()  # the next process writes its snapshots elsewhere
                if self._take_switch():  # it stopped for set_dataset (or died meanwhile): start on the new data
                    channel.close()
                    resume = None
                    continue
                if not died:
                    break
                resume = self._resume_after_death()
                if resume is None:
                    break
        except Exception:
            self.failed.emit(traceback.format_exc())
        finally:
            reader.close()
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)

    def _resume_after_death(self) -> p.Resume | None:
        """After the training process died: a ``Resume`` for its successor (new channels are in
        place), or ``None`` when it died too often to try again (``failed`` says so)."""
        code = self._process.exitcode
        how = tr("it was killed") if code in (-9, -15) else tr("exit code {code}").format(code=code)
        now = time.monotonic()
        self._restarts = [t for t in self._restarts if now - t < RESTART_WINDOW] + [now]
        state = self.held_state()
        if len(self._restarts) > RESTART_LIMIT or state is None:
            self.failed.emit(tr("The training process ended unexpectedly ({how}) {times} times within a minute; it "
                                "is not restarted again. File > Save session still saves the run as the window "
                                "shows it; open it in a new window to go on.").format(
                how=how, times=format_int(len(self._restarts))))
            return None
        newest = self._newest
        assert newest is not None  # held_state() is not None
        self._new_channels()
        self.processLost.emit(tr("⚠ The training process ended unexpectedly ({how}). Restarting it from the "
                                 "weights of step {step}…").format(how=how, step=format_int(newest.step)))
        return p.Resume(state=state, run_id=newest.loop.run_id, applied_seq=self._sent,
                        playing=newest.loop.playing, speed_limit=newest.loop.speed_limit,
                        budget=newest.loop.budget, probes=self._probes, process=newest.loop.process + 1)

    def _receive(self, channel: WindowEnd, folder: str | None, reader: SnapshotReader, resumed: bool = False) -> bool:
        """Relay events from ``channel`` until the loop says it stopped (returns False) or its process
        is gone (returns True when that was not asked for: a death)."""
        while True:
            try:
                event = channel.receive(RECEIVE_POLL)
            except EOFError:  # the process ended without saying Stopped: killed, or out of memory
                self._process.join(RECEIVE_POLL)
                self._alive = False
                return not self._stopping
            if event is None:
                if not self._process.is_alive():
                    self._alive = False
                    return not self._stopping
                continue
            if isinstance(event, p.SnapshotReady) and self._switch_to is not None:
                continue  # of the data being left: the window has cleared its views for the new one
            if isinstance(event, p.SnapshotReady):
                snap = _freeze(reader.unpack(event.snapshot, event.layout))  # copied out before the next write
                self._keep(snap)
                with self._snap_lock:
                    self._latest = snap
                self.snapshotReady.emit()
            elif isinstance(event, p.Ready):
                self._alive = True
                if folder is not None:  # mapped by the process now; free the names
                    shutil.rmtree(folder, ignore_errors=True)
                if resumed and self._newest is not None:
                    self.processRestarted.emit(tr("Training process restarted: carrying on from step {step} "
                                                  "(momentum and Adam's running averages start again)").format(
                        step=format_int(self._newest.step)))
            elif isinstance(event, p.Stopped):
                self._alive = False
                return False
            elif type(event) in self._relay:
                self._relay[type(event)](event)

    def _keep(self, snap: Snapshot) -> None:
        """Remember ``snap`` and add its rows and markers to the held history (see ``held_state``)."""
        with self._record_lock:
            if self._newest is not None and snap.loop.run_id != self._newest.loop.run_id:
                self._history = History()  # a reset or a load: the views clear too
            self._newest = snap
            h = self._history
            if len(snap.new_steps):
                h.steps.extend(np.asarray(snap.new_steps, np.float64))
            if len(snap.new_evals):
                h.evals.extend(np.asarray(snap.new_evals, np.float64))
            for marker in snap.new_markers:
                h.add_marker(marker)
