"""How many cores the engine uses.

BLAS runs the matrix products on its own threads; NumPy's element-wise passes (the optimizer's
update, the guard's finiteness check) run on the calling thread. Cutting those passes into pieces
on a pool of threads was tried and measured slower here: on 2 cores at 2 BLAS threads a 784-512-10
Adam step took 2,823-3,106 µs with the passes split and 2,531-2,898 µs without (three alternated
runs of 4 × 300 steps, 2026-12-03); alone, the split update was no faster either (538 vs 531 µs,
2026-12-02): the passes are limited by the memory bandwidth the cores share, and a second thread
only competes with BLAS's own. So they run whole, and a run is bit-for-bit the same for a fixed
BLAS thread count.

The thread rule (``threads_for``): ``MNIST_VIZ_THREADS`` if set; else headless (``mnist-viz train``,
``record``, ``evaluate``) every core this process may run on, and the window's training process all
but one, which the window needs to paint (on 2 cores the window's training process keeps 1 thread:
gui_bench measured a second BLAS thread sharing the window's core as no faster, with worse latency).
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from mnist_viz.core.i18n import tr

THREADS_ENV = "MNIST_VIZ_THREADS"


def cores_available() -> int:
    """Cores this process may run on (its CPU affinity, which ``taskset`` and container runtimes set)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def threads_for(window: bool, environ: Mapping[str, str] | None = None, cores: int | None = None) -> int:
    """The thread count of a training process by the rule above. A ``MNIST_VIZ_THREADS`` that is not
    a positive integer raises ``ValueError`` naming it."""
    environ = os.environ if environ is None else environ
    cores = cores_available() if cores is None else cores
    text = environ.get(THREADS_ENV, "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise ValueError(tr("{name}={value}: give a whole number of threads, 1 or more").format(
                name=THREADS_ENV, value=repr(text)))
        return int(text)
    return max(1, cores - 1) if window else cores


class limit_blas:  # lower case: used like threadpoolctl's threadpool_limits, which it wraps
    """Limit BLAS to ``n`` threads until ``restore()`` or the end of a ``with`` block puts it back."""

    def __init__(self, n: int):
        from threadpoolctl import threadpool_limits

        self._blas = threadpool_limits(limits=int(n), user_api="blas")

    def __enter__(self) -> limit_blas:
        return self

    def __exit__(self, *exc_info) -> None:
        self.restore()

    def restore(self) -> None:
        self._blas.restore_original_limits()
