"""Loading data: the bundled MNIST, IDX folders, Kaggle CSV, npz, and the split helpers.

Bad files are built small in ``tmp_path``; the round trips write slices of the real data and
read them back. The ``mnist`` fixture (tests/core/conftest.py) is ``load_bundled()``.
"""
import dataclasses
import gzip
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import mnist_viz
from mnist_viz.core import data
from mnist_viz.core.data import (
    BUNDLED_SHA256,
    DataError,
    Dataset,
    load_bundled,
    load_dataset,
    load_idx_folder,
    load_kaggle_csv,
    load_npz,
    read_idx,
    subset,
    with_validation,
)

REPO_ASSETS = Path(__file__).resolve().parents[2] / "assets" / "mnist"
CANONICAL = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
             "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ------------------------------------------------------------------------------------ helpers

def idx_bytes(array: np.ndarray, dtype_code: int = 0x08) -> bytes:
    """IDX encoding of a uint8 array: magic (0, 0, dtype, ndim), big-endian dims, data."""
    header = bytes([0, 0, dtype_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write(path: Path, payload: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def as_bytes(x: np.ndarray) -> np.ndarray:
    """Float pixels in [0, 1] back to the uint8 they came from."""
    return np.rint(x * 255).astype(np.uint8)


def write_idx_folder(folder: Path, parts: dict[str, np.ndarray], gz: bool, dotted: bool = False) -> Path:
    """Write ``parts`` (role -> uint8 array) as IDX files named as MNIST names them."""
    folder.mkdir(parents=True, exist_ok=True)
    for role, array in parts.items():
        stem = CANONICAL[role].replace("-idx", ".idx") if dotted else CANONICAL[role]
        write(folder / (stem + (".gz" if gz else "")), idx_bytes(array), gz)
    return folder


def mnist_parts(mnist, n_train: int = 200, n_test: int = 100) -> dict[str, np.ndarray]:
    """A small slice of the real data as IDX-ready uint8 arrays."""
    return {"train_images": as_bytes(mnist.images("train")[:n_train]), "train_labels": mnist.y_train[:n_train],
            "test_images": as_bytes(mnist.images("test")[:n_test]), "test_labels": mnist.y_test[:n_test]}


def tiny_parts(n_train: int = 6, n_test: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "train_labels": rng.integers(0, 10, n_train).astype(np.uint8),
            "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "test_labels": rng.integers(0, 10, n_test).astype(np.uint8)}


def write_csv(path: Path, rows: list[list], header: bool = True) -> Path:
    lines = ["label," + ",".join(f"pixel{i}" for i in range(784))] if header else []
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def csv_rows(n: int = 5) -> list[list]:
    rng = np.random.default_rng(1)
    return [[int(rng.integers(10))] + rng.integers(0, 256, 784).tolist() for _ in range(n)]


def assert_same(a: Dataset, b: Dataset) -> None:
    for field in ("x_train", "y_train", "x_test", "y_test", "x_val", "y_val"):
        x, y = getattr(a, field), getattr(b, field)
        assert x.dtype == y.dtype and x.shape == y.shape, field
        np.testing.assert_array_equal(x, y, err_msg=field)


def assert_well_formed(ds: Dataset) -> None:
    for split in ("train", "val", "test"):
        x, y = getattr(ds, f"x_{split}"), getattr(ds, f"y_{split}")
        assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == 784 and x.flags.c_contiguous
        assert y.dtype == np.int64 and y.shape == (len(x),)
        if len(x):
            assert x.min() >= 0.0 and x.max() <= 1.0
            assert y.min() >= 0 and y.max() <= 9


# ------------------------------------------------------------------------------------ bundled

def test_bundled_shapes_dtypes_and_range(mnist):
    assert (mnist.n_train, mnist.n_test, mnist.n_val) == (60000, 10000, 0)
    assert mnist.x_train.shape == (60000, 784) and mnist.x_test.shape == (10000, 784)
    assert mnist.x_val.shape == (0, 784) and mnist.y_val.shape == (0,)
    assert_well_formed(mnist)
    assert mnist.x_train.min() == 0.0 and mnist.x_train.max() == 1.0
    assert mnist.name == "MNIST (bundled)"


def test_bundled_canonical_order_and_class_counts(mnist):
    assert mnist.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(mnist.y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist.y_test, minlength=10).tolist() == TEST_COUNTS


def test_bundled_pixels_are_the_idx_bytes_over_255(mnist):
    raw = read_idx(REPO_ASSETS / "t10k-images-idx3-ubyte.gz")
    assert raw.dtype == np.uint8 and raw.shape == (10000, 28, 28)
    np.testing.assert_array_equal(mnist.images("test"), (raw / 255.0).astype(np.float32))
    labels = read_idx(REPO_ASSETS / "train-labels-idx1-ubyte.gz")
    np.testing.assert_array_equal(labels, mnist.y_train)


def test_bundled_is_cached_and_read_only(mnist):
    assert load_bundled() is mnist
    for field in ("x_train", "y_train", "x_test", "y_test", "x_val", "y_val"):
        array = getattr(mnist, field)
        assert not array.flags.writeable, field
        with pytest.raises(ValueError):
            array.flags.writeable = True  # the cache cannot be unlocked either
    with pytest.raises(ValueError):
        mnist.x_train[0, 0] = 1.0
    # Reading is unaffected: reductions, fancy indexing, views, arithmetic into new arrays.
    batch = mnist.x_train[[3, 1, 4]]
    assert batch.flags.writeable and batch.shape == (3, 784)
    assert mnist.images("train")[0].shape == (28, 28)
    assert float((mnist.x_test @ np.ones(784, np.float32)).sum()) > 0
    assert mnist.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


@pytest.fixture
def bundled_copy(tmp_path, monkeypatch):
    """A copy of the bundled files in tmp_path that load_bundled() uses, with a cache of its own."""
    folder = tmp_path / "mnist"
    shutil.copytree(REPO_ASSETS, folder)
    monkeypatch.setattr(data, "_bundled_candidates", lambda: [folder])
    monkeypatch.setattr(data, "_bundled_cache", {})
    return folder


def test_damaged_bundled_file_is_named_with_expected_digest(bundled_copy):
    labels = bytearray(gzip.decompress((bundled_copy / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    labels[8] = 1  # the first test label, 7, becomes another valid digit: only the digest can tell
    write(bundled_copy / "t10k-labels-idx1-ubyte.gz", bytes(labels), gz=True)
    with pytest.raises(DataError, match="damaged") as caught:
        load_bundled()
    assert "t10k-labels-idx1-ubyte.gz" in str(caught.value)
    assert BUNDLED_SHA256["test_labels"] in str(caught.value)
    assert load_bundled(verify=False).y_test[0] == 1  # the file itself still parses


def test_unverified_cache_is_verified_when_asked(bundled_copy):
    unverified = load_bundled(verify=False)
    assert load_bundled(verify=False) is unverified
    verified = load_bundled(verify=True)
    assert verified is not unverified  # read and checked again
    assert load_bundled(verify=False) is verified and load_bundled() is verified
    assert_same(verified, unverified)


def test_missing_bundled_file_is_named(bundled_copy):
    (bundled_copy / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"missing train-labels-idx1-ubyte\.gz"):
        load_bundled()


def test_no_bundled_folder_lists_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_bundled_candidates", lambda: [tmp_path / "a", tmp_path / "b"])
    with pytest.raises(DataError, match="not found") as caught:
        load_bundled()
    assert str(tmp_path / "a") in str(caught.value) and str(tmp_path / "b") in str(caught.value)


def test_bundled_dir_prefers_the_installed_package_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_viz, "__file__", str(tmp_path / "site" / "mnist_viz" / "__init__.py"))
    assert data.bundled_dir() == REPO_ASSETS  # no package copy: the source checkout's
    installed = tmp_path / "site" / "mnist_viz" / "assets" / "mnist"
    installed.mkdir(parents=True)
    assert data.bundled_dir() == installed


# ---------------------------------------------------------------------------------- IDX faults

@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("payload, fault", [
    (b"\x12\x34\x08\x01" + struct.pack(">I", 2) + b"\x01\x02", "wrong magic number 0x12340801"),
    (b"\x00\x00\x0d\x01" + struct.pack(">I", 2) + b"\x00" * 8, "unsupported IDX dtype code 0x0D"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 10) + b"\x01" * 5, "truncated"),
    (b"\x00\x00\x08\x03" + struct.pack(">I", 10), "truncated"),  # header cut short
    (b"\x00\x00", "truncated"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"\x01" * 7, "4 extra bytes"),
    (b"\x00\x00\x08\x00", "magic number"),
], ids=["magic", "dtype", "short-data", "short-header", "tiny", "trailing", "no-dims"])
def test_bad_idx_file(tmp_path, payload, fault, gz):
    path = write(tmp_path / ("bad-idx1-ubyte" + (".gz" if gz else "")), payload, gz)
    with pytest.raises(DataError, match=fault) as caught:
        read_idx(path)
    assert path.name in str(caught.value)


def test_read_idx_round_trip(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for gz in (False, True):
        got = read_idx(write(tmp_path / f"a{gz}", idx_bytes(array), gz))
        assert got.dtype == np.uint8 and got.shape == (2, 3, 4)
        np.testing.assert_array_equal(got, array)


def test_missing_idx_file(tmp_path):
    with pytest.raises(DataError, match="not found") as caught:
        read_idx(tmp_path / "nope-idx1-ubyte.gz")
    assert "nope-idx1-ubyte.gz" in str(caught.value)


@pytest.mark.parametrize("damage", ["flip", "cut", "junk", "not-gzip"])
def test_corrupt_gzip(tmp_path, damage):
    blob = gzip.compress(idx_bytes(np.arange(5000, dtype=np.uint32).astype(np.uint8)))
    blob = {"flip": lambda b: b[:30] + bytes(x ^ 0xFF for x in b[30:60]) + b[60:],
            "cut": lambda b: b[: len(b) // 2],
            "junk": lambda b: b + b"garbage!",
            "not-gzip": lambda b: b"PK\x03\x04" + b[4:]}[damage](blob)
    path = write(tmp_path / "train-labels-idx1-ubyte.gz", blob)
    with pytest.raises(DataError, match="corrupt gzip") as caught:
        read_idx(path)
    assert path.name in str(caught.value)


def test_multi_member_gzip_is_read_whole(tmp_path):
    payload = idx_bytes(np.arange(100, dtype=np.uint8))
    path = write(tmp_path / "x.gz", gzip.compress(payload[:50]) + gzip.compress(payload[50:]))
    np.testing.assert_array_equal(read_idx(path), np.arange(100))


# ------------------------------------------------------------------------------- IDX folders

@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_folder_round_trip(tmp_path, mnist, gz):
    folder = write_idx_folder(tmp_path / "digits", mnist_parts(mnist), gz)
    ds = load_idx_folder(folder)
    expected = subset(dataclasses.replace(mnist, x_test=mnist.x_test[:100], y_test=mnist.y_test[:100]), 200)
    assert_same(ds, expected)
    assert_well_formed(ds)
    assert ds.name == "digits (IDX)"


def test_idx_folder_dotted_names_and_load_dataset_dispatch(tmp_path):
    parts = tiny_parts()
    folder = write_idx_folder(tmp_path / "kaggle-mnist", parts, gz=False, dotted=True)
    ds = load_dataset(folder)
    np.testing.assert_array_equal(ds.y_train, parts["train_labels"])
    # Pointing at one of the files loads its folder.
    assert_same(load_dataset(folder / "t10k-labels.idx1-ubyte"), ds)


@pytest.mark.parametrize("change, fault, names", [
    (lambda p: p.update(train_labels=p["train_labels"][:5]), "6 images but .* 5 labels",
     ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]),
    (lambda p: p["test_labels"].__setitem__(2, 10), "label 10 at index 2 is outside 0-9", ["t10k-labels-idx1-ubyte"]),
    (lambda p: p.update(test_images=np.zeros((4, 27, 28), np.uint8)), "images are 27x28, expected 28x28",
     ["t10k-images-idx3-ubyte"]),
    (lambda p: p.update(train_images=np.zeros(6, np.uint8)), "magic number", ["train-images-idx3-ubyte"]),
    (lambda p: p.update(test_labels=np.zeros((4, 1, 1), np.uint8)), "magic number", ["t10k-labels-idx1-ubyte"]),
], ids=["count-mismatch", "label-range", "not-28x28", "images-are-1d", "labels-are-3d"])
def test_bad_idx_folder(tmp_path, change, fault, names):
    parts = tiny_parts()
    change(parts)
    folder = write_idx_folder(tmp_path / "set", parts, gz=True)
    with pytest.raises(DataError, match=fault) as caught:
        load_idx_folder(folder)
    for name in names:
        assert name in str(caught.value)


def test_idx_folder_missing_file_is_named(tmp_path):
    folder = write_idx_folder(tmp_path / "set", tiny_parts(), gz=True)
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"missing t10k-images-idx3-ubyte\(\.gz\)") as caught:
        load_idx_folder(folder)
    assert "train-images" not in str(caught.value)


def test_idx_folder_that_is_not_there(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_idx_folder(tmp_path / "absent")


# ---------------------------------------------------------------------------------- Kaggle CSV

@pytest.mark.parametrize("header", [True, False], ids=["header", "no-header"])
def test_kaggle_csv_round_trip_first_rows_are_dev(tmp_path, mnist, header):
    pixels, labels = as_bytes(mnist.x_train[:30]), mnist.y_train[:30]
    path = write_csv(tmp_path / "train.csv", [[int(y)] + row.tolist() for y, row in zip(labels, pixels)], header)
    ds = load_kaggle_csv(path, dev_rows=10)
    expected = Dataset(mnist.x_train[10:30], mnist.y_train[10:30], mnist.x_train[:10], mnist.y_train[:10])
    assert_same(ds, expected)
    assert_well_formed(ds)
    assert ds.name == "train.csv (Kaggle)"


def test_load_dataset_reads_csv_with_default_dev_rows(tmp_path):
    rows = csv_rows(1005)
    ds = load_dataset(write_csv(tmp_path / "train.csv", rows))
    assert (ds.n_test, ds.n_train) == (1000, 5)
    assert ds.y_test[0] == rows[0][0] and ds.y_train[0] == rows[1000][0]


def test_kaggle_csv_decimal_cells_are_accepted(tmp_path):
    rows = csv_rows(3)
    rows[1][5] = "127.5"
    ds = load_kaggle_csv(write_csv(tmp_path / "train.csv", rows), dev_rows=1)
    assert ds.x_train[0, 4] == np.float32(127.5) / np.float32(255)


def _bad_csv(kind: str, path: Path) -> None:
    rows = csv_rows(5)
    if kind == "empty":
        path.write_text("")
    elif kind == "header-only":
        write_csv(path, [])
    elif kind == "short-line":
        rows[1] = rows[1][:-1]  # line 3 has 784 columns
        write_csv(path, rows)
    elif kind == "header-width":
        path.write_text("label,pixel0\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    elif kind == "test-csv":
        write_csv(path, [r[1:] for r in rows])
        path.write_text("\n".join(path.read_text().splitlines()[1:]))  # and no header either
    elif kind == "non-numeric":
        rows[2][6] = "abc"  # line 4, column 7
        write_csv(path, rows)
    elif kind == "empty-cell":
        rows[0][3] = ""  # line 2, column 4
        write_csv(path, rows)
    elif kind == "pixel-high":
        rows[1][9] = 256  # line 3, column 10
        write_csv(path, rows)
    elif kind == "pixel-negative":
        rows[4][784] = -1  # line 6, column 785
        write_csv(path, rows)
    elif kind == "pixel-huge":
        rows[3][2] = 70000  # does not fit the fast int16 path
        write_csv(path, rows)
    elif kind == "label":
        rows[3][0] = 10  # line 5
        write_csv(path, rows)
    elif kind == "label-fraction":
        rows[0][0] = "2.5"  # line 2
        write_csv(path, rows)
    elif kind == "blank-line-then-bad":
        rows[2][1] = 300  # data row 3, column 2 ...
        write_csv(path, rows)
        lines = path.read_text().splitlines()
        lines.insert(2, "")  # ... is on line 5 once an empty line 3 (which is skipped) comes before it
        path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("kind, fault", [
    ("empty", "is empty"),
    ("header-only", "empty apart from its header"),
    ("short-line", "line 3: found 784 columns, expected 785"),
    ("header-width", r"line 1 \(header\): found 2 columns, expected 785"),
    ("test-csv", "line 1: found 784 columns, expected 785.*test.csv has no labels"),
    ("non-numeric", "line 4, column 7: cell 'abc' is not a number"),
    ("empty-cell", "line 2, column 4: cell '' is not a number"),
    ("pixel-high", "line 3, column 10: pixel value 256 is outside 0-255"),
    ("pixel-negative", "line 6, column 785: pixel value -1 is outside 0-255"),
    ("pixel-huge", "line 5, column 3: pixel value 70000 is outside 0-255"),
    ("label", "line 5, column 1: label 10 is outside 0-9"),
    ("label-fraction", "line 2, column 1: label 2.5 is not a whole number"),
    ("blank-line-then-bad", "line 5, column 2: pixel value 300 is outside 0-255"),
])
def test_bad_kaggle_csv(tmp_path, kind, fault):
    path = tmp_path / "digits.csv"
    _bad_csv(kind, path)
    with pytest.raises(DataError, match=fault) as caught:
        load_kaggle_csv(path, dev_rows=1)
    assert "digits.csv" in str(caught.value)


def test_kaggle_csv_missing_and_bad_dev_rows(tmp_path):
    with pytest.raises(DataError, match="not found") as caught:
        load_kaggle_csv(tmp_path / "train.csv")
    assert "train.csv" in str(caught.value)
    path = write_csv(tmp_path / "train.csv", csv_rows(5))
    with pytest.raises(DataError, match=r"dev_rows=5 leaves no training rows.*5 data rows"):
        load_kaggle_csv(path, dev_rows=5)
    with pytest.raises(DataError, match="dev_rows=-1"):
        load_kaggle_csv(path, dev_rows=-1)
    assert load_kaggle_csv(path, dev_rows=0).x_test.shape == (0, 784)


# ----------------------------------------------------------------------------------------- npz

@pytest.mark.parametrize("layout", ["uint8-28x28", "uint8-784", "float-unit", "float-255", "int64-784"])
def test_npz_round_trip(tmp_path, mnist, layout):
    images = {"train": as_bytes(mnist.images("train")[:50]), "test": as_bytes(mnist.images("test")[:20])}
    encode = {"uint8-28x28": lambda a: a,
              "uint8-784": lambda a: a.reshape(len(a), 784),
              "float-unit": lambda a: (a / 255.0).astype(np.float32),
              "float-255": lambda a: a.astype(np.float64),
              "int64-784": lambda a: a.reshape(len(a), 784).astype(np.int64)}[layout]
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=encode(images["train"]), y_train=mnist.y_train[:50].astype(np.uint8),
             x_test=encode(images["test"]), y_test=mnist.y_test[:20].astype(np.uint8))
    ds = load_dataset(path)
    expected = Dataset(mnist.x_train[:50], mnist.y_train[:50], mnist.x_test[:20], mnist.y_test[:20])
    assert_same(ds, expected)
    assert_well_formed(ds)
    assert ds.name == "mnist.npz (npz)"


def test_npz_with_validation_arrays(tmp_path):
    x = np.zeros((4, 28, 28), np.uint8)
    path = tmp_path / "v.npz"
    np.savez_compressed(path, x_train=x, y_train=np.arange(4), x_test=x, y_test=np.arange(4),
                        x_val=x[:3], y_val=np.arange(3))
    ds = load_npz(path)
    assert ds.x_val.shape == (3, 784) and ds.y_val.tolist() == [0, 1, 2]


def _bad_npz(kind: str, path: Path) -> None:
    x, y = np.zeros((4, 28, 28), np.uint8), np.arange(4, dtype=np.uint8)
    good = dict(x_train=x, y_train=y, x_test=x, y_test=y)
    if kind == "missing-keys":
        np.savez(path, x_train=x, y_train=y, x_test=x)
    elif kind == "not-zip":
        path.write_bytes(b"this is no archive")
    elif kind == "npy-not-npz":
        with open(path, "wb") as f:
            np.save(f, x)
    elif kind == "truncated-zip":
        np.savez(path, **good)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == "object-array":
        np.savez(path, **{**good, "y_test": np.array([1, "two", None, 3], dtype=object)})
    elif kind == "not-28x28":
        np.savez(path, **{**good, "x_train": np.zeros((4, 32, 32), np.uint8)})
    elif kind == "labels-range":
        np.savez(path, **{**good, "y_train": np.array([1, 2, 11, 3])})
    elif kind == "labels-nan":
        np.savez(path, **{**good, "y_test": np.array([1.0, np.nan, 2.0, 3.0])})
    elif kind == "labels-huge":
        np.savez(path, **{**good, "y_test": np.array([1.0, 2.0, 3.0, 1e30])})
    elif kind == "labels-fraction":
        np.savez(path, **{**good, "y_test": np.array([1.0, 2.5, 2.0, 3.0])})
    elif kind == "labels-text":
        np.savez(path, **{**good, "y_test": np.array(["1", "2", "3", "4"])})
    elif kind == "pixel-range":
        np.savez(path, **{**good, "x_test": np.full((4, 784), 300.0)})
    elif kind == "pixel-inf":
        np.savez(path, **{**good, "x_train": np.where(x > 0, 0, np.inf)})
    elif kind == "count-mismatch":
        np.savez(path, **{**good, "y_train": y[:3]})
    elif kind == "half-validation":
        np.savez(path, **good, x_val=x)


@pytest.mark.parametrize("kind, fault", [
    ("missing-keys", "missing the key.*y_test"),
    ("not-zip", "not a zip/npz archive"),
    ("npy-not-npz", "not a zip/npz archive"),
    ("truncated-zip", "not a readable zip/npz archive"),
    ("object-array", "object arrays"),
    ("not-28x28", r"x_train: images of shape \(4, 32, 32\) are not 28x28"),
    ("labels-range", "y_train: label 11 at index 2 is outside 0-9"),
    ("labels-nan", "y_test: label nan at index 1 is outside 0-9"),
    ("labels-huge", "y_test: label 1e\\+30 at index 3 is outside 0-9"),
    ("labels-fraction", "y_test: label 2.5 at index 1 is not a whole number"),
    ("labels-text", "y_test: labels of dtype <U1"),
    ("pixel-range", "x_test: pixel value 300 .* outside 0-255"),
    ("pixel-inf", r"x_train: pixel value inf \(image 0\) is outside 0-255"),
    ("count-mismatch", "x_train has 4 images but y_train has 3 labels"),
    ("half-validation", "missing the key.*y_val"),
])
def test_bad_npz(tmp_path, kind, fault):
    path = tmp_path / "digits.npz"
    _bad_npz(kind, path)
    with pytest.raises(DataError, match=fault) as caught:
        load_npz(path)
    assert "digits.npz" in str(caught.value)


def test_load_dataset_unknown_or_missing(tmp_path):
    with pytest.raises(DataError, match="unrecognised") as caught:
        load_dataset(write(tmp_path / "notes.txt", b"hello"))
    assert "notes.txt" in str(caught.value)
    with pytest.raises(DataError, match="not found") as caught:
        load_dataset(tmp_path / "file.npz")
    assert "file.npz" in str(caught.value)


def test_load_dataset_none_is_bundled(mnist):
    assert load_dataset() is mnist


# -------------------------------------------------------------------------------------- splits

def indexed(n: int = 100) -> Dataset:
    """A dataset whose training row i holds the value i, so a split's rows can be traced."""
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], 784, axis=1)
    return Dataset(x, np.arange(n) % 10, x[:7], np.arange(7), name="indexed")


def test_with_validation_by_n_takes_the_last_rows_as_views(mnist):
    ds = with_validation(mnist, n=1000)
    assert (ds.n_train, ds.n_val, ds.n_test) == (59000, 1000, 10000)
    np.testing.assert_array_equal(ds.x_val, mnist.x_train[-1000:])
    np.testing.assert_array_equal(ds.y_train, mnist.y_train[:59000])
    assert np.shares_memory(ds.x_val, mnist.x_train)  # no 188 MB copy
    assert ds.x_test is mnist.x_test and ds.name == mnist.name
    assert_well_formed(ds)


def test_with_validation_by_fraction():
    ds = with_validation(indexed(100), fraction=0.25)
    assert ds.x_val[:, 0].tolist() == list(range(75, 100))
    assert ds.x_train[:, 0].tolist() == list(range(75))


def test_with_validation_seeded_is_reproducible_and_a_partition():
    a, b, c = (with_validation(indexed(100), n=20, seed=s) for s in (7, 7, 8))
    val = a.x_val[:, 0].astype(int)
    np.testing.assert_array_equal(val, b.x_val[:, 0])
    assert val.tolist() != c.x_val[:, 0].astype(int).tolist()
    assert val.tolist() != list(range(80, 100))  # chosen by the permutation, not the tail
    train = a.x_train[:, 0].astype(int)
    assert sorted(val.tolist() + train.tolist()) == list(range(100))
    assert (np.diff(val) > 0).all() and (np.diff(train) > 0).all()  # original order kept
    np.testing.assert_array_equal(a.y_val, val % 10)  # labels travel with their images
    assert a.x_train.flags.c_contiguous and a.x_val.flags.c_contiguous


def test_with_validation_zero_is_unchanged():
    ds = indexed()
    assert with_validation(ds) is ds


@pytest.mark.parametrize("kwargs, fault", [
    (dict(n=-1), "n=-1"),
    (dict(n=100), "n=100 would leave no training rows"),
    (dict(n=2.5), "n=2.5 is not a whole number"),
    (dict(n=True), "n=True"),
    (dict(fraction=1.0), r"fraction=1.0 is outside \[0, 1\)"),
    (dict(fraction=-0.1), "fraction=-0.1"),
    (dict(fraction=float("nan")), "fraction=nan"),
    (dict(fraction="lots"), "fraction='lots'"),
    (dict(fraction=0.001), "fraction=0.001 of 100 training rows is no rows"),
    (dict(n=5, fraction=0.1), "n or fraction, not both"),
])
def test_with_validation_bad_values(kwargs, fault):
    with pytest.raises(DataError, match=fault):
        with_validation(indexed(100), **kwargs)


def test_with_validation_refuses_a_second_split():
    once = with_validation(indexed(), n=10)
    with pytest.raises(DataError, match="already has a validation split of 10 rows"):
        with_validation(once, n=5)


def test_subset(mnist):
    ds = subset(mnist, 500)
    assert ds.n_train == 500 and ds.n_test == 10000
    np.testing.assert_array_equal(ds.y_train, mnist.y_train[:500])
    assert np.shares_memory(ds.x_train, mnist.x_train)
    assert subset(mnist, 60000).n_train == 60000
    with pytest.raises(DataError, match="n_train=60001 exceeds the 60,000 "):
        subset(mnist, 60001)
    with pytest.raises(DataError, match="n_train=0"):
        subset(mnist, 0)


# ------------------------------------------------------------------------------------- Dataset

def test_dataset_defaults_views_and_checks():
    ds = indexed(10)
    assert ds.x_val.shape == (0, 784) and ds.y_val.shape == (0,) and ds.n_features == 784
    assert ds.images("val").shape == (0, 28, 28)
    assert np.shares_memory(ds.images("train"), ds.x_train)
    assert repr(ds) == "Dataset('indexed', train=10, val=0, test=7)"
    with pytest.raises(ValueError, match="split 'dev'"):
        ds.images("dev")
    with pytest.raises(ValueError, match="train split"):
        Dataset(ds.x_train, ds.y_train[:9], ds.x_test, ds.y_test)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"
