"""Optimizers: (full-batch or minibatch) gradient descent, momentum, Adam.

An update happens in two halves so that a bad step can be refused whole: ``propose`` computes the
new parameters and state into spare buffers (nothing live changes), the trainer checks them, and
``commit`` swaps them in (``discard`` forgets them). The spare buffers are kept between steps, so a
step allocates nothing and costs the same arithmetic as an in-place update; the price is one more
copy of the parameters and state in memory.

Every optimizer reads its hyperparameters from the call so that a change acts on the next step, and
keeps its state as named lists of parameter-shaped arrays (same order and shapes as ``params``, see
``network``) so that ``follow_resize`` and checkpoints can treat all optimizers alike.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np

from mnist_viz.core.network import ResizePlan, remap_hidden

OPTIMIZERS = ("gd", "sgd", "momentum", "adam")
# A learning rate each optimizer trains this model well at (784-128-10, ReLU, He): full-batch GD at
# the tutorials' 0.5, SGD at 0.1, momentum 0.9 (ten times the step) at 0.05, Adam at its paper's
# 0.001. Comparing optimizers at one learning rate mostly compares learning rates: Adam at SGD's 0.1
# diverges, SGD at Adam's 0.001 hardly moves.
USUAL_LR = {"gd": 0.5, "sgd": 0.1, "momentum": 0.05, "adam": 0.001}


class Optimizer:
    """Base class. ``state`` maps a name to a list shaped like ``params``; ``t`` counts committed steps."""

    name = "sgd"
    state_names: tuple[str, ...] = ()
    # State whose overflow always shows in the new parameters: each new parameter is the old one minus
    # lr (or Adam's step) times a function of it that keeps inf and NaN, and lr > 0, so an inf or NaN
    # there makes the parameter inf or NaN (0 * inf is NaN too, if the float32 lr underflows to 0).
    unchecked_state: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.state: dict[str, list[np.ndarray]] = {}
        self.t = 0
        self._next_params: list[np.ndarray] = []  # the proposal (spare buffers between steps)
        self._next_state: dict[str, list[np.ndarray]] = {}
        self._proposed = False

    # ------------------------------------------------------------------ update
    def propose(self, params: list[np.ndarray], grads: list[np.ndarray], hp: dict) -> list[np.ndarray]:
        """Compute the step's new parameters and state into spare buffers; ``params`` and ``state``
        stay as they are. ``hp`` holds ``lr`` and the optimizer's own settings; ``grads`` are scratch
        space (overwritten; an inf or NaN in them shows in the returned arrays). Returns the proposed
        arrays whose being finite means the whole proposal is: the new parameters, and the state
        that can overflow without them noticing (``unchecked_state`` says which cannot)."""
        if not self.state and self.state_names:
            self.state = {n: [np.zeros_like(p) for p in params] for n in self.state_names}
        self._fit_spares(params)
        self._propose(params, grads, hp)
        self._proposed = True
        checked = [n for n in self._next_state if n not in self.unchecked_state]
        return [*self._next_params, *(a for n in checked for a in self._next_state[n])]

    def commit(self, params: list[np.ndarray]) -> None:
        """Adopt the proposal: ``params`` (the network's list, changed in place) and the state take
        the new arrays; the old ones become the spare buffers of the next step."""
        if not self._proposed:
            raise RuntimeError("commit() without a propose()")
        for i, new in enumerate(self._next_params):
            params[i], self._next_params[i] = new, params[i]
        for name, new_arrays in self._next_state.items():
            self.state[name], self._next_state[name] = new_arrays, self.state[name]
        self.t += 1
        self._proposed = False

    @property
    def replaced_params(self) -> list[np.ndarray]:
        """After ``commit``: the parameters the step replaced (the spare buffers, until the next
        ``propose`` writes into them). Read only: the layer-health update is current minus these."""
        return self._next_params

    def discard(self) -> None:
        """Forget the proposal: the step is not taken."""
        self._proposed = False

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], hp: dict) -> None:
        """Propose and commit at once (no check)."""
        self.propose(params, grads, hp)
        self.commit(params)

    def _fit_spares(self, params: list[np.ndarray]) -> None:
        """Spare buffers shaped like ``params`` (new ones after a resize, a load or the first step)."""
        if [a.shape for a in self._next_params] != [p.shape for p in params]:
            self._next_params = [np.empty_like(p) for p in params]
            self._next_state = {n: [np.empty_like(p) for p in params] for n in self.state}

    def _propose(self, params, grads, hp) -> None:
        update = partial(_sgd, np.float32(hp["lr"]))
        for p, g, new_p in zip(params, grads, self._next_params):
            update(p, g, new_p)

    # ------------------------------------------------------------------- state
    def follow_resize(self, plan: ResizePlan) -> None:
        """Reshape the state to match a resized network; new units start with zero state."""
        self.state = {n: remap_hidden(arrs, plan, [0.0, 0.0, 0.0]) for n, arrs in self.state.items()}
        self._proposed = False

    def copy_state(self) -> dict[str, list[np.ndarray]]:
        """A copy of the state as kept (see ``state_scale``), which ``set_state`` takes back."""
        return {n: [a.copy() for a in arrs] for n, arrs in self.state.items()}

    def state_scale(self) -> list[float]:
        """What the state arrays are divided by, per state name in ``state_names`` order (``[]``:
        nothing, they are the textbook values). Saved beside them, so a copy or a checkpoint
        carries on bit for bit."""
        return []

    def set_state(self, state: dict[str, list[np.ndarray]], t: int, scale: Sequence[float] = ()) -> None:
        """Adopt ``state`` (copied), divided by ``scale`` as ``state_scale`` says, after ``t`` steps."""
        self.state, self.t = {n: [np.array(a, dtype=np.float32) for a in arrs] for n, arrs in state.items()}, int(t)
        self._proposed = False

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Flat ``{"<name>_<i>": array}`` for checkpoints (as kept: see ``state_scale``)."""
        return {f"{n}_{i}": a for n, arrs in self.state.items() for i, a in enumerate(arrs)}

    def load_state_arrays(self, arrays: dict[str, np.ndarray], n_params: int, t: int,
                          scale: Sequence[float] = ()) -> None:
        state = {}
        for n in self.state_names:
            keys = [f"{n}_{i}" for i in range(n_params)]
            if all(k in arrays for k in keys):
                state[n] = [arrays[k] for k in keys]
        self.set_state(state, t, scale)


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
    unchecked_state = ("velocity",)  # p - lr * v

    def _propose(self, params, grads, hp) -> None:
        update = partial(_momentum, np.float32(hp["lr"]), np.float32(hp.get("momentum", 0.9)))
        for arrays in zip(params, grads, self.state["velocity"], self._next_params, self._next_state["velocity"]):
            update(*arrays)


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction folded into the step size.

    The state is kept divided by its averages' weights: ``state["m"]`` holds ``m / (1 - beta1)`` and
    ``state["v"]`` holds ``v / (1 - beta2)``. Then ``m' = beta1 m + (1 - beta1) g`` becomes
    ``M' = beta1 M + g`` and ``v'`` likewise, and the constants move into the step size and epsilon:
    10 element-wise passes a step instead of 12 (at 784-512-10 the update is a quarter of a step,
    benchmarks/step_breakdown.py). ``state_scale`` says what the state is divided by (copies and
    checkpoints keep it, so they carry on bit for bit; a checkpoint without it holds the paper's ``m``
    and ``v``); a live change of the betas rescales the state once.
    """

    name = "adam"
    state_names = ("m", "v")
    unchecked_state = ("m",)  # p - step * m / (sqrt(v) + eps); v is checked: an inf v gives m/inf = 0

    def __init__(self) -> None:
        super().__init__()
        self._weights = (1.0, 1.0)  # (1 - beta1, 1 - beta2) the state is divided by; 1: textbook form

    def _propose(self, params, grads, hp) -> None:
        beta1, beta2 = float(hp.get("beta1", 0.9)), float(hp.get("beta2", 0.999))
        self._divide_state_by(1 - beta1, 1 - beta2)
        t = self.t + 1
        # step * m / (sqrt(v) + eps) with m = (1-b1) M and sqrt(v) = sqrt(1-b2) sqrt(V):
        root = np.sqrt(1 - beta2)
        step = np.float32(hp["lr"] * np.sqrt(1 - beta2**t) / (1 - beta1**t) * (1 - beta1) / root)
        eps = np.float32(float(hp.get("eps", 1e-8)) / root)
        update = partial(_adam, np.float32(beta1), np.float32(beta2), eps, step)
        for arrays in zip(params, grads, self.state["m"], self.state["v"],
                          self._next_params, self._next_state["m"], self._next_state["v"]):
            update(*arrays)

    def _divide_state_by(self, w1: float, w2: float) -> None:
        """Bring the state to ``m / w1`` and ``v / w2`` (once per change of the betas)."""
        if (w1, w2) == self._weights:
            return
        for name, old, new in (("m", self._weights[0], w1), ("v", self._weights[1], w2)):
            factor = np.float32(old / new)  # new = 1 - beta > 0: Settings keeps the betas below 1
            for a in self.state[name]:
                a *= factor
        self._weights = (w1, w2)

    def state_scale(self) -> list[float]:
        return list(self._weights)

    def set_state(self, state: dict[str, list[np.ndarray]], t: int, scale: Sequence[float] = ()) -> None:
        super().set_state(state, t)
        w1, w2 = (float(x) for x in scale) if len(scale) == 2 else (1.0, 1.0)  # none: the textbook m, v
        self._weights = (w1, w2)


# The updates of one parameter: the new values go
# to the spare buffers, the gradient g is scratch. Written as in-place ufuncs: no temporary arrays.
def _sgd(lr, p, g, new_p) -> None:
    g *= lr
    np.subtract(p, g, out=new_p)


def _momentum(lr, mu, p, g, v, new_p, new_v) -> None:
    np.multiply(v, mu, out=new_v)
    new_v += g
    np.multiply(new_v, lr, out=g)
    np.subtract(p, g, out=new_p)


def _adam(b1, b2, eps, step, p, g, m, v, new_p, new_m, new_v) -> None:
    """Adam on the divided state (see ``Adam``): ``M' = b1 M + g``, ``V' = b2 V + g²``,
    ``p' = p - step M' / (sqrt(V') + eps)`` with the step and eps already rescaled."""
    np.multiply(m, b1, out=new_m)
    new_m += g
    g *= g
    np.multiply(v, b2, out=new_v)
    new_v += g
    np.sqrt(new_v, out=g)
    g += eps
    np.divide(new_m, g, out=g)
    g *= step
    np.subtract(p, g, out=new_p)


def make_optimizer(name: str) -> Optimizer:
    if name in ("gd", "sgd"):
        return GradientDescent(name)
    if name == "momentum":
        return Momentum()
    if name == "adam":
        return Adam()
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
