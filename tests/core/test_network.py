"""The network's maths: gradients (finite differences, PyTorch as an oracle), softmax/loss
stability, resizing without changing the function."""
import numpy as np
import pytest

from mnist_viz.core.activations import ACTIVATIONS
from mnist_viz.core.network import MLP, cross_entropy, softmax


def float64_net(sizes, activation, seed=1):
    net = MLP(sizes, activation, "he", seed)
    net.params = [p.astype(np.float64) for p in net.params]
    net.unit_mask = [m.astype(np.float64) for m in net.unit_mask]
    for b in net.biases:  # non-zero biases, so their gradients are exercised too
        b[:] = np.random.default_rng(seed).normal(0, 0.1, b.shape)
    return net


def numeric_grads(net, x, y, l2, h=1e-6):
    grads = []
    for p in net.params:
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + h
            plus = net.loss_and_grads(x, y, l2)[0]
            p[i] = old - h
            minus = net.loss_and_grads(x, y, l2)[0]
            p[i] = old
            g[i] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_gradients_match_finite_differences(activation, l2):
    net = float64_net([12, 6, 5, 10], activation)
    rng = np.random.default_rng(0)
    x, y = rng.random((7, 12)), rng.integers(0, 10, 7)
    _, grads, _ = net.loss_and_grads(x, y, l2)
    for analytic, numeric in zip(grads, numeric_grads(net, x, y, l2)):
        assert analytic.shape == numeric.shape
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_gradients_with_an_ablated_unit_match_finite_differences():
    net = float64_net([12, 6, 10], "tanh")
    net.unit_mask[0][2] = 0.0
    rng = np.random.default_rng(3)
    x, y = rng.random((5, 12)), rng.integers(0, 10, 5)
    _, grads, _ = net.loss_and_grads(x, y)
    for analytic, numeric in zip(grads, numeric_grads(net, x, y, 0.0)):
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    assert np.all(grads[0][:, 2] == 0)  # an ablated unit learns nothing


def test_loss_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    logits, y = rng.normal(0, 3, (5, 10)), rng.integers(0, 10, 5)
    _, dlogits = cross_entropy(logits.copy(), y)
    numeric = np.zeros_like(logits)
    for i in np.ndindex(logits.shape):
        plus, minus = logits.copy(), logits.copy()
        plus[i] += 1e-6
        minus[i] -= 1e-6
        numeric[i] = (cross_entropy(plus, y)[0] - cross_entropy(minus, y)[0]) / 2e-6
    np.testing.assert_allclose(dlogits, numeric, rtol=1e-5, atol=1e-9)


def test_softmax_and_loss_are_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0] + [0.0] * 7, [-1e4] * 9 + [1e4]], dtype=np.float32)
    probs = softmax(logits.copy())
    assert np.all(np.isfinite(probs)) and np.allclose(probs.sum(axis=1), 1)
    loss, grad = cross_entropy(logits, np.array([2, 9]))
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    assert loss == pytest.approx(1000.0, rel=1e-3)  # row 0 is 2000 nats wrong, row 1 is right


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_loss_and_gradients_match_pytorch_autograd(activation):
    torch = pytest.importorskip("torch")
    net = float64_net([784, 32, 16, 10], activation, seed=4)
    rng = np.random.default_rng(5)
    x, y = rng.random((9, 784)), rng.integers(0, 10, 9)
    loss, grads, _ = net.loss_and_grads(x, y, l2=0.01)

    params = [torch.tensor(p, requires_grad=True) for p in net.params]
    torch_act = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                 "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01)}[activation]
    a = torch.tensor(x)
    for i in range(0, len(params) - 2, 2):
        a = torch_act(a @ params[i] + params[i + 1])
    logits = a @ params[-2] + params[-1]
    penalty = 0.005 * sum((W ** 2).sum() for W in params[0::2])
    t_loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y)) + penalty
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-10)
    for ours, theirs in zip(grads, params):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-7, atol=1e-12)


def test_shapes_and_dtypes_follow_the_documented_convention():
    net = MLP([784, 128, 10], "relu", "he", 0)
    assert [W.shape for W in net.weights] == [(784, 128), (128, 10)]
    assert [b.shape for b in net.biases] == [(128,), (10,)]
    assert all(p.dtype == np.float32 for p in net.params)
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    _, grads, logits = net.loss_and_grads(x, np.arange(5))
    assert logits.shape == (5, 10) and all(g.dtype == np.float32 for g in grads)
    assert net.predict_proba(x).shape == (5, 10)


@pytest.mark.parametrize("init,std", [("small", 0.01), ("he", np.sqrt(2 / 784)), ("xavier", np.sqrt(2 / (784 + 256)))])
def test_inits_have_the_documented_scale(init, std):
    W = MLP([784, 256, 10], "relu", init, 0).weights[0]
    assert W.std() == pytest.approx(std, rel=0.02)
    assert abs(W.mean()) < std * 0.02


def test_same_seed_same_weights_and_different_seed_different_weights():
    a, b, c = (MLP([784, 64, 10], "relu", "he", s) for s in (7, 7, 8))
    assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params))
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_widening_leaves_outputs_unchanged(small):
    net = MLP([784, 32, 10], "relu", "he", 0)
    x = small.x_test[:200]
    before = net.forward(x)[0]
    plan = net.resize_hidden(100)
    assert plan.n_new == 68 and net.sizes == [784, 100, 10]
    assert net.weights[0].shape == (784, 100) and net.weights[1].shape == (100, 10)
    # Up to float32 rounding only: BLAS may sum x @ W1 in another order for 100 columns than for 32
    # (seen on an AMD EPYC with OpenBLAS's Haswell kernels); the new units' outgoing weights are exactly 0.
    np.testing.assert_allclose(net.forward(x)[0], before, rtol=0, atol=1e-5 * float(np.abs(before).max()))
    assert np.all(net.weights[1][32:] == 0) and np.any(net.weights[0][:, 32:] != 0)


def test_shrinking_drops_the_least_important_units(small):
    net = MLP([784, 6, 10], "relu", "he", 0)
    W1, b1, W2 = net.params[0], net.params[1], net.params[2]
    b1[1] = -1e3          # unit 1 never fires (a dead ReLU)
    W2[4] = 0             # unit 4 fires but nothing listens
    W2[0] *= 10           # unit 0 matters most
    kept_cols = W1[:, [0, 2, 3, 5]].copy()
    plan = net.resize_hidden(4, x_ref=small.x_train[:500])
    assert list(plan.keep) == [0, 2, 3, 5]
    np.testing.assert_array_equal(net.weights[0], kept_cols)


def test_shrinking_keeps_what_the_surviving_units_compute(small):
    net = MLP([784, 16, 10], "relu", "he", 0)
    x = small.x_test[:50]
    hidden_before = net.hidden_activations(x)
    plan = net.resize_hidden(5, x_ref=small.x_train[:500])
    # not bit-exact: BLAS may block a 5-column product differently from a 16-column one
    np.testing.assert_allclose(net.hidden_activations(x), hidden_before[:, plan.keep], rtol=1e-5, atol=1e-6)


def test_resize_rejects_zero_units():
    with pytest.raises(ValueError, match="at least 1"):
        MLP([784, 8, 10]).resize_hidden(0)


def test_from_params_computes_what_the_network_does_without_copying():
    from mnist_viz.core.network import MLP
    net = MLP([784, 12, 7, 10], "tanh", rng=1)
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    view = MLP.from_params(net.params, "tanh")
    assert view.sizes == [784, 12, 7, 10] and all(p is q for p, q in zip(view.params, net.params))
    np.testing.assert_array_equal(view.forward(x)[0], net.forward(x)[0])
    masked = MLP.from_params(net.params, "tanh", [np.zeros(12, np.float32), np.ones(7, np.float32)])
    assert not np.array_equal(masked.forward(x)[0], net.forward(x)[0])
    with pytest.raises(ValueError, match="pairs"):
        MLP.from_params(net.params[:3], "tanh")
    with pytest.raises(ValueError, match="activation"):
        MLP.from_params(net.params, "swish")
