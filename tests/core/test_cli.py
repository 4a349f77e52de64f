"""The headless command line, run as a user would run it."""
import json
import os
import subprocess
import sys
import time

import pytest

from mnist_viz.cli import main
from mnist_viz.core.presets import PRESETS


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "mnist_viz", *args], capture_output=True, text=True, timeout=300)


def test_train_json_reports_the_documented_fields(tmp_path):
    proc = run_cli("train", "--hidden", "32", "--train-subset", "5000", "--epochs", "1", "--lr", "0.005", "--json",
                   "--save", str(tmp_path / "c.npz"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    for key in ("test_accuracy", "train_loss", "epochs", "steps", "seconds", "samples_per_second"):
        assert key in report
    assert report["epochs"] == pytest.approx(1.0) and report["steps"] == 40 and report["test_accuracy"] > 0.8
    assert "step" in proc.stderr  # the tqdm progress bar went to stderr, not into the JSON
    resumed = run_cli("train", "--load", str(tmp_path / "c.npz"), "--train-subset", "5000", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["test_accuracy"] == report["test_accuracy"]


def test_full_batch_iterations_and_preset_flags_override(capsys):
    assert main(["train", "--preset", "classic-kaggle", "--iterations", "3", "--hidden", "12",
                 "--json", "--no-progress"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["steps"] == 3 and report["settings"]["hidden"] == [12]
    assert report["settings"]["optimizer"] == "gd" and report["preset"] == "classic-kaggle"
    assert report["epochs"] == pytest.approx(3.0) and "val_accuracy" in report


def exit_code(argv):
    """``main``'s exit code, whether it returns it or argparse raises SystemExit."""
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


@pytest.mark.parametrize("args,message", [
    (["--lr", "-1"], "must be a positive number"),
    (["--hidden", "12x"], "hidden sizes must be positive whole numbers"),
    (["--preset", "nope"], "unknown preset 'nope'"),
    (["--data", "/no/such/file.csv"], "file.csv"),
    (["--load", "/no/such/ckpt.npz"], "ckpt.npz does not exist"),
    (["--train-subset", "70000"], "train_subset 70000"),
    (["--hidden", "-5"], "hidden sizes must be positive whole numbers; got '-5'"),
    (["--hidden", "0"], "hidden sizes must be positive whole numbers"),
    (["--hidden", "128,-4"], "hidden sizes must be positive whole numbers"),
    (["--batch-size", "0"], "--batch-size: '0' must be at least 1"),
    (["--batch-size", "-3"], "'-3' must be zero or more"),
    (["--train-subset", "-1"], "'-1' must be zero or more"),
    (["--seed", "-2"], "'-2' must be zero or more"),
    (["--val-fraction", "1.5"], "must be between 0 and 1"),
    (["--save", ""], "--save: needs a file or folder path"),
    (["--load", " "], "--load: needs a file or folder path"),
    (["--data", ""], "--data: needs a file or folder path"),
    (["--hidden", ",".join(["4"] * 20)], "at most 8 hidden layers, got 20"),
])
def test_bad_input_exits_2_with_a_clear_message(capsys, args, message):
    assert exit_code(["train", "--no-progress", "--iterations", "1", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.strip().count("\n") == 0  # one line, the loaders' style


def test_negative_iterations_are_refused(capsys):
    assert exit_code(["train", "--no-progress", "--iterations", "-1"]) == 2
    assert "'-1' must be zero or more" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["missing folder", "a folder", "read-only folder"])
def test_an_unwritable_save_target_is_refused_before_training(capsys, tmp_path, monkeypatch, where):
    target = {"missing folder": tmp_path / "nope" / "run.npz", "a folder": tmp_path,
              "read-only folder": tmp_path / "run.npz"}[where]
    if where == "read-only folder":  # the tests run as root, whom chmod does not stop: ask os.access
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real_access(p, mode))
    t0 = time.perf_counter()
    assert exit_code(["train", "--no-progress", "--epochs", "50", "--save", str(target)]) == 2
    assert time.perf_counter() - t0 < 5  # 50 epochs would take minutes: it was refused first
    assert "cannot save to" in capsys.readouterr().err


def test_a_killed_saves_temp_file_is_removed_by_the_next_save(tmp_path):
    target = tmp_path / "run.npz"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = tmp_path / f".run.npz.{dead.pid}.abc123.tmp"
    abandoned.write_bytes(b"half a checkpoint")
    live = tmp_path / f".run.npz.{os.getpid()}.xyz789.tmp"  # a save of this process, under way
    live.write_bytes(b"being written")
    assert main(["train", "--no-progress", "--iterations", "2", "--train-subset", "500", "--save", str(target)]) == 0
    assert target.exists() and not abandoned.exists() and live.exists()


def test_divergence_exits_3_and_says_why(capsys):
    code = main(["train", "--preset", "lr-too-high", "--lr", "1e6", "--train-subset", "2000", "--no-progress",
                 "--json"])
    captured = capsys.readouterr()
    assert code == 3 and "learning rate" in captured.err
    report = json.loads(captured.out)
    assert report["stopped"] in captured.err and report["stopped_kind"] == "not finite"


def test_a_finite_collapse_stops_the_cli_too(capsys):
    # ReLU at lr 10 from scratch: the loss spikes, every unit dies, the loss sits at chance with no NaN
    code = main(["train", "--preset", "lr-too-high", "--activation", "relu", "--no-progress", "--json"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 3 and report["stopped_kind"] in ("dead", "collapsed", "exploded")
    assert "not applied" not in report["stopped"] and report["steps"] < 100
    assert report["test_accuracy"] < 0.2  # what the run ended with, reported honestly


def test_a_run_that_finishes_reports_stopped_null(capsys):
    assert main(["train", "--iterations", "20", "--train-subset", "2000", "--no-progress", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stopped"] is None and report["stopped_kind"] is None


def test_presets_lists_every_preset(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in PRESETS)


def _started(args, env=None):
    """``python -m mnist_viz ARGS`` (the ``mnist-viz`` command) in a session of its own."""
    return subprocess.Popen([sys.executable, "-m", "mnist_viz", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_training_after_the_step_and_saves_what_was_reached(tmp_path):
    import signal

    from mnist_viz.core.checkpoint import read_checkpoint

    target = tmp_path / "run.npz"
    train = _started(["train", "--epochs", "200", "--save", str(target), "--eval-every", "0.05"])
    time.sleep(3.0)  # loaded and training (200 epochs take minutes)
    train.send_signal(signal.SIGINT)
    out, err = train.communicate(timeout=60)
    assert train.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "stopping after this step" in err and f"saved to {target}" in err.splitlines()[-1], err
    meta, _arrays, _settings = read_checkpoint(str(target))
    steps = meta["counters"]["step_count"]
    assert steps > 0 and f"interrupted at step {steps:,}" in err
    assert "test accuracy" in out


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_while_the_command_starts_prints_no_traceback(python_start_time):
    import signal

    for delay in (0.02, 0.05, 0.1, 0.2, 0.4):  # after the interpreter and runpy (~8 ms): imports, parsing, loading
        train = _started(["train", "--epochs", "1"])
        time.sleep(python_start_time + delay)
        train.send_signal(signal.SIGINT)
        _out, err = train.communicate(timeout=60)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)
        assert train.returncode in (130, 0), (delay, err)  # 0: the one epoch ended first
