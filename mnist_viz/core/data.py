"""Loading handwritten-digit data into a ``Dataset`` of flat float32 images and int64 labels.

Sources:

* the bundled MNIST (four gzipped IDX files shipped with the app, checked against their
  published SHA-256 digests), via ``load_bundled()``;
* a folder of IDX files, gzipped or raw (MNIST, Fashion-MNIST and anything else laid out the
  same way), via ``load_idx_folder()``;
* Kaggle's Digit Recognizer ``train.csv``, via ``load_kaggle_csv()``;
* a Keras-style ``mnist.npz``, via ``load_npz()``;
* Fashion-MNIST as Debian's ``dataset-fashion-mnist`` package installs it, checked against the
  SHA-256 digests of its canonical files, via ``load_fashion_mnist()``;

and ``load_dataset(path)`` picks among them. Every fault in a file is reported as one
``DataError`` whose message names the file and what is wrong with it.

Class names: digits ``"0"`` .. ``"9"`` unless the labels are Fashion-MNIST's (recognised by the SHA-256
of its canonical label files, whatever the format they came in), or a ``class_names.txt`` beside the
data (10 lines, one name per class, in label order) names them.

Every file is input from a stranger: only regular files are opened (a FIFO would block forever),
and every header is checked against the file's size and against caps far above any digits data
set before the data it promises is read, so a lying header or a gzip bomb cannot exhaust memory.

Pure NumPy and the standard library: the GUI, the CLI and the tests all share this module.
"""
from __future__ import annotations

import dataclasses
import errno
import gzip
import hashlib
import io
import itertools
import math
import operator
import os
import re
import stat
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import mnist_viz
from mnist_viz.core.i18n import N_, format_int, tr

IMAGE_SIDE = 28
N_PIXELS = IMAGE_SIDE * IMAGE_SIDE  # 784
N_CLASSES = 10
SPLITS = ("train", "val", "test")
BUNDLED_NAME = "MNIST (bundled)"
DIGIT_NAMES = tuple(str(d) for d in range(N_CLASSES))  # the class names of a dataset that names none
CLASS_NAMES_FILE = "class_names.txt"  # beside the data: one name per line, in label order
MAX_CLASS_NAME = 40  # characters; a name longer than this cannot be shown next to the probes
_MAX_CLASS_NAMES_BYTES = 1 << 12  # 10 names of 40 characters fit many times over
FASHION_NAME = "Fashion-MNIST"
FASHION_CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                       "Ankle boot")
# Where Debian's (and Ubuntu's) dataset-fashion-mnist package puts the four gzipped IDX files.
FASHION_DIRS = (Path("/usr/share/datasets/fashion-mnist"),)

# Canonical IDX file stems by role; the bundled copies add ".gz".
IDX_STEMS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# SHA-256 of the *uncompressed* canonical files (the widely published digests), so the check
# does not depend on how the .gz files happened to be compressed.
BUNDLED_SHA256 = {
    "train_images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train_labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "test_images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "test_labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# SHA-256 of the uncompressed canonical Fashion-MNIST files (zalandoresearch/fashion-mnist, data/fashion;
# the .gz files there match the MD5s its README publishes). Debian's package re-gzips them without the file
# name and time in the gzip header, so its .gz files have other MD5s, but the same contents.
FASHION_SHA256 = {
    "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members; an empty zip
_IDX_DTYPE_NAMES = {0x08: N_("unsigned byte"), 0x09: N_("signed byte"), 0x0B: N_("16-bit integer"),
                    0x0C: N_("32-bit integer"), 0x0D: N_("32-bit float"), 0x0E: N_("64-bit float")}
_CSV_COLUMNS = 1 + N_PIXELS  # label, then the pixels
_CSV_PLAIN_LINE = re.compile(r"\d+(?:,\d+)*")
_NPZ_REQUIRED = ("x_train", "y_train", "x_test", "y_test")
_ARRAY_FIELDS = ("x_train", "y_train", "x_test", "y_test", "x_val", "y_val")
_NPY_HEADERS: dict[tuple[int, int], Callable[..., tuple[tuple[int, ...], bool, np.dtype]]] = {
    (1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
_SPECIAL_FILES = ((stat.S_ISFIFO, N_("a FIFO (named pipe)")), (stat.S_ISCHR, N_("a character device")),
                  (stat.S_ISBLK, N_("a block device")), (stat.S_ISSOCK, N_("a socket")))

# What one file may make us allocate: far above any digits data set (MNIST's training images are 47 MB,
# Kaggle's train.csv 42,000 rows), so only a hostile or mistaken file meets a cap.
_MAX_IDX_BYTES = 1 << 30  # 1 GiB of IDX data, 1.37 million 28x28 images
_IDX_EXTRA_COUNTED = 1 << 20  # trailing bytes of gzipped IDX data are counted up to this, not decompressed on
_MAX_CSV_LINE = 1 << 16  # characters; a row of 785 cells takes a few thousand
_MAX_CSV_ROWS = 1_000_000
_MAX_NPZ_ROWS = 10_000_000
_MAX_NPZ_BYTES = 2 << 30  # all the arrays of one archive together
_NPY_HEADER_READ = 1 << 16  # numpy refuses headers over 10,000 bytes, but only after reading them whole


class DataError(ValueError):
    """A data file (or a value) that cannot be used; the message names it and what is wrong."""


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Images and labels, split into train / validation / test.

    Attributes:
        x_train: (N, 784) float32 in [0, 1], C-contiguous, one flattened 28x28 image per row.
        y_train: (N,) int64 labels 0..9.
        x_test: (M, 784) float32.
        y_test: (M,) int64.
        x_val: (V, 784) float32; V may be 0. Left out (None), it becomes an empty (0, n_features) array.
        y_val: (V,) int64; left out, an empty array.
        name: for people, e.g. ``"MNIST (bundled)"`` or ``"train.csv (Kaggle)"``.
        class_names: 10 strings, the name of each label 0..9 (``DIGIT_NAMES`` unless the data names them,
            e.g. ``FASHION_CLASS_NAMES``).

    Arrays from ``load_bundled()`` are shared and read-only: copy one before changing it.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_val: np.ndarray = None  # type: ignore[assignment]  # None -> empty, see __post_init__
    y_val: np.ndarray = None  # type: ignore[assignment]
    name: str = "dataset"
    # A tuple of 10 str once __post_init__ has checked it; Any so that Dataset(name=..., **arrays) still
    # type-checks (runtime.shared_data builds one from a dict of arrays).
    class_names: Any = DIGIT_NAMES

    def __post_init__(self):
        names = tuple(self.class_names)
        if len(names) != N_CLASSES or not all(isinstance(n, str) and n.strip() for n in names):
            raise ValueError(f"{self.name}: class_names must be {N_CLASSES} non-empty strings, got {names!r}"[:300])
        object.__setattr__(self, "class_names", names)
        if self.x_val is None:
            object.__setattr__(self, "x_val", np.zeros((0, self.x_train.shape[1]), dtype=self.x_train.dtype))
        if self.y_val is None:
            object.__setattr__(self, "y_val", np.zeros(0, dtype=self.y_train.dtype))
        for split in SPLITS:
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
                raise ValueError(f"{self.name}: {split} split has images of shape {x.shape} "
                                 f"but labels of shape {y.shape}; expected (n, features) and (n,)")

    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def n_val(self) -> int:
        return len(self.x_val)

    @property
    def n_test(self) -> int:
        return len(self.x_test)

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def names_classes(self) -> bool:
        """Whether the classes have names of their own (Fashion-MNIST's), not the digits 0-9."""
        return self.class_names != DIGIT_NAMES

    def images(self, split: str = "train") -> np.ndarray:
        """(n, 28, 28) view of one split's images (``"train"``, ``"val"`` or ``"test"``)."""
        if split not in SPLITS:
            raise ValueError(f"split {split!r} is not one of {', '.join(SPLITS)}")
        x = getattr(self, f"x_{split}")
        if x.shape[1] != N_PIXELS:
            raise ValueError(f"{self.name}: rows of {x.shape[1]} values are not 28x28 images")
        return x.reshape(len(x), IMAGE_SIDE, IMAGE_SIDE)

    def __repr__(self) -> str:
        return f"Dataset({self.name!r}, train={self.n_train}, val={self.n_val}, test={self.n_test})"


# ---------------------------------------------------------------------------------------- bundled

_bundled_cache: dict[Path, tuple[Dataset, bool]] = {}  # folder -> (read-only dataset, verified?)
_bundled_lock = threading.Lock()


def _bundled_candidates() -> list[Path]:
    """Where the bundled files may be: inside the installed package, then the source checkout."""
    return [Path(mnist_viz.__file__).parent / "assets" / "mnist",
            Path(__file__).resolve().parents[2] / "assets" / "mnist"]


def bundled_dir() -> Path:
    """The folder holding the bundled MNIST files (the first candidate that exists)."""
    candidates = _bundled_candidates()
    for folder in candidates:
        if folder.is_dir():
            return folder
    raise DataError(tr("the bundled MNIST files were not found; looked in {folders}").format(
        folders=", ".join(str(c) for c in candidates)))


def load_bundled(verify: bool = True) -> Dataset:
    """The bundled MNIST: 60,000 training and 10,000 test images, no validation split.

    ``verify`` checks each file's SHA-256 (about 30 ms). The result is cached for the life of the
    process and shared by every caller, so its arrays are read-only (``flags.writeable`` is False
    and cannot be turned back on); copy an array before changing it.
    """
    return _load_verified(bundled_dir(), BUNDLED_NAME, BUNDLED_SHA256, verify)


def fashion_mnist_dir() -> Path | None:
    """The folder of an installed Fashion-MNIST (Debian's ``dataset-fashion-mnist``), or None."""
    return next((folder for folder in FASHION_DIRS if folder.is_dir()), None)


def load_fashion_mnist(verify: bool = True) -> Dataset:
    """Fashion-MNIST as Debian's ``dataset-fashion-mnist`` package installs it: 60,000 training and
    10,000 test images of clothes, checked (``verify``) against the canonical files' SHA-256 as
    ``load_bundled`` checks MNIST, and cached and read-only as that is."""
    folder = fashion_mnist_dir()
    if folder is None:
        raise DataError(tr("Fashion-MNIST is not installed here (looked in {folders}). "
                           "Install the dataset-fashion-mnist package, or put its four IDX files "
                           "(train-images-idx3-ubyte.gz, ...) in a folder and open that folder.").format(
            folders=", ".join(map(str, FASHION_DIRS))))
    ds = _load_verified(folder, f"{FASHION_NAME} (installed)", FASHION_SHA256, verify)  # not shipped with mnist-viz
    return dataclasses.replace(ds, class_names=FASHION_CLASS_NAMES)


def _load_verified(folder: Path, name: str, digests: dict[str, str], verify: bool) -> Dataset:
    """The four gzipped canonical IDX files in ``folder``, checked against ``digests`` if ``verify``;
    cached for the life of the process, read-only."""
    paths = {role: folder / f"{stem}.gz" for role, stem in IDX_STEMS.items()}
    with _bundled_lock:  # concurrent first calls share one load instead of racing
        cached = _bundled_cache.get(folder)
        if cached is None or (verify and not cached[1]):
            _require_files(paths, folder)
            ds = _load_idx_set(paths, name, digests if verify else None)
            cached = _bundled_cache[folder] = (_read_only(ds), verify)
    return cached[0]


def clear_bundled_cache() -> None:
    """Forget the cached bundled dataset, so the next ``load_bundled()`` reads the files again."""
    with _bundled_lock:
        _bundled_cache.clear()


def _read_only(ds: Dataset) -> Dataset:
    """``ds`` with every array replaced by a read-only view of a read-only array.

    A view whose base is read-only cannot be made writeable again, so no caller can change the
    cached copy by accident, nor by setting ``flags.writeable = True``.
    """
    views = {}
    for field in _ARRAY_FIELDS:
        array = getattr(ds, field)
        array.flags.writeable = False
        views[field] = array.view()
    return dataclasses.replace(ds, **views)


# ------------------------------------------------------------------------------------ dispatcher

FASHION_KEYWORD = "fashion-mnist"  # ``mnist-viz --data fashion-mnist``: the installed Fashion-MNIST


def load_dataset(path: str | os.PathLike | None = None) -> Dataset:
    """Load ``path``, or the bundled MNIST when ``path`` is None.

    ``path`` may be a folder of IDX files, one of the IDX files in such a folder, a ``.csv``
    (Kaggle's Digit Recognizer ``train.csv``) or a ``.npz`` (Keras' ``mnist.npz`` layout); or the
    word ``fashion-mnist`` (when nothing of that name is there) for ``load_fashion_mnist()``.
    Fashion-MNIST's labels, in whatever format, give the dataset its name and class names; a
    ``class_names.txt`` beside the data (in the folder, or beside the file) names the classes.
    """
    if path is None:
        return load_bundled()
    if str(path) == FASHION_KEYWORD and not _exists(Path(path)):
        return load_fashion_mnist()
    path = Path(path).expanduser()
    ds = recognise(_load_path(path))
    names_file = _class_names_path(path)
    return ds if names_file is None else dataclasses.replace(ds, class_names=read_class_names(names_file))


def _load_path(path: Path) -> Dataset:
    """The dataset in the folder or file ``path``, as it is (see ``load_dataset``)."""
    info = _stat(path)
    if stat.S_ISDIR(info.st_mode):
        return load_idx_folder(path)
    _require_regular(path, info)  # before the name is looked at: a FIFO named x.csv is no CSV either
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return load_kaggle_csv(path)
    if suffix == ".npz":
        return load_npz(path)
    if _idx_role(path.name):
        return load_idx_folder(path.parent)
    raise DataError(tr("{path}: unrecognised kind of data file; expected a folder of IDX files, "
                       "a .csv (Kaggle train.csv) or a .npz (x_train, y_train, x_test, y_test)").format(path=path))


# ---------------------------------------------------------------------------------- class names

def labels_sha256(labels: np.ndarray) -> str:
    """SHA-256 of ``labels (n,)`` (digits 0..9) written as an IDX label file: for the labels of a
    canonical data set, in any format, the digest its published label file has."""
    header = b"\x00\x00\x08\x01" + struct.pack(">I", len(labels))
    return hashlib.sha256(header + np.asarray(labels, np.uint8).tobytes()).hexdigest()


def recognise(ds: Dataset) -> Dataset:
    """``ds`` named ``"Fashion-MNIST (...)"`` with Fashion-MNIST's class names when its training and
    test labels are Fashion-MNIST's, one for one (the images may come in any format); else ``ds``.
    MNIST and every other digits data set keep their names and the digits."""
    if (labels_sha256(ds.y_train) != FASHION_SHA256["train_labels"]
            or labels_sha256(ds.y_test) != FASHION_SHA256["test_labels"]):
        return ds
    kind = re.search(r"\(([^()]*)\)$", ds.name)  # "fashion (IDX)" -> "IDX"
    name = f"{FASHION_NAME} ({kind.group(1)})" if kind else FASHION_NAME
    return dataclasses.replace(ds, name=name, class_names=FASHION_CLASS_NAMES)


def _class_names_path(path: Path) -> Path | None:
    """The ``class_names.txt`` that names the classes of the data at ``path``: in the folder of IDX
    files, or beside the CSV or npz file; None when there is none."""
    folder = path if stat.S_ISDIR(_stat(path).st_mode) else path.parent
    candidate = folder / CLASS_NAMES_FILE
    return candidate if _exists(candidate) else None


def read_class_names(path: str | os.PathLike) -> tuple[str, ...]:
    """The 10 class names in the text file ``path``: one per line, in label order (line 1 names label 0),
    each at most ``MAX_CLASS_NAME`` characters, all different. Blank lines at the end are ignored."""
    path = Path(path)
    with _open_regular(path) as f:
        raw = f.read(_MAX_CLASS_NAMES_BYTES + 1)
    if len(raw) > _MAX_CLASS_NAMES_BYTES:
        raise DataError(tr("{path} is larger than {limit} bytes; it should hold {n} class names, one per line").format(
            path=path, limit=format_int(_MAX_CLASS_NAMES_BYTES), n=N_CLASSES))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(tr("{path} is not UTF-8 text; it should hold {n} class names, one per line").format(
            path=path, n=N_CLASSES)) from None
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if len(lines) != N_CLASSES:
        raise DataError(tr("{path} has {lines} line(s); it needs exactly {n}, one class name per line "
                           "(line 1 names label 0)").format(path=path, lines=format_int(len(lines)), n=N_CLASSES))
    for line_no, name in enumerate(lines, start=1):
        if not name:
            raise DataError(tr("{path}, line {line}: is empty; every class needs a name").format(
                path=path, line=line_no))
        if len(name) > MAX_CLASS_NAME:
            raise DataError(tr("{path}, line {line}: the name is {length} characters long; "
                               "at most {limit} fit next to the images").format(
                path=path, line=line_no, length=format_int(len(name)), limit=MAX_CLASS_NAME))
        if not name.isprintable():
            raise DataError(tr("{path}, line {line}: the name holds control characters").format(
                path=path, line=line_no))
    repeated = next((name for i, name in enumerate(lines) if name in lines[:i]), None)
    if repeated is not None:
        raise DataError(tr("{path}: the name {name} is given to two classes; each class needs its own").format(
            path=path, name=repr(repeated)))
    return tuple(lines)


# ----------------------------------------------------------------------------------------- files

def _stat(path: Path) -> os.stat_result:
    """``os.stat(path)`` (following symbolic links); any failure is a DataError naming ``path``."""
    try:
        return os.stat(path)
    except OSError as e:
        raise _os_error(path, e) from e


def _exists(path: Path) -> bool:
    """Whether anything is at ``path``; a fault other than absence (no permission, a symlink loop) is a DataError."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR):
            return False
        raise _os_error(path, e) from e
    return True


def _os_error(path: Path, e: OSError) -> DataError:
    """The DataError for an OSError met while looking at, opening or reading ``path``."""
    if e.errno in (errno.ENOENT, errno.ENOTDIR):
        return DataError(tr("{path} not found").format(path=path))
    if e.errno == errno.ELOOP:
        return DataError(tr("{path} is a symbolic link loop (too many levels of symbolic links)").format(path=path))
    if e.errno in (errno.EACCES, errno.EPERM):
        return DataError(tr("cannot read {path}: permission denied").format(path=path))
    return DataError(tr("cannot read {path}: {reason}").format(path=path, reason=e.strerror or e))


def _require_regular(path: Path, info: os.stat_result) -> None:
    """Refuse anything but a regular file: a folder, a FIFO, a device or a socket where a data file belongs."""
    if stat.S_ISREG(info.st_mode):
        return
    if stat.S_ISDIR(info.st_mode):
        raise DataError(tr("{path} is a folder, not a data file").format(path=path))
    kind = next((name for is_kind, name in _SPECIAL_FILES if is_kind(info.st_mode)), N_("a special file"))
    raise DataError(tr("{path} is {kind}, not a regular file; expected a data file").format(path=path, kind=tr(kind)))


def _open_regular(path: Path) -> io.BufferedReader:
    """``path`` opened for binary reading, once it is known to be a regular file.

    Checked before opening, because opening a FIFO waits for a writer, i.e. forever; then opened
    non-blocking (no effect on a regular file) and checked again, in case the file was swapped between.
    """
    _require_regular(path, _stat(path))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise _os_error(path, e) from e
    file = os.fdopen(fd, "rb")
    try:
        _require_regular(path, os.fstat(fd))
    except DataError:
        file.close()
        raise
    return file


# ------------------------------------------------------------------------------------------- IDX

def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array in an IDX file (gzipped or not), uint8 with the shape its header declares.

    The array shares the file's bytes and is read-only; copy it to change it.
    """
    return _read_idx(Path(path))


def load_idx_folder(path: str | os.PathLike) -> Dataset:
    """A folder holding the four MNIST-layout IDX files, gzipped or raw.

    Accepted names are the canonical ones (``train-images-idx3-ubyte[.gz]``, ...) and the dotted
    variant some mirrors use (``train-images.idx3-ubyte``). Fashion-MNIST uses the same names.
    """
    folder = Path(path).expanduser()
    if not stat.S_ISDIR(_stat(folder).st_mode):
        raise DataError(tr("{folder} is not a folder").format(folder=folder))
    paths = _require_files({role: _find_idx_file(folder, stem) for role, stem in IDX_STEMS.items()}, folder)
    return _load_idx_set(paths, f"{folder.name} (IDX)", None)


def _find_idx_file(folder: Path, stem: str) -> Path | None:
    """The file in ``folder`` for this canonical stem, raw preferred (it is faster), or None.

    Whatever is there counts, so that a FIFO or a folder under the name is refused for what it is
    rather than reported missing.
    """
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, f"{stem}.gz", dotted, f"{dotted}.gz"):
        if _exists(folder / name):
            return folder / name
    return None


def _idx_role(filename: str) -> str | None:
    """The role (``"train_images"``, ...) of an IDX file name, or None if it is not one."""
    base = filename[:-3] if filename.endswith(".gz") else filename
    for role, stem in IDX_STEMS.items():
        if base in (stem, stem.replace("-idx", ".idx")):
            return role
    return None


def _require_files(paths: Mapping[str, Path | None], folder: Path) -> dict[str, Path]:
    """Raise one DataError naming every file of ``paths`` (role -> file, None if not found) that is missing;
    else return ``paths``, now known to hold no None."""
    missing = [f"{IDX_STEMS[role]}(.gz)" if path is None else path.name
               for role, path in paths.items() if path is None or not _exists(path)]
    if missing:
        raise DataError(tr("{folder} is missing {files}").format(folder=folder, files=", ".join(missing)))
    return {role: path for role, path in paths.items() if path is not None}


def _load_idx_set(paths: dict[str, Path], name: str, digests: dict[str, str] | None) -> Dataset:
    """Read the four files of ``paths`` (role -> file) into a Dataset, checking ``digests`` if given.

    Two threads: zlib, hashlib and NumPy release the GIL, so the 47 MB training images decompress
    on one while the other three files are read on the second.
    """
    readers = {"train_images": _idx_images, "train_labels": _idx_labels,
               "test_images": _idx_images, "test_labels": _idx_labels}
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = {role: pool.submit(read, paths[role], digests[role] if digests else None)
                for role, read in readers.items()}
        # In a fixed order, so that when several files are bad the first one is reported.
        arrays = {role: job.result() for role, job in jobs.items()}
    for split in ("train", "test"):
        images, labels = f"{split}_images", f"{split}_labels"
        if len(arrays[images]) != len(arrays[labels]):
            raise DataError(tr("count mismatch: {images_file} has {images} images "
                               "but {labels_file} has {labels} labels").format(
                images_file=paths[images], images=format_int(len(arrays[images])),
                labels_file=paths[labels], labels=format_int(len(arrays[labels]))))
        _require_rows(len(arrays[images]), str(paths[images]), split)
    return Dataset(arrays["train_images"], arrays["train_labels"], arrays["test_images"],
                   arrays["test_labels"], name=name)


def _idx_images(path: Path, sha256: str | None = None) -> np.ndarray:
    """An IDX file of 28x28 images -> (n, 784) float32 in [0, 1]."""
    array = _read_idx(path, sha256)
    if array.ndim != 3:
        raise DataError(tr("{path}: wrong IDX magic number for images: the header declares "
                           "{ndim} dimension(s), images need 3 (magic 0x00000803)").format(path=path, ndim=array.ndim))
    if array.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(tr("{path}: images are {rows}x{columns}, expected 28x28").format(
            path=path, rows=array.shape[1], columns=array.shape[2]))
    return _unit_float(array.reshape(len(array), N_PIXELS))


def _idx_labels(path: Path, sha256: str | None = None) -> np.ndarray:
    """An IDX file of labels -> (n,) int64, each 0..9."""
    array = _read_idx(path, sha256)
    if array.ndim != 1:
        raise DataError(tr("{path}: wrong IDX magic number for labels: the header declares "
                           "{ndim} dimensions, labels need 1 (magic 0x00000801)").format(path=path, ndim=array.ndim))
    return _checked_labels(array, str(path))


def _read_idx(path: Path, sha256: str | None = None) -> np.ndarray:
    """An IDX file, gzipped or raw -> read-only uint8 array shaped as its header declares.

    The header is checked before the data it promises is read (see ``_idx_data``), and the whole
    contents against ``sha256`` if given.
    """
    with _open_regular(path) as f:
        try:
            header, shape, data = _read_idx_file(f, path)
        except (zlib.error, EOFError, gzip.BadGzipFile) as e:
            raise DataError(tr("{path}: corrupt gzip data ({reason})").format(path=path, reason=e)) from e
        except OSError as e:  # a read error (EIO, ...) on a file that opened
            raise _os_error(path, e) from e
    if sha256 is not None:
        digest = hashlib.sha256(header)
        digest.update(data)
        if digest.hexdigest() != sha256:
            raise DataError(tr("{path} is damaged: the SHA-256 of its contents is {digest}, expected "
                               "{expected}. Restore the file or reinstall mnist-viz.").format(
                path=path, digest=digest.hexdigest(), expected=sha256))
    return np.frombuffer(data, dtype=np.uint8).reshape(shape)


def _read_idx_file(f: io.BufferedReader, path: Path) -> tuple[bytes, tuple[int, ...], bytes]:
    """(header bytes, shape, data bytes) of the open IDX file ``f``, gunzipped if it is gzip data."""
    gzipped = f.read(2) == _GZIP_MAGIC
    f.seek(0)
    if gzipped:
        with gzip.GzipFile(fileobj=f) as stream:
            header, shape = _idx_header(stream, path)
            return header, shape, _idx_data(stream, path, shape, None)
    if path.suffix == ".gz":
        raise DataError(tr("{path}: corrupt gzip file (it does not start with the gzip signature 1f 8b)").format(
            path=path))
    header, shape = _idx_header(f, path)
    return header, shape, _idx_data(f, path, shape, os.fstat(f.fileno()).st_size - len(header))


def _idx_header(stream: io.BufferedIOBase, path: Path) -> tuple[bytes, tuple[int, ...]]:
    """Read and check an IDX header: magic (0, 0, dtype code, ndim), then ndim big-endian uint32
    sizes -> (its bytes, the shape)."""
    magic = stream.read(4)
    if len(magic) < 4:
        raise DataError(tr("{path} is truncated: {size} bytes cannot hold an IDX header").format(
            path=path, size=len(magic)))
    if magic[0] or magic[1]:
        raise DataError(tr("{path} is not an IDX file: wrong magic number {magic} "
                           "(IDX files start with two zero bytes, e.g. 0x00000803 for images)").format(
            path=path, magic=f"0x{int.from_bytes(magic, 'big'):08X}"))
    dtype_code, ndim = magic[2], magic[3]
    if dtype_code != 0x08:
        kind = _IDX_DTYPE_NAMES.get(dtype_code, N_("not a valid IDX code"))
        raise DataError(tr("{path}: unsupported IDX dtype code {code} ({kind}); "
                           "only 0x08 (unsigned byte) is supported").format(
            path=path, code=f"0x{dtype_code:02X}", kind=tr(kind)))
    if ndim == 0:
        raise DataError(tr("{path}: wrong IDX magic number 0x00000800 (it declares no dimensions)").format(path=path))
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DataError(tr("{path} is truncated: {size} bytes, but its {ndim}-dimensional "
                           "IDX header alone needs {needed}").format(
            path=path, size=4 + len(sizes), ndim=ndim, needed=4 + 4 * ndim))
    return magic + sizes, struct.unpack(f">{ndim}I", sizes)


def _idx_data(stream: io.BufferedIOBase, path: Path, shape: tuple[int, ...], available: int | None) -> bytes:
    """The ``prod(shape)`` bytes of data that follow the header in ``stream``.

    A raw file's size gives the bytes ``available`` after the header, so a header promising more
    (or less) is refused before any data is read. Gzip data (None) has no size until decompressed:
    a promise above ``_MAX_IDX_BYTES`` is refused, and no more is decompressed than promised, plus
    ``_IDX_EXTRA_COUNTED`` to catch trailing data, so a gzip bomb goes off no further than that.
    """
    expected = math.prod(shape)
    if available is not None:
        _check_idx_size(path, shape, available)
    if expected > _MAX_IDX_BYTES:
        raise DataError(tr("{path}: its header promises {expected} bytes of data (shape {shape}), more than "
                           "the {limit} (1 GiB) this app loads from one IDX file").format(
            path=path, expected=format_int(expected), shape=shape, limit=format_int(_MAX_IDX_BYTES)))
    data = stream.read(expected)
    extra = len(stream.read(_IDX_EXTRA_COUNTED + 1))
    if extra > _IDX_EXTRA_COUNTED:
        raise DataError(tr("{path} has more than {extra} extra bytes after the {expected} bytes "
                           "of data its header promises (shape {shape})").format(
            path=path, extra=format_int(_IDX_EXTRA_COUNTED), expected=format_int(expected), shape=shape))
    _check_idx_size(path, shape, len(data) + extra)  # for a raw file again, in case it changed since its stat
    return data


def _check_idx_size(path: Path, shape: tuple[int, ...], present: int) -> None:
    """Refuse ``present`` bytes of IDX data other than the ``prod(shape)`` its header promises."""
    expected = math.prod(shape)
    if present < expected:
        raise DataError(tr("{path} is truncated: its header promises {expected} bytes of data "
                           "(shape {shape}), but only {present} are there").format(
            path=path, expected=format_int(expected), shape=shape, present=format_int(present)))
    if present > expected:
        raise DataError(tr("{path} has {extra} extra bytes after the {expected} bytes "
                           "of data its header promises (shape {shape})").format(
            path=path, extra=format_int(present - expected), expected=format_int(expected), shape=shape))


# ------------------------------------------------------------------------------------------- CSV

def load_kaggle_csv(path: str | os.PathLike, dev_rows: int = 1000) -> Dataset:
    """Kaggle Digit Recognizer ``train.csv``: a header row, then a label and 784 pixels (0..255) a row.

    Kaggle's test.csv has no labels, so, as the classic from-scratch tutorial does, the first
    ``dev_rows`` rows become the test ("dev") split and the rest the training split.
    """
    path = Path(path).expanduser()
    dev_rows = _whole_number(dev_rows, "dev_rows")
    if dev_rows < 0:
        raise DataError(tr("dev_rows={rows} is negative").format(rows=dev_rows))
    header_lines = _csv_header_lines(path)
    table = _csv_table(path, header_lines)  # (rows, 785)
    _check_csv_values(table, path, header_lines)
    if dev_rows >= len(table):
        raise DataError(tr("dev_rows={rows} leaves no training rows: {path} has {n} data rows").format(
            rows=dev_rows, path=path, n=format_int(len(table))))
    x, y = _unit_float(table[:, 1:]), table[:, 0].astype(np.int64)
    return Dataset(x[dev_rows:], y[dev_rows:], x[:dev_rows], y[:dev_rows], name=f"{path.name} (Kaggle)")


def _csv_header_lines(path: Path) -> int:
    """1 if the file starts with a header row (checking its width), 0 if it starts with data."""
    with _csv_text(path) as f:
        lines = _csv_lines(f, path)
        first, second = next(lines, ""), next(lines, "")
    if not first.strip():
        raise DataError((tr("{path} is empty") if not second
                         else tr("{path}, line 1: is empty (expected a header row)")).format(path=path))
    cells = first.rstrip("\r\n").split(",")
    if _is_number(cells[0]):
        return 0
    if len(cells) != _CSV_COLUMNS:
        raise DataError(tr("{path}, line 1 (header): found {columns} columns, expected 785 "
                           "(a label, then 784 pixels)").format(path=path, columns=len(cells))
                        + _test_csv_hint(len(cells)))
    if not second.strip():
        raise DataError(tr("{path} is empty apart from its header row").format(path=path))
    return 1


def _csv_table(path: Path, header_lines: int) -> np.ndarray:
    """The data rows as a (rows, 785) array: int16 normally, float32 if some cells are not integers."""
    try:
        table = _loadtxt(path, header_lines, np.int16)  # fast path: C parser, whole numbers
    except DataError:  # a line too long, too many lines: nothing a second look would explain better
        raise
    except ValueError:
        # loadtxt's message is vague about where; scan the text to name the line, column and cell.
        fault = _find_csv_fault(path, header_lines)
        if fault:
            raise DataError(fault) from None
        try:  # every cell is a number, just not a small whole one ("0.5", "1e3", "70000")
            table = _loadtxt(path, header_lines, np.float32)
        except DataError:
            raise
        except ValueError as e:
            raise DataError(tr("{path}: cannot be read as CSV ({reason})").format(path=path, reason=e)) from e
    if table.shape[1] != _CSV_COLUMNS:
        raise DataError(tr("{path}, line {line}: found {columns} columns, expected 785 "
                           "(a label, then 784 pixels)").format(path=path, line=header_lines + 1,
                                                                columns=table.shape[1])
                        + _test_csv_hint(table.shape[1]))
    return table


def _loadtxt(path: Path, header_lines: int, dtype: type[np.number]) -> np.ndarray:
    """The data rows of the CSV as a (rows, columns) array of ``dtype``, by NumPy's C parser."""
    with _csv_text(path) as f:
        return np.loadtxt(_csv_lines(f, path), dtype=dtype, delimiter=",", skiprows=header_lines,
                          comments=None, ndmin=2)


def _csv_text(path: Path) -> io.TextIOWrapper:
    """The regular file ``path`` opened as text; undecodable bytes become U+FFFD, reported as cells that are
    not numbers."""
    return io.TextIOWrapper(_open_regular(path), encoding="utf-8-sig", errors="replace")


def _csv_lines(f: io.TextIOWrapper, path: Path) -> Iterator[str]:
    """The lines of ``f``, each read no further than ``_MAX_CSV_LINE`` characters, so that one huge line is
    refused without being read into memory; and at most ``_MAX_CSV_ROWS`` of them after a header."""
    for line_no in itertools.count(1):
        try:
            line = f.readline(_MAX_CSV_LINE + 1)
        except OSError as e:  # a read error (EIO, ...) on a file that opened
            raise _os_error(path, e) from e
        if not line:
            return
        if len(line.rstrip("\r\n")) > _MAX_CSV_LINE:
            raise DataError(tr("{path}, line {line}: longer than {limit} characters; a row of "
                               "785 numbers (a label, then 784 pixels) takes a few thousand").format(
                path=path, line=line_no, limit=format_int(_MAX_CSV_LINE)))
        if line_no > _MAX_CSV_ROWS + 1:
            raise DataError(tr("{path}, line {line}: the file goes on past {limit} rows, the most "
                               "this app loads from one CSV file").format(
                path=path, line=line_no, limit=format_int(_MAX_CSV_ROWS)))
        yield line


def _find_csv_fault(path: Path, header_lines: int) -> str | None:
    """Describe the first data line with the wrong width or a non-numeric cell, or None."""
    with _csv_text(path) as f:
        for line_no, line in enumerate(_csv_lines(f, path), start=1):
            line = line.rstrip("\r\n")
            if line_no <= header_lines or not line:  # loadtxt skips empty lines too
                continue
            if _CSV_PLAIN_LINE.fullmatch(line) and line.count(",") == _CSV_COLUMNS - 1:
                continue  # the common case, checked at C speed
            cells = line.split(",")
            if len(cells) != _CSV_COLUMNS:
                return (tr("{path}, line {line}: found {columns} columns, expected 785 "
                           "(a label, then 784 pixels)").format(path=path, line=line_no, columns=len(cells))
                        + _test_csv_hint(len(cells)))
            for column, cell in enumerate(cells, start=1):
                if not _is_number(cell):
                    return tr("{path}, line {line}, column {column}: cell {cell} is not a number").format(
                        path=path, line=line_no, column=column, cell=repr(cell))
    return None


def _check_csv_values(table: np.ndarray, path: Path, header_lines: int) -> None:
    """Labels must be whole numbers 0..9 and pixels 0..255; name the first offender's line and column."""
    labels, pixels = table[:, 0], table[:, 1:]
    bad_label = ~((labels >= 0) & (labels < N_CLASSES) & (labels == np.round(labels)))  # NaN is bad
    if bad_label.any():
        row = int(np.argmax(bad_label))
        value = float(labels[row])
        fault = (tr("{path}, line {line}, column 1: label {value} is not a whole number") if 0 <= value < N_CLASSES
                 else tr("{path}, line {line}, column 1: label {value} is outside 0-9"))
        raise DataError(fault.format(path=path, line=_csv_line_of_row(path, header_lines, row), value=f"{value:g}"))
    bad_pixel = ~((pixels >= 0) & (pixels <= 255))
    if bad_pixel.any():
        row, column = (int(i) for i in np.unravel_index(int(np.argmax(bad_pixel)), bad_pixel.shape))
        raise DataError(tr("{path}, line {line}, column {column}: pixel value {value} is outside 0-255").format(
            path=path, line=_csv_line_of_row(path, header_lines, row), column=column + 2,
            value=f"{float(pixels[row, column]):g}"))


def _csv_line_of_row(path: Path, header_lines: int, row: int) -> int:
    """1-based line number of data row ``row`` (0-based), counting the empty lines loadtxt skipped."""
    seen = -1
    with _csv_text(path) as f:
        for line_no, line in enumerate(_csv_lines(f, path), start=1):
            if line_no > header_lines and line.rstrip("\r\n"):
                seen += 1
                if seen == row:
                    return line_no
    return header_lines + row + 1  # not reached for a row loadtxt produced


def _test_csv_hint(columns: int) -> str:
    return tr("; Kaggle's test.csv has no labels, use train.csv") if columns == N_PIXELS else ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------------------------------- npz

def load_npz(path: str | os.PathLike) -> Dataset:
    """A Keras-style ``mnist.npz``: ``x_train``, ``y_train``, ``x_test``, ``y_test`` (and optionally
    ``x_val``, ``y_val``).

    Images may be (n, 28, 28) or (n, 784); uint8 or other integers are scaled from 0..255, floats
    are taken as already in [0, 1] if none exceeds 1, else scaled from 0..255.
    """
    path = Path(path).expanduser()
    arrays = _npz_arrays(path)
    splits = {}
    for split in ("train", "test", "val"):
        if f"x_{split}" not in arrays:
            continue
        x = _npz_images(arrays[f"x_{split}"], f"{path} x_{split}")
        y = _npz_labels(arrays[f"y_{split}"], f"{path} y_{split}")
        if len(x) != len(y):
            raise DataError(tr("{path}: count mismatch: x_{split} has {images} images "
                               "but y_{split} has {labels} labels").format(
                path=path, split=split, images=format_int(len(x)), labels=format_int(len(y))))
        if split != "val":
            _require_rows(len(x), f"{path} x_{split}", split)
        splits[split] = (x, y)
    name = f"{path.name} (npz)"
    if "val" in splits:
        return Dataset(*splits["train"], *splits["test"], *splits["val"], name=name)
    return Dataset(*splits["train"], *splits["test"], name=name)  # Dataset makes the empty validation split


def _npz_arrays(path: Path) -> dict[str, np.ndarray]:
    """The required (and any validation) arrays of the archive, each checked from its .npy header
    before it is read, and read without pickle."""
    with _open_regular(path) as f:
        if f.read(4) not in _ZIP_MAGICS:
            raise DataError(tr("{path} is not a zip/npz archive (it does not start with the zip signature)").format(
                path=path))
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as archive:
                members = _npz_members(archive, path)
                _check_npz_headers(archive, members, path)
                return {key: _read_npy(archive, name) for key, name in members.items()}
        except DataError:
            raise
        except ValueError as e:  # read_array: less data than the header promises
            raise DataError(tr("{path} is a corrupt npz archive ({reason})").format(path=path, reason=e)) from e
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
            raise DataError(tr("{path} is not a readable zip/npz archive ({reason})").format(
                path=path, reason=e)) from e


def _npz_members(archive: zipfile.ZipFile, path: Path) -> dict[str, str]:
    """Key -> archive member of the required (and any validation) arrays; as with ``np.load``, the key
    ``x_train`` is the member ``x_train.npy``."""
    present = {name.removesuffix(".npy"): name for name in archive.namelist()}
    wanted = _NPZ_REQUIRED + (("x_val", "y_val") if {"x_val", "y_val"} & present.keys() else ())
    missing = [key for key in wanted if key not in present]
    if missing:
        raise DataError(tr("{path} is missing the key(s) {missing} (it has: {present})").format(
            path=path, missing=", ".join(missing), present=", ".join(sorted(present)) or tr("nothing")))
    return {key: present[key] for key in wanted}


def _check_npz_headers(archive: zipfile.ZipFile, members: dict[str, str], path: Path) -> None:
    """Refuse, from the .npy headers alone, arrays that are not images or labels of digits or that
    would take too much memory: nothing has been allocated for them yet."""
    total = 0
    for key, name in members.items():
        shape, dtype = _npy_header(archive, name, f"{path}: {key}")
        if dtype.hasobject:
            raise DataError(tr("{path} holds object arrays ({key}), which could run code when loaded (pickle); "
                               "refusing to load them").format(path=path, key=key))
        (_check_npy_images if key.startswith("x_") else _check_npy_labels)(shape, dtype, f"{path} {key}")
        if shape[0] > _MAX_NPZ_ROWS:
            raise DataError(tr("{path} {key}: its header promises {rows} rows, more than the "
                               "{limit} this app loads").format(
                path=path, key=key, rows=format_int(shape[0]), limit=format_int(_MAX_NPZ_ROWS)))
        total += math.prod(shape) * dtype.itemsize
    if total > _MAX_NPZ_BYTES:
        raise DataError(tr("{path}: its arrays would take {total} bytes, more than the {limit} (2 GiB) "
                           "this app loads from one npz archive").format(
            path=path, total=format_int(total), limit=format_int(_MAX_NPZ_BYTES)))


def _npy_header(archive: zipfile.ZipFile, name: str, source: str) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) from the .npy header of the archive member ``name``, without reading its data."""
    with archive.open(name) as member:
        # A bounded read: numpy reads as long a header as the file claims before it refuses one.
        head = io.BytesIO(member.read(_NPY_HEADER_READ))
    try:
        version = np.lib.format.read_magic(head)
    except ValueError:
        raise DataError(tr("{source} is not a NumPy array").format(source=source)) from None
    read_header = _NPY_HEADERS.get(version)
    if read_header is None:
        raise DataError(tr("{source} is a .npy of format version {version}; expected 1.0 or 2.0").format(
            source=source, version=f"{version[0]}.{version[1]}"))
    try:
        shape, _fortran_order, dtype = read_header(head)
    except ValueError as e:
        first_line = str(e).partition("\n")[0]  # numpy's message for a long header runs to several lines
        raise DataError(tr("{source} has an unreadable .npy header ({header})").format(
            source=source, header=first_line)) from e
    return shape, dtype


def _check_npy_images(shape: tuple[int, ...], dtype: np.dtype, source: str) -> None:
    """Images must be (n, 28, 28) or (n, 784) real numbers."""
    square = len(shape) == 3 and shape[1:] == (IMAGE_SIDE, IMAGE_SIDE)
    if not (square or (len(shape) == 2 and shape[1] == N_PIXELS)):
        raise DataError(tr("{source}: images of shape {shape} are not 28x28; expected (n, 28, 28) or (n, 784)").format(
            source=source, shape=shape))
    if not _is_real(dtype):
        raise DataError(tr("{source}: images of dtype {dtype} are not numbers; expected uint8 or float").format(
            source=source, dtype=dtype))


def _check_npy_labels(shape: tuple[int, ...], dtype: np.dtype, source: str) -> None:
    """Labels must be (n,) or (n, 1) real numbers (``_checked_labels`` sees that they are digits)."""
    if not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
        raise DataError(tr("{source}: labels of shape {shape}; expected (n,) digits 0-9").format(
            source=source, shape=shape))
    if not _is_real(dtype):
        raise DataError(tr("{source}: labels of dtype {dtype}; expected integers 0-9").format(
            source=source, dtype=dtype))


def _read_npy(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    """The array in the archive member ``name``, whose header has been checked."""
    with archive.open(name) as member:
        return np.lib.format.read_array(member, allow_pickle=False)


def _npz_images(x: np.ndarray, source: str) -> np.ndarray:
    """(n, 28, 28) or (n, 784) integer or float images -> (n, 784) float32 in [0, 1]."""
    flat = x.reshape(len(x), N_PIXELS)
    if flat.dtype == np.uint8:
        return _unit_float(flat)
    bad = ~((flat >= 0) & (flat <= 255))  # written so that NaN counts as bad
    if bad.any():
        image, pixel = np.unravel_index(int(np.argmax(bad)), bad.shape)
        raise DataError(tr("{source}: pixel value {value} (image {image}) is outside 0-255").format(
            source=source, value=f"{float(flat[image, pixel]):g}", image=image))
    if np.issubdtype(flat.dtype, np.floating) and (flat.size == 0 or flat.max() <= 1):
        return np.array(flat, dtype=np.float32, order="C")  # already scaled to [0, 1]
    return _unit_float(flat)


def _npz_labels(y: np.ndarray, source: str) -> np.ndarray:
    """(n,) or (n, 1) whole-number labels -> (n,) int64, each 0..9."""
    return _checked_labels(y.reshape(len(y)), source)


# ---------------------------------------------------------------------------------- conversions

def _unit_float(pixels: np.ndarray) -> np.ndarray:
    """(n, 784) pixels in 0..255, any real dtype -> new C-contiguous (n, 784) float32 in [0, 1]."""
    out = np.empty(pixels.shape, dtype=np.float32)
    # Dividing (rather than multiplying by 1/255) gives exactly x / 255 as the tutorials compute
    # it, 255 -> 1.0, at the same speed; `out` avoids a float64 temporary.
    np.divide(pixels, np.float32(255), out=out, dtype=np.float32)
    return out


def _checked_labels(labels: np.ndarray, source: str) -> np.ndarray:
    """(n,) integer or float labels -> new (n,) int64 array, after checking each is a digit 0..9."""
    # Checked before the cast, which would turn NaN, 1e30 or 2.5 into some other number silently.
    bad = np.flatnonzero(~((labels >= 0) & (labels < N_CLASSES)))  # NaN counts as bad
    if bad.size:
        raise DataError(tr("{source}: label {value} at index {index} is outside 0-9 ({count} such label(s))").format(
            source=source, value=f"{float(labels[bad[0]]):g}", index=bad[0], count=format_int(bad.size)))
    if np.issubdtype(labels.dtype, np.floating):
        fractional = np.flatnonzero(labels != np.round(labels))
        if fractional.size:
            raise DataError(tr("{source}: label {value} at index {index} is not a whole number").format(
                source=source, value=f"{float(labels[fractional[0]]):g}", index=fractional[0]))
    return labels.astype(np.int64)


def _require_rows(n: int, source: str, split: str) -> None:
    """Refuse an empty ``"train"`` or ``"test"`` split: training divides by the size of the one,
    evaluation by the size of the other."""
    if n == 0:
        fault = (tr("{source} holds no training images (0 rows); there must be at least one") if split == "train"
                 else tr("{source} holds no test images (0 rows); there must be at least one"))
        raise DataError(fault.format(source=source))


def _is_real(dtype: np.dtype) -> bool:
    """Integer or floating point (numpy's bool is neither)."""
    return np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)


def _whole_number(value, name: str) -> int:
    """``value`` as an int (numpy integers welcome), or a DataError naming it."""
    if isinstance(value, bool):
        raise DataError(tr("{name}={value} is not a whole number").format(name=name, value=repr(value)))
    try:
        return operator.index(value)
    except TypeError:
        raise DataError(tr("{name}={value} is not a whole number").format(name=name, value=repr(value))) from None


# --------------------------------------------------------------------------------------- splits

def with_validation(ds: Dataset, n: int = 0, fraction: float = 0.0, seed: int | None = None) -> Dataset:
    """Hold out training rows as a validation split.

    ``n`` rows, or ``fraction`` of the training rows (rounded), are taken from the END of the
    training set, or, if ``seed`` is given, chosen by a permutation seeded with it (both parts
    keep their original order). With ``n`` and ``fraction`` both 0, ``ds`` is returned unchanged.
    """
    n = _whole_number(n, "n")
    try:
        fraction = float(fraction)
    except (TypeError, ValueError):
        raise DataError(tr("fraction={fraction} is not a number").format(fraction=repr(fraction))) from None
    if n < 0:
        raise DataError(tr("n={n} is negative").format(n=n))
    if not 0.0 <= fraction < 1.0:  # also rejects NaN
        raise DataError(tr("fraction={fraction} is outside [0, 1)").format(fraction=fraction))
    if n and fraction:
        raise DataError(tr("give n or fraction, not both (n={n}, fraction={fraction})").format(n=n, fraction=fraction))
    if not n and not fraction:
        return ds
    if fraction:
        n = round(fraction * ds.n_train)
        if n == 0:
            raise DataError(tr("fraction={fraction} of {rows} training rows is no rows at all").format(
                fraction=fraction, rows=format_int(ds.n_train)))
    if n >= ds.n_train:
        what = (tr("n={n} would leave no training rows (there are {rows})") if not fraction
                else tr("fraction={fraction} ({n} rows) would leave no training rows (there are {rows})"))
        raise DataError(what.format(n=n, fraction=fraction, rows=format_int(ds.n_train)))
    if ds.n_val:
        raise DataError(tr("{name} already has a validation split of {rows} rows").format(
            name=ds.name, rows=format_int(ds.n_val)))
    if seed is None:
        # Slices are views: no copy of the training images.
        return dataclasses.replace(ds, x_train=ds.x_train[:-n], y_train=ds.y_train[:-n],
                                   x_val=ds.x_train[-n:], y_val=ds.y_train[-n:])
    is_val = np.zeros(ds.n_train, dtype=bool)
    is_val[np.random.default_rng(seed).permutation(ds.n_train)[:n]] = True
    return dataclasses.replace(ds, x_train=ds.x_train[~is_val], y_train=ds.y_train[~is_val],
                               x_val=ds.x_train[is_val], y_val=ds.y_train[is_val])


def subset(ds: Dataset, n_train: int) -> Dataset:
    """``ds`` with only its first ``n_train`` training rows (views, no copy); the other splits are kept."""
    n_train = _whole_number(n_train, "n_train")
    if n_train < 1:
        raise DataError(tr("n_train={n} must be at least 1").format(n=n_train))
    if n_train > ds.n_train:
        raise DataError(tr("n_train={n} exceeds the {rows} training rows of {name}").format(
            n=n_train, rows=format_int(ds.n_train), name=ds.name))
    return dataclasses.replace(ds, x_train=ds.x_train[:n_train], y_train=ds.y_train[:n_train])
