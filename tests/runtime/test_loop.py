"""The training loop on its own (no process, no window): commands in, events out."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pytest

from mnist_viz.core.presets import get_preset
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.runtime.loop import EVAL_BUDGET, CommandBuffer, TrainingLoop
from mnist_viz.runtime.protocol import (
    BudgetFinished,
    Command,
    CommandDone,
    CommandFailed,
    Envelope,
    ExportMetrics,
    LoadSession,
    Play,
    PlayingChanged,
    Reset,
    SaveSession,
    SetBudget,
    SetProbes,
    SetSpeedLimit,
    Step,
    UpdateSettings,
)


def _loop(data, settings):
    sent = []
    return TrainingLoop(Trainer(data, settings), sent.append, lambda: True), sent


def _do(loop, *commands, first_seq=1):
    """Receive and apply ``commands`` as the process would, numbered from ``first_seq``."""
    for i, command in enumerate(commands):
        loop.receive(Envelope(first_seq + i, command))
    items, _ = loop.commands.take()
    loop.apply(items)


def _run_until_paused(loop, max_ticks=10_000):
    _do(loop, Play())
    for _ in range(max_ticks):
        loop.tick()
        if not loop.playing:
            return
    raise AssertionError("the loop never paused")


def _of(sent, kind):
    return [event for event in sent if isinstance(event, kind)]


# ------------------------------------------------------------------------------- the buffer
def test_command_buffer_merges_a_burst_of_updates_and_keeps_the_last_value():
    buffer = CommandBuffer()
    for i in range(1000):
        buffer.add(Envelope(i + 1, UpdateSettings({"lr": 0.001 * (i + 1)})))
    buffer.add(Envelope(1001, UpdateSettings({"hidden": (8,)})))
    items, seq = buffer.take()
    assert len(items) == 1 and items[0].seq == 1001
    assert items[0].command.changes == {"lr": pytest.approx(1.0), "hidden": (8,)}
    assert seq == 1001


def test_command_buffer_keeps_order_across_kinds_and_replaces_probes_and_speed():
    buffer = CommandBuffer()
    old, new = np.zeros((1, 784), np.float32), np.ones((2, 784), np.float32)
    for seq, command in enumerate([UpdateSettings({"lr": 0.1}), Step(1), SetProbes(old), UpdateSettings({"lr": 0.2}),
                                   SetSpeedLimit(5.0), SetProbes(new), SetSpeedLimit(0.0)], start=1):
        buffer.add(Envelope(seq, command))
    items, seq = buffer.take()
    kinds = [type(e.command).__name__ for e in items]
    assert kinds == ["UpdateSettings", "Step", "SetProbes", "UpdateSettings", "SetSpeedLimit"]
    assert items[2].command.images is new and items[4].command.steps_per_second == 0.0 and seq == 7


# ---------------------------------------------------------------------------- bad commands
@dataclass(frozen=True)
class Unknown(Command):
    pass


@pytest.mark.parametrize(("message", "named", "reason"), [
    (("play", None, 1), "tuple", "not a command envelope"),
    (Envelope(4, Unknown()), "unknown", "does not know"),
    (Envelope(4, Step(n="3")), "step", "n must be int"),
    (Envelope(4, Step(n=0)), "step", "between 1 and"),
    (Envelope(4, UpdateSettings({"lr": "fast"})), "update settings", "lr must be float"),
    (Envelope(4, UpdateSettings({"learning_rate": 0.1})), "update settings", "unknown setting"),
    (Envelope(4, SetProbes(np.zeros((3, 10), np.float32))), "set probes", "(3, 10)"),
    (Envelope(4, SetProbes(np.full((3, 784), np.nan, np.float32))), "set probes", "finite"),
    (Envelope(4, SetSpeedLimit(-1.0)), "set speed limit", "zero or a positive"),
    (Envelope(4, SaveSession(path=None)), "save session", "path must be str"),
    (Envelope(4, Reset(settings={"lr": 1})), "reset", "settings must be Settings or None"),
])
def test_a_malformed_or_unknown_command_is_answered_by_name_and_changes_nothing(small_mnist, message, named, reason):
    loop, sent = _loop(small_mnist, Settings(hidden=(8,)))
    before = loop.trainer.settings
    loop.receive(message)
    failed = _of(sent, CommandFailed)
    assert len(failed) == 1 and failed[0].command == named and reason in failed[0].reason
    assert failed[0].reply_to == (4 if isinstance(message, Envelope) else 0)
    assert loop.commands.take() == ([], 4 if isinstance(message, Envelope) else 0)  # answered, nothing queued
    assert loop.trainer.settings == before
    _do(loop, Step(2), first_seq=5)  # and the loop goes on
    loop.tick()
    loop.tick()
    assert loop.trainer.step_count == 2


def test_a_handler_that_fails_reports_under_its_command_and_the_loop_goes_on(small_mnist, tmp_path):
    loop, sent = _loop(small_mnist, Settings(hidden=(8,)))
    _do(loop, UpdateSettings({"activation": "tanh"}), SaveSession(str(tmp_path / "missing" / "x.npz")),
        LoadSession(str(tmp_path / "nothing.npz")), UpdateSettings({"hidden": (4.5,)}), Step(1))
    failed = {event.reply_to: event for event in _of(sent, CommandFailed)}
    assert sorted(failed) == [1, 2, 3]
    assert failed[1].command == "update settings" and "restart" in failed[1].reason
    assert failed[2].command == "save session" and "x.npz" in failed[2].reason
    assert failed[3].command == "load session" and "nothing.npz" in failed[3].reason
    loop.tick()
    assert loop.trainer.step_count == 1 and not loop.stopped


def test_file_commands_reply_done_with_their_sequence_number(small_mnist, tmp_path):
    loop, sent = _loop(small_mnist, Settings(hidden=(8,)))
    path, csv = tmp_path / "s.npz", tmp_path / "m.csv"
    _do(loop, Step(3), first_seq=10)
    for _ in range(3):
        loop.tick()
    _do(loop, SaveSession(str(path)), ExportMetrics(str(csv)), LoadSession(str(path)), first_seq=11)
    done = _of(sent, CommandDone)
    assert [(e.reply_to, e.command) for e in done] == [(11, "save session"), (12, "export metrics"),
                                                        (13, "load session")]
    assert "step 3" in done[2].message and csv.read_text().startswith("kind")
    assert loop.state().run_id == 1 and not _of(sent, CommandFailed)


# --------------------------------------------------------------------------- preset budgets
def test_a_preset_budget_in_iterations_pauses_there_and_reports_the_accuracy(small_mnist):
    preset = get_preset("classic-full-batch")
    loop, sent = _loop(small_mnist, Settings(hidden=(8,), optimizer="gd", lr=0.5, init="small"))
    _do(loop, SetBudget(dataclasses.replace(preset, iterations=7)))
    assert loop.state().budget.iterations == 7
    _run_until_paused(loop)
    assert loop.trainer.step_count == 7
    finished = _of(sent, BudgetFinished)
    accuracy = loop.trainer.history.evals.column("eval_accuracy")[-1]
    assert len(finished) == 1 and finished[0].accuracy == accuracy and finished[0].preset == "classic-full-batch"
    assert "finished its 7 iterations" in finished[0].message and f"{accuracy:.2%}" in finished[0].message
    assert "97.47% test" in finished[0].message and loop.trainer.history.evals.column("step")[-1] == 7
    assert loop.state().budget is None  # reached: Start now trains on without stopping again
    assert [e.playing for e in _of(sent, PlayingChanged)] == [True, False]
    _do(loop, Play())
    for _ in range(3):
        loop.tick()
    assert loop.playing and loop.trainer.step_count == 10


def test_a_budget_in_epochs_stops_at_the_epoch_and_survives_a_reset_of_the_same_recipe(small_mnist):
    settings = Settings(hidden=(8,), batch_size=100)
    loop, sent = _loop(small_mnist, settings)
    _do(loop, SetBudget(dataclasses.replace(get_preset("fast"), epochs=1)))
    _run_until_paused(loop)
    assert loop.trainer.epoch == pytest.approx(1.0)
    _do(loop, Reset(None))  # Reset: same recipe, its budget runs again
    _run_until_paused(loop)
    assert loop.trainer.epoch == pytest.approx(1.0) and len(_of(sent, BudgetFinished)) == 2
    _do(loop, Reset(settings.replace(activation="tanh")))  # another recipe: no budget
    assert loop.budget is None and loop.state().budget is None


def test_evaluations_come_often_in_the_first_seconds_of_training_then_by_the_budget(small_mnist):
    loop, _ = _loop(small_mnist, Settings(hidden=(8,), batch_size=100))
    _do(loop, Step(1))
    loop.tick()
    loop.evaluate(now=100.0)
    evals = lambda: len(loop.trainer.history.evals.column("step"))  # noqa: E731
    for trained, wait, expected in ((0.4, 0.15, True), (2.0, 0.3, False), (2.0, 0.55, True), (10.0, 0.55, False),
                                    (10.0, 1.05, True)):
        loop.trainer.elapsed, before = trained, evals()
        loop.eval_cost = 0.001
        loop.trainer.step()  # evaluations only follow new steps
        loop._maybe_evaluate(loop.last_eval[1] + wait)
        assert (evals() > before) == expected, (trained, wait)
    # A costly evaluation is spaced out to keep its share of the time: 10 s of training, 0.3 s each.
    loop.eval_cost, before = 0.3, evals()
    loop.trainer.step()
    loop._maybe_evaluate(loop.last_eval[1] + 0.3 / EVAL_BUDGET * 0.9)
    assert evals() == before


def test_an_exception_inside_a_training_step_pauses_and_is_reported_and_the_loop_lives_on(small_mnist, monkeypatch):
    loop, sent = _loop(small_mnist, Settings(hidden=(8,)))
    real_step = loop.trainer.step
    calls = {"n": 0}

    def flaky_step():
        calls["n"] += 1
        if calls["n"] == 3:
            raise IndexError("index 70000 is out of bounds")  # what a state no check foresaw looks like
        return real_step()

    monkeypatch.setattr(loop.trainer, "step", flaky_step)
    _run_until_paused(loop)
    failed = _of(sent, CommandFailed)
    assert failed and failed[-1].command == "step" and "IndexError: index 70000" in failed[-1].reason
    assert not loop.playing and not loop.stopped
    _do(loop, Step(4), first_seq=2)
    for _ in range(10):
        loop.tick()
    assert loop.trainer.step_count == 6  # 2 before the fault, 4 after: still training


def _tick_for(loop, seconds):
    import time

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        wait = loop.tick()
        if wait:
            time.sleep(min(wait, 0.01))


def test_at_a_pace_the_training_time_is_the_wall_clock_and_a_pause_is_not_counted(small_mnist):
    from mnist_viz.runtime.protocol import Pause

    loop, _ = _loop(small_mnist, Settings(hidden=(8,), batch_size=32, train_subset=500))
    _do(loop, SetSpeedLimit(20.0), Play())
    _tick_for(loop, 1.0)
    steps = loop.trainer.step_count
    assert 15 <= steps <= 25  # the pace held
    # 20 steps of a 784-8-10 network compute in milliseconds; the room watched for a second
    assert 0.8 <= loop.trainer.elapsed <= 1.1, loop.trainer.elapsed
    _do(loop, Pause(), first_seq=3)
    _tick_for(loop, 0.5)
    _do(loop, Play(), first_seq=4)
    _tick_for(loop, 0.5)
    assert 1.25 <= loop.trainer.elapsed <= 1.65, loop.trainer.elapsed  # the half-second pause is not in it
    _do(loop, SetSpeedLimit(0.0), first_seq=5)
    before, t_steps = loop.trainer.elapsed, loop.trainer.step_count
    _tick_for(loop, 0.3)
    assert loop.trainer.step_count > t_steps + 20  # full speed again: only the steps' own time counts
    assert loop.trainer.elapsed - before < 0.3


def test_layer_health_rides_on_a_few_snapshots_a_second_and_on_every_paused_one(small_mnist):
    from mnist_viz.runtime.loop import HEALTH_INTERVAL
    from mnist_viz.runtime.protocol import Pause, SnapshotReady

    loop, sent = _loop(small_mnist, Settings(hidden=(16,), batch_size=32, train_subset=500))
    _do(loop, Play())
    _tick_for(loop, 1.0)
    snaps = [e.snapshot for e in sent if isinstance(e, SnapshotReady)]
    with_health = [s for s in snaps if s.health]
    assert len(snaps) >= 10 and 1 <= len(with_health) <= 1.0 / HEALTH_INTERVAL + 1
    assert all(len(s.health) == 2 for s in with_health)  # hidden + output layer
    _do(loop, Pause(), first_seq=2)
    _tick_for(loop, 0.2)
    last = [e.snapshot for e in sent if isinstance(e, SnapshotReady)][-1]
    assert not last.loop.playing and last.health  # the picture a paused class looks at has it
