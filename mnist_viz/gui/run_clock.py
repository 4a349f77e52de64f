"""RunClock: how long the run the window shows has trained, and how fast, by the wall clock.

The trainer's own ``elapsed`` counts the time inside its steps (and, at a pace, the waits between
them); what the room sees is the window's clock. The status line (training time, samples per
second) and the metric cards (time per epoch) read the same measurement from here.
"""
from __future__ import annotations

from collections import deque

from mnist_viz.core.snapshot import Snapshot

RATE_WINDOW_S = 2.0  # the speed is averaged over about this much wall time ...
MIN_RATE_SPAN_S = 0.25  # ... and not shown before this much has been seen (two snapshots may be 1 ms apart)


class RunClock:
    """Wall time spent training, and the real throughput, of the run the snapshots come from.

    ``observe(snap, now)`` each painted snapshot, with ``now`` in seconds of a monotonic clock:
    the time between two snapshots counts as training when the earlier one was playing. A new run
    (``loop.run_id``) starts from its snapshot's ``elapsed`` (0 for a fresh start; a loaded
    session's own record). While paused there is no rate: nothing stale is shown on resuming.
    """

    def __init__(self) -> None:
        self._run: int | None = None
        self._base = 0.0  # training time the run had when it was first seen
        self._wall = 0.0  # wall time trained since then
        self._last: tuple[float, bool] | None = None  # (time, playing) of the previous snapshot
        self._window: deque[tuple[float, int]] = deque()  # (time, samples seen) while playing

    @property
    def trained_seconds(self) -> float:
        return self._base + self._wall

    @property
    def samples_per_second(self) -> float | None:
        """Samples per wall-clock second over the last ~2 s of playing, or ``None`` before enough
        time has been seen (or while paused)."""
        if len(self._window) < 2:
            return None
        (t0, s0), (t1, s1) = self._window[0], self._window[-1]
        return (s1 - s0) / (t1 - t0) if t1 - t0 >= MIN_RATE_SPAN_S else None

    def observe(self, snap: Snapshot, now: float) -> None:
        if snap.loop.run_id != self._run:
            self._run, self._base, self._wall, self._last = snap.loop.run_id, snap.elapsed, 0.0, None
            self._window.clear()
        if self._last is not None and self._last[1]:
            self._wall += max(0.0, now - self._last[0])
        self._last = (now, snap.loop.playing)
        if not snap.loop.playing or (self._window and snap.samples < self._window[-1][1]):
            self._window.clear()
        if snap.loop.playing:
            self._window.append((now, snap.samples))
            # keep at least two points, so a slow pace (one step every 2 s) still has a rate
            while len(self._window) > 2 and now - self._window[1][0] >= RATE_WINDOW_S:
                self._window.popleft()
