"""A bounded record of past snapshots, for scrubbing back in time during a lecture.

Memory stays bounded however long training runs: when the record is full (by count or by
bytes), every second snapshot is dropped and the minimum spacing between kept snapshots doubles,
so the record always spans the whole run with roughly even spacing — like a time-lapse whose
frame interval grows as the film gets longer.
"""
from __future__ import annotations

from mnist_viz.core.snapshot import Snapshot


def snapshot_nbytes(snap: Snapshot) -> int:
    """Bytes held by a snapshot's arrays (its parameters dominate)."""
    arrays = [*snap.params, snap.probe_probs, snap.probe_hidden, snap.new_steps, snap.new_evals, snap.unit_mask]
    if snap.test_pred is not None:
        arrays.append(snap.test_pred)
    return sum(a.nbytes for a in arrays)


class Timeline:
    """Snapshots in time order, at most ``max_items`` of them and about ``max_bytes`` in all.

    ``offer(snap)`` keeps a snapshot only if at least ``spacing`` training steps have passed since
    the last one kept; the spacing starts at ``min_steps`` and doubles each time the record thins.
    """

    def __init__(self, max_items: int = 240, max_bytes: int = 200_000_000, min_steps: int = 1):
        if max_items < 2:
            raise ValueError("a timeline needs room for at least 2 snapshots")
        self.max_items, self.max_bytes = max_items, max_bytes
        self.spacing = max(1, min_steps)
        self._items: list[Snapshot] = []
        self._bytes = 0
        self.thinnings = 0  # times the record dropped every second snapshot (its memory then freed)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i: int) -> Snapshot:
        return self._items[i]

    @property
    def nbytes(self) -> int:
        return self._bytes

    def steps(self) -> list[int]:
        return [s.step for s in self._items]

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    def offer(self, snap: Snapshot) -> bool:
        """Keep ``snap`` if it is far enough from the last one kept. Returns whether it was kept."""
        if self._items and snap.step < self._items[-1].step:
            self.clear()  # training was reset: a new run starts a new record
        if self._items and snap.step - self._items[-1].step < self.spacing:
            return False
        self._items.append(snap)
        self._bytes += snapshot_nbytes(snap)
        while len(self._items) > self.max_items or (self._bytes > self.max_bytes and len(self._items) > 2):
            self._thin()
        return True

    def _thin(self) -> None:
        # Drop every second snapshot but always keep the first and the newest.
        self.thinnings += 1
        kept = self._items[0:-1:2] + [self._items[-1]]
        self._items = kept
        self._bytes = sum(snapshot_nbytes(s) for s in kept)
        self.spacing *= 2

    def nearest(self, step: int) -> Snapshot:
        """The kept snapshot whose step is closest to ``step``."""
        if not self._items:
            raise IndexError("the timeline is empty")
        return min(self._items, key=lambda s: abs(s.step - step))
