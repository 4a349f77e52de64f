"""LiveCurve: a line that grows at its end, drawn as a settled part kept as a picture and the live
tail after it.

A learning curve changes only at its newest end from one frame to the next, but a plot item is
drawn whole: the three step lines of the curves panel (a thin one with ~2 points per pixel of
width, two thick antialiased ones) were most of its paint, 1.6-2.4 ms a frame at 1600x1000
(benchmarks/frame_breakdown.py, 2026-12-04). Here the settled part is a pyqtgraph item with Qt's
device-coordinate cache: its pixels are drawn once and copied on every later frame, until its data,
its pen or the view's scale changes. The tail, drawn afresh each frame, holds the points since;
when it has ``SETTLE_AFTER_POINTS`` of them they move into the settled part (one full drawing).

The caller decides which points a stretch of the series is drawn through (``points``), and must do
so the same way for every stretch that starts on a row the settled part ends on (see
``curves.decimate_by_stride``): then the two parts together are exactly the line it would draw whole.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui, QtWidgets

SETTLE_AFTER_POINTS = 48  # drawn points in the tail before they join the settled part

Points = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class LiveCurve:
    """One line of ``plot`` in two pyqtgraph items with the same pen: ``settled`` (cached as
    pixels) and ``tail``. Reads like a ``PlotDataItem`` where the panel and its tests need it:
    ``xData``/``yData`` (the whole line as drawn), ``opts``, ``setData``."""

    def __init__(self, plot: pg.PlotItem, pen: QtGui.QPen, name: str | None = None):
        self.settled = plot.plot(pen=pen, name=name)
        self.settled.curve.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # The tail is set every frame: a bare curve item costs ~0.07 ms a setData in the window,
        # a PlotDataItem (log mapping, data bounds, its scatter child) ~0.2. Its y values are mapped
        # to the log axis here (the settled PlotDataItem maps its own); themes.py recolours both.
        self.tail = pg.PlotCurveItem(pen=pen)
        plot.addItem(self.tail)
        self._plot = plot
        self._tail_points: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
        self._settled_to = -1  # the row of the series the settled part ends on (-1: none)
        self._key: Hashable = None

    # ------------------------------------------------------------------ drawing
    def show(self, x: np.ndarray, y: np.ndarray, points: Points, stride: int, key: Hashable = None) -> None:
        """Draw the series ``(x, y)`` (each ``(n,)``, x increasing) through ``points`` of its
        stretches, which start on multiples of ``stride`` rows. ``key``: whatever else the points
        depend on (the view's scale, the series' own decimation); a change draws the line afresh."""
        n = len(x)
        if n == 0:
            self.setData([], [])
            return
        key = (stride, key)
        if key != self._key or self._settled_to >= n:  # new points everywhere, or fewer rows than before
            self._settle(x, y, points, stride)
            self._key = key
        tail = points(x[self._settled_to:], y[self._settled_to:])
        if len(tail[0]) > SETTLE_AFTER_POINTS:
            self._settle(x, y, points, stride)
            tail = points(x[self._settled_to:], y[self._settled_to:])
        self._set_tail(*tail)

    def _set_tail(self, x: np.ndarray, y: np.ndarray) -> None:
        self._tail_points = (np.asarray(x), np.asarray(y))
        if self._plot.getAxis("left").logMode:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.log10(y)
        self.tail.setData(x, y, skipFiniteCheck=True)

    def _settle(self, x: np.ndarray, y: np.ndarray, points: Points, stride: int) -> None:
        """Move everything up to the last row on a multiple of ``stride`` into the settled part."""
        end = ((len(x) - 1) // stride) * stride
        self.settled.setData(*points(x[:end + 1], y[:end + 1]), skipFiniteCheck=True)
        self._settled_to = end

    # ------------------------------------------------------------------ as a PlotDataItem
    def setData(self, x, y) -> None:
        """Draw exactly ``(x, y)`` (all settled; the next ``show`` starts afresh)."""
        self.settled.setData(x, y)
        self._set_tail(np.zeros(0), np.zeros(0))
        self._settled_to, self._key = -1, None

    @property
    def opts(self) -> dict:
        return self.settled.opts

    @property
    def xData(self) -> np.ndarray | None:
        return self._joined(self.settled.xData, self._tail_points[0])

    @property
    def yData(self) -> np.ndarray | None:
        return self._joined(self.settled.yData, self._tail_points[1])

    @staticmethod
    def _joined(settled: np.ndarray | None, tail: np.ndarray) -> np.ndarray | None:
        """The line's values: the settled part's, then the tail's after the point they share."""
        if not len(tail):
            return settled
        if settled is None or not len(settled):
            return tail
        return np.concatenate([settled[:-1], tail])
