"""Checkpoints: exact round trip, atomic writes, clear errors for bad files."""
import json
import os

import numpy as np
import pytest

from mnist_viz.core import checkpoint
from mnist_viz.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


def trained(small, **settings):
    tr = Trainer(small, Settings(hidden=(24,), optimizer="adam", **settings))
    tr.train(iterations=50)
    tr.update(lr=5e-4)
    tr.record_evaluation()
    return tr


def test_round_trip_continues_the_run_bit_for_bit(small, tmp_path):
    a = trained(small)
    path = save_checkpoint(a, tmp_path / "run.npz")
    b = Trainer(small, Settings())
    load_checkpoint(b, path)
    assert b.settings == a.settings and b.step_count == a.step_count and b.optimizer.t == a.optimizer.t
    assert [m.label for m in b.history.markers] == ["lr 0.001 → 0.0005"]
    np.testing.assert_array_equal(b.history.steps.array(), a.history.steps.array())
    np.testing.assert_array_equal(b.history.evals.array(), a.history.evals.array())
    a.train(iterations=30)
    b.train(iterations=30)
    for p, q in zip(a.net.params, b.net.params):
        np.testing.assert_array_equal(p, q)


def test_the_file_is_read_without_pickle(small, tmp_path):
    path = save_checkpoint(trained(small), tmp_path / "run.npz")
    with np.load(path, allow_pickle=False) as npz:
        meta = json.loads(npz["meta"].tobytes())
        assert meta["format"] == "mnist-viz-checkpoint" and all(npz[k].dtype != object for k in npz.files)


def test_a_failed_write_leaves_the_old_file_whole(small, tmp_path, monkeypatch):
    path = tmp_path / "run.npz"
    save_checkpoint(trained(small), path)
    original = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies mid-write

    monkeypatch.setattr(checkpoint.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(trained(small, seed=5), path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["run.npz"]  # no temporary file left behind


def test_unwritable_folder_gives_a_clear_error(small, tmp_path):
    with pytest.raises(CheckpointError, match=r"cannot write checkpoint .*missing.*No such file"):
        save_checkpoint(trained(small), tmp_path / "missing" / "run.npz")


@pytest.mark.parametrize("content,fault", [
    (b"", "not a readable .npz"),
    (b"PK\x03\x04 garbage that is not really a zip", "not a readable .npz"),
    (b"hello world", "not a readable .npz"),
])
def test_corrupt_files_are_refused_with_the_file_named(small, tmp_path, content, fault):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=fault) as err:
        load_checkpoint(Trainer(small, Settings()), path)
    assert "bad.npz" in str(err.value)


def test_foreign_and_truncated_checkpoints_are_refused(small, tmp_path):
    tr = Trainer(small, Settings(hidden=(8,)))
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.zeros(3))
    with pytest.raises(CheckpointError, match=r"foreign\.npz is not a mnist-viz checkpoint"):
        load_checkpoint(tr, foreign)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, meta=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(tr, pickled)
    good = save_checkpoint(trained(small), tmp_path / "good.npz")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError, match=r"truncated\.npz"):
        load_checkpoint(tr, truncated)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tr, tmp_path / "nope.npz")


def test_a_bad_checkpoint_leaves_the_running_session_untouched(small, tmp_path):
    good = trained(small)
    path = save_checkpoint(good, tmp_path / "run.npz")
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["param_0"] = arrays["param_0"][:, :5]  # shapes no longer agree with the metadata
    np.savez(tmp_path / "inconsistent.npz", **arrays)
    tr = trained(small, seed=9)
    before = tr.net.copy_params()
    with pytest.raises(CheckpointError, match="inconsistent"):
        load_checkpoint(tr, tmp_path / "inconsistent.npz")
    assert all(np.array_equal(p, q) for p, q in zip(tr.net.params, before)) and tr.settings.seed == 9
