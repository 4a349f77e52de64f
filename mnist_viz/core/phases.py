"""Where a training step's time goes: ``mark("phase")`` at the end of each phase of ``Trainer.step``
(and inside ``MLP.loss_and_grads``) attributes the time since the previous mark to that phase.

Off (the default) a mark is one call that finds no listener: ~0.1 µs, a dozen per step (<0.1% of a
~500 µs step). ``benchmarks/step_breakdown.py`` listens, to print the breakdown the README shows.
"""
from __future__ import annotations

import time
from collections import defaultdict

_totals: dict[str, float] | None = None  # phase -> seconds, while listening
_last = 0.0


def mark(phase: str) -> None:
    """The phase ``phase`` ends now (a no-op unless ``listen()`` is on)."""
    global _last
    if _totals is None:
        return
    now = time.perf_counter()
    _totals[phase] += now - _last
    _last = now


def start_step() -> None:
    """A step starts now: the next mark's phase is timed from here."""
    global _last
    _last = time.perf_counter()


def listen() -> None:
    """Start collecting (clears earlier totals)."""
    global _totals
    _totals = defaultdict(float)


def stop() -> dict[str, float]:
    """Stop collecting; returns ``{phase: seconds}`` summed over the steps since ``listen()``."""
    global _totals
    totals, _totals = dict(_totals or {}), None
    return totals
