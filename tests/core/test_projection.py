"""Activation-space projection (core.projection): PCA against an exact eigendecomposition, and the
orientation and scale rules that keep the live picture steady between frames."""
import numpy as np
import pytest

from mnist_viz.core.network import MLP
from mnist_viz.core.projection import ActivationProjector, alignment_turn, principal_plane

N = 2000


def exact_top_two(acts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(variances (2,), components (2, H))`` of a direct eigendecomposition of the covariance."""
    centred = acts.astype(np.float64) - acts.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred / len(acts))
    return values[::-1][:2], vectors[:, ::-1][:, :2].T


def latent_codes(k: int) -> np.ndarray:
    """``(N, k)`` fixed codes with zero mean and exactly the identity covariance, so the variances
    given to ``latent_activations`` are the sample's own (no accidental tilt of the axes)."""
    z = np.random.default_rng(123).standard_normal((N, k))
    q, _ = np.linalg.qr(z - z.mean(axis=0))
    return q * np.sqrt(N)


def latent_activations(variances, directions, seed=0, noise=0.01) -> np.ndarray:
    """``(N, H)`` activations ``sum_k sqrt(var_k) z_k u_k`` + a little isotropic noise + an offset."""
    directions = np.asarray(directions, np.float64)
    noise_part = noise * np.random.default_rng(seed).standard_normal((N, directions.shape[1]))
    return (latent_codes(len(variances)) * np.sqrt(variances)) @ directions + noise_part + 0.5


def unit(v) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return v / np.linalg.norm(v)


@pytest.fixture(scope="module")
def mnist_acts(mnist):
    """Hidden activations ``(2000, 128)`` of a freshly initialised 784-128-10 ReLU network."""
    return MLP([784, 128, 10], rng=1).hidden_activations(mnist.x_test[:N])


# ---------------------------------------------------------------------------------- the PCA itself

def test_plane_captures_the_variance_of_an_exact_pca(mnist_acts):
    plane = principal_plane(mnist_acts)
    exact_variances, exact_components = exact_top_two(mnist_acts)
    np.testing.assert_allclose(plane.variances, exact_variances, rtol=1e-4)
    centred = mnist_acts.astype(np.float64) - mnist_acts.mean(axis=0)
    total = np.trace(centred.T @ centred) / N
    assert plane.total_variance == pytest.approx(total, rel=1e-5)
    assert plane.captured_fraction == pytest.approx(exact_variances.sum() / total, rel=1e-4)
    # The same plane (projectors agree) with orthonormal axes, and coords are the projections.
    np.testing.assert_allclose(plane.components @ plane.components.T, np.eye(2), atol=1e-6)
    np.testing.assert_allclose(plane.components.T @ plane.components, exact_components.T @ exact_components,
                               atol=1e-3)
    np.testing.assert_allclose(plane.coords, centred @ plane.components.T, atol=1e-4 * np.abs(plane.coords).max())
    assert plane.variances[0] >= plane.variances[1] > 0


def test_huge_activations_and_degenerate_layers_give_finite_planes(mnist_acts):
    huge = principal_plane(mnist_acts * np.float32(1e20))  # squares would overflow float32
    np.testing.assert_allclose(huge.variances, principal_plane(mnist_acts).variances * 1e40, rtol=1e-4)
    one_unit = principal_plane(mnist_acts[:, :1])
    assert one_unit.variances[1] == 0 and np.isfinite(one_unit.coords).all()
    np.testing.assert_allclose(one_unit.variances[0], mnist_acts[:, 0].astype(np.float64).var(), rtol=1e-5)
    dead = principal_plane(np.zeros((N, 16), np.float32))
    assert dead.captured_fraction == 0 and not dead.coords.any()


def test_alignment_turn_undoes_flips_swaps_and_turns():
    rng = np.random.default_rng(0)
    axes, _ = np.linalg.qr(rng.standard_normal((10, 2)))
    axes = axes.T  # (2, 10)
    angle = 0.7
    for q in (np.diag([-1.0, 1.0]), np.array([[0.0, 1.0], [1.0, 0.0]]),
              np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])):
        np.testing.assert_allclose(alignment_turn(q @ axes, axes) @ (q @ axes), axes, atol=1e-12)


# ---------------------------------------------------------------------------------- frame to frame

def test_the_same_network_twice_gives_identical_coordinates(mnist_acts):
    projector = ActivationProjector()
    first, second = projector.project(mnist_acts), projector.project(mnist_acts.copy())
    assert first.fresh and not second.fresh
    np.testing.assert_array_equal(first.coords, second.coords)


def test_a_slightly_changed_network_moves_its_points_only_slightly(mnist):
    x = mnist.x_test[:N]
    net = MLP([784, 128, 10], rng=1)
    projector = ActivationProjector()
    before = projector.project(net.hidden_activations(x)).coords
    rng = np.random.default_rng(5)
    for p in net.params:
        p += 0.02 * np.abs(p).mean() * rng.standard_normal(p.shape).astype(p.dtype)
    after = projector.project(net.hidden_activations(x)).coords
    assert np.abs(after - before).max() < 0.1 < np.abs(before).max()  # coords are in units of the ~98th-pct radius


def test_no_sign_flip_where_a_naive_pca_flips():
    # Top direction's two largest loadings nearly tie with opposite signs: a 2 % change makes the
    # naive sign convention ("largest loading positive") flip component 1.
    before = latent_activations([4.0, 1.0], [unit([1.0, -0.98, 0.3, 0, 0, 0]), unit([0, 0, 0, 1.0, 0.5, 0])])
    after = latent_activations([4.0, 1.0], [unit([0.98, -1.0, 0.3, 0, 0, 0]), unit([0, 0, 0, 1.0, 0.5, 0])], seed=1)
    naive_before, naive_after = principal_plane(before), principal_plane(after)
    assert naive_before.components[0] @ naive_after.components[0] < -0.9  # the naive picture flips

    projector = ActivationProjector()
    first, second = projector.project(before).coords, projector.project(after).coords
    assert np.abs(second - first).max() < 0.1
    assert np.abs(-second[:, 0] - first[:, 0]).max() > 1.0  # a flip would have been visible


def test_no_swap_when_two_variances_cross():
    directions = [unit([1.0, 0.2, 0, 0, 0]), unit([-0.2, 1.0, 0, 0, 0])]
    before = latent_activations([3.0, 2.8], directions)
    after = latent_activations([2.8, 3.0], directions, seed=1)
    assert abs(principal_plane(before).components[0] @ principal_plane(after).components[0]) < 0.1  # naive swaps

    projector = ActivationProjector()
    first, second = projector.project(before).coords, projector.project(after).coords
    # Each image stays on its axis; only the axes' lengths change by sqrt(3/2.8) (~3.5 %).
    assert np.corrcoef(first[:, 0], second[:, 0])[0, 1] > 0.99
    assert np.corrcoef(first[:, 1], second[:, 1])[0, 1] > 0.99


def test_no_spin_when_the_plane_is_nearly_round():
    # Equal variances in the plane: a small extra spread along the diagonal turns the naive axes by
    # 45 degrees, which no sign or order rule can undo; the aligned picture stays put.
    directions = [unit([1.0, 0, 0, 0]), unit([0, 1.0, 0, 0])]
    before = latent_activations([3.0, 2.98], directions)
    z = latent_codes(2) * np.sqrt([3.0, 2.98])
    after = before + 0.05 * np.outer(z.sum(axis=1), unit([1.0, 1.0, 0, 0]))
    naive_turn = principal_plane(before).components @ principal_plane(after).components.T
    assert np.abs(naive_turn).max() < 0.9  # the naive axes turned by tens of degrees

    projector = ActivationProjector()
    first, second = projector.project(before).coords, projector.project(after).coords
    assert np.abs(second - first).max() < 0.1


def test_a_change_of_width_starts_fresh(mnist):
    x = mnist.x_test[:N]
    projector = ActivationProjector()
    projector.project(MLP([784, 32, 10], rng=0).hidden_activations(x))
    wider = MLP([784, 48, 10], rng=0).hidden_activations(x)
    resized = projector.project(wider)
    assert resized.fresh and projector.axes.shape == (2, 48)
    np.testing.assert_array_equal(resized.coords, ActivationProjector().project(wider).coords)


def test_scale_keeps_the_cloud_steady_and_follows_big_jumps(mnist_acts):
    projector = ActivationProjector(percentile=98.0, rate=0.3, snap_ratio=3.0)
    first = projector.project(mnist_acts).coords
    radius = np.hypot(first[:, 0], first[:, 1])
    assert np.percentile(radius, 98) == pytest.approx(1.0, rel=1e-5)  # fresh: the spread maps to 1

    grown = projector.project(mnist_acts * np.float32(1.5)).coords  # the activations grew by half
    ratio = np.percentile(np.hypot(grown[:, 0], grown[:, 1]), 98)
    assert ratio == pytest.approx(1.5 ** 0.7, rel=1e-4)  # the scale moved 30 % of the way (in log)

    blown = projector.project(mnist_acts * np.float32(100)).coords  # beyond snap_ratio: followed at once
    assert np.percentile(np.hypot(blown[:, 0], blown[:, 1]), 98) == pytest.approx(1.0, rel=1e-5)


def test_non_finite_activations_give_no_picture_and_keep_the_orientation(mnist_acts):
    projector = ActivationProjector()
    first = projector.project(mnist_acts)
    broken = mnist_acts.copy()
    broken[3, 5] = np.nan
    assert projector.project(broken) is None
    again = projector.project(mnist_acts)
    assert not again.fresh
    np.testing.assert_array_equal(again.coords, first.coords)
    projector.reset()
    assert projector.project(mnist_acts).fresh
