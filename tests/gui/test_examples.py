"""The developer examples in examples/ run to the end, checked the way pyqtgraph checks its own:
each in a fresh Python process, offscreen, on a short run. The examples are not event-loop apps
(they train, paint, save pictures and exit), so a short ``--steps`` is all it takes to end them
quickly. A non-zero exit or a traceback on stderr fails the test: an exception raised inside a Qt
slot or paint event is only printed by Qt, and the process would still exit 0."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"

# (script, arguments, files it must write); "{out}" is the test's temporary folder.
CASES = [
    ("panels_demo.py", ["{out}/panels.png", "--steps", "40"], ["panels.png"]),
    ("panels_demo.py", ["--bench", "--hidden", "16"], []),
    ("lecture_demo.py", ["{out}", "--steps", "40", "--hidden", "32"],
     ["drawing.png", "unit_inspector.png", "templates.png", "confusion.png", "timeline.png", "confusion.svg",
      "templates_2x.png"]),
]


def test_every_example_has_a_smoke_test():
    assert {script for script, _, _ in CASES} == {path.name for path in EXAMPLES.glob("*.py")}


@pytest.mark.slow
@pytest.mark.parametrize("script, args, outputs", CASES, ids=["panels", "panels-bench", "lecture"])
def test_example_runs_to_the_end(script, args, outputs, tmp_path):
    command = [sys.executable, "-X", "faulthandler", str(EXAMPLES / script),
               *(a.format(out=tmp_path) for a in args)]
    # The example inherits QT_QPA_PLATFORM=offscreen from tests/conftest.py (set there for the whole suite).
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    missing = [name for name in outputs if not ((tmp_path / name).is_file() and (tmp_path / name).stat().st_size)]
    assert missing == []
