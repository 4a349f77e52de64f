"""``mnist-viz evaluate SESSION``: a saved session measured on the test set, clean, per class and
spoiled (core.robustness), checked against a forward pass by hand on the weights in the file."""
import json

import numpy as np
import pytest

from mnist_viz.cli import main
from mnist_viz.core import robustness as rb
from mnist_viz.core.checkpoint import save_checkpoint
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


@pytest.fixture(scope="module")
def session(small, tmp_path_factory):
    """A 784-24-10 session trained briefly with one unit switched off, saved: ``(path, params, mask)``."""
    trainer = Trainer(small, Settings(hidden=(24,), seed=1))
    for _ in range(120):
        trainer.step()
    trainer.set_unit_enabled(5, False)
    path = tmp_path_factory.mktemp("evaluate") / "session.npz"
    save_checkpoint(trainer, path)
    return path, [np.array(p) for p in trainer.net.params], np.array(trainer.net.unit_mask[0])


def by_hand(params, mask, x):
    """Classes of relu(x W1 + b1) * mask W2 + b2, in float64."""
    W1, b1, W2, b2 = (np.asarray(p, np.float64) for p in params)
    return ((np.maximum(x.astype(np.float64) @ W1 + b1, 0) * mask) @ W2 + b2).argmax(axis=1)


def exit_code(argv):
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


def test_json_report_equals_a_direct_computation(session, mnist, capsys):
    path, params, mask = session
    assert mask[5] == 0 and mask.sum() == 23  # the ablated unit is in the file and must be honoured
    assert main(["evaluate", str(path), "--noise", "0.2", "--rotate=-30,30", "--seed", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    x, y = mnist.x_test, mnist.y_test
    answers = by_hand(params, mask, x)
    assert report["network"] == "784-24-10" and report["activation"] == "relu" and report["step"] == 120
    assert report["test_images"] == 10_000 and report["seed"] == 4
    assert report["test_accuracy"] == pytest.approx(np.mean(answers == y), abs=2e-4)
    for row in report["per_class"]:
        mine = y == row["label"]
        assert row["class"] == mnist.class_names[row["label"]] and row["images"] == mine.sum()
        assert row["accuracy"] == pytest.approx(np.mean(answers[mine] == row["label"]), abs=2 / mine.sum())
    assert [c["spoiler"] for c in report["robustness"]] == ["noise", "rotate"]  # only the ones asked for
    for curve in report["robustness"]:
        for amount, accuracy in zip(curve["amounts"], curve["accuracies"]):
            spoiled = rb.spoil(curve["spoiler"], x, amount, seed=4)
            assert accuracy == pytest.approx(np.mean(by_hand(params, mask, spoiled) == y), abs=3e-4)
    assert report["robustness"][1]["amounts"] == [-30.0, 30.0]


def test_table_shows_accuracy_classes_and_every_spoilers_curve(session, capsys):
    path, _, _ = session
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "784-24-10 relu network, step 120" in out and "test accuracy" in out
    for spoiler in rb.SPOILERS.values():
        assert f"{spoiler.title} ({spoiler.unit})" in out
        assert "".join(f"{a:>9g}" for a in spoiler.points) in out
    assert out.count("%") >= 1 + 10 + 25  # the accuracy, ten classes, five points of five curves


@pytest.mark.parametrize("flags,message", [
    (["--occlude", "0.9"], "occlude amount 0.9 is outside 0 to 0.6"),
    (["--shift", "1.5"], "shift amount 1.5 must be a whole number"),
    (["--noise", "lots"], "'lots' is not a number"),
    (["--data", "/no/such/data.csv"], "data.csv"),
])
def test_bad_flags_exit_2_in_one_line(session, capsys, flags, message):
    path, _, _ = session
    assert exit_code(["evaluate", str(path), *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and err.strip().count("\n") == 0


def test_a_missing_or_broken_session_is_named_and_exits_2(session, tmp_path, capsys):
    missing = tmp_path / "gone.npz"
    assert exit_code(["evaluate", str(missing)]) == 2
    assert f"checkpoint {missing} does not exist" in capsys.readouterr().err
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is no archive at all")
    assert exit_code(["evaluate", str(garbage)]) == 2
    assert f"{garbage} is not a mnist-viz checkpoint" in capsys.readouterr().err
    cut = tmp_path / "cut.npz"
    cut.write_bytes(session[0].read_bytes()[:5000])  # a copy that stopped half way
    assert exit_code(["evaluate", str(cut)]) == 2
    err = capsys.readouterr().err
    assert str(cut) in err and err.strip().count("\n") == 0 and "Traceback" not in err
