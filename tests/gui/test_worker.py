"""TrainingWorker on its QThread, without a window: commands in, snapshots out."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from mnist_viz.core.checkpoint import load_checkpoint
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui import worker as worker_module
from mnist_viz.gui.worker import TrainingWorker
from mnist_viz.runtime.protocol import Step

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
            assert snap is not None and snap.loop.applied_seq == self.worker.commands_sent and predicate(snap)
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


def test_starts_paused_then_plays_pauses_and_steps_exactly_one_batch(qtbot, worker, pull):
    first = pull.wait_for(qtbot, lambda s: True)
    assert first.step == 0 and not first.loop.playing
    assert first.probe_probs.shape == (8, 10)
    worker.play()
    pull.wait_for(qtbot, lambda s: s.step > 20)
    worker.pause()
    paused = pull.wait_for(qtbot, lambda s: not s.loop.playing)
    worker.step_once()
    stepped = pull.wait_for(qtbot, lambda s: s.step == paused.step + 1)
    assert not stepped.loop.playing


def test_every_step_reaches_the_window_exactly_once(qtbot, worker, pull):
    """Snapshots carry deltas; the pull model must lose none and repeat none."""
    worker.play()
    pull.wait_for(qtbot, lambda s: s.step > 300)
    worker.pause()
    last = pull.wait_for(qtbot, lambda s: not s.loop.playing)
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
    assert "restart" in failed.args[0].reason and failed.args[0].command == "update settings"
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
    snap = pull.wait_for(qtbot, lambda s: s.loop.run_id == 1)
    assert snap.step == 0 and snap.settings.activation == "tanh" and snap.settings.seed == 3


def test_divergence_pauses_and_restore_recovers(qtbot, worker, pull):
    worker.play()
    pull.wait_for(qtbot, lambda s: s.step > 60)  # past the first "last good" copy (every 50 steps)
    worker.update_settings(optimizer="sgd", lr=1e30)  # the first update overflows float32
    diverged = pull.wait_for(qtbot, lambda s: bool(s.diverged))
    assert not diverged.loop.playing and "learning rate" in diverged.diverged
    worker.restore_last_good(lr_factor=1e-32)
    restored = pull.wait_for(qtbot, lambda s: not s.diverged)
    assert restored.settings.lr == pytest.approx(0.001)  # 1e30 * 1e-32 = 0.01, but the weights came from 0.001
    assert np.isfinite(restored.W1).all() and np.isfinite(restored.probe_probs).all()
    assert any(m.startswith("restored step") for m in pull.markers())
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


def test_kill_9_of_the_training_process_loses_nothing(qtbot, worker, pull, tmp_path):
    worker.set_speed_limit(200)  # slow enough that the kill lands mid-run, between known steps
    worker.play()
    before = pull.wait_for(qtbot, lambda s: s.step > 30 and s.loop.playing)
    with qtbot.waitSignal(worker.processLost, timeout=2000) as lost:  # noticed within a second or so
        t0 = time.perf_counter()
        os.kill(worker.training_pid(), signal.SIGKILL)
    noticed = time.perf_counter() - t0
    assert noticed < 1.0 and "ended unexpectedly" in lost.args[0] and "was killed" in lost.args[0]
    # While nothing trains, File > Save session writes what the window holds, and it loads.
    held = tmp_path / "held.npz"
    with qtbot.waitSignal(worker.commandDone, timeout=TIMEOUT_MS) as done:
        worker.save_session(str(held))
    assert "from the window" in done.args[0].message
    check = Trainer(worker._data, Settings(hidden=(16,)))
    load_checkpoint(check, held)
    assert check.step_count >= before.step and len(check.history.steps) >= before.step
    # The new process carries on from the last weights received: same run, later steps, still playing.
    resumed = pull.wait_for(qtbot, lambda s: s.loop.process == 1 and s.step > before.step + 5 and s.loop.playing)
    assert resumed.loop.run_id == before.loop.run_id and time.perf_counter() - t0 < 3.0
    assert worker.training_pid() is not None and worker.is_training_alive()
    saved = tmp_path / "after.npz"
    with qtbot.waitSignal(worker.commandDone, timeout=TIMEOUT_MS):
        worker.save_session(str(saved))
    load_checkpoint(check, saved)
    assert check.step_count > before.step and check.history.steps.array()[0, 0] == 1  # the history from step 1


def test_a_process_that_keeps_dying_is_reported_not_restarted_forever(qtbot, worker, pull, monkeypatch):
    monkeypatch.setattr(worker_module, "RESTART_LIMIT", 0)
    pull.wait_for(qtbot, lambda s: True)
    with qtbot.waitSignal(worker.failed, timeout=TIMEOUT_MS) as failed:
        os.kill(worker.training_pid(), signal.SIGKILL)
    assert "ended unexpectedly" in failed.args[0] and "Save session" in failed.args[0]
    qtbot.waitUntil(lambda: not worker.isRunning(), timeout=TIMEOUT_MS)
    worker.play()  # commands to a dead process are harmless


def test_a_malformed_message_is_answered_and_does_not_end_the_process(qtbot, worker, pull):
    pull.wait_for(qtbot, lambda s: True)
    with qtbot.waitSignal(worker.commandFailed, timeout=TIMEOUT_MS) as failed:
        worker._channel.send(("play", None, 1))  # the old tuple format: not a command envelope
    assert failed.args[0].command == "tuple" and "not a command" in failed.args[0].reason
    with qtbot.waitSignal(worker.commandFailed, timeout=TIMEOUT_MS) as failed:
        seq = worker.send(Step(n=0))
    assert (failed.args[0].reply_to, failed.args[0].command) == (seq, "step") and "between 1" in failed.args[0].reason
    worker.play()
    snap = pull.wait_for(qtbot, lambda s: s.step > 5)
    assert snap.loop.playing and worker.is_training_alive()


def test_replies_name_the_command_they_answer(qtbot, worker, pull, tmp_path):
    pull.wait_for(qtbot, lambda s: True)
    failures, done = [], []
    worker.commandFailed.connect(failures.append)
    worker.commandDone.connect(done.append)
    bad_save = worker.save_session(str(tmp_path / "no" / "such" / "folder" / "x.npz"))
    refused = worker.update_settings(activation="tanh")
    good_save = worker.save_session(str(tmp_path / "ok.npz"))
    qtbot.waitUntil(lambda: len(failures) == 2 and len(done) == 1, timeout=TIMEOUT_MS)
    by_seq = {event.reply_to: event for event in failures}
    assert by_seq[bad_save].command == "save session" and "x.npz" in by_seq[bad_save].reason
    assert by_seq[refused].command == "update settings" and "restart" in by_seq[refused].reason
    assert done[0].reply_to == good_save and "ok.npz" in done[0].message



def test_training_needs_no_posix_semaphores(tmp_path):
    """Without a writable /dev/shm (Docker, locked-down machines) Python cannot make the semaphores
    multiprocessing's queues, locks and events are built on. Here every semaphore fails, in this
    process and in the training process (``sitecustomize`` runs in both), and the worker still trains."""
    (tmp_path / "sitecustomize.py").write_text(
        "import _multiprocessing, errno\n"
        "class SemLock:\n"
        "    SEM_VALUE_MAX = _multiprocessing.SemLock.SEM_VALUE_MAX\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        raise OSError(errno.ENOENT, 'No such file or directory (no /dev/shm)')\n"
        "_multiprocessing.SemLock = SemLock\n")
    script = textwrap.dedent("""
        import sys, time
        from PySide6.QtCore import QCoreApplication
        import multiprocessing
        from mnist_viz.core.data import load_dataset, subset
        from mnist_viz.core.snapshot import Settings
        from mnist_viz.gui.worker import TrainingWorker

        if __name__ == "__main__":
            try:
                multiprocessing.get_context("spawn").Queue()
            except OSError:
                print("queues-fail", end=" ")
            app = QCoreApplication([])
            worker = TrainingWorker(subset(load_dataset(), 2000), Settings(hidden=(16,), batch_size=64))
            worker.start()
            worker.play()
            deadline, step = time.monotonic() + 30, 0
            while step < 100 and time.monotonic() < deadline:
                app.processEvents()
                snap = worker.take_snapshot()
                step = snap.step if snap is not None else step
                time.sleep(0.02)
            print("step", step, "stopped", worker.stop(5000))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    words = done.stdout.split()
    assert words[0] == "queues-fail", done.stdout  # the semaphores really are gone
    assert int(words[2]) >= 100 and words[4] == "True", done.stdout
