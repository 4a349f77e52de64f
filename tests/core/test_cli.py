"""The headless command line, run as a user would run it."""
import json
import subprocess
import sys

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
    (["--hidden", "12x"], "hidden sizes must be integers"),
    (["--preset", "nope"], "unknown preset 'nope'"),
    (["--data", "/no/such/file.csv"], "file.csv"),
    (["--load", "/no/such/ckpt.npz"], "ckpt.npz does not exist"),
    (["--train-subset", "70000"], "train_subset 70000"),
])
def test_bad_input_exits_2_with_a_clear_message(capsys, args, message):
    assert exit_code(["train", "--no-progress", "--iterations", "1", *args]) == 2
    assert message in capsys.readouterr().err


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
