"""The optimizers' arithmetic against the textbook formulas, and their state carried on exactly."""
import numpy as np
import pytest

from mnist_viz.core.optim import make_optimizer

SHAPES = [(784, 64), (64,), (64, 10), (10,)]  # W1, b1, W2, b2


def _problem(seed=0, steps=30):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(np.float32) * 0.1 for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) * 0.01 for s in SHAPES] for _ in range(steps)]
    return params, grads


def _hyper(i):
    """lr and betas of step i: changed live at step 15 (as the window's controls can)."""
    if i < 15:
        return {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    return {"lr": 3e-3, "beta1": 0.8, "beta2": 0.99, "eps": 1e-7}


def _textbook_adam(params, grads, steps):
    """Kingma & Ba's Adam in float64 with the step size folded as mnist-viz does (eps on sqrt(v))."""
    p = [a.astype(np.float64) for a in params]
    m = [np.zeros_like(a) for a in p]
    v = [np.zeros_like(a) for a in p]
    for t in range(1, steps + 1):
        hp = _hyper(t - 1)
        b1, b2 = hp["beta1"], hp["beta2"]
        step = hp["lr"] * np.sqrt(1 - b2**t) / (1 - b1**t)
        for i, g in enumerate(grads[t - 1]):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g.astype(np.float64) ** 2
            p[i] = p[i] - step * m[i] / (np.sqrt(v[i]) + hp["eps"])
    return p, m, v


def _run(opt, params, grads, start, stop):
    for i in range(start, stop):
        opt.step(params, [g.copy() for g in grads[i]], _hyper(i))  # grads are scratch space


def test_adam_matches_the_textbook_update_through_a_live_change_of_its_betas():
    params, grads = _problem()
    ours = [p.copy() for p in params]
    adam = make_optimizer("adam")
    _run(adam, ours, grads, 0, 30)
    want, m, v = _textbook_adam(params, grads, 30)
    for a, b in zip(ours, want):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-7)
    textbook = adam.copy_state()
    w1, w2 = adam.state_scale()  # the kept state is divided by these (see Adam's docstring)
    for kept, paper in zip(textbook["m"], m):
        np.testing.assert_allclose(kept * w1, paper, rtol=1e-4, atol=1e-9)
    for kept, paper in zip(textbook["v"], v):
        np.testing.assert_allclose(kept * w2, paper, rtol=1e-4, atol=1e-12)


def test_a_copy_with_its_scale_carries_on_bit_for_bit_and_one_without_is_read_as_the_papers():
    params, grads = _problem(seed=1)
    a = make_optimizer("adam")
    pa = [p.copy() for p in params]
    _run(a, pa, grads, 0, 20)  # past the change of betas at 15
    copy, t, scale = a.copy_state(), a.t, a.state_scale()
    b = make_optimizer("adam")
    b.set_state(copy, t, scale)
    pb = [p.copy() for p in pa]
    _run(a, pa, grads, 20, 30)
    _run(b, pb, grads, 20, 30)
    assert all(np.array_equal(x, y) for x, y in zip(pa, pb))

    # A state without a scale (a checkpoint from before the scale was saved) holds the paper's m and v.
    want_20, m, v = _textbook_adam(params, grads, 20)
    c = make_optimizer("adam")
    c.set_state({"m": [x.astype(np.float32) for x in m], "v": [x.astype(np.float32) for x in v]}, 20)
    pc = [x.astype(np.float32) for x in want_20]
    _run(c, pc, grads, 20, 30)
    for x, y in zip(pc, pa):
        np.testing.assert_allclose(x, y, rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["sgd", "momentum"])
def test_sgd_and_momentum_keep_their_state_as_it_is(name):
    params, grads = _problem(seed=2, steps=5)
    opt = make_optimizer(name)
    ours = [p.copy() for p in params]
    _run(opt, ours, grads, 0, 5)
    assert opt.state_scale() == []
    want = [p.astype(np.float64) for p in params]
    velocity = [np.zeros_like(p) for p in want]
    for i in range(5):
        lr = _hyper(i)["lr"]
        for k, g in enumerate(grads[i]):
            if name == "momentum":
                velocity[k] = 0.9 * velocity[k] + g
                want[k] -= lr * velocity[k]
            else:
                want[k] -= lr * g
    for a, b in zip(ours, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
