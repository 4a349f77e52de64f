"""How many cores the engine uses, and element-wise passes split over them.

BLAS runs the matrix products on its own threads; NumPy's element-wise passes (the optimizer's
update, the guard's finiteness check) run on one core. At 784-512-10 Adam the update alone is a
quarter of a step (benchmarks/step_breakdown.py), so with more than one thread allowed those passes
are cut into contiguous pieces, one per thread: NumPy releases the GIL inside a ufunc's loop, so the
pieces run at the same time. Element-wise results do not depend on how the array is cut, so a run
is bit-for-bit the same whatever the thread count — the products are too for a fixed thread count.

The thread rule (``threads_for``): ``MNIST_VIZ_THREADS`` if set; else headless (``mnist-viz train``,
``record``, ``evaluate``) every core this process may run on, and the window's training process all
but one, which the window needs to paint (on 2 cores the window's training process keeps 1 thread:
gui_bench measured a second BLAS thread sharing the window's core as no faster, with worse latency).
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mnist_viz.core.i18n import tr

THREADS_ENV = "MNIST_VIZ_THREADS"
SPLIT_MIN = 1 << 16  # elements below which one thread does the whole pass (a hand-off costs ~10 µs)

_threads = 1
_pool: ThreadPoolExecutor | None = None


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


def set_threads(n: int) -> None:
    """Let element-wise passes use ``n`` threads (the caller limits BLAS, see ``limit_blas``)."""
    global _threads, _pool
    n = max(1, int(n))
    if n != _threads and _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None
    _threads = n


def threads() -> int:
    return _threads


class limit_blas:  # lower case: used like threadpoolctl's threadpool_limits, which it wraps
    """Limit BLAS to ``n`` threads and the element-wise passes to the same, until ``restore()`` (or
    the end of a ``with`` block) puts both back."""

    def __init__(self, n: int):
        from threadpoolctl import threadpool_limits

        self._previous = _threads
        set_threads(n)
        self._blas = threadpool_limits(limits=int(n), user_api="blas")

    def __enter__(self) -> limit_blas:
        return self

    def __exit__(self, *exc_info) -> None:
        self.restore()

    def restore(self) -> None:
        self._blas.restore_original_limits()
        set_threads(self._previous)


def split_run(fn: Callable[..., object], *arrays: np.ndarray) -> list:
    """``fn(*pieces)`` on contiguous pieces of equally sized C-contiguous ``arrays`` (any shape:
    they are cut as flat views), one piece per thread, the first in the calling thread. Returns the
    calls' results in piece order. Small arrays, or one thread, make one call on the whole arrays."""
    global _pool
    size = arrays[0].size
    pieces = min(_threads, size // SPLIT_MIN)
    if pieces <= 1:
        return [fn(*arrays)]
    flat = [a.reshape(-1) for a in arrays]  # views: every array here is C-contiguous
    bounds = np.linspace(0, size, pieces + 1).astype(int)
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="mnist-viz-elementwise")
    spans = list(itertools.pairwise(bounds))
    futures = [_pool.submit(fn, *(f[lo:hi] for f in flat)) for lo, hi in spans[1:]]
    first = fn(*(f[spans[0][0]:spans[0][1]] for f in flat))
    return [first, *(f.result() for f in futures)]
