"""ComparisonView: run B of a comparison, its weight mosaic over its probe digits, to sit next to
run A's (the window's own panels) while two runs train in lockstep (``gui.comparison``).

It is a ``WeightsPanel`` and a ``ProbesPanel`` of their own, fed with run B's snapshots; the probe
digits mirror run A's (``mirror_probes``), so the same digit is answered by both networks.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6 import QtCore, QtWidgets

from mnist_viz.core.i18n import tr
from mnist_viz.core.snapshot import Snapshot
from mnist_viz.gui import style
from mnist_viz.gui.layout import splitter
from mnist_viz.gui.panels.probes import ProbesPanel
from mnist_viz.gui.panels.weights import WeightsPanel

# s between two paints of run B's mosaic and probes: they cost as much as run A's (~7 ms a frame at
# 256 units), and on two cores the window, run A and run B share, painting them ~16 times a second
# instead of ~33 leaves that time to the curves and the training; a mosaic changes slowly anyway.
MIN_PAINT_INTERVAL = 0.06


class ComparisonView(QtWidgets.QWidget):
    """Run B's mosaic (top) and probe digits (bottom) under a title naming the run.

    Signals:
        probesChanged(object): run B's probe images ``(P, 784) float32`` changed (forward them to
            run B's worker, ``Comparison.set_probes``).
    """

    probesChanged = QtCore.Signal(object)

    def __init__(self, dataset, min_paint_interval: float = MIN_PAINT_INTERVAL,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.min_paint_interval = float(min_paint_interval)
        self._last_paint = -1e9
        self._pending: Snapshot | None = None
        self._later = QtCore.QTimer(self)  # paints a snapshot held back, so the last one always shows
        self._later.setSingleShot(True)
        self._later.timeout.connect(self._paint_pending)
        self._run: tuple[str, str, str] | None = None  # set_run's arguments, for refresh_texts
        self.weights = WeightsPanel()
        self.probes = ProbesPanel(dataset)
        self.probes.probesChanged.connect(self.probesChanged)
        self._split_size = self._probe_split_size(dataset)  # probe indices below it are dataset images
        self.probes.set_strip_only(True)  # the same probes as run A's: B's answers are what differs
        self._notes = QtWidgets.QLabel()
        self._notes.setFont(style.font(style.SMALL_PT))
        self._notes.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self._notes)
        self.split = splitter(QtCore.Qt.Orientation.Vertical, (self.weights, 75), (self.probes, 25))
        layout.addWidget(self.split, 1)

    @staticmethod
    def _probe_split_size(dataset) -> int:
        """Images in the split ProbesPanel takes its probes from (test, else validation, else training)."""
        for name in ("x_test", "x_val", "x_train"):
            images = getattr(dataset, name, None)
            if images is not None and len(images):
                return len(images)
        return 0

    def set_dataset(self, dataset) -> None:
        """Another dataset (File > Open dataset): run B's probes come from it, named by its classes."""
        self.probes.set_dataset(dataset)
        self._split_size = self._probe_split_size(dataset)

    def set_run(self, label_b: str, difference: str, notes: str = "") -> None:
        """Title ``"Run B — adam"`` and the line under it (what differs, how fair the comparison is;
        both come worded by ``gui.comparison``)."""
        self._run = (label_b, difference, notes)
        self.weights.set_run_name(tr("Run B — {name}").format(name=label_b.removeprefix("B: ")))
        self._notes.setText(f"{difference}. {notes}" if notes else difference)

    def refresh_texts(self) -> None:
        """The run's title in the current language (after a language switch); the line under it is
        the comparison's own words, set again with ``set_run``."""
        if self._run is not None:
            self.set_run(*self._run)

    def show_snapshot(self, snap: Snapshot) -> None:
        """Paint run B's ``snap`` on the mosaic and the probes, at most every ``min_paint_interval``
        seconds (one that comes sooner is painted when the interval is over, unless a newer came)."""
        self._pending = snap
        wait = self._last_paint + self.min_paint_interval - time.monotonic()
        if wait <= 0:
            self._paint_pending()
        elif not self._later.isActive():
            self._later.start(max(1, int(wait * 1000)))

    def _paint_pending(self) -> None:
        snap, self._pending = self._pending, None
        if snap is None:
            return
        self._last_paint = time.monotonic()
        self.weights.show_snapshot(snap)
        self.probes.show_snapshot(snap)

    def shown_snapshot(self) -> Snapshot | None:
        """Run B's snapshot on the mosaic now."""
        return self.weights.shown_snapshot

    def clear(self) -> None:
        self._pending = None
        self._later.stop()
        self.weights.clear()
        self.probes.clear()

    def mirror_probes(self, source: ProbesPanel) -> None:
        """Show the same probe digits as run A's ``source`` panel (dataset images by index, drawings
        pinned as images); ``probesChanged`` follows."""
        indices = source.probe_indices()
        images, labels = source.probe_images(), source.probe_labels()
        from_data = indices < self._split_size
        if from_data.sum() >= 4:  # ProbesPanel keeps 4-16 probes
            self.probes.set_probe_indices(indices[from_data])
        for image, label in zip(images[~from_data], labels[~from_data]):
            self.probes.pin_image(np.asarray(image), int(label))
