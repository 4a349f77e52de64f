"""Session files from a stranger (issue 10): every crafted fault gets one clear message naming the
file, nothing large is allocated, and the running session is untouched."""
import io
import json
import os
import resource
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from mnist_viz.cli import main
from mnist_viz.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


@pytest.fixture
def trained(small):
    tr = Trainer(small, Settings(hidden=(16,), optimizer="adam"))
    tr.train(iterations=30)
    tr.record_evaluation()
    return tr


@pytest.fixture
def good_file(trained, tmp_path):
    return save_checkpoint(trained, tmp_path / "good.npz")


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def npy_header_only(shape: tuple, dtype: str = "<f4") -> bytes:
    """A .npy header promising ``shape`` followed by a few bytes of data: a file that lies."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + b"\0" * 64


def write_zip(path, entries: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def meta_of(entries: dict[str, bytes]) -> dict:
    return json.loads(np.load(io.BytesIO(entries["meta.npy"])).tobytes().decode())


def with_meta(entries: dict[str, bytes], change) -> dict[str, bytes]:
    meta = meta_of(entries)
    change(meta)
    return {**entries, "meta.npy": npy_bytes(np.frombuffer(json.dumps(meta).encode(), np.uint8))}


def _set(keys, value):
    def change(meta):
        d = meta
        for key in keys[:-1]:
            d = d[key]
        d[keys[-1]] = value
    return change


META_FAULTS = {
    "n_params of 10^9": (_set(["n_params"], 10**9), "n_params is 1000000000"),
    "a count that is a string": (_set(["counters", "step_count"], "12"), "counters.step_count is str"),
    "a negative count": (_set(["counters", "samples_seen"], -5), "counters.samples_seen is -5"),
    "a negative cursor": (_set(["counters", "cursor"], -1), "counters.cursor is -1"),
    "a cursor past the data": (_set(["counters", "cursor"], 10**7), "counters.cursor is 10000000"),
    "a stride of 0": (_set(["history", "steps_stride"], 0), "history.steps_stride is 0"),
    "3,000 markers": (_set(["history", "markers"], [[0, 0.0, 0, "x"]] * 3000), "at most 2,000 markers"),
    "10^6 markers (18 MB of metadata)": (_set(["history", "markers"], [[0, 0.0, 0, "x"]] * 10**6), "at most 16 MB"),
    "a 10 MB marker label": (_set(["history", "markers"], [[1, 0.1, 64, "x" * 10**7]]), "at most 200 characters"),
    "a marker that is not a list": (_set(["history", "markers"], ["lr 0.1"]), "is not [step, epoch, samples, label]"),
    "a setting of the wrong type": (_set(["settings", "lr"], "fast"), "settings:"),
    "an unknown setting": (_set(["settings", "turbo"], True), "unknown setting"),
    "100 hidden layers": (_set(["settings", "hidden"], [4] * 100), "1 to 8 layer sizes"),
    "sizes that disagree": (_set(["sizes"], [784, 32, 10]), "do not match the settings' hidden sizes"),
    "an optimizer that is not the settings'": (_set(["optimizer", "name"], "sgd"), "is not the settings' 'adam'"),
    "an Adam state scale above 1": (_set(["optimizer", "scale"], [0.1, 5.0]), "optimizer.scale holds 5.0"),
    "an Adam state scale of three numbers": (_set(["optimizer", "scale"], [0.1, 0.1, 0.1]), "expected 2 numbers"),
    "an Adam state scale of text": (_set(["optimizer", "scale"], ["0.1", 0.001]), "optimizer.scale holds '0.1'"),
    "a random state that is not PCG64": (_set(["rng", "init", "bit_generator"], "MT19937"), "not a PCG64"),
    "a random state out of range": (_set(["rng", "shuffle", "state", "inc"], -1), "rng.shuffle.state.inc is -1"),
    "elapsed time that is NaN": (_set(["counters", "elapsed"], float("nan")), "counters.elapsed"),
    "another format": (_set(["format"], "keras"), "is not a mnist-viz checkpoint"),
}


@pytest.mark.parametrize("fault", list(META_FAULTS))
def test_crafted_metadata_is_refused_naming_the_fault_and_the_session_is_untouched(trained, good_file, tmp_path,
                                                                                   fault):
    change, message = META_FAULTS[fault]
    bad = write_zip(tmp_path / "bad.npz", with_meta(members(good_file), change))
    before = [p.copy() for p in trained.net.params], trained.step_count
    with pytest.raises(CheckpointError, match=r"bad\.npz") as refused:
        load_checkpoint(trained, bad)
    assert message in str(refused.value)
    assert trained.step_count == before[1] and all(np.array_equal(a, b) for a, b in zip(before[0], trained.net.params))
    trained.step()  # and it still trains


def _array_fault(entries, name, data):
    return {**entries, f"{name}.npy": data}


ARRAY_FAULTS = {
    "a header promising 37 GiB": (lambda e: _array_fault(e, "param_0", npy_header_only((100_000, 100_000))),
                                  "the network described needs (784, 16)"),
    "a weight matrix of the wrong shape": (lambda e: _array_fault(e, "param_2", npy_bytes(np.zeros((8, 10), "f4"))),
                                           "needs (16, 10)"),
    "NaN weights": (lambda e: _array_fault(e, "param_1", npy_bytes(np.full(16, np.nan, "f4"))), "NaN or infinite"),
    "weights beyond float32": (lambda e: _array_fault(e, "param_1", npy_bytes(np.full(16, 1e39))), "beyond float32"),
    "an optimizer slot missing": (lambda e: {k: v for k, v in e.items() if k != "opt_v_3.npy"},
                                  "optimizer's state is incomplete (missing opt_v_3)"),
    "an optimizer slot of the wrong shape": (lambda e: _array_fault(e, "opt_m_0", npy_bytes(np.zeros((3, 3), "f4"))),
                                             "entry opt_m_0 is (3, 3)"),
    "a batch order out of range": (lambda e: _array_fault(e, "order", npy_bytes(np.arange(3000) + 5)),
                                   "not a permutation"),
    "a batch order with repeats": (lambda e: _array_fault(e, "order", npy_bytes(np.zeros(3000, np.int64))),
                                   "not a permutation"),
    "a batch order of floats": (lambda e: _array_fault(e, "order", npy_bytes(np.arange(3000.0))), "whole numbers"),
    "a unit mask of halves": (lambda e: _array_fault(e, "mask_0", npy_bytes(np.full(16, 0.5, "f4"))),
                              "values other than 0 and 1"),
    "an object array": (lambda e: _array_fault(e, "history_steps", npy_bytes(np.array([{"a": 1}], dtype=object))),
                        "holds object data"),
    "a history of 10^9 rows": (lambda e: _array_fault(e, "history_steps", npy_header_only((10**9, 5), "<f8")),
                               "at most 1,000,000 rows"),
    "an entry no checkpoint has": (lambda e: {**e, "evil.npy": npy_bytes(np.zeros(2))}, "holds an entry 'evil.npy'"),
    "a metadata entry of 20 MB": (lambda e: _array_fault(e, "meta", npy_header_only((20 * 2**20,), "|u1")),
                                  "at most 16 MB of text"),
    "a parameter missing": (lambda e: {k: v for k, v in e.items() if k != "param_3.npy"}, "missing param_3"),
    "a truncated array": (lambda e: _array_fault(e, "param_0", npy_header_only((784, 16))), "is damaged"),
}


@pytest.mark.parametrize("fault", list(ARRAY_FAULTS))
def test_crafted_arrays_are_refused_before_they_are_allocated(trained, good_file, tmp_path, fault):
    craft, message = ARRAY_FAULTS[fault]
    bad = write_zip(tmp_path / "bad.npz", craft(members(good_file)))
    before = trained.step_count
    t0 = time.perf_counter()
    with pytest.raises(CheckpointError, match=r"bad\.npz") as refused:
        load_checkpoint(trained, bad)
    assert message in str(refused.value) and time.perf_counter() - t0 < 2
    assert trained.step_count == before


def test_a_zip_listing_ten_thousand_members_is_refused_from_its_end_record(trained, tmp_path):
    bad = write_zip(tmp_path / "many.npz", {f"param_{i}.npy": b"" for i in range(10_000)})
    with pytest.raises(CheckpointError, match="lists 10,000 members"):
        load_checkpoint(trained, bad)


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_checkpoint_must_be_a_regular_file(trained, tmp_path, kind):
    path = tmp_path / "session.npz"
    os.mkdir(path) if kind == "folder" else os.mkfifo(path)
    with pytest.raises(CheckpointError, match="is not a regular file"):
        load_checkpoint(trained, path)  # a FIFO would block an open(): refused from its stat


def test_the_good_file_still_loads(trained, good_file, small):
    other = Trainer(small, Settings(hidden=(16,), optimizer="adam"))
    load_checkpoint(other, good_file)
    assert other.step_count == trained.step_count
    other.step()


def test_crafted_files_end_in_a_clear_message_under_a_3_gb_address_space_limit(good_file, tmp_path):
    entries = members(good_file)
    crafted = {
        "huge-array": write_zip(tmp_path / "huge-array.npz", ARRAY_FAULTS["a header promising 37 GiB"][0](entries)),
        "huge-history": write_zip(tmp_path / "huge-history.npz", ARRAY_FAULTS["a history of 10^9 rows"][0](entries)),
        "many-markers": write_zip(tmp_path / "many-markers.npz",
                                  with_meta(entries, META_FAULTS["10^6 markers (18 MB of metadata)"][0])),
    }
    limit = 3 * 2**30

    def cap():  # in the child, before it imports anything
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    for name, path in crafted.items():
        run = subprocess.run([sys.executable, "-m", "mnist_viz", "train", "--load", str(path), "--train-subset",
                              "3000", "--no-progress"], capture_output=True, text=True, preexec_fn=cap, env=env,
                             timeout=120)
        assert run.returncode == 2, (name, run.stderr[-2000:])
        assert "Traceback" not in run.stderr and "MemoryError" not in run.stderr
        assert str(path) in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_a_bad_file_through_the_cli_is_one_line_exit_2(good_file, tmp_path, capsys):
    bad = write_zip(tmp_path / "bad.npz", with_meta(members(good_file), META_FAULTS["a negative cursor"][0]))
    assert main(["train", "--load", str(bad), "--train-subset", "3000", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad.npz" in err and "counters.cursor is -1" in err
