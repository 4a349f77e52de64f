"""Give the heap's freed memory back to the operating system.

The window's look-back timeline keeps up to 100 MB of snapshots and, when full, drops every second
one (``core.timeline``). Those are ~1.7 MB arrays copied out by the snapshot-receiving thread; glibc
serves arrays of that size from its heaps once its dynamic mmap threshold has grown past them, and a
freed block in the middle of a heap stays in the process's resident memory. ``malloc_trim(0)``
returns every whole free page of every heap, so the RSS follows the timeline down after a thinning
instead of only ever going up. Costs a few milliseconds, once per thinning (every few minutes).

No Qt here.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or ``None`` on a C library without it (macOS, Windows, musl)."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    return None


def return_free_heap() -> bool:
    """Return the heaps' free pages to the system; whether the C library could (glibc only)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
