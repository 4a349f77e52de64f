"""CompareActions: the window's side of a comparison (Training > Compare…): it starts and ends a
``Comparison``, shows run B's curves over run A's and its mosaic and probes in place of the output
weights, and routes B's snapshots. Kept out of ``window`` the way ``file_actions`` is."""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from mnist_viz.core.i18n import tr
from mnist_viz.gui.comparison import Comparison
from mnist_viz.gui.panels.compare_view import ComparisonView

if TYPE_CHECKING:
    from mnist_viz.core.snapshot import Snapshot
    from mnist_viz.gui.window import MainWindow


class CompareActions:
    """Owns the running ``Comparison`` (or None) and run B's side view.

    ``runs()`` is whom the controls talk to: the comparison while there is one (it forwards to both
    runs), else the window's worker."""

    def __init__(self, window: MainWindow):
        self.window = window
        self.comparison: Comparison | None = None
        self.view = ComparisonView(window.data)
        self.view.hide()
        self._sizes_before: list[int] = []  # the right column's splitter sizes before the comparison

    def runs(self):
        return self.comparison if self.comparison is not None else self.window.worker

    def ask(self) -> None:
        """Training > Compare…: the dialog, then the comparison."""
        from mnist_viz.gui.compare_dialog import CompareDialog

        w = self.window
        w.controls.flush()
        dialog = CompareDialog(w.controls.settings(), w)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted and dialog.change():
            self.start(dialog.change())

    def start(self, change: dict) -> None:
        """Train the current settings (A) against them with ``change`` (B), step for step from step 0."""
        self.end()
        w = self.window
        w.controls.flush()
        c = self.comparison = Comparison(w.worker, w.data, w.controls.settings(), change, parent=w)
        self.view.clear()
        self.view.set_run(c.label_b, c.difference, c.notes)
        self.view.mirror_probes(w.probes)
        self.view.probesChanged.connect(c.set_probes)
        w.curves.set_second_run(c.label_a, c.label_b, c.difference, c.notes)
        c.snapshotReady.connect(w._on_snapshot_ready)
        c.ended.connect(self._on_ended)
        w.frames_by_name["output"].hide()
        self.view.show()
        w.weights.set_run_name(tr("Run A — {run}").format(run=c.label_a.removeprefix("A: ")))
        self._share_right_column()
        c.start(probes=self.view.probes.probe_images(), speed_limit=w.controls.speed_limit())
        message = tr("Comparing {difference}: {notes}") if c.notes else tr("Comparing {difference}")
        w.statusBar().showMessage(message.format(difference=c.difference, notes=c.notes), 10_000)

    def end(self) -> None:
        """Training > End comparison: run B stops; run A trains on alone."""
        if self.comparison is not None:
            self.comparison.end()  # emits ended

    def _on_ended(self) -> None:
        c, self.comparison = self.comparison, None
        w = self.window
        if c is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self.view.probesChanged.disconnect(c.set_probes)
        w.curves.clear_second()
        w.weights.set_run_name("")
        self.view.hide()
        self.view.clear()
        w.frames_by_name["output"].show()
        if self._sizes_before:
            w.right_split.setSizes(self._sizes_before)
            self._sizes_before = []

    def _share_right_column(self) -> None:
        """Run A's mosaic and run B's view share the right column so that the two mosaics are equally
        high. Left to the splitter, the hidden output weights' share went to B and A's mosaic was
        squeezed to a strip; half each left B's mosaic a strip above its probes (both seen at 1920x1080)."""
        split = self.window.right_split
        if not self._sizes_before:
            self._sizes_before = split.sizes()
        total = sum(split.sizes())
        sizes = [0] * split.count()
        sizes[split.indexOf(self.window.frames_by_name["weights"])] = total // 2
        sizes[split.indexOf(self.view)] = total - total // 2
        split.setSizes(sizes)
        QtCore.QTimer.singleShot(0, lambda: self._level_mosaics(passes=3))

    def _level_mosaics(self, passes: int) -> None:
        """Move the splitter until A's and B's mosaics are about as high (B's view also holds its probes,
        so B's mosaic grows by only part of what its view gets: a few passes, once laid out)."""
        if self.comparison is None or passes <= 0:
            return
        split, frame_a = self.window.right_split, self.window.frames_by_name["weights"]
        gap = self.window.weights.mosaic_height() - self.view.weights.mosaic_height()
        if abs(gap) <= 8:
            return
        sizes = split.sizes()
        a, b = split.indexOf(frame_a), split.indexOf(self.view)
        move = int(gap / 1.75)  # B's mosaic has about 75% of B's view
        sizes[a], sizes[b] = sizes[a] - move, sizes[b] + move
        split.setSizes(sizes)
        QtCore.QTimer.singleShot(0, lambda: self._level_mosaics(passes - 1))

    def follow_probes(self) -> None:
        """Run A's probes changed: run B's side view shows the same ones."""
        if self.comparison is not None:
            self.view.mirror_probes(self.window.probes)

    def render_tick(self) -> None:
        """Paint run B's newest snapshot, if one came (the window's render timer calls this)."""
        if self.comparison is not None and (snap := self.comparison.take_snapshot()) is not None:
            self.window.curves.show_second_snapshot(snap)
            if self.window.timeline.is_live and self.view.isVisible():
                self.view.show_snapshot(snap)

    def show_moment(self, step: int | None) -> None:
        """Scrubbed to ``step`` (None: live): run B's side view shows its snapshot nearest to it."""
        if self.comparison is not None and (snap := self.comparison.snapshot_near(step)) is not None:
            self.view.show_snapshot(snap)

    def latest_b(self) -> Snapshot | None:
        return None if self.comparison is None else self.comparison.snapshot_near(None)
