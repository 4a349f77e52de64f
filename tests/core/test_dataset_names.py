"""Datasets with names of their own: class_names.txt, Fashion-MNIST recognised by its labels, the
installed Fashion-MNIST verified like the bundled MNIST, sessions that record their dataset, and
``mnist-viz --data``."""
import dataclasses
import gzip
import hashlib
import os
import struct

import numpy as np
import pytest

from mnist_viz import cli
from mnist_viz.core import checkpoint, data
from mnist_viz.core.checkpoint_check import CheckpointError
from mnist_viz.core.data import (
    BUNDLED_SHA256,
    DIGIT_NAMES,
    FASHION_CLASS_NAMES,
    DataError,
    labels_sha256,
    load_dataset,
    read_class_names,
)
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer

NAMES = ("cat", "dog", "bird", "fish", "frog", "horse", "ship", "truck", "plane", "car")


def tiny_arrays(seed=0, n_train=40, n_test=20):
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, n_test).astype(np.uint8)}


def write_npz(folder, name="tiny.npz", seed=0):
    path = folder / name
    np.savez(path, **tiny_arrays(seed))
    return path


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file written by hand from its spec: magic 0x0000 08 ndim, big-endian sizes, the bytes."""
    return bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape) + array.tobytes()


def write_idx_folder(folder, arrays):
    """The four gzipped IDX files; returns the SHA-256 of each uncompressed file, by role."""
    folder.mkdir(exist_ok=True)
    digests = {}
    for role, key in (("train_images", "x_train"), ("train_labels", "y_train"), ("test_images", "x_test"),
                      ("test_labels", "y_test")):
        raw = idx_bytes(arrays[key])
        (folder / f"{data.IDX_STEMS[role]}.gz").write_bytes(gzip.compress(raw))
        digests[role] = hashlib.sha256(raw).hexdigest()
    return digests


# ------------------------------------------------------------------ class_names.txt

def test_class_names_beside_an_npz_name_its_classes(tmp_path):
    path = write_npz(tmp_path)
    (tmp_path / "class_names.txt").write_text("\n".join(NAMES) + "\n\n")  # blank lines at the end are fine
    ds = load_dataset(path)
    assert ds.class_names == NAMES and ds.names_classes
    assert ds.name == "tiny.npz (npz)"


def test_class_names_in_an_idx_folder(tmp_path):
    write_idx_folder(tmp_path / "pets", tiny_arrays())
    (tmp_path / "pets" / "class_names.txt").write_text("\r\n".join(NAMES), encoding="utf-8")
    assert load_dataset(tmp_path / "pets").class_names == NAMES


def test_without_class_names_the_classes_are_the_digits(tmp_path):
    ds = load_dataset(write_npz(tmp_path))
    assert ds.class_names == tuple("0123456789") and not ds.names_classes


@pytest.mark.parametrize("text,message", [
    ("\n".join(NAMES[:9]), "has 9 line(s); it needs exactly 10"),
    ("\n".join(NAMES + ("extra",)), "has 11 line(s)"),
    ("\n".join(NAMES[:4] + ("  ",) + NAMES[5:]), "line 5: is empty"),
    ("\n".join(NAMES[:2] + ("x" * 41,) + NAMES[3:]), "line 3: the name is 41 characters long; at most 40"),
    ("\n".join(("cat",) + NAMES[1:9] + ("cat",)), "the name 'cat' is given to two classes"),
    ("", "has 0 line(s)"),
])
def test_bad_class_names_files_are_refused_with_the_line(tmp_path, text, message):
    path = write_npz(tmp_path)
    (tmp_path / "class_names.txt").write_text(text)
    with pytest.raises(DataError, match=r"class_names\.txt") as e:
        load_dataset(path)
    assert message in str(e.value)


def test_a_class_names_file_that_is_not_text_or_too_large_or_a_fifo(tmp_path):
    names = tmp_path / "class_names.txt"
    names.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(DataError, match="is not UTF-8 text"):
        read_class_names(names)
    names.write_text("a\n" * 5000)
    with pytest.raises(DataError, match="is larger than 4,096 bytes"):
        read_class_names(names)
    names.unlink()
    os.mkfifo(names)
    with pytest.raises(DataError, match="FIFO"):  # refused at once: opening a FIFO would wait forever
        load_dataset(write_npz(tmp_path))


def test_a_dataset_refuses_class_names_that_are_not_ten_strings(small):
    with pytest.raises(ValueError, match="class_names must be 10 non-empty strings"):
        dataclasses.replace(small, class_names=("a", "b"))
    assert dataclasses.replace(small, class_names=list(NAMES)).class_names == NAMES  # kept as a tuple


# ------------------------------------------------------------------ Fashion-MNIST

def test_labels_digest_is_the_published_digest_of_mnists_label_files(mnist):
    # BUNDLED_SHA256 are the published SHA-256 of MNIST's uncompressed label files
    assert labels_sha256(mnist.y_train) == BUNDLED_SHA256["train_labels"]
    assert labels_sha256(mnist.y_test) == BUNDLED_SHA256["test_labels"]


def test_fashion_mnist_is_recognised_by_its_labels_in_any_format(tmp_path, monkeypatch):
    arrays = tiny_arrays(seed=3)
    digests = write_idx_folder(tmp_path / "clothes", arrays)
    monkeypatch.setitem(data.FASHION_SHA256, "train_labels", digests["train_labels"])
    monkeypatch.setitem(data.FASHION_SHA256, "test_labels", digests["test_labels"])
    idx = load_dataset(tmp_path / "clothes")
    assert (idx.name, idx.class_names) == ("Fashion-MNIST (IDX)", FASHION_CLASS_NAMES)
    np.savez(tmp_path / "clothes.npz", **arrays)  # the same labels as an npz
    assert load_dataset(tmp_path / "clothes.npz").name == "Fashion-MNIST (npz)"
    other = write_npz(tmp_path, "other.npz", seed=4)  # other labels: digits, its own name
    assert (load_dataset(other).name, load_dataset(other).class_names) == ("other.npz (npz)", DIGIT_NAMES)


def test_a_class_names_file_wins_over_recognition(tmp_path, monkeypatch):
    arrays = tiny_arrays(seed=3)
    digests = write_idx_folder(tmp_path / "clothes", arrays)
    monkeypatch.setitem(data.FASHION_SHA256, "train_labels", digests["train_labels"])
    monkeypatch.setitem(data.FASHION_SHA256, "test_labels", digests["test_labels"])
    (tmp_path / "clothes" / "class_names.txt").write_text("\n".join(NAMES))
    assert load_dataset(tmp_path / "clothes").class_names == NAMES


def test_the_installed_fashion_mnist_is_verified_like_the_bundled_mnist(tmp_path, monkeypatch):
    folder = tmp_path / "fashion-mnist"  # a folder of its own: the cache (shared with MNIST) is left alone
    digests = write_idx_folder(folder, tiny_arrays(seed=5))
    monkeypatch.setattr(data, "FASHION_DIRS", (folder,))
    monkeypatch.setattr(data, "FASHION_SHA256", digests)
    ds = load_dataset("fashion-mnist")
    assert (ds.name, ds.class_names, ds.n_train) == ("Fashion-MNIST (installed)", FASHION_CLASS_NAMES, 40)
    assert not ds.x_train.flags.writeable
    damaged_folder = tmp_path / "damaged"
    damaged = tiny_arrays(seed=5)
    damaged["x_test"][0, 0, 0] ^= 1
    write_idx_folder(damaged_folder, damaged)
    monkeypatch.setattr(data, "FASHION_DIRS", (damaged_folder,))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz is damaged"):
        data.load_fashion_mnist()


def test_fashion_mnist_not_installed_says_where_it_looked_and_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "FASHION_DIRS", (tmp_path / "nowhere",))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"Fashion-MNIST is not installed here .*nowhere.*dataset-fashion-mnist"):
        load_dataset("fashion-mnist")


# ------------------------------------------------------------------ sessions

def names_dataset(small, names=NAMES, name="pets (IDX)"):
    return dataclasses.replace(small, name=name, class_names=names)


def test_a_session_records_its_dataset_and_class_names(small, tmp_path):
    path = tmp_path / "run.npz"
    checkpoint.save_checkpoint(Trainer(names_dataset(small), Settings(hidden=(8,))), path)
    assert checkpoint.read_session_data(path) == ("pets (IDX)", NAMES)


def test_a_session_of_other_classes_is_refused_and_the_trainer_is_untouched(small, tmp_path):
    path = tmp_path / "run.npz"
    checkpoint.save_checkpoint(Trainer(names_dataset(small), Settings(hidden=(8,))), path)
    digits = Trainer(small, Settings(hidden=(8,)))
    before = [p.copy() for p in digits.net.params]
    with pytest.raises(CheckpointError, match=r"was trained on pets \(IDX\) \(cat, dog, bird, …\), but the data "
                                              r"open now, MNIST \(bundled\), has other classes \(digits 0-9\)"):
        checkpoint.load_checkpoint(digits, path)
    assert all(np.array_equal(a, b) for a, b in zip(before, digits.net.params))


def test_a_session_of_the_same_classes_under_another_name_loads_with_a_note(small, tmp_path):
    path = tmp_path / "run.npz"
    trained = Trainer(names_dataset(small), Settings(hidden=(8,)))
    trained.train(iterations=3)
    checkpoint.save_checkpoint(trained, path)
    other = Trainer(names_dataset(small, name="pets.npz (npz)"), Settings(hidden=(8,)))
    checkpoint.load_checkpoint(other, path)
    assert other.step_count == 3
    note = checkpoint.session_data_note("pets (IDX)", other.data)
    assert note == "it was trained on pets (IDX); it goes on with pets.npz (npz)"
    assert checkpoint.session_data_note("pets (IDX)", names_dataset(small)) == ""


def test_an_older_session_without_the_dataset_is_taken_as_mnist(small, tmp_path):
    path = tmp_path / "old.npz"
    trainer = Trainer(small, Settings(hidden=(8,)))
    checkpoint.save_state(trainer.state_dict(), path, trainer.n_train, 784)  # as before: no dataset recorded
    assert checkpoint.read_session_data(path) == ("MNIST", DIGIT_NAMES)
    checkpoint.load_checkpoint(Trainer(small, Settings(hidden=(8,))), path)  # digits: loads as before
    assert checkpoint.session_data_note("MNIST", small) == ""  # small is named "MNIST (bundled)"
    with pytest.raises(CheckpointError, match="was trained on MNIST"):
        checkpoint.load_checkpoint(Trainer(names_dataset(small, FASHION_CLASS_NAMES), Settings(hidden=(8,))), path)


@pytest.mark.parametrize("record", [{"name": 5}, {"class_names": ["a"] * 9}, {"class_names": "abc"},
                                    {"class_names": ["x" * 41] + ["a"] * 9}])
def test_a_malformed_dataset_record_is_a_checkpoint_error(record):
    with pytest.raises(CheckpointError, match="metadata is inconsistent: data"):
        checkpoint.session_data({"data": record}, "s.npz")


# ------------------------------------------------------------------ mnist-viz --data

@pytest.mark.parametrize("argv,expected", [(["--data", "/x/fashion"], "/x/fashion"),
                                           (["gui", "--data", "/y"], "/y"), (["--data", "/z", "gui"], "/z"),
                                           ([], None)])
def test_the_window_gets_data_from_either_spelling(monkeypatch, argv, expected):
    import mnist_viz.gui.app as app  # no Qt: app imports it only when the window opens

    seen = []
    monkeypatch.setattr(app, "run_app", lambda data_path=None: seen.append(data_path) or 0)
    assert cli.main(argv) == 0
    assert seen == [expected]


def test_data_before_another_command_is_refused(capsys):
    assert cli.main(["--data", "/x", "presets"]) == cli.EXIT_BAD_INPUT
    assert "--data before `presets` is for the window only" in capsys.readouterr().err


def test_an_empty_data_path_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--data", " "])
    assert e.value.code == cli.EXIT_BAD_INPUT
    assert "--data: needs a file or folder path" in capsys.readouterr().err
