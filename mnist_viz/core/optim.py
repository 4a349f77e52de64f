"""Optimizers: (full-batch or minibatch) gradient descent, momentum, Adam.

Every optimizer updates ``params`` in place from ``grads`` (same order and shapes, see
``network``), reads its hyperparameters from the call so that a change acts on the next step,
and keeps its state as named lists of parameter-shaped arrays so that ``follow_resize`` and
checkpoints can treat all optimizers alike.
"""
from __future__ import annotations

import numpy as np

from mnist_viz.core.network import ResizePlan, remap_hidden

OPTIMIZERS = ("gd", "sgd", "momentum", "adam")


class Optimizer:
    """Base class. ``state`` maps a name to a list shaped like ``params``; ``t`` counts steps."""

    name = "sgd"
    state_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.state: dict[str, list[np.ndarray]] = {}
        self.t = 0

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], hp: dict) -> None:
        """Apply one update in place. ``hp`` holds ``lr`` and the optimizer's own settings.
        ``grads`` may be overwritten (they are scratch space once the step is taken)."""
        if not self.state and self.state_names:
            self.state = {n: [np.zeros_like(p) for p in params] for n in self.state_names}
        self.t += 1
        self._update(params, grads, hp)

    def _update(self, params, grads, hp) -> None:
        lr = np.float32(hp["lr"])
        for p, g in zip(params, grads):
            g *= lr
            p -= g

    def follow_resize(self, plan: ResizePlan) -> None:
        """Reshape the state to match a resized network; new units start with zero state."""
        self.state = {n: remap_hidden(arrs, plan, [0.0, 0.0, 0.0]) for n, arrs in self.state.items()}

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Flat ``{"<name>_<i>": array}`` for checkpoints."""
        return {f"{n}_{i}": a for n, arrs in self.state.items() for i, a in enumerate(arrs)}

    def load_state_arrays(self, arrays: dict[str, np.ndarray], n_params: int, t: int) -> None:
        self.t = int(t)
        self.state = {}
        for n in self.state_names:
            keys = [f"{n}_{i}" for i in range(n_params)]
            if all(k in arrays for k in keys):
                self.state[n] = [np.array(arrays[k], dtype=np.float32) for k in keys]


class GradientDescent(Optimizer):
    """Plain gradient descent; ``gd`` (full batch) and ``sgd`` (minibatch) differ only in the
    batch the trainer feeds it."""

    def __init__(self, name: str = "sgd") -> None:
        super().__init__()
        self.name = name


class Momentum(Optimizer):
    """Heavy-ball momentum: ``v = mu v + g; p -= lr v``."""

    name = "momentum"
    state_names = ("velocity",)

    def _update(self, params, grads, hp) -> None:
        lr, mu = np.float32(hp["lr"]), np.float32(hp.get("momentum", 0.9))
        for p, g, v in zip(params, grads, self.state["velocity"]):
            v *= mu
            v += g
            np.multiply(v, lr, out=g)
            p -= g


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction folded into the step size."""

    name = "adam"
    state_names = ("m", "v")

    def _update(self, params, grads, hp) -> None:
        beta1, beta2 = float(hp.get("beta1", 0.9)), float(hp.get("beta2", 0.999))
        eps = np.float32(hp.get("eps", 1e-8))
        step = np.float32(hp["lr"] * np.sqrt(1 - beta2**self.t) / (1 - beta1**self.t))
        b1, b2 = np.float32(beta1), np.float32(beta2)
        for p, g, m, v in zip(params, grads, self.state["m"], self.state["v"]):
            m *= b1
            m += (1 - b1) * g
            g *= g
            v *= b2
            v += (1 - b2) * g
            np.sqrt(v, out=g)
            g += eps
            np.divide(m, g, out=g)
            g *= step
            p -= g


def make_optimizer(name: str) -> Optimizer:
    if name in ("gd", "sgd"):
        return GradientDescent(name)
    if name == "momentum":
        return Momentum()
    if name == "adam":
        return Adam()
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
