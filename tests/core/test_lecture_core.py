"""The NumPy side of the lecture tools: drawing preprocessing, class templates, confusion
matrices, inference from frozen snapshot weights, the bounded timeline."""
import numpy as np
import pytest

from mnist_viz.core.analysis import cell_members, class_templates, confusion_matrix, network_from_params, predictions
from mnist_viz.core.preprocess import EmptyDrawingError, center_of_mass, resample, to_mnist
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.timeline import Timeline
from mnist_viz.core.trainer import Trainer


def stroke_canvas(size=280):
    """A thick vertical bar drawn off-centre in the top-left of a 280x280 canvas: a '1'."""
    canvas = np.zeros((size, size), np.float32)
    canvas[20:180, 40:70] = 1.0
    return canvas


def test_a_known_stroke_becomes_the_expected_28x28_input():
    image = to_mnist(stroke_canvas()).reshape(28, 28)
    assert image.dtype == np.float32 and image.min() >= 0 and image.max() <= 1
    # Height and width measured as the sum of each row's / column's peak, which a sub-pixel
    # centring shift does not change (a row split into two halves still adds up to one).
    height, width = image.max(axis=1).sum(), image.max(axis=0).sum()
    assert height == pytest.approx(20, abs=0.01)  # the 160-pixel-tall bar is scaled to fill the 20-pixel box
    assert width == pytest.approx(4, abs=0.01)  # keeping its 30:160 aspect: 20 * 30/160 = 3.75, rounded to 4
    # the 160x30 bar becomes a full-intensity 20x4 block, shifted to centre its mass
    assert image.sum() == pytest.approx(20 * 4, rel=1e-4)


@pytest.mark.parametrize("where", [(slice(0, 50), slice(0, 90)), (slice(200, 280), slice(150, 280))])
def test_preprocessing_centres_the_mass(where):
    canvas = np.zeros((280, 280), np.float32)
    canvas[where] = 1.0
    # lopsided ink, so the box centre is not the mass centre
    canvas[where[0].start: where[0].start + 10, where[1]] = 0.5
    cy, cx = center_of_mass(to_mnist(canvas).reshape(28, 28))
    assert cy == pytest.approx(14.0, abs=0.05) and cx == pytest.approx(14.0, abs=0.05)


def test_an_empty_drawing_is_refused_clearly():
    with pytest.raises(EmptyDrawingError, match="empty"):
        to_mnist(np.zeros((100, 100)))
    with pytest.raises(ValueError, match="2-D"):
        to_mnist(np.zeros(10))


def test_resample_preserves_mean_intensity_and_averages_areas():
    image = np.random.default_rng(0).random((280, 210)).astype(np.float32)
    small = resample(image, 20, 15)
    assert small.shape == (20, 15) and small.mean() == pytest.approx(image.mean(), rel=1e-5)
    assert small[0, 0] == pytest.approx(image[:14, :14].mean(), rel=1e-5)


def test_a_real_mnist_digit_survives_preprocessing_and_is_still_recognised(mnist):
    tr = Trainer(mnist, Settings(hidden=(64,), train_subset=10_000))
    tr.train(epochs=2)
    images = mnist.x_test[:200].reshape(-1, 28, 28)
    # draw each digit 10x larger on a big canvas, as a mouse would, then preprocess it back
    redrawn = np.stack([to_mnist(np.kron(im, np.ones((10, 10), np.float32))) for im in images])
    agree = (predictions(tr.net, redrawn) == predictions(tr.net, mnist.x_test[:200])).mean()
    assert agree > 0.9


def test_class_templates_are_w1_times_output_weights():
    rng = np.random.default_rng(0)
    W1, W2 = rng.normal(size=(784, 7)), rng.normal(size=(7, 10))
    t = class_templates(W1, W2)
    assert t.shape == (10, 28, 28)
    np.testing.assert_allclose(t[3].ravel(), W1 @ W2[:, 3], rtol=1e-5)
    with pytest.raises(ValueError, match="follow"):
        class_templates(W1, rng.normal(size=(8, 10)))


def test_confusion_matrix_and_cells():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 0])
    cm = confusion_matrix(y_true, y_pred)
    assert cm.sum() == 6 and cm[0, 0] == 1 and cm[0, 1] == 1 and cm[2, 0] == 2 and cm[2, 2] == 1
    assert list(cell_members(y_true, y_pred, 2, 0)) == [4, 5]


def test_snapshot_weights_reproduce_the_network_at_that_instant(small):
    tr = Trainer(small, Settings(hidden=(32,)))
    tr.train(iterations=20)
    tr.net.unit_mask[0][3] = 0
    snap = tr.snapshot(small.x_test[:4])
    expected = tr.net.predict_proba(small.x_test[:50])
    tr.train(iterations=20)  # the live network moves on; the snapshot must not
    frozen_net = network_from_params(snap.params, snap.settings.activation, [snap.unit_mask])
    np.testing.assert_allclose(frozen_net.predict_proba(small.x_test[:50]), expected, rtol=1e-6)
    np.testing.assert_allclose(frozen_net.predict_proba(small.x_test[:4]), snap.probe_probs, rtol=1e-6)


def test_evaluation_can_send_test_predictions_once(small):
    tr = Trainer(small, Settings(hidden=(16,)))
    tr.train(iterations=10)
    tr.record_evaluation(test_predictions=True)
    snap = tr.snapshot()
    assert snap.test_pred.shape == (1000,)
    np.testing.assert_array_equal(snap.test_pred, predictions(tr.net, small.x_test))
    assert tr.snapshot().test_pred is None


def test_timeline_stays_bounded_and_spans_the_whole_run(small):
    tr = Trainer(small, Settings(hidden=(64,), batch_size=16))
    timeline = Timeline(max_items=20, max_bytes=10**9)
    for _ in range(500):
        tr.step()
        timeline.offer(tr.snapshot(small.x_test[:8]))
    assert len(timeline) <= 20
    steps = timeline.steps()
    assert steps[0] == 1 and steps[-1] > 500 - timeline.spacing and steps == sorted(steps)
    assert max(np.diff(steps)) <= 4 * min(np.diff(steps))  # roughly even spacing
    assert timeline.nearest(250).step == min(steps, key=lambda s: abs(s - 250))


@pytest.mark.slow
def test_timeline_bounds_memory_by_bytes(small):
    tr = Trainer(small, Settings(hidden=(256,)))
    timeline = Timeline(max_items=1000, max_bytes=10 * 784 * 256 * 4)
    for _ in range(200):
        tr.step()
        timeline.offer(tr.snapshot())
    assert timeline.nbytes <= 10 * 784 * 256 * 4 * 1.2 and len(timeline) >= 4
    tr.reset()
    tr.step()
    timeline.offer(tr.snapshot())
    assert len(timeline) == 1  # a reset starts a fresh record


def test_ablating_a_unit_changes_the_output_and_restoring_it_undoes_that(small):
    tr = Trainer(small, Settings(hidden=(16,)))
    tr.train(epochs=1)
    before = tr.net.predict_proba(small.x_test[:100])
    unit = int(np.argmax(tr.net.unit_importance(0, small.x_train[:500])))
    tr.set_unit_enabled(unit, False)
    ablated = tr.net.predict_proba(small.x_test[:100])
    assert np.abs(ablated - before).max() > 0.05
    assert np.all(tr.net.hidden_activations(small.x_test[:10])[:, unit] == 0)
    tr.set_unit_enabled(unit, True)
    np.testing.assert_array_equal(tr.net.predict_proba(small.x_test[:100]), before)
    assert [m.label for m in tr.history.markers] == [f"unit {unit} off", f"unit {unit} on"]
    with pytest.raises(ValueError, match="unit 99 does not exist"):
        tr.set_unit_enabled(99, False)


def test_metrics_csv_has_every_step_eval_and_marker(small, tmp_path):
    import csv

    from mnist_viz.core.files import FileWriteError, write_metrics_csv
    tr = Trainer(small, Settings(hidden=(8,)))
    tr.train(iterations=30)
    tr.update(lr=0.01)
    tr.record_evaluation()
    tr.flush()
    path = write_metrics_csv(tr.history, tmp_path / "m.csv")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    kinds = [r["kind"] for r in rows]
    assert kinds.count("step") == 30 and kinds.count("eval") == 1 and kinds.count("marker") == 1
    assert rows[-1]["label"] == "lr 0.001 → 0.01" and float(rows[0]["loss"]) > 0
    with pytest.raises(FileWriteError, match=r"cannot write .*nowhere"):
        write_metrics_csv(tr.history, tmp_path / "nowhere" / "m.csv")


def test_atomic_writes_get_ordinary_permissions(tmp_path):
    import os

    from mnist_viz.core.files import atomic_write
    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "a.bin", lambda f: f.write(b"x"))
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o600)
        atomic_write(path, lambda f: f.write(b"y"))
        assert path.stat().st_mode & 0o777 == 0o600 and path.read_bytes() == b"y"  # an existing file keeps its mode
    finally:
        os.umask(old)
