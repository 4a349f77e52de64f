"""Activation space: a stable 2-D picture of many images' hidden activations, by PCA.

``principal_plane`` finds the plane that holds the most variance of ``(N, H)`` activations (the
first two principal components). ``ActivationProjector`` projects each new frame of a live run
onto that plane and keeps the picture steady between frames:

* orientation: a principal component's sign is arbitrary and two components of nearly equal
  variance can swap or turn within their plane from one frame to the next, so a naive PCA makes
  the cloud flip and spin while the network hardly changed. Each frame is turned (rotation or
  reflection of the plane, the orthogonal Procrustes fit) to match the previous frame's axes as
  closely as possible. This covers "flip a component whose dot product with the previous one is
  negative" and "swap components that swapped", and also the slow turn within the plane that a
  sign/order rule cannot undo. The turn does not change which plane is shown nor the variance it
  holds. When the layer's width changes (a live resize) the old axes mean nothing: start fresh;
* scale: coordinates are divided by a smoothed percentile of the points' distance from the centre
  (rotation-invariant, so orientation and scale do not interact), so the cloud keeps its size on
  screen while the activations grow tenfold during training, without breathing with batch noise.

PCA (not t-SNE or UMAP) because it is linear and deterministic: the same network gives the same
picture, distances between clusters mean something, and a frame costs milliseconds, not seconds.
Pure NumPy; no Qt.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_COMPONENTS = 2
# Randomized subspace iteration (Halko, Martinsson & Tropp 2011) instead of an exact SVD/eigh: at
# H = 512 the exact decomposition took ~0.3-1.5 s on a 2-core machine (2.7 s at H = 2048), far
# too slow for a live view; 8 directions refined 8 times cost ~6 ms at H = 128, ~13 ms at 512, and
# capture the top-2 variance to better than 1e-4 of the exact value (tests/core/test_projection.py).
EXTRA_DIRECTIONS = 6
REFINEMENTS = 8


@dataclass(frozen=True)
class Plane:
    """The principal plane of some activations.

    Attributes:
        mean: ``(H,) float64`` mean activation (the picture's centre).
        components: ``(2, H) float64`` orthonormal rows (a zero row when H or N is 1).
        coords: ``(N, 2) float64`` each image's position along the two components.
        variances: ``(2,) float64`` variance of the activations along each component.
        total_variance: the activations' total variance (sum over the H units).
    """

    mean: np.ndarray
    components: np.ndarray
    coords: np.ndarray
    variances: np.ndarray
    total_variance: float

    @property
    def captured_fraction(self) -> float:
        """Share of the total variance the plane holds (0 when there is none)."""
        return float(self.variances.sum() / self.total_variance) if self.total_variance > 0 else 0.0


def principal_plane(acts: np.ndarray, seed: int = 0) -> Plane:
    """The first two principal components of ``acts (N, H)`` (any float dtype, finite).

    Deterministic: the random start of the subspace iteration is seeded, so the same activations
    always give the same components (the orientation rule relies on it). Signs follow a fixed
    convention: each component's largest loading is positive.
    """
    n, h = acts.shape
    mean = acts.mean(axis=0, dtype=np.float64)
    centred = np.asarray(acts, np.float32) - mean.astype(np.float32)  # (N, H)
    # Computed in float32 (half the memory traffic of float64: 8 ms instead of 24 ms at H = 512) on
    # activations divided by their peak, so a network near divergence (activations ~1e20, whose
    # squares overflow float32) still gets its picture.
    peak = float(np.abs(centred).max()) if centred.size else 0.0
    if not peak > 0:  # all images alike (e.g. every unit dead): no direction stands out
        return Plane(mean, np.zeros((N_COMPONENTS, h)), np.zeros((n, N_COMPONENTS)), np.zeros(N_COMPONENTS), 0.0)
    centred /= peak
    total = float(np.einsum("ij,ij->", centred, centred, dtype=np.float64)) / n * peak**2
    width = min(N_COMPONENTS + EXTRA_DIRECTIONS, h, n)
    basis = np.random.default_rng(seed).standard_normal((h, width)).astype(np.float32)  # (H, width)
    for _ in range(REFINEMENTS):
        images, _ = np.linalg.qr(centred @ basis)  # (N, width): orthonormalised, or the top direction swamps the rest
        basis, _ = np.linalg.qr(centred.T @ images)  # (H, width)
    left, singular, turn = np.linalg.svd((centred @ basis).astype(np.float64), full_matrices=False)  # (N, width)
    kept = min(N_COMPONENTS, width)
    components = np.zeros((N_COMPONENTS, h))
    components[:kept] = turn[:kept] @ basis.T.astype(np.float64)
    coords = np.zeros((n, N_COMPONENTS))
    coords[:, :kept] = left[:, :kept] * singular[:kept] * peak
    variances = np.zeros(N_COMPONENTS)
    variances[:kept] = (singular[:kept] * peak) ** 2 / n
    signs = _largest_loading_signs(components)
    return Plane(mean, components * signs[:, None], coords * signs, variances, total)


def _largest_loading_signs(components: np.ndarray) -> np.ndarray:
    """``(2,)`` signs (+-1) that make each row of ``components (2, H)`` have a positive largest entry."""
    rows = np.arange(len(components))
    signs = np.sign(components[rows, np.abs(components).argmax(axis=1)])
    return np.where(signs == 0, 1.0, signs)


def alignment_turn(components: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """The ``(2, 2)`` rotation or reflection ``Q`` that turns ``components (2, H)`` within their
    plane to best match ``previous (2, H)``: ``Q @ components`` are the aligned axes.

    The orthogonal Procrustes fit: ``Q`` minimising ``||Q @ components - previous||`` is ``U @ Vt``
    for ``previous @ components.T = U S Vt``. When the planes match it is a pure sign flip and/or
    swap of the two axes.
    """
    u, _, vt = np.linalg.svd(previous @ components.T)
    return u @ vt


@dataclass(frozen=True)
class Projection:
    """One frame of the activation-space picture.

    Attributes:
        coords: ``(N, 2) float32`` positions, in units of the smoothed spread (most within 1).
        captured_fraction: share of the activations' variance the plane holds.
        fresh: the axes started afresh (first frame, after ``reset`` or a change of width).
    """

    coords: np.ndarray
    captured_fraction: float
    fresh: bool


class ActivationProjector:
    """Projects successive frames of ``(N, H)`` activations of the same N images onto their
    principal plane, with orientation and scale kept steady between frames (see the module
    docstring).

    Args:
        percentile: the distance from the centre, in percent of the points, that the scale follows.
        rate: how far the scale moves toward each frame's spread, in log space (time constant
            ~``1 / rate`` frames: ~1 s at 3 frames/s).
        snap_ratio: a spread this many times larger or smaller is followed at once (a blow-up, a
            new run), rather than over several frames with the cloud off screen.
        seed: seed of the subspace iteration's start.
    """

    def __init__(self, percentile: float = 98.0, rate: float = 0.3, snap_ratio: float = 3.0, seed: int = 0):
        self.percentile = percentile
        self.rate = rate
        self.snap_ratio = snap_ratio
        self.seed = seed
        self.axes: np.ndarray | None = None  # (2, H) the last frame's oriented components
        self.scale: float | None = None  # the spread that maps to 1

    def reset(self) -> None:
        """Forget the orientation and scale: the next frame starts fresh."""
        self.axes = None
        self.scale = None

    def project(self, acts: np.ndarray) -> Projection | None:
        """The picture of ``acts (N, H)``; ``None`` (state kept) when they are not all finite,
        e.g. a diverged network: NaN has no place in a picture."""
        if not np.isfinite(acts).all():
            return None
        plane = principal_plane(acts, self.seed)
        fresh = self.axes is None or self.axes.shape != plane.components.shape
        turn = np.eye(N_COMPONENTS) if fresh or self.axes is None else alignment_turn(plane.components, self.axes)
        self.axes = turn @ plane.components
        raw = plane.coords @ turn.T  # (N, 2): the same turn applied to the points
        scale = self._follow_scale(raw, restart=fresh)
        return Projection((raw / scale).astype(np.float32), plane.captured_fraction, fresh)

    def _follow_scale(self, raw: np.ndarray, restart: bool) -> float:
        """Move the smoothed spread toward this frame's and return it (always > 0)."""
        spread = float(np.percentile(np.hypot(raw[:, 0], raw[:, 1]), self.percentile))
        if not spread > 0:  # every point at the centre (all units dead): any scale draws them there
            return self.scale or 1.0
        if restart or self.scale is None or not (1 / self.snap_ratio < spread / self.scale < self.snap_ratio):
            self.scale = spread
        else:
            # A step in log space, written so that an unchanged spread leaves the scale exactly unchanged.
            self.scale *= (spread / self.scale) ** self.rate
        return self.scale
