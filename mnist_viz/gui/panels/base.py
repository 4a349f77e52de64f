"""What the window may call on a panel it paints: the ``Panel`` protocol.

Every display panel (curves, weights, probes, drawing, ... and the status line and the banner) is a
QWidget with these methods; the window keeps them in ``list[Panel]`` and calls nothing else on the
list. A new panel only has to provide them to be painted; it does not subclass anything.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from mnist_viz.core.snapshot import Snapshot


@runtime_checkable
class Panel(Protocol):
    """A view of the training run that the window paints with each snapshot."""

    def show_snapshot(self, snap: Snapshot) -> None:
        """Paint what ``snap`` says (its arrays, e.g. ``snap.W1 (784, H)``, are read-only and shared
        with the other panels: copy before changing). Called up to ~30 times a second on the GUI
        thread, so it must be quick and must not block; it must accept any hidden size, a diverged
        snapshot (NaN/inf weights) and a snapshot of an earlier moment (timeline scrubbed back)."""
        ...

    def clear(self) -> None:
        """Forget the run: training was reset or a new run started. Afterwards the panel shows its
        empty state, as if no snapshot had arrived, until the next ``show_snapshot``."""
        ...

    def isVisible(self) -> bool:
        """Whether the panel is on screen (``QWidget.isVisible``): the window skips painting panels
        on hidden tabs and paints them when they are shown."""
        ...
