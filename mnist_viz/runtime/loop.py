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
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from mnist_viz.core import checkpoint, i18n
from mnist_viz.core.backprop_step import explain_next_step
from mnist_viz.core.files import write_metrics_csv
from mnist_viz.core.parallel import limit_blas
from mnist_viz.core.presets import Preset
from mnist_viz.core.snapshot import LoopState, Settings
from mnist_viz.core.surgery import alter_weights, describe_alteration, weight_zero_fraction
from mnist_viz.core.trainer import Trainer
from mnist_viz.runtime.channels import TrainerEnd
from mnist_viz.runtime.lockstep import FREE, StepCounters
from mnist_viz.runtime.protocol import (
    AlterWeights,
    BudgetFinished,
    Command,
    CommandDone,
    CommandError,
    CommandFailed,
    Envelope,
    Event,
    ExplainStep,
    ExportMetrics,
    LoadSession,
    LockStep,
    Pause,
    Play,
    PlayingChanged,
    ProcessFailed,
    Ready,
    Reset,
    Restore,
    RestoreWeights,
    Resume,
    SaveSession,
    SetBudget,
    SetLanguage,
    SetProbes,
    SetSpeedLimit,
    SetUnitEnabled,
    SnapshotReady,
    Step,
    StepExplained,
    Stop,
    Stopped,
    UpdateSettings,
    WeightsAltered,
    check_fields,
    command_name,
)
from mnist_viz.runtime.shared_data import open_dataset
from mnist_viz.runtime.transport import SnapshotWriter

# s between snapshots: at most ~37/s; with the time a step and a frame take, ~33 frames/s arrive
SNAPSHOT_INTERVAL = 0.027
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
# s between two layer-health computations while training runs: the Health tab redraws at most every
# 0.25 s (panels/health.py), so computing them more often would be thrown away.
HEALTH_INTERVAL = 0.25
PARENT_CHECK_INTERVAL = 1.0  # s between checks that the window's process is still there
# s a run held back by lockstep waits before it looks at the other run's count again: well under a
# step (2-4 ms at 784-256-10), so with a slack of a few steps the faster run never waits in vain.
LOCK_POLL = 0.0005


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


# ------------------------------------------------------------------------------ commands
class CommandBuffer:
    """Commands waiting to be applied, in order, with coalescing: consecutive ``UpdateSettings``
    merge into one (a burst of 1,000 slider moves becomes one ``Trainer.update`` and one marker,
    carrying the last value, answered under the newest sequence number), and a command whose type
    ``replaces_waiting`` (probes, speed limit) replaces a waiting one of its type."""

    def __init__(self) -> None:
        self.items: list[Envelope] = []
        self.seq = 0  # sequence number of the newest command added

    def add(self, envelope: Envelope) -> None:
        """Queue a checked envelope (see ``TrainingLoop.receive``)."""
        self.seq = max(self.seq, envelope.seq)
        command = envelope.command
        last = self.items[-1].command if self.items else None
        if isinstance(command, UpdateSettings) and isinstance(last, UpdateSettings):
            self.items[-1] = Envelope(envelope.seq, UpdateSettings({**last.changes, **command.changes}))
            return
        if command.replaces_waiting:
            for i, waiting in enumerate(self.items):
                if type(waiting.command) is type(command):
                    self.items[i] = envelope
                    return
        self.items.append(envelope)

    def skip(self, seq: int) -> None:
        """Count a refused command as handled, so snapshots still catch up with what was sent."""
        self.seq = max(self.seq, seq)

    def take(self) -> tuple[list[Envelope], int]:
        """The waiting commands, and the sequence number they bring the loop up to."""
        items, self.items = self.items, []
        return items, self.seq


@dataclass
class IntactWeights:
    """The network's parameters as they were before the first ``AlterWeights`` (exact copies, never
    handed to the network: training writes into the arrays it holds), their accuracy on ``split``,
    and the alteration in place now (``noise``, ``prune``: for the marker if training goes on)."""

    params: list[np.ndarray]
    accuracy: float
    split: str
    noise: float = 0.0
    prune: float = 0.0


# ------------------------------------------------------------------------------ the loop
class TrainingLoop:
    """Steps the trainer while playing, applies commands between steps, evaluates now and then,
    and sends a snapshot when one is due and the window asked for it ("pull": the window takes
    snapshot n before snapshot n+1 is built, so the per-step rows a snapshot carries since the
    previous one are never lost).

    Args:
        trainer: the trainer to drive.
        send: ``send(event)`` to the window, an ``Event`` of ``protocol``.
        snapshot_wanted: returns True when the window has taken the last snapshot; called only
            when a snapshot is due, and must then reset itself (e.g. an Event's wait/clear).
    """

    def __init__(self, trainer: Trainer, send: Callable[[Event], None], snapshot_wanted: Callable[[], bool],
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
        self.last_health = -math.inf  # when a snapshot last carried the layer health
        self.last_step_time = -math.inf
        # End of the previous step taken at a pace (and its trainer), while playing: the wait until
        # the next one is training time too (``_count_paced_wait``).
        self.paced_since: tuple[float, Trainer] | None = None
        self.last_eval = (-1, -math.inf)  # (step, time) of the last evaluation
        self.eval_cost = 0.0
        self.budget: Preset | None = None  # the recipe whose budget this run trains, see _on_set_budget
        self.budget_armed = False  # True until the budget is reached; Start then trains on
        self.budget_settings: Settings | None = None  # the settings the budget's run started with
        self.process = 0  # see LoopState.process
        self.applying_seq = 0  # the sequence number of the command being applied (for handlers that answer)
        self.lock: StepCounters | None = None  # lockstep with another run (a comparison), see LockStep
        self.lock_unit = "steps"
        self.intact: IntactWeights | None = None  # set while the weights are altered (AlterWeights)

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
        self._publish_count()
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
        if self.lock is not None and self.lock.must_wait(self._lock_count()):
            return LOCK_POLL  # the other run of the comparison is behind: wait for it
        if not self.steps_owed and self.speed_limit > 0:
            due = self.last_step_time + 1.0 / self.speed_limit
            if now < due:
                return due - now
        self.steps_owed = max(0, self.steps_owed - 1)
        self.last_step_time = now
        self._count_paced_wait(tr, now)
        try:
            result = tr.step()
        except Exception as e:  # a bug, or a state no check foresaw: pause and say so, never end the process
            self._set_playing(False)
            self.steps_owed = 0
            self.send(CommandFailed(command="step", reason=i18n.tr(
                "training stopped by an internal error ({error}); Reset or load a session").format(
                    error=f"{type(e).__name__}: {e}")))
            return IDLE_WAIT
        self.dirty = True
        self.paced_since = (time.perf_counter(), tr) if self.playing and self.speed_limit > 0 else None
        if result.diverged:
            self._set_playing(False)
            self.evaluate()  # the curves and the status line then show where the stopped weights stand
        elif self.budget_armed and self._budget_reached():
            self._finish_budget()
        return None

    def _count_paced_wait(self, tr: Trainer, now: float) -> None:
        """At a pace (a speed limit), add the wait since the previous step to the trainer's training
        time: what the room saw train is the clock on the wall (1 epoch ≈ 30 s), and a saved session
        keeps it, where counting only the steps' own compute said "0:01 trained" after a minute."""
        if self.paced_since is not None and self.paced_since[1] is tr and self.playing and self.speed_limit > 0:
            tr.elapsed += max(0.0, now - self.paced_since[0])
        self.paced_since = None

    def _lock_count(self) -> int:
        return self.trainer.step_count if self.lock_unit == "steps" else self.trainer.samples_seen

    def _publish_count(self) -> None:
        """Tell a lockstepped run where this one is; a diverged run holds no one back (it will not
        step again until restored)."""
        if self.lock is not None:
            self.lock.publish(FREE if self.trainer.diverged else self._lock_count())

    def _budget_reached(self) -> bool:
        if self.budget is None:
            return False
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
        assert preset is not None  # only an armed budget finishes
        reference = i18n.tr(" (the tutorial reported {reference})").format(
            reference=preset.reference) if preset.reference else ""
        finished = (i18n.tr("“{title}” finished its {budget}: test accuracy {accuracy}{reference}. Start trains on.")
                    if self.trainer.eval_split_name == "test" else
                    i18n.tr("“{title}” finished its {budget}: validation accuracy {accuracy}{reference}. "
                            "Start trains on."))
        self.send(BudgetFinished(preset=preset.name, accuracy=accuracy, message=finished.format(
            title=i18n.tr(preset.title), budget=preset.budget, accuracy=i18n.format_percent(accuracy, 2),
            reference=reference)))

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
        ``(loss, accuracy)``. While the weights are altered (``AlterWeights``) nothing is added: the
        curves show the run as trained, and a demonstration that is then undone is no part of it."""
        if self.intact is not None:
            return self.trainer.evaluate()
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
        # Layer health costs about one training step (benchmarks/health_cost.py: 4.7 ms at 784-512-10,
        # 5.6 ms at 784-512-128-10): at every snapshot that is 15-19% of throughput, at HEALTH_INTERVAL ~2%.
        with_health = not self.playing or now - self.last_health >= HEALTH_INTERVAL
        self.send(SnapshotReady(snapshot=self.trainer.snapshot(self.probes, loop=self.state(), health=with_health)))
        if with_health:
            self.last_health = now
        self.dirty = False
        self.last_publish = now
        return IDLE_WAIT

    def resume(self, resume: Resume) -> None:
        """Carry on a run whose training process died (see ``Resume``)."""
        self.trainer.load_state_dict(resume.state)
        self.run_id = resume.run_id  # the same run: the window keeps its curves and timeline
        self.applied_seq = self.commands.seq = resume.applied_seq  # what the old process never got is lost
        self.speed_limit, self.probes = resume.speed_limit, resume.probes
        self.process = resume.process
        self.budget = resume.budget
        self.budget_settings = self.trainer.settings if resume.budget is not None else None
        self.budget_armed = resume.budget is not None and not self._budget_reached()
        self._set_playing(resume.playing)

    def state(self) -> LoopState:
        """What the loop is doing now, as the next snapshot will carry it."""
        return LoopState(run_id=self.run_id, applied_seq=self.applied_seq, playing=self.playing,
                         speed_limit=self.speed_limit, budget=self.budget if self.budget_armed else None,
                         process=self.process)

    def _set_playing(self, playing: bool) -> None:
        if not playing:
            self.paced_since = None  # a pause is not training time
        if playing != self.playing:
            self.playing = playing
            self.send(PlayingChanged(playing=playing))
        self.dirty = True

    # --------------------------------------------------------------- commands
    def receive(self, envelope: Any) -> None:
        """Queue a message from the window if it is a well-formed command; anything else is answered
        with ``CommandFailed`` naming it and the reason, and changes nothing."""
        if not isinstance(envelope, Envelope) or not isinstance(envelope.seq, int):
            self.send(CommandFailed(command=type(envelope).__name__, reason="not a command envelope"))
            return
        command = envelope.command
        try:
            if type(command) not in self.HANDLERS:
                raise CommandError("the training process does not know this command")
            check_fields(command)
        except (CommandError, TypeError) as e:
            self.send(CommandFailed(reply_to=envelope.seq, command=_name(command), reason=str(e)))
            self.commands.skip(envelope.seq)  # else the window would wait for it before syncing its controls
            return
        self.commands.add(envelope)

    def apply(self, envelopes: list[Envelope]) -> None:
        """Carry out checked commands in order. A handler that fails reports ``CommandFailed`` and
        training goes on (a refused setting, an unwritable file, or a bug: never the end of the run);
        one that returns a message reports ``CommandDone`` with it."""
        for envelope in envelopes:
            command = envelope.command
            self.applying_seq = envelope.seq
            try:
                message = self.HANDLERS[type(command)](self, command)
            except Exception as e:
                expected = isinstance(e, (ValueError, OSError))  # refusals say why in their message
                reason = str(e) if expected else f"{type(e).__name__}: {e}"
                self.send(CommandFailed(reply_to=envelope.seq, command=command_name(command), reason=reason))
            else:
                if message:
                    self.send(CommandDone(reply_to=envelope.seq, command=command_name(command), message=message))
            self.dirty = True

    def _on_stop(self, _: Stop) -> None:
        self.stopped = True
        if self.lock is not None:  # a lockstepped run must not wait for one that has ended
            self.lock.close()
            self.lock = None

    def _on_play(self, _: Play) -> None:
        if not self.trainer.diverged:
            self._keep_alteration()
        self._set_playing(not self.trainer.diverged)

    def _on_pause(self, _: Pause) -> None:
        self._set_playing(False)

    def _on_step(self, command: Step) -> None:
        if not self.trainer.diverged:
            self._keep_alteration()
        self._set_playing(False)
        self.steps_owed += command.n

    def _on_explain_step(self, command: ExplainStep) -> None:
        """Pause and send the next step taken apart. Steps still owed are dropped: they would train
        on the batch explained before the window's ``Step`` could."""
        self._set_playing(False)
        self.steps_owed = 0
        explanation = explain_next_step(self.trainer, command.images)  # stopped training: ValueError says why
        self.send(StepExplained(reply_to=self.applying_seq, explanation=explanation))

    def _on_update_settings(self, command: UpdateSettings) -> None:
        resizes = tuple(command.changes.get("hidden", self.trainer.settings.hidden)) != self.trainer.settings.hidden
        if resizes:  # the intact copy would no longer fit the network: the altered weights become the run's
            self._keep_alteration()
        self.trainer.update(**command.changes)
        self._end_budget_if_changed(self.trainer.settings)

    def _end_budget_if_changed(self, settings: Settings) -> None:
        """A run whose settings are no longer the ones its budget started with is no longer the
        recipe (switched to Adam, then Reset: it must not stop at the recipe's 3 epochs)."""
        if self.budget is not None and settings != self.budget_settings:
            self.budget, self.budget_armed, self.budget_settings = None, False, None

    def _on_reset(self, command: Reset) -> None:
        # A fresh start waits at step 0 for Start, so the room sees the first steps happen.
        self._set_playing(False)
        # Resetting the same recipe runs its budget again; other settings are no longer the recipe.
        self._end_budget_if_changed(command.settings if command.settings is not None else self.trainer.settings)
        self.budget_armed = self.budget is not None
        self.trainer.reset(command.settings)
        self.intact = None  # fresh weights: nothing left to restore
        self.run_id += 1
        self.steps_owed = 0
        self.evaluate()

    def _on_restore(self, command: Restore) -> str:
        message = self.trainer.restore_last_good(command.lr_factor)
        self.intact = None  # the restored copy replaced the altered weights
        self.evaluate()  # the curves show at once where the restored weights stand
        if command.resume is not None:
            self._set_playing(command.resume)
        return message

    def _on_set_budget(self, command: SetBudget) -> None:
        """Pause when the run reaches the preset's budget (its epochs or iterations); ``None`` trains
        until paused."""
        self.budget = command.preset
        self.budget_settings = self.trainer.settings if command.preset is not None else None
        self.budget_armed = command.preset is not None and not self._budget_reached()

    def _on_set_probes(self, command: SetProbes) -> None:
        self.probes = command.images

    def _on_set_speed_limit(self, command: SetSpeedLimit) -> None:
        self.speed_limit = float(command.steps_per_second)

    def _on_set_unit_enabled(self, command: SetUnitEnabled) -> None:
        self.trainer.set_unit_enabled(int(command.unit), bool(command.enabled))
        self.evaluate()  # the class sees the accuracy change at once

    # -------------------------------------------------------- weight surgery
    def _on_alter_weights(self, command: AlterWeights) -> None:
        """Pause, keep the intact weights (first alteration only), put ``command``'s alteration of
        them in the network and answer with the test accuracy of both. Steps still owed are dropped
        (they would train the altered weights unasked); the optimizer's state is not touched. The
        next snapshot carries the altered weights, so the views show them; the curves do not (see
        ``evaluate``)."""
        self._set_playing(False)
        self.steps_owed = 0
        tr = self.trainer
        if self.intact is None:
            if self.last_eval[0] != tr.step_count and not tr.diverged:
                self.evaluate()  # the curves' last point is then the intact weights', at this very step
            split = "test" if len(tr.data.x_test) else "eval"
            self.intact = IntactWeights([p.copy() for p in tr.net.params], tr.evaluate(split)[1], split)
        intact = self.intact
        tr.net.set_params(alter_weights(intact.params, float(command.noise), float(command.prune), int(command.seed)))
        self._weights_replaced()
        intact.noise, intact.prune = float(command.noise), float(command.prune)
        self.send(WeightsAltered(reply_to=self.applying_seq, accuracy_before=intact.accuracy,
                                 accuracy_after=tr.evaluate(intact.split)[1], noise=intact.noise,
                                 prune=intact.prune, seed=int(command.seed),
                                 zero_fraction=weight_zero_fraction(tr.net.params), split=intact.split))

    def _on_restore_weights(self, _: RestoreWeights) -> None:
        """Put the intact weights back exactly (copies: training overwrites the network's arrays)."""
        intact = self.intact
        if intact is None:
            raise ValueError(i18n.tr("the weights are not altered (or training went on from the altered ones): "
                                     "nothing to restore"))
        tr = self.trainer
        tr.net.set_params([p.copy() for p in intact.params])
        self._weights_replaced()
        self.intact = None
        self.send(WeightsAltered(reply_to=self.applying_seq, accuracy_before=intact.accuracy,
                                 accuracy_after=tr.evaluate(intact.split)[1],
                                 zero_fraction=weight_zero_fraction(tr.net.params), split=intact.split,
                                 restored=True))

    def _weights_replaced(self) -> None:
        # The optimizer's spare buffers are no longer "the parameters before the last step": without
        # this the Health tab would show the alteration as the last step's update (Trainer._params_before).
        self.trainer._update_step = -1
        self.dirty = True

    def _keep_alteration(self) -> None:
        """Training goes on from the altered weights (Play, Step, a resize): they become the run's.
        The intact copy is dropped, a marker ("weights altered: noise 0.5×std, 80% pruned") says
        where, and the curves get the altered weights' point at that step, so they show the drop
        and then the recovery. The watchdog starts afresh: the drop is on purpose, not a collapse."""
        intact = self.intact
        if intact is None:
            return
        self.intact = None
        tr = self.trainer
        tr.add_marker(f"weights altered: {describe_alteration(intact.noise, intact.prune)}")
        tr.watchdog.restart()
        self.evaluate()

    def _on_lock_step(self, command: LockStep) -> None:
        if self.lock is not None:
            self.lock.close()
            self.lock = None
        if command.path:
            self.lock = StepCounters(command.path, command.me, command.slack)  # a bad file: ValueError
            self.lock_unit = command.unit
            self._publish_count()

    def _on_set_language(self, command: SetLanguage) -> None:
        try:
            i18n.set_language(command.code)
        except i18n.CatalogError as e:  # said to the window as CommandFailed; English (or as before) stays
            raise ValueError(str(e)) from e

    def _on_save_session(self, command: SaveSession) -> str:
        checkpoint.save_checkpoint(self.trainer, command.path)
        return i18n.tr("Session saved to {path}").format(path=command.path)

    def _on_load_session(self, command: LoadSession) -> str:
        checkpoint.load_checkpoint(self.trainer, command.path)  # a bad file raises and leaves the session as it was
        self.intact = None  # another run: its weights are not the ones kept
        self._set_playing(False)
        self.budget, self.budget_armed = None, False  # a loaded session is no longer the preset's run
        self.run_id += 1  # the views clear, then get the loaded run's whole history
        self.trainer.replay_history()
        self.evaluate()
        return i18n.tr("Session loaded from {path} (step {step})").format(
            path=command.path, step=i18n.format_int(self.trainer.step_count))

    def _on_export_metrics(self, command: ExportMetrics) -> str:
        self.trainer.flush()
        write_metrics_csv(self.trainer.history, command.path)
        return i18n.tr("Metrics written to {path}").format(path=command.path)

    # Which handler carries out which command: the one place the loop dispatches from.
    HANDLERS: ClassVar[dict[type[Command], Callable[[Any, Any], str | None]]] = {
        Stop: _on_stop, Play: _on_play, Pause: _on_pause, Step: _on_step, UpdateSettings: _on_update_settings,
        Reset: _on_reset, Restore: _on_restore, SetBudget: _on_set_budget, SetProbes: _on_set_probes,
        SetSpeedLimit: _on_set_speed_limit, SetUnitEnabled: _on_set_unit_enabled, SaveSession: _on_save_session,
        LoadSession: _on_load_session, ExportMetrics: _on_export_metrics, ExplainStep: _on_explain_step,
        LockStep: _on_lock_step, AlterWeights: _on_alter_weights, RestoreWeights: _on_restore_weights,
        SetLanguage: _on_set_language,
    }


def _name(command: object) -> str:
    """How a reply names a command that may not be one."""
    return command_name(command) if isinstance(command, Command) else type(command).__name__


# ------------------------------------------------------------------------ the process
def _drain(channel: TrainerEnd, loop: TrainingLoop, timeout: float | None) -> None:
    """Hand every waiting message from the window to ``loop.receive``; wait up to ``timeout`` for
    the first one (``None``: do not wait). Raises ``EOFError`` when the window's process is gone."""
    message = channel.next_command(timeout)
    while message is not None:
        loop.receive(message)
        message = channel.next_command(None)


def main(channel: TrainerEnd, data_spec: dict, settings: Settings, blas_threads: int | None,
         snapshot_interval: float, eval_interval: float, snapshot_folder: str, resume: Resume | None = None) -> None:
    """Entry point of the training process: runs until a ``Stop`` command arrives or the window's
    process is gone. ``channel`` is this process's end of the pipes (``channels.TrainerEnd``). A
    ``SnapshotReady`` leaves with its large arrays in a file in ``snapshot_folder`` (see
    ``transport``). ``resume`` carries on the run of a process that died."""
    import signal

    # Only the window decides when training ends. Ctrl+C in the terminal, `timeout` or a logout
    # signal the whole process group; this process would die mid-step with a KeyboardInterrupt
    # traceback while the window waits for it. Ignored, the window's Stop (or its death: the pipes
    # close) ends it; a window that cannot wait kills it (SIGKILL).
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)
    writer = SnapshotWriter(snapshot_folder)

    def send(event: Event) -> None:
        if isinstance(event, SnapshotReady) and event.snapshot is not None:
            light, layout = writer.pack(event.snapshot)
            event = SnapshotReady(snapshot=light, layout=layout)
        channel.send(event)

    limit = limit_blas(blas_threads) if blas_threads else contextlib.nullcontext()
    try:
        # Overflow is how divergence starts; the trainer detects it and the window explains it in
        # plain words, so NumPy's warnings would only add noise to the lecturer's terminal.
        with limit, np.errstate(over="ignore", invalid="ignore"):
            with contextlib.suppress(i18n.CatalogError):  # a broken catalog: English; the window says why
                i18n.set_language(os.environ.get(i18n.LANGUAGE_ENV, "en"))  # a (re)started process speaks it too
            loop = TrainingLoop(Trainer(open_dataset(data_spec), settings), send, channel.snapshot_wanted,
                                snapshot_interval, eval_interval)
            if resume is not None:
                loop.resume(resume)
            send(Ready())
            _run(loop, channel)
    except (EOFError, BrokenPipeError):  # the window's process is gone: no one to train for
        writer.close()
        return
    except Exception:
        send(ProcessFailed(details=traceback.format_exc()))
    writer.close()
    with contextlib.suppress(OSError):
        send(Stopped())


def _run(loop: TrainingLoop, channel: TrainerEnd) -> None:
    parent = multiprocessing.parent_process()
    next_parent_check = time.perf_counter() + PARENT_CHECK_INTERVAL
    loop.evaluate()  # a first point on the accuracy curve, at step 0
    wait = None
    while not loop.stopped:
        _drain(channel, loop, wait)
        wait = loop.tick()
        if time.perf_counter() > next_parent_check:
            next_parent_check = time.perf_counter() + PARENT_CHECK_INTERVAL
            if parent is not None and not parent.is_alive():
                return  # the window's process died without saying stop: do not train on as an orphan
