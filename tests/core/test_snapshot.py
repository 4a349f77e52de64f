"""Bounded histories and settings validation."""
import numpy as np
import pytest

from mnist_viz.core.snapshot import DecimatingSeries, Settings


def test_decimating_series_stays_bounded_and_keeps_the_curve_shape():
    series = DecimatingSeries(("x", "y"), capacity=1000)
    x = np.arange(1_000_000, dtype=float)
    for chunk in np.array_split(np.column_stack([x, np.sin(x / 50_000)]), 700):
        series.extend(chunk)
    rows = series.array()
    assert 500 <= len(rows) <= 1000 and series.total == 1_000_000
    assert np.all(np.diff(rows[:, 0]) > 0)  # still ordered along x
    np.testing.assert_allclose(rows[:, 1], np.sin(rows[:, 0] / 50_000), atol=0.02)


def test_decimating_series_before_it_fills_is_exact():
    series = DecimatingSeries(("x",), capacity=8)
    series.extend(np.arange(5.0)[:, None])
    series.append([5.0])
    assert series.column("x").tolist() == [0, 1, 2, 3, 4, 5]


def test_decimating_series_averages_pairs_when_full():
    series = DecimatingSeries(("x",), capacity=4)
    series.extend(np.arange(6.0)[:, None])
    # 0..3 fill it, then it halves to (0.5, 2.5); 4 and 5 are averaged into 4.5
    assert series.column("x").tolist() == [0.5, 2.5, 4.5]


def test_settings_reject_bad_values_with_the_value_named():
    with pytest.raises(ValueError, match=r"-0\.1"):
        Settings(lr=-0.1)
    with pytest.raises(ValueError, match="softplus"):
        Settings(activation="softplus")
    with pytest.raises(ValueError, match=r"\[0\]"):
        Settings(hidden=(0,))
    with pytest.raises(ValueError, match="unknown setting"):
        Settings.from_dict({"lr": 0.1, "colour": "red"})
    s = Settings(hidden=[64, 32], lr=0.5)
    assert Settings.from_dict(s.to_dict()) == s and s.hidden == (64, 32)
