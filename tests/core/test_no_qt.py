"""The engine is pure NumPy: nothing under mnist_viz/core or mnist_viz/runtime imports Qt or pyqtgraph."""
import ast
import pathlib
import pkgutil
import subprocess
import sys

import pytest

import mnist_viz

QT_MODULES = {"PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "superqt", "qtpy", "shiboken6"}
# The headless layers that exist in this tree (runtime is being split out of gui).
HEADLESS = [name for name in ("core", "runtime") if (pathlib.Path(mnist_viz.__file__).parent / name).is_dir()]


@pytest.mark.parametrize("package", HEADLESS)
def test_no_headless_module_imports_qt_in_its_source(package):
    offenders = []
    for path in (pathlib.Path(mnist_viz.__file__).parent / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in QT_MODULES]
    assert offenders == []


@pytest.mark.parametrize("package", HEADLESS)
def test_importing_a_headless_layer_and_the_cli_loads_no_qt(package):
    folder = pathlib.Path(mnist_viz.__file__).parent / package
    modules = [f"mnist_viz.{package}.{m.name}" for m in pkgutil.iter_modules([str(folder)])]
    code = (f"import sys, mnist_viz.cli, {', '.join(modules)}; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(QT_MODULES)!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
