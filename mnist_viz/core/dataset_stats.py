"""What the data looks like: class means, counts, pixel histogram, random examples (no Qt).

Everything is computed in chunks so a (60000, 784) float32 set makes no full-size copy.
"""
from __future__ import annotations

import numpy as np

CHUNK = 8192


def class_counts(y: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Images per class ``(n_classes,)`` int64 for labels ``(N,)``."""
    return np.bincount(np.asarray(y, np.int64), minlength=n_classes)[:n_classes]


def class_means(x: np.ndarray, y: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Mean image per class ``(n_classes, 784)`` float32 (zeros for a class with no images)."""
    sums = np.zeros((n_classes, x.shape[1]), np.float64)
    for start in range(0, len(x), CHUNK):
        xs, ys = x[start:start + CHUNK], y[start:start + CHUNK]
        _add_by_class(sums, xs, ys, n_classes)
    counts = class_counts(y, n_classes)
    return (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)


def _add_by_class(sums: np.ndarray, xs: np.ndarray, ys: np.ndarray, n_classes: int) -> None:
    """sums[c] += sum of the chunk's images of class c (one-hot matmul: fast, chunk-sized)."""
    onehot = (ys[None, :] == np.arange(n_classes)[:, None]).astype(np.float32)
    sums += onehot @ xs


def pixel_histogram(x: np.ndarray, bins: int = 32) -> tuple[np.ndarray, np.ndarray, float]:
    """Histogram of all pixel values over [0, 1].

    Returns ``(counts (bins,) int64, edges (bins+1,), fraction of pixels exactly 0)``.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.zeros(bins, np.int64)
    zeros = 0
    for start in range(0, len(x), CHUNK):
        chunk = x[start:start + CHUNK]
        counts += np.histogram(chunk, bins=edges)[0]
        zeros += int(np.count_nonzero(chunk == 0))
    return counts, edges, zeros / max(x.size, 1)


def random_per_class(y: np.ndarray, k: int, seed: int, n_classes: int = 10) -> np.ndarray:
    """``(n_classes, k)`` indices into ``y``, k random images per class (seeded; -1 where a class has fewer)."""
    rng = np.random.default_rng(seed)
    out = np.full((n_classes, k), -1, np.int64)
    for c in range(n_classes):
        members = np.flatnonzero(y == c)
        take = rng.choice(members, size=min(k, len(members)), replace=False)
        out[c, :len(take)] = take
    return out
