"""The import contracts in pyproject.toml ([tool.importlinter]) hold: core <- runtime <- gui, no Qt in
the headless layers, panels and the worker never reach for the window. A violation fails the suite."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]

# lint_imports puts the working directory first on sys.path, so the source tree is what gets checked
# (not an installed copy); no_cache keeps .import_linter_cache out of the tree.
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"


def test_import_contracts_are_kept():
    result = subprocess.run([sys.executable, "-c", LINT], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
