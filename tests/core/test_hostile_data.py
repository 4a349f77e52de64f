"""Data files from a stranger: lying headers, gzip bombs, FIFOs, huge lines, empty training sets,
unreadable files and symlink loops. Each must be refused at once, by a DataError naming the file,
and never hang, exhaust memory or end in a traceback.

Every file is built in ``tmp_path``; the big ones are sparse or compress to almost nothing, so the
whole module runs in about a second.
"""
import builtins
import errno
import gzip
import io
import os
import socket
import struct
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mnist_viz.cli import main
from mnist_viz.core import data
from mnist_viz.core.data import DataError, load_dataset, load_idx_folder, load_kaggle_csv, load_npz, read_idx

STEMS = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
         "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}
QUICK = 1.0  # seconds: far longer than refusing from a header takes, far shorter than reading gigabytes
SMALL = 16 << 20  # bytes: the most a refusal may allocate while it reads, far below what the files promise


# ------------------------------------------------------------------------------------ helpers

def idx_header(*shape: int) -> bytes:
    """An IDX header for uint8 data of ``shape``: magic (0, 0, 0x08, ndim), then big-endian sizes."""
    return bytes([0, 0, 0x08, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def idx_file(array: np.ndarray) -> bytes:
    return idx_header(*array.shape) + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx_folder(folder: Path, n_train: int = 6, n_test: int = 4) -> Path:
    """The four IDX files of a tiny, valid data set (raw)."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = {"train_images": np.zeros((n_train, 28, 28)), "train_labels": np.arange(n_train) % 10,
             "test_images": np.zeros((n_test, 28, 28)), "test_labels": np.arange(n_test) % 10}
    for role, array in parts.items():
        (folder / STEMS[role]).write_bytes(idx_file(array))
    return folder


def write_csv(path: Path, n_rows: int = 5, extra_lines: tuple[str, ...] = ()) -> Path:
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    rows = [f"{i % 10}," + ",".join(["0"] * 784) for i in range(n_rows)]
    path.write_text("\n".join([header, *rows, *extra_lines]) + "\n")
    return path


def npz_arrays(n_train: int = 4, n_test: int = 4) -> dict[str, np.ndarray]:
    return {"x_train": np.zeros((n_train, 28, 28), np.uint8), "y_train": np.arange(n_train, dtype=np.uint8) % 10,
            "x_test": np.zeros((n_test, 28, 28), np.uint8), "y_test": np.arange(n_test, dtype=np.uint8) % 10}


def npy_header(shape: tuple[int, ...], descr: str = "|u1") -> bytes:
    """A .npy header (format 1.0) promising an array of ``shape``, with not a byte of data after it."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def write_npz(path: Path, members: dict[str, bytes | np.ndarray]) -> Path:
    """A zip of .npy members: arrays are saved as np.save does, bytes are written as they are."""
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in members.items():
            if isinstance(value, np.ndarray):
                buffer = io.BytesIO()
                np.save(buffer, value, allow_pickle=value.dtype.hasobject)
                value = buffer.getvalue()
            archive.writestr(f"{key}.npy", value)
    return path


def refused(load, path, *args):
    """The DataError ``load(path, *args)`` raises, after checking it names the file and came quickly,
    without allocating much on the way."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DataError) as caught:
            load(path, *args)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(caught.value)
    assert elapsed < QUICK, f"took {elapsed:.2f} s to refuse {path}"
    assert peak < SMALL, f"allocated {peak} bytes to refuse {path}"
    return caught.value


@pytest.fixture
def fifo(tmp_path):
    """Factory: a FIFO at ``tmp_path / name``. A watchdog opens (and at once closes) the writing end of
    any FIFO someone is blocked reading, so a loader that opens one fails the test instead of hanging it."""
    made: list[Path] = []
    opened: list[Path] = []
    stop = threading.Event()

    def watch():
        while not stop.wait(0.02):
            for path in made:
                try:
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # ENXIO unless a reader waits
                except OSError:
                    continue
                opened.append(path)

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()

    def make(name: str) -> Path:
        path = tmp_path / name
        os.mkfifo(path)
        made.append(path)
        return path

    yield make
    stop.set()
    watchdog.join()
    assert not opened, f"a loader opened the FIFO(s) {opened}"


# ------------------------------------------------------------------------ not a regular file

@pytest.mark.parametrize("name, load", [
    ("train.csv", load_dataset), ("digits.npz", load_dataset), ("train-images-idx3-ubyte", load_dataset),
    ("pipe", load_dataset), ("train.csv", load_kaggle_csv), ("digits.npz", load_npz),
    ("t10k-labels-idx1-ubyte.gz", read_idx),
], ids=["csv", "npz", "idx", "no-suffix", "load_kaggle_csv", "load_npz", "read_idx"])
def test_fifo_is_refused_before_it_is_opened(fifo, name, load):
    error = refused(load, fifo(name))
    assert "is a FIFO (named pipe), not a regular file" in str(error)


def test_fifo_in_an_idx_folder_is_refused_not_reported_missing(tmp_path, fifo):
    folder = write_idx_folder(tmp_path / "set")
    (folder / STEMS["train_labels"]).unlink()
    pipe = fifo(f"set/{STEMS['train_labels']}")
    error = refused(load_idx_folder, folder)
    assert f"{pipe} is a FIFO" in str(error)


def test_device_is_refused(tmp_path):
    link = tmp_path / "train.csv"
    link.symlink_to(os.devnull)  # the link is followed: what counts is what it points at
    assert "is a character device, not a regular file" in str(refused(load_dataset, link))
    assert "is a character device" in str(refused(load_kaggle_csv, link))


def test_socket_is_refused(tmp_path):
    path = tmp_path / "s.npz"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        assert "is a socket, not a regular file" in str(refused(load_dataset, path))
        assert "is a socket" in str(refused(load_npz, path))


@pytest.mark.parametrize("load", [read_idx, load_kaggle_csv, load_npz])
def test_folder_where_a_file_belongs(tmp_path, load):
    folder = tmp_path / "train.csv"
    folder.mkdir()
    assert "is a folder, not a data file" in str(refused(load, folder))


def test_file_where_a_folder_belongs(tmp_path):
    path = write_csv(tmp_path / "train.csv")
    assert "is not a folder" in str(refused(load_idx_folder, path))


# ----------------------------------------------------------------------- headers that lie

def test_idx_header_promising_more_than_the_file_holds_is_refused_from_its_size(tmp_path):
    path = tmp_path / STEMS["train_images"]
    with open(path, "wb") as f:  # a valid header for 10**9 images, then 5 GiB of (sparse) zeros
        f.write(idx_header(10**9, 28, 28))
        f.truncate(5 * 2**30)
    error = refused(read_idx, path)
    assert (f"is truncated: its header promises {784 * 10**9:,} bytes of data (shape (1000000000, 28, 28)), "
            f"but only {5 * 2**30 - 16:,} are there") in str(error)


def test_idx_file_beyond_the_size_cap_is_refused_from_its_header(tmp_path):
    n = 1_500_000  # 1.18 GB of images: every byte the header promises is there, but it is too much
    path = tmp_path / STEMS["train_images"]
    with open(path, "wb") as f:
        f.write(idx_header(n, 28, 28))
        f.truncate(16 + n * 784)
    assert "more than the 1,073,741,824 (1 GiB) this app loads" in str(refused(read_idx, path))


def test_idx_folder_with_a_lying_file_is_refused_quickly(tmp_path):
    folder = write_idx_folder(tmp_path / "set")
    with open(folder / STEMS["train_images"], "r+b") as f:
        f.write(idx_header(10**9, 28, 28))
        f.truncate(5 * 2**30)
    error = refused(load_idx_folder, folder)
    assert f"{folder / STEMS['train_images']} is truncated" in str(error)


def zeros_gzip(n_bytes: int) -> bytes:
    """``n_bytes`` of zeros as gzip members of 1 MiB each (about 1 KB compressed apiece)."""
    member = gzip.compress(bytes(1 << 20), compresslevel=9)
    return member * (n_bytes >> 20)


def test_gzip_bomb_promising_too_much_is_refused_from_its_header(tmp_path):
    path = tmp_path / f"{STEMS['train_images']}.gz"
    path.write_bytes(gzip.compress(idx_header(2_000_000, 28, 28)) + zeros_gzip(256 << 20))
    error = refused(read_idx, path)
    assert (f"its header promises {2_000_000 * 784:,} bytes of data (shape (2000000, 28, 28)), more than the "
            "1,073,741,824 (1 GiB) this app loads from one IDX file") in str(error)


def test_gzip_bomb_after_honest_data_is_not_decompressed(tmp_path):
    path = tmp_path / f"{STEMS['train_images']}.gz"
    path.write_bytes(gzip.compress(idx_file(np.zeros((10, 28, 28)))) + zeros_gzip(4 << 30))  # 4 GiB in 4 MB
    assert path.stat().st_size < 8 << 20
    error = refused(read_idx, path)
    assert "has more than 1,048,576 extra bytes after the 7,840 bytes of data its header promises" in str(error)


def test_gzip_with_a_few_extra_bytes_still_counts_them(tmp_path):
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_file(np.arange(3)) + b"\x00" * 4))
    assert "has 4 extra bytes" in str(refused(read_idx, path))


def test_npz_header_promising_a_huge_array_is_refused_before_allocating(tmp_path):
    path = write_npz(tmp_path / "digits.npz", {**npz_arrays(), "x_train": npy_header((10**9, 784))})
    error = refused(load_npz, path)
    assert "x_train: its header promises 1,000,000,000 rows, more than the 10,000,000 this app loads" in str(error)


def test_npz_arrays_beyond_the_size_cap_are_refused_from_their_headers(tmp_path):
    path = write_npz(tmp_path / "digits.npz", {**npz_arrays(), "x_train": npy_header((5_000_000, 784), "<f8")})
    error = refused(load_npz, path)
    assert (f"its arrays would take {5_000_000 * 784 * 8 + 4 + 784 * 4 + 4:,} bytes, more than the 2,147,483,648 "
            "(2 GiB)") in str(error)


def test_npz_header_claiming_a_4_gib_header_is_not_read(tmp_path):
    liar = np.lib.format.magic(2, 0) + struct.pack("<I", 2**32 - 1) + b"{'descr': '|u1'"
    path = write_npz(tmp_path / "digits.npz", {**npz_arrays(), "y_test": liar})
    error = refused(load_npz, path)
    assert "y_test has an unreadable .npy header (EOF" in str(error)


def test_npz_member_that_is_not_an_array(tmp_path):
    path = write_npz(tmp_path / "digits.npz", {**npz_arrays(), "x_test": b"just some bytes"})
    assert "x_test is not a NumPy array" in str(refused(load_npz, path))


def test_npz_wrong_shape_is_refused_from_its_header(tmp_path):
    path = write_npz(tmp_path / "digits.npz", {**npz_arrays(), "x_train": npy_header((10**8, 32, 32))})
    assert r"x_train: images of shape (100000000, 32, 32) are not 28x28" in str(refused(load_npz, path))


unpickled: list[str] = []


def _record_unpickling():
    unpickled.append("ran")  # what a hostile pickle would do instead: run any code it likes
    return 0


class _RunsCodeWhenUnpickled:
    def __reduce__(self):
        return _record_unpickling, ()


@pytest.mark.parametrize("key", ["x_train", "y_train"])
def test_npz_object_array_is_never_unpickled(tmp_path, key):
    payload = np.array([_RunsCodeWhenUnpickled()] * 4, dtype=object)
    if key == "x_train":
        payload = np.full((4, 28, 28), _RunsCodeWhenUnpickled(), dtype=object)
    path = write_npz(tmp_path / "digits.npz", {**npz_arrays(), key: payload})
    error = refused(load_npz, path)
    assert f"holds object arrays ({key}), which could run code when loaded (pickle)" in str(error)
    assert not unpickled


# -------------------------------------------------------------------------------------- CSV

def test_csv_with_a_10_mb_line_is_refused_without_reading_it(tmp_path):
    path = write_csv(tmp_path / "train.csv", extra_lines=("1," + "0," * (5 << 20) + "0",))
    error = refused(load_kaggle_csv, path)
    assert "train.csv, line 7: longer than 65,536 characters" in str(error)


def test_csv_that_is_one_huge_line_is_refused_at_line_1(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b"7" * (10 << 20))  # no newline at all
    assert "train.csv, line 1: longer than 65,536 characters" in str(refused(load_dataset, path))


def test_csv_line_at_the_limit_is_read(tmp_path, monkeypatch):
    row = "3," + ",".join(["0"] * 784)
    monkeypatch.setattr(data, "_MAX_CSV_LINE", len(row))
    path = tmp_path / "train.csv"
    path.write_text(f"{row}\r\n{row}\r\n")  # the line ending does not count
    assert load_kaggle_csv(path, dev_rows=1).y_train.tolist() == [3]
    monkeypatch.setattr(data, "_MAX_CSV_LINE", len(row) - 1)
    assert "line 1: longer than" in str(refused(load_kaggle_csv, path, 1))


def test_csv_with_too_many_rows_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_MAX_CSV_ROWS", 3)
    path = write_csv(tmp_path / "train.csv", n_rows=5)
    assert "train.csv, line 5: the file goes on past 3 rows" in str(refused(load_kaggle_csv, path, 1))
    write_csv(path, n_rows=3)
    assert load_kaggle_csv(path, dev_rows=1).n_train == 2


# ------------------------------------------------------------------------ no training rows

def test_idx_folder_with_no_training_images(tmp_path):
    folder = write_idx_folder(tmp_path / "set", n_train=0)
    error = refused(load_idx_folder, folder)
    assert f"{folder / STEMS['train_images']} holds no training images (0 rows)" in str(error)


@pytest.mark.parametrize("extra", [(), ("", "  ", "")], ids=["header-only", "blank-lines"])
def test_csv_with_no_rows(tmp_path, extra):
    path = write_csv(tmp_path / "train.csv", n_rows=0, extra_lines=extra)
    assert "is empty apart from its header row" in str(refused(load_dataset, path))


def test_csv_whose_rows_all_go_to_the_dev_split(tmp_path):
    path = write_csv(tmp_path / "train.csv", n_rows=3)
    assert "dev_rows=3 leaves no training rows" in str(refused(load_kaggle_csv, path, 3))


def test_npz_with_no_training_images(tmp_path):
    path = write_npz(tmp_path / "digits.npz", npz_arrays(n_train=0))
    assert "digits.npz x_train holds no training images (0 rows)" in str(refused(load_npz, path))


def test_no_test_images_is_refused_too(tmp_path):
    # Training would go ahead, then the first evaluation would fail: refused when the file is read instead.
    folder = write_idx_folder(tmp_path / "set", n_test=0)
    error = refused(load_idx_folder, folder)
    assert f"{folder / STEMS['test_images']} holds no test images (0 rows)" in str(error)
    path = write_npz(tmp_path / "digits.npz", npz_arrays(n_test=0))
    assert "digits.npz x_test holds no test images (0 rows)" in str(refused(load_npz, path))


# ---------------------------------------------------------------- permissions and symlinks

def deny(monkeypatch, functions: list[str], denied) -> None:
    """Make each of ``functions`` ("os.open", "builtins.open", ...) fail with EACCES, as for a user without the
    permission, for the paths ``denied(path)`` picks; the tests run as root, for whom chmod alone denies nothing."""
    for name in functions:
        module, attribute = name.split(".")
        real = getattr(builtins if module == "builtins" else os, attribute)

        def fake(path, *args, real=real, **kwargs):
            if isinstance(path, (str, os.PathLike)) and denied(Path(path)):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(name, fake)


def readable_files(tmp_path) -> dict[str, tuple]:
    """A valid file for each loader: kind -> (the file, its loader[, what to give the loader instead])."""
    folder = write_idx_folder(tmp_path / "set")
    return {"idx": (folder / STEMS["test_labels"], read_idx),
            "idx-folder": (folder / STEMS["train_images"], load_idx_folder, folder),
            "csv": (write_csv(tmp_path / "train.csv"), load_kaggle_csv),
            "npz": (write_npz(tmp_path / "digits.npz", npz_arrays()), load_npz)}


@pytest.mark.parametrize("kind", ["idx", "idx-folder", "csv", "npz"])
def test_unreadable_file(tmp_path, monkeypatch, kind):
    path, load, *target = readable_files(tmp_path)[kind]
    deny(monkeypatch, ["os.open", "builtins.open"], lambda p: p == path)
    error = refused(load, *(target or [path]))
    assert f"cannot read {path}: permission denied" in str(error)


def test_unsearchable_folder(tmp_path, monkeypatch):
    folder = write_idx_folder(tmp_path / "set")
    deny(monkeypatch, ["os.stat"], lambda p: p.parent == folder)
    error = refused(load_idx_folder, folder)
    assert f"cannot read {folder / STEMS['train_images']}: permission denied" in str(error)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="chmod 0 does not stop root from reading; test_unreadable_file covers it by simulation")
def test_chmod_0_file(tmp_path):
    path = write_csv(tmp_path / "train.csv")
    path.chmod(0)
    try:
        assert f"cannot read {path}: permission denied" in str(refused(load_dataset, path))
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("name, load", [
    ("loop.csv", load_dataset), ("loop.npz", load_npz), ("loop.csv", load_kaggle_csv),
    ("t10k-labels-idx1-ubyte", read_idx), ("loop", load_idx_folder),
])
def test_symlink_loop(tmp_path, name, load):
    path, other = tmp_path / name, tmp_path / "other"
    path.symlink_to(other)
    other.symlink_to(path)
    assert f"{path} is a symbolic link loop" in str(refused(load, path))


def test_symlink_loop_inside_an_idx_folder(tmp_path):
    folder = write_idx_folder(tmp_path / "set")
    loop = folder / STEMS["test_images"]
    loop.unlink()
    loop.symlink_to(loop)
    assert f"{loop} is a symbolic link loop" in str(refused(load_idx_folder, folder))


# -------------------------------------------------------------------------- the command line

def _sparse_idx_folder(tmp_path, fifo) -> Path:
    folder = write_idx_folder(tmp_path / "sparse")
    with open(folder / STEMS["train_images"], "r+b") as f:
        f.write(idx_header(10**9, 28, 28))
        f.truncate(5 * 2**30)
    return folder


def _gzip_bomb_folder(tmp_path, fifo) -> Path:
    folder = write_idx_folder(tmp_path / "bomb")
    (folder / STEMS["test_images"]).unlink()
    bomb = folder / f"{STEMS['test_images']}.gz"
    bomb.write_bytes(gzip.compress(idx_file(np.zeros((4, 28, 28)))) + zeros_gzip(1 << 30))
    return folder


def _symlink_loop(tmp_path, fifo) -> Path:
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    return loop


CLI_CASES = {  # name -> (tmp_path, fifo) -> the path to give as --data
    "fifo": lambda tmp_path, fifo: fifo("train.csv"),
    "sparse-idx": _sparse_idx_folder,
    "gzip-bomb": _gzip_bomb_folder,
    "long-csv-line": lambda tmp_path, fifo: write_csv(tmp_path / "long.csv", extra_lines=("0" * (10 << 20),)),
    "no-training-idx": lambda tmp_path, fifo: write_idx_folder(tmp_path / "empty", n_train=0),
    "no-training-csv": lambda tmp_path, fifo: write_csv(tmp_path / "empty.csv", n_rows=0),
    "no-training-npz": lambda tmp_path, fifo: write_npz(tmp_path / "empty.npz", npz_arrays(n_train=0)),
    "huge-npz": lambda tmp_path, fifo: write_npz(tmp_path / "huge.npz",
                                                 {**npz_arrays(), "x_test": npy_header((10**9, 784))}),
    "object-npz": lambda tmp_path, fifo: write_npz(tmp_path / "pickle.npz", {
        **npz_arrays(), "y_test": np.array([_RunsCodeWhenUnpickled()] * 4)}),
    "symlink-loop": _symlink_loop,
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_refuses_in_one_line_naming_the_file(tmp_path, fifo, capsys, case):
    path = CLI_CASES[case](tmp_path, fifo)
    start = time.perf_counter()
    assert main(["train", "--data", str(path), "--iterations", "1", "--no-progress"]) == 2
    assert time.perf_counter() - start < QUICK
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("mnist-viz: error: ") and captured.err.count("\n") == 1, captured.err
    assert str(path) in captured.err
    assert not unpickled
