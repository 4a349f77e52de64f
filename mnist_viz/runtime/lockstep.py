"""Two training processes in lockstep: a shared pair of step counters.

Why shared memory and not messages: a run at 784-256-10 takes a step every ~2-4 ms, while snapshots
(the only messages the window gets) come every ~27 ms. A limit relayed through the window would let
a run take only a few steps per snapshot and then wait: measured, that throttled both runs to a
fraction of their speed. Here each loop writes its own count into a 16-byte file on the RAM disk
after every step and reads the other's before the next, a few microseconds each, so the faster run
waits at most ``slack`` steps ahead and wakes within ``LOCK_POLL`` of the slower one's step.

A count of ``FREE`` means "do not wait for me": a run that diverged (it will not step again until
restored) or whose comparison ended. Nothing here imports Qt.
"""
from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np

from mnist_viz.core.i18n import tr

SLOTS = 2
FREE = np.iinfo(np.int64).max  # a slot's value while that run holds no one back
COUNTER_FILE = "steps.bin"


def create_counters(folder: str) -> str:
    """Make the counters file in ``folder``; returns its path. Both slots start at 0, where both runs
    start: a run whose training process is still starting (seconds on a loaded machine) then holds
    the other at ``slack``, where ``FREE`` let the other train ahead alone until it came up."""
    path = str(Path(folder) / COUNTER_FILE)
    np.zeros(SLOTS, np.int64).tofile(path)
    return path


class StepCounters:
    """One run's view of the shared counters: ``me`` is its slot (0 or 1), the other slot is the
    other run's. ``slack``: how many units (steps, or training images) it may be ahead.

    Raises ``ValueError`` for a missing or malformed file (the command is refused, training goes on).
    """

    def __init__(self, path: str, me: int, slack: int):
        if me not in range(SLOTS):
            raise ValueError(f"lockstep slot must be 0 or 1, got {me}")
        if slack < 1:
            raise ValueError(f"lockstep slack must be at least 1, got {slack}")
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError as e:
            raise ValueError(tr("cannot open the lockstep counters {path}: {reason}").format(
                path=path, reason=e.strerror)) from e
        try:
            if os.fstat(fd).st_size != SLOTS * 8:
                raise ValueError(tr("the lockstep counters {path} are not {size} bytes").format(
                    path=path, size=SLOTS * 8))
            self._map = mmap.mmap(fd, SLOTS * 8)
        finally:
            os.close(fd)
        self._slots = np.frombuffer(self._map, np.int64)  # (2,) int64, shared with the other process
        self.me, self.slack = me, int(slack)

    def publish(self, count: int) -> None:
        """Tell the other run where this one is (``FREE``: do not wait for it)."""
        self._slots[self.me] = count

    def other(self) -> int:
        return int(self._slots[1 - self.me])

    def must_wait(self, count: int) -> bool:
        """True while this run, at ``count``, is ``slack`` or more ahead of the other."""
        other = self.other()
        return other != FREE and count >= other + self.slack

    def close(self) -> None:
        """Free this run's slot and unmap the file."""
        self.publish(FREE)
        del self._slots
        self._map.close()
