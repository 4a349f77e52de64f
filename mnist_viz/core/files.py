"""Writing user files safely: a temporary file in the same folder, renamed over the target only
once it is complete, so a crash or a full disk never leaves half a file where a good one was."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from mnist_viz.core.i18n import tr


class FileWriteError(OSError):
    """A file could not be written; the message names the file and the reason."""

    def __init__(self, path: Path, reason: str):
        super().__init__(tr("cannot write {path}: {reason}").format(path=path, reason=reason))
        self.path, self.reason = path, reason


def open_temp_beside(path: Path) -> tuple[int, str]:
    """``(file descriptor, name)`` of a new temporary file in ``path``'s folder (for a rename onto
    ``path`` once complete), after removing the ones writers killed midway left there. Raises
    ``FileWriteError`` naming ``path`` when the folder is missing or not writable."""
    folder = path.parent if str(path.parent) else Path(".")
    remove_abandoned_temp_files(path)
    try:
        # The pid in the name lets a later save tell a temp file whose writer was killed midway.
        return tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise FileWriteError(path, e.strerror or str(e)) from e


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(f)`` on a temporary binary file, then rename it to ``path``.

    Raises ``FileWriteError`` naming ``path`` when the folder is missing, not writable, or the
    disk is full; the previous file at ``path``, if any, is left untouched.
    """
    path = Path(path)
    fd, tmp = open_temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _permissions_for(path))
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise FileWriteError(path, e.strerror or str(e)) from e
        raise
    return path


def _permissions_for(path: Path) -> int:
    """What a plain ``open(path, "w")`` would give: the existing file's mode, else 0666 less the
    umask (mkstemp's temporary files are 0600, which would hide exports from other users)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_metrics_csv(history, path: str | os.PathLike) -> Path:
    """Write a run's curves and markers as CSV, atomically.

    Columns: ``kind`` (``step``, ``eval`` or ``marker``), then ``step, epoch, samples``, then
    ``loss, accuracy`` for training steps, ``eval_loss, eval_accuracy, train_accuracy`` for
    evaluations, and ``label`` for markers — one table a spreadsheet can filter by kind.
    """
    import csv
    import io

    from mnist_viz.core.snapshot import EVAL_COLUMNS, STEP_COLUMNS

    value_columns = ["loss", "accuracy", "eval_loss", "eval_accuracy", "train_accuracy"]
    text = io.StringIO()
    out = csv.writer(text)
    out.writerow(["kind", "step", "epoch", "samples", *value_columns, "label"])
    for kind, columns, rows in (("step", STEP_COLUMNS, history.steps.array()),
                                ("eval", EVAL_COLUMNS, history.evals.array())):
        for row in rows:
            values = dict(zip(columns, row))
            out.writerow([kind, int(values["step"]), f"{values['epoch']:.6g}", int(values["samples"]),
                          *[f"{values[c]:.6g}" if c in values else "" for c in value_columns], ""])
    for m in history.markers:
        out.writerow(["marker", m.step, f"{m.epoch:.6g}", m.samples, *[""] * len(value_columns), m.label])
    return atomic_write(path, lambda f: f.write(text.getvalue().encode("utf-8")))


def remove_abandoned_temp_files(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary files ``atomic_write`` left beside ``path`` when a save was killed midway
    (``.<name>.<pid>.<random>.tmp`` whose process is gone). Returns what was deleted. A live
    process's temp file is never touched: it may be writing it now."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    removed: list[Path] = []
    try:
        candidates = list(folder.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            try:
                tmp.unlink()
                removed.append(tmp)
            except OSError:
                pass  # not ours to remove (permissions): the save itself still works
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters taken literally."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name != "posix":
        return True  # on Windows os.kill(pid, 0) would end the process, not ask about it
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is someone else's, or this platform cannot tell: leave it
    return True

