"""The ``mnist-viz`` command's entry point (and ``python -m mnist_viz``'s).

Python turns Ctrl+C into a ``KeyboardInterrupt`` wherever the program is. Pressed in the first tenth
of a second, while NumPy and the command line's modules import, that printed a page of traceback
from inside NumPy. Until ``cli.main`` decides what Ctrl+C means (the window: close as its close
button does; ``train``: stop after the current step), it ends the program quietly: nothing exists
yet that could be lost. This module imports nothing else first, so that holds from its first line.
"""
from __future__ import annotations

import _signal  # the C module under ``signal``, loaded with the interpreter (see main)
import os


def main() -> int:
    # Through ``_signal``: ``import signal`` first builds its enums (~4 ms), and a Ctrl+C in those
    # milliseconds printed a KeyboardInterrupt traceback from enum.py (seen once in CI, under load).
    _signal.signal(_signal.SIGINT, _leave_quietly)
    from mnist_viz.cli import main as cli_main

    return cli_main()


def _leave_quietly(signum: int, _frame: object) -> None:
    os._exit(128 + signum)
