"""return_free_heap gives the heap's freed pages back: the window's RSS follows its timeline down."""
import platform
import subprocess
import sys

import pytest

# In a process of its own (mallopt changes the whole process): 2 MB arrays served from the heap, as
# glibc does once its dynamic mmap threshold has grown past them; every second one freed (a timeline
# thinning); RSS before and after the trim, in MiB.
CHILD = r"""
import ctypes, numpy as np
from mnist_viz.runtime.memory import return_free_heap
ctypes.CDLL("libc.so.6").mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD: 64 MB, so 2 MB blocks come from the heap
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
arrays = [np.ones(1 << 19, np.float32) for _ in range(80)]  # 80 x 2 MiB, every page touched
del arrays[0:-1:2]
before = rss()
trimmed = return_free_heap()
print(trimmed, before, rss())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_the_freed_half_of_a_fragmented_heap_leaves_the_resident_memory():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=True)
    trimmed, before, after = out.stdout.split()
    assert trimmed == "True"
    assert float(before) - float(after) > 40, out.stdout  # ~78 MiB freed in the middle of the heap


def test_without_glibc_it_says_it_could_not(monkeypatch):
    from mnist_viz.runtime import memory

    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    assert memory.return_free_heap() is False
