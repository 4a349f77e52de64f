"""The engine's cores (issue 15): the thread rule with the core count faked, element-wise passes
split over threads giving the same bits as one thread, and layer 1 skipping the blank pixels."""
import numpy as np
import pytest

from mnist_viz.core import parallel
from mnist_viz.core.network import MLP, SPARSE_INPUT_BELOW, used_columns
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer


@pytest.mark.parametrize(("cores", "window", "expected"), [(1, True, 1), (2, True, 1), (8, True, 7), (1, False, 1),
                                                           (2, False, 2), (8, False, 8), (64, True, 63)])
def test_the_rule_gives_the_window_all_cores_but_one_and_headless_all(cores, window, expected):
    assert parallel.threads_for(window, environ={}, cores=cores) == expected


def test_the_environment_overrides_the_rule_and_a_bad_value_is_named():
    assert parallel.threads_for(True, environ={parallel.THREADS_ENV: "3"}, cores=8) == 3
    assert parallel.threads_for(False, environ={parallel.THREADS_ENV: " "}, cores=4) == 4
    for bad in ("0", "-2", "two", "1.5"):
        with pytest.raises(ValueError, match=f"{parallel.THREADS_ENV}='{bad}'"):
            parallel.threads_for(False, environ={parallel.THREADS_ENV: bad}, cores=4)


def test_cores_available_follows_the_affinity(monkeypatch):
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _pid: {0, 3, 5}, raising=False)
    assert parallel.cores_available() == 3


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_training_is_bit_for_bit_the_same_run_twice_on_three_threads(small, optimizer):
    runs = []
    for _ in range(2):
        with parallel.limit_blas(3):
            tr = Trainer(small, Settings(hidden=(200,), optimizer=optimizer, lr=0.01, batch_size=64))
            tr.train(iterations=15)
        runs.append([p.tobytes() for p in tr.net.params])
    assert runs[0] == runs[1]


def test_used_columns_finds_the_nonzero_pixels_and_declines_a_dense_batch():
    x = np.zeros((4, 784), np.float32)
    x[1, [3, 400]] = 0.5
    x[3, 783] = -1.0
    np.testing.assert_array_equal(used_columns(x), [3, 400, 783])
    assert used_columns(np.ones((4, 784), np.float32)) is None
    half = np.zeros((2, 100), np.float32)
    half[0, : int(SPARSE_INPUT_BELOW * 100) + 1] = 1  # just over the share: dense is cheaper
    assert used_columns(half) is None
    assert used_columns(np.asfortranarray(x)).tolist() == [3, 400, 783]  # not C-contiguous: the general path


def test_skipping_the_blank_pixels_gives_the_dense_gradients(mnist):
    net = MLP([784, 64, 32, 10], "relu", "he", 0)
    x, y = mnist.x_train[:128], mnist.y_train[:128]
    assert used_columns(x) is not None  # the real digits leave the border blank
    loss, grads, _ = net.loss_and_grads(x, y)
    dense = _dense_loss_and_grads(net, x, y)
    assert loss == pytest.approx(dense[0], rel=1e-6)
    blank = (x == 0).all(axis=0)
    assert np.all(grads[0][blank] == 0)  # exactly zero, not merely small
    for g, d in zip(grads, dense[1]):
        np.testing.assert_allclose(g, d, rtol=1e-4, atol=1e-6)


def _dense_loss_and_grads(net, x, y):
    """The textbook backward pass in float64 on all 784 columns, for comparison."""
    params = [p.astype(np.float64) for p in net.params]
    acts, a = [x.astype(np.float64)], x.astype(np.float64)
    for i in range(0, len(params) - 2, 2):
        a = np.maximum(a @ params[i] + params[i + 1], 0)
        acts.append(a)
    z = a @ params[-2] + params[-1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = float(-np.log(p[np.arange(len(y)), y]).mean())
    delta = p
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads = [None] * len(params)
    for layer in range(len(params) // 2 - 1, -1, -1):
        grads[2 * layer], grads[2 * layer + 1] = acts[layer].T @ delta, delta.sum(axis=0)
        if layer:
            delta = (delta @ params[2 * layer].T) * (acts[layer] > 0)
    return loss, grads


def test_the_cli_refuses_a_bad_thread_count_in_one_line_naming_it(capsys, monkeypatch):
    from mnist_viz.cli import main
    monkeypatch.setenv(parallel.THREADS_ENV, "many")
    assert main(["train", "--iterations", "1"]) == 2
    err = capsys.readouterr().err
    assert "MNIST_VIZ_THREADS='many'" in err and "Traceback" not in err


def test_the_cli_trains_on_the_threads_the_rule_gives(monkeypatch):
    from mnist_viz import cli
    seen = []
    before = _blas_threads()
    wanted = before + 1  # not what BLAS runs on already, so only the rule can have set it
    monkeypatch.setenv(parallel.THREADS_ENV, str(wanted))
    monkeypatch.setattr(cli, "train_command", lambda args: seen.append(_blas_threads()) or 0)
    assert cli.main(["train", "--iterations", "1"]) == 0
    assert seen == [wanted] and _blas_threads() == before  # and put back afterwards


def _blas_threads() -> int:
    from threadpoolctl import threadpool_info
    return next(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
