"""Input augmentation (core.augment): shifts and turns checked against independent NumPy
computations (np.roll with zero fill, np.rot90, a pixel-by-pixel bilinear lookup), and the trainer's
use of it: training images only, the same draws for the same seed, the batch order untouched."""
import math

import numpy as np
import pytest

from mnist_viz.core.augment import Augmenter, augment, draw
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import AUGMENT_STREAM, Trainer


@pytest.fixture(scope="module")
def digits(mnist):
    """Eight real digits ``(8, 784) float32`` (asymmetric: a wrong direction cannot pass)."""
    return np.ascontiguousarray(mnist.x_train[:8])


def rolled(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``image`` (28, 28) moved right by dx and down by dy, the pixels that wrap around set to 0."""
    out = np.roll(image, (dy, dx), axis=(0, 1))
    if dy > 0:
        out[:dy] = 0
    elif dy < 0:
        out[dy:] = 0
    if dx > 0:
        out[:, :dx] = 0
    elif dx < 0:
        out[:, dx:] = 0
    return out


def bilinear_reference(image: np.ndarray, dx: float, dy: float, degrees: float) -> np.ndarray:
    """The warp one output pixel at a time: the point the inverse motion takes it to, read with
    bilinear weights from the four pixels around it (0 outside). (28, 28) float64."""
    a = math.radians(degrees)
    out = np.zeros((28, 28))
    for r in range(28):
        for c in range(28):
            x, y = c - 13.5 - dx, r - 13.5 - dy
            sc = x * math.cos(a) - y * math.sin(a) + 13.5
            sr = x * math.sin(a) + y * math.cos(a) + 13.5
            r0, c0 = math.floor(sr), math.floor(sc)
            total = 0.0
            for rr, wr in ((r0, 1 - (sr - r0)), (r0 + 1, sr - r0)):
                for cc, wc in ((c0, 1 - (sc - c0)), (c0 + 1, sc - c0)):
                    if 0 <= rr < 28 and 0 <= cc < 28:
                        total += wr * wc * image[rr, cc]
            out[r, c] = total
    return out


@pytest.mark.parametrize("dx,dy", [(2, 0), (0, -2), (-1, 2), (3, -3), (0, 0), (4, 1)])
def test_a_pure_shift_is_np_roll_with_zero_fill(digits, dx, dy):
    out = Augmenter().warp(digits, np.tile([dx, dy], (len(digits), 1)), np.zeros(len(digits)))
    for image, warped in zip(digits, out):
        assert np.array_equal(warped.reshape(28, 28), rolled(image.reshape(28, 28), dx, dy))


def test_a_shift_of_the_whole_image_width_leaves_nothing(digits):
    out = Augmenter().warp(digits[:2], [[28, 0], [0, -30]], [0.0, 0.0])
    assert not out.any()


def test_no_shift_and_no_turn_is_the_identity_in_both_paths(digits):
    a = Augmenter()
    assert np.array_equal(a.warp(digits, np.zeros((8, 2), int), np.zeros(8)), digits)
    # one turned image sends the whole batch through the bilinear path: the others must stay exact
    angles = np.zeros(8)
    angles[3] = 7.0
    out = a.warp(digits, np.zeros((8, 2), int), angles)
    keep = np.arange(8) != 3
    assert np.array_equal(out[keep], digits[keep])
    assert not np.allclose(out[3], digits[3])


@pytest.mark.parametrize("degrees,k", [(90, 1), (-90, -1), (180, 2)])
def test_quarter_turns_match_np_rot90(digits, degrees, k):
    out = Augmenter().warp(digits, np.zeros((8, 2), int), np.full(8, float(degrees)))
    for image, warped in zip(digits, out):
        assert np.allclose(warped.reshape(28, 28), np.rot90(image.reshape(28, 28), k), atol=1e-5)


@pytest.mark.parametrize("dx,dy,degrees", [(0, 0, 10.0), (1, -2, -13.0), (-3, 2, 4.5)])
def test_a_small_turn_matches_a_pixel_by_pixel_bilinear_lookup(digits, dx, dy, degrees):
    out = Augmenter().warp(digits[:1], [[dx, dy]], [degrees])
    expected = bilinear_reference(digits[0].reshape(28, 28).astype(np.float64), dx, dy, degrees)
    assert np.allclose(out[0].reshape(28, 28), expected, atol=2e-5)
    assert out[0].sum() == pytest.approx(digits[0].sum(), rel=0.1)  # a turn keeps the ink, roughly


def test_bad_shapes_are_refused_plainly():
    with pytest.raises(ValueError, match="784"):
        Augmenter().warp(np.zeros((2, 100), np.float32), np.zeros((2, 2), int), np.zeros(2))


def test_a_batch_larger_than_a_chunk_is_warped_like_its_pieces(mnist):
    x = np.ascontiguousarray(mnist.x_train[:2100])
    shifts, angles = draw(np.random.default_rng(4), len(x), 2, 10.0)
    whole = Augmenter().warp(x, shifts, angles).copy()
    piece = Augmenter().warp(x[1500:1510], shifts[1500:1510], angles[1500:1510])
    assert np.array_equal(whole[1500:1510], piece)


def test_the_draws_cover_their_ranges_and_shift_and_turn_are_independent():
    shifts, angles = draw(np.random.default_rng(0), 5000, 2, 10.0)
    assert set(np.unique(shifts)) == {-2, -1, 0, 1, 2}
    assert np.abs(angles).max() <= 10.0 and np.abs(angles).max() > 9.9
    assert abs(np.mean(shifts == 2) - 0.2) < 0.02  # uniform over the 5 values
    # the same generator state with another shift range: the same angles
    _, angles_again = draw(np.random.default_rng(0), 5000, 3, 10.0)
    assert np.array_equal(angles, angles_again)
    none, zero = draw(np.random.default_rng(0), 10, 0, 0.0)
    assert not none.any() and not zero.any()


def test_augment_writes_into_the_buffer_it_is_given(digits):
    out = np.full_like(digits, 7.0)
    result = augment(digits, np.random.default_rng(1), 2, 10.0, out=out)
    assert result is out and not np.array_equal(out, np.full_like(digits, 7.0))


# ----------------------------------------------------------------------------- in the trainer
def test_the_trainer_trains_on_moved_images_and_peek_shows_them(small_mnist):
    settings = Settings(hidden=(16,), batch_size=32, seed=5, augment_shift=2, augment_rotate=10.0)
    tr = Trainer(small_mnist, settings)
    x_peek, y_peek = tr.peek_batch()
    raw = small_mnist.x_train[tr.order[:32]]
    assert np.array_equal(y_peek, small_mnist.y_train[tr.order[:32]])
    # the draws of step 0 come from the seed's augmentation stream, independently recomputed here
    rng = np.random.default_rng(np.random.SeedSequence(5, spawn_key=(AUGMENT_STREAM, 0)))
    shifts, angles = draw(rng, 32, 2, 10.0)
    assert np.array_equal(x_peek, Augmenter().warp(raw, shifts, angles))
    assert not np.array_equal(x_peek, raw)
    # the step trains on exactly those images: its W1 gradient is built from them
    before = [p.copy() for p in tr.net.params]
    loss_peek = tr.net.loss_and_grads(x_peek, y_peek)[0]
    loss_raw = tr.net.loss_and_grads(raw, y_peek)[0]
    result = tr.step()
    assert result.loss == pytest.approx(loss_peek, rel=1e-6) and result.loss != pytest.approx(loss_raw, rel=1e-4)
    assert any(not np.array_equal(p, q) for p, q in zip(before, tr.net.params))
    # evaluation uses the images as they are: its accuracy is that of the unmoved test images
    W1, b1, W2, b2 = tr.net.params
    logits = np.maximum(small_mnist.x_test @ W1 + b1, 0) @ W2 + b2
    assert tr.evaluate("test")[1] == pytest.approx(np.mean(logits.argmax(1) == small_mnist.y_test))


def test_augmentation_keeps_the_batch_order_and_the_same_seed_gives_the_same_run(small_mnist):
    plain = Trainer(small_mnist, Settings(hidden=(16,), batch_size=100, seed=3))
    runs = [Trainer(small_mnist, Settings(hidden=(16,), batch_size=100, seed=3, augment_shift=2,
                                          augment_rotate=8.0)) for _ in range(2)]
    for tr in (plain, *runs):
        tr.train(iterations=45)  # past the end of the first epoch (30 steps): a new order drawn
    assert np.array_equal(plain.order, runs[0].order)
    assert all(np.array_equal(p, q) for p, q in zip(runs[0].net.params, runs[1].net.params))
    assert not np.array_equal(plain.net.params[0], runs[0].net.params[0])


def test_turning_augmentation_on_live_leaves_a_readable_marker(small_mnist):
    tr = Trainer(small_mnist, Settings(hidden=(8,)))
    tr.step()
    assert tr.update(augment_shift=2, augment_rotate=10.0) == ["shift off → ±2 px", "rotation off → ±10°"]
    tr.step()
    assert tr.update(augment_shift=0) == ["shift ±2 px → off"]
