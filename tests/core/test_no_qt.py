"""The engine is pure NumPy: nothing under mnist_viz/core imports Qt or pyqtgraph."""
import ast
import pathlib
import subprocess
import sys

import mnist_viz.core

QT_MODULES = {"PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "superqt", "qtpy", "shiboken6"}


def test_no_core_module_imports_qt_in_its_source():
    offenders = []
    for path in pathlib.Path(mnist_viz.core.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in QT_MODULES]
    assert offenders == []


def test_importing_the_core_and_training_loads_no_qt():
    code = ("import sys, mnist_viz.core.trainer, mnist_viz.core.data, mnist_viz.core.checkpoint, "
            "mnist_viz.core.presets, mnist_viz.cli; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(QT_MODULES)!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
