"""The shared-file snapshot transport: what goes in comes out, equal and independent."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.runtime.transport import MIN_SHARED_BYTES, SnapshotReader, SnapshotWriter


def _snapshot(data, hidden: int, probes: int = 10):
    trainer = Trainer(data, Settings(hidden=(hidden,), batch_size=50))
    for _ in range(3):
        trainer.step()
    return trainer, trainer.snapshot(np.asarray(data.x_test[:probes], np.float32))


def _assert_same(a, b) -> None:
    for name in ("W1", "b1", "W_out", "unit_mask", "probe_probs", "probe_hidden", "new_steps", "new_evals"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert len(a.params) == len(b.params)
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(p, q)
    assert (a.step, a.samples, a.settings, a.loop) == (b.step, b.samples, b.settings, b.loop)


def test_a_snapshot_crosses_intact_and_the_pipe_carries_only_the_small_rest(tmp_path, small_mnist):
    _, snap = _snapshot(small_mnist, hidden=64)
    writer, reader = SnapshotWriter(tmp_path), SnapshotReader()
    light, layout = writer.pack(snap)
    assert light.W1 is None and light.params[0] is None  # the weights went to the file
    assert len(pickle.dumps((light, layout))) < 0.2 * len(pickle.dumps(snap))
    received = reader.unpack(*pickle.loads(pickle.dumps((light, layout))))
    _assert_same(snap, received)
    # The aliases stay aliases (a view may use either name), and nothing points into the file.
    assert received.W1 is received.params[0] and received.W_out is received.params[-2]
    assert received.W1.base is None
    writer.close()
    reader.close()
    assert list(tmp_path.iterdir()) == []


def test_the_next_write_does_not_change_a_snapshot_already_received(tmp_path, small_mnist):
    trainer, first = _snapshot(small_mnist, hidden=32)
    writer, reader = SnapshotWriter(tmp_path), SnapshotReader()
    got_first = reader.unpack(*writer.pack(first))
    for _ in range(5):
        trainer.step()
    second = trainer.snapshot()
    got_second = reader.unpack(*writer.pack(second))
    _assert_same(first, got_first)
    assert not np.array_equal(got_first.W1, got_second.W1)
    np.testing.assert_array_equal(got_second.W1, second.W1)


@pytest.mark.parametrize("sizes", [(8, 512), (512, 1), (16, 2048, 64)])
def test_the_file_follows_the_network_as_it_grows_and_shrinks(tmp_path, small_mnist, sizes):
    writer, reader = SnapshotWriter(tmp_path), SnapshotReader()
    for hidden in sizes:
        _, snap = _snapshot(small_mnist, hidden=hidden)
        _assert_same(snap, reader.unpack(*writer.pack(snap)))
        assert len(list(tmp_path.iterdir())) == 1  # an outgrown file is deleted, not left behind
    writer.close()


def test_small_arrays_ride_in_the_message(tmp_path, small_mnist):
    _, snap = _snapshot(small_mnist, hidden=8, probes=0)  # W1 (784, 8) is 25 KB, the rest tiny
    assert all(p.nbytes < MIN_SHARED_BYTES for p in snap.params[1:])
    light, layout = SnapshotWriter(tmp_path).pack(snap)
    assert light.params[1] is not None and light.new_steps is not None
    assert layout["fields"] == {} and layout["params"] == {0: 0}  # only W1 = params[0] is large
    _, tiny = _snapshot(small_mnist, hidden=1, probes=0)
    assert SnapshotWriter(tmp_path).pack(tiny) == (tiny, None)  # nothing worth a file
