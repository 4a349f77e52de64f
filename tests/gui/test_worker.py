"""TrainingWorker on its QThread, without a window: commands in, snapshots out."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import dataclasses
import signal
import time

import numpy as np
import pytest

from mnist_viz.core.presets import get_preset
from mnist_viz.core.snapshot import Settings
from mnist_viz.gui.training_process import CommandBuffer
from mnist_viz.gui.worker import TrainingWorker

TIMEOUT_MS = 10_000  # generous: these waits are for progress, never for speed


class Collector:
    """Pulls snapshots from a worker the way the window's render timer does."""

    def __init__(self, worker):
        self.worker = worker
        self.snaps = []

    def pull(self):
        snap = self.worker.take_snapshot()
        if snap is not None:
            self.snaps.append(snap)
        return snap

    @property
    def latest(self):
        return self.snaps[-1] if self.snaps else None

    def wait_for(self, qtbot, predicate, timeout=TIMEOUT_MS):
        """Pull until ``predicate(latest snapshot)`` holds for a snapshot newer than every command."""
        def check():
            self.pull()
            snap = self.latest
            assert snap is not None and snap.extras["cmd_seq"] == self.worker.commands_sent and predicate(snap)
        qtbot.waitUntil(check, timeout=timeout)
        return self.latest

    def markers(self):
        return [m.label for s in self.snaps for m in s.new_markers]


@pytest.fixture
def worker(qtbot, small_mnist):
    w = TrainingWorker(small_mnist, Settings(hidden=(16,), batch_size=64))
    w.set_probes(small_mnist.x_test[:8])
    w.start()
    yield w
    assert w.stop(5000)


@pytest.fixture
def pull(worker):
    return Collector(worker)


def test_command_buffer_merges_a_burst_of_updates_and_keeps_the_last_value():
    buffer = CommandBuffer()
    for i in range(1000):
        buffer.add("update", {"lr": 0.001 * (i + 1)}, seq=i + 1)
    buffer.add("update", {"hidden": (8,)}, seq=1001)
    items, seq = buffer.take()
    assert items == [["update", {"lr": pytest.approx(1.0), "hidden": (8,)}]]
    assert seq == 1001


def test_command_buffer_keeps_order_across_kinds_and_replaces_probes():
    buffer = CommandBuffer()
    buffer.add("update", {"lr": 0.1})
    buffer.add("step", 1)
    buffer.add("update", {"lr": 0.2})
    buffer.add("probes", "old")
    buffer.add("probes", "new")
    items, _ = buffer.take()
    assert items == [["update", {"lr": 0.1}], ["step", 1], ["update", {"lr": 0.2}], ["probes", "new"]]


def test_starts_paused_then_plays_pauses_and_steps_exactly_one_batch(qtbot, worker, pull):
    first = pull.wait_for(qtbot, lambda s: True)
    assert first.step == 0 and not first.extras["playing"]
    assert first.probe_probs.shape == (8, 10)
    worker.play()
    pull.wait_for(qtbot, lambda s: s.step > 20)
    worker.pause()
    paused = pull.wait_for(qtbot, lambda s: not s.extras["playing"])
    worker.step_once()
    stepped = pull.wait_for(qtbot, lambda s: s.step == paused.step + 1)
    assert not stepped.extras["playing"]


def test_every_step_reaches_the_window_exactly_once(qtbot, worker, pull):
    """Snapshots carry deltas; the pull model must lose none and repeat none."""
    worker.play()
    pull.wait_for(qtbot, lambda s: s.step > 300)
    worker.pause()
    last = pull.wait_for(qtbot, lambda s: not s.extras["playing"])
    steps = np.concatenate([s.new_steps[:, 0] for s in pull.snaps])
    np.testing.assert_array_equal(steps, np.arange(1, last.step + 1))


def test_live_setting_reaches_trainer_and_leaves_a_marker(qtbot, worker, pull):
    worker.play()
    pull.wait_for(qtbot, lambda s: s.step > 5)
    worker.update_settings(lr=0.01)
    pull.wait_for(qtbot, lambda s: s.settings.lr == 0.01)
    assert "lr 0.001 → 0.01" in pull.markers()


def test_refused_setting_is_reported_and_training_goes_on(qtbot, worker, pull):
    with qtbot.waitSignal(worker.commandFailed, timeout=TIMEOUT_MS) as failed:
        worker.update_settings(activation="tanh")  # needs a restart: the trainer refuses it live
    assert "restart" in failed.args[0]
    worker.play()
    snap = pull.wait_for(qtbot, lambda s: s.step > 5)
    assert snap.settings.activation == "relu" and worker.isRunning()


def test_hidden_resize_while_training_reaches_snapshots(qtbot, worker, pull):
    worker.play()
    for n in (1, 512, 3):
        worker.update_settings(hidden=(n,))
        snap = pull.wait_for(qtbot, lambda s, n=n: s.W1.shape == (784, n) and s.step > 0)
        assert snap.probe_hidden.shape == (8, n) and snap.W_out.shape == (n, 10)


def test_reset_starts_a_new_run_from_step_zero(qtbot, worker, pull):
    worker.play()
    pull.wait_for(qtbot, lambda s: s.step > 10)
    worker.pause()
    worker.reset(Settings(hidden=(16,), batch_size=64, activation="tanh", seed=3))
    snap = pull.wait_for(qtbot, lambda s: s.extras["run"] == 1)
    assert snap.step == 0 and snap.settings.activation == "tanh" and snap.settings.seed == 3


def test_divergence_pauses_and_restore_recovers(qtbot, worker, pull):
    worker.play()
    pull.wait_for(qtbot, lambda s: s.step > 60)  # past the first "last good" copy (every 50 steps)
    worker.update_settings(optimizer="sgd", lr=1e30)  # the first update overflows float32
    diverged = pull.wait_for(qtbot, lambda s: bool(s.diverged))
    assert not diverged.extras["playing"] and "learning rate" in diverged.diverged
    worker.restore_last_good(lr_factor=1e-32)
    restored = pull.wait_for(qtbot, lambda s: not s.diverged)
    assert restored.settings.lr == pytest.approx(0.01)
    assert np.isfinite(restored.W1).all() and np.isfinite(restored.probe_probs).all()
    assert "restored last good weights" in pull.markers()
    worker.step_once(3)
    pull.wait_for(qtbot, lambda s: s.step == restored.step + 3)


def test_speed_limit_slows_training_down(qtbot, worker, pull):
    worker.set_speed_limit(5)
    worker.play()
    pull.wait_for(qtbot, lambda s: s.step >= 1)
    t0 = time.perf_counter()
    qtbot.wait(1000)
    snap = pull.wait_for(qtbot, lambda s: True)
    # Unlimited, this is thousands of steps; 5 steps/s allows about 6 (generous bound).
    assert snap.step <= 3 + 5 * (time.perf_counter() - t0) + 5


def test_stop_mid_training_ends_the_thread_within_a_second(qtbot, small_mnist):
    w = TrainingWorker(small_mnist, Settings(hidden=(512,)))
    w.start()
    w.play()
    pull = Collector(w)
    pull.wait_for(qtbot, lambda s: s.step > 5)
    t0 = time.perf_counter()
    assert w.stop(1000)
    assert time.perf_counter() - t0 < 1.0
    assert not w.isRunning() and not w.is_training_alive()


def test_a_dead_training_process_is_reported_not_hung_on(qtbot, worker, pull):
    pull.wait_for(qtbot, lambda s: True)
    with qtbot.waitSignal(worker.failed, timeout=TIMEOUT_MS) as failed:
        os.kill(worker._process.pid, signal.SIGKILL)
    assert "ended unexpectedly" in failed.args[0]
    qtbot.waitUntil(lambda: not worker.isRunning(), timeout=TIMEOUT_MS)
    worker.play()  # commands to a dead process are harmless


# ------------------------------------------------------------------ preset budgets (the loop alone)
def _loop(data, settings):
    from mnist_viz.core.trainer import Trainer
    from mnist_viz.gui.training_process import TrainingLoop
    sent = []
    loop = TrainingLoop(Trainer(data, settings), lambda kind, payload: sent.append((kind, payload)), lambda: True)
    return loop, sent


def _run_until_paused(loop, max_ticks=10_000):
    loop.apply([["play", None]])
    for _ in range(max_ticks):
        loop.tick()
        if not loop.playing:
            return
    raise AssertionError("the loop never paused")


def test_a_preset_budget_in_iterations_pauses_there_and_reports_the_accuracy(small_mnist):
    preset = get_preset("classic-full-batch")
    loop, sent = _loop(small_mnist, Settings(hidden=(8,), optimizer="gd", lr=0.5, init="small"))
    loop.apply([["budget", dataclasses.replace(preset, iterations=7)]])
    assert loop._extras()["budget"].iterations == 7
    _run_until_paused(loop)
    assert loop.trainer.step_count == 7
    info = [payload for kind, payload in sent if kind == "info"]
    accuracy = loop.trainer.history.evals.column("eval_accuracy")[-1]
    assert len(info) == 1 and "finished its 7 iterations" in info[0] and f"{accuracy:.2%}" in info[0]
    assert "97.47% test" in info[0] and loop.trainer.history.evals.column("step")[-1] == 7
    assert loop._extras()["budget"] is None  # reached: Start now trains on without stopping again
    loop.apply([["play", None]])
    for _ in range(3):
        loop.tick()
    assert loop.playing and loop.trainer.step_count == 10


def test_a_budget_in_epochs_stops_at_the_epoch_and_survives_a_reset_of_the_same_recipe(small_mnist):
    settings = Settings(hidden=(8,), batch_size=100)
    loop, sent = _loop(small_mnist, settings)
    loop.apply([["budget", dataclasses.replace(get_preset("fast"), epochs=1)]])
    _run_until_paused(loop)
    assert loop.trainer.epoch == pytest.approx(1.0)
    loop.apply([["reset", None]])  # Reset: same recipe, its budget runs again
    _run_until_paused(loop)
    assert loop.trainer.epoch == pytest.approx(1.0) and sum(k == "info" for k, _ in sent) == 2
    loop.apply([["reset", settings.replace(activation="tanh")]])  # another recipe: no budget
    assert loop.budget is None and loop._extras()["budget"] is None


def test_folders_left_by_a_killed_window_are_removed_at_the_next_start(tmp_path):
    from mnist_viz.gui.worker import remove_stale_folders
    dead_pid = 2**22 + 12345  # above Linux's pid_max: no process has it
    stale, alive, other = (tmp_path / f"mnist-viz-{dead_pid}-abc", tmp_path / f"mnist-viz-{os.getpid()}-def",
                           tmp_path / "mnist-viz-notapid-x")
    for folder in (stale, alive, other):
        folder.mkdir()
        (folder / "x_train.npy").write_bytes(b"0" * 100)
    assert remove_stale_folders(str(tmp_path)) == [str(stale)]
    assert not stale.exists() and alive.exists() and other.exists()


def test_evaluations_come_often_in_the_first_seconds_of_training_then_by_the_budget(small_mnist):
    from mnist_viz.gui.training_process import EVAL_BUDGET
    loop, _ = _loop(small_mnist, Settings(hidden=(8,), batch_size=100))
    loop.apply([["step", 1]])
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
