"""Layer health (issue 12): per layer, how the weights, the last update and the activations are
distributed, in a few fixed-size numbers a window can draw as bands over time.

For each layer ``k`` (weights ``Wk : (fan_in, fan_out)``, see ``network``), ``layer_health`` reports:

* the weights' quantiles (``QUANTILES`` percent) and standard deviation;
* the same for the last step's update ``ΔWk = Wk - Wk_before`` (the update itself, not the
  gradient: for Adam and momentum the two differ), and ``log10(||ΔWk|| / ||Wk||)`` (Frobenius
  norms). cs231n's rule of thumb puts a healthy ratio near ``1e-3`` (``HEALTHY_LOG10_RATIO``):
  much lower and the layer barely learns, much higher and the learning rate is too high;
* on a fixed probe batch (the same images every time, so that a change is the network's and not
  the images'): the quantiles of the layer's output (a hidden layer's activations, the output
  layer's logits), the fraction of dead units (ReLU and leaky ReLU) and of saturated units
  (sigmoid and tanh), with the rules of ``dead_fraction`` and ``saturated_fraction``.

Biases are left out: the cs231n ratio and the TensorBoard weight histograms are about weights.
Units switched off (ablated, ``MLP.unit_mask``) are left out of the activation numbers: their
output is forced to 0 on purpose and would otherwise count as dead (or, for sigmoid, saturated).

Quantiles of a large array come from a fixed, evenly spread sample of at most ``QUANTILE_SAMPLE``
of its values (every ``s``-th value, ``s`` coprime to the number of units so that every unit is
sampled alike): an exact quantile of W1 at 512 units (401,408 values) costs ~8 ms, the sample's
~0.2 ms; for normally spread values the 1st percentile of 16,384 of them has a standard error of
~3% of their standard deviation. Standard deviations, norms and unit fractions use every value.

Never imports Qt; computed by ``Trainer.snapshot`` only (not per step), see
``benchmarks/health_cost.py`` for what it costs.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mnist_viz.core.network import DTYPE, MLP

QUANTILES = (1.0, 10.0, 50.0, 90.0, 99.0)  # percent: the bands, thinnest at the median
QUANTILE_SAMPLE = 16_384  # values a quantile is computed from, at most (see the module docstring)
HEALTHY_LOG10_RATIO = -3.0  # cs231n: update / weight norms around 1e-3
PROBE_SIZE = 256  # images in the fixed probe batch (the trainer takes the first ones of the test set)
SATURATION_MARGIN = 0.02  # an output this close to an asymptote counts as saturated ...
SATURATED_SHARE = 0.95  # ... and a unit saturated on this share of the probe images is a saturated unit
RELU_LIKE = ("relu", "leaky_relu")
SQUASHING = ("sigmoid", "tanh")

_UNKNOWN = (math.nan,) * len(QUANTILES)


@dataclass(frozen=True)
class LayerHealth:
    """Health of layer ``layer`` (numbered from 1 as in ``network``: its weights are ``W{layer}``).

    Quantile fields are ``len(QUANTILES)`` floats, at ``QUANTILES`` percent. ``nan`` means "not
    known" (no step taken since the weights were last replaced) or "does not apply" (dead units of
    a sigmoid layer, anything of the sort for the output layer).

    Attributes:
        weight_quantiles, weight_std: of ``W{layer}``'s values.
        update_quantiles, update_std: of the last step's ``ΔW{layer}``.
        log10_update_ratio: ``log10(||ΔW|| / ||W||)``; ``-inf`` for a step that left W unchanged.
        activation_quantiles: of the layer's outputs on the probe batch (logits for the output layer).
        dead_fraction: share of the layer's enabled units dead on the probe batch (ReLU-like only).
        saturated_fraction: share of them saturated on the probe batch (sigmoid and tanh only).
    """

    layer: int
    fan_in: int
    fan_out: int
    is_output: bool
    weight_quantiles: tuple[float, ...]
    weight_std: float
    update_quantiles: tuple[float, ...]
    update_std: float
    log10_update_ratio: float
    activation_quantiles: tuple[float, ...]
    dead_fraction: float
    saturated_fraction: float

    @property
    def name(self) -> str:
        """``"hidden 1"``, ``"hidden 2"``, ..., ``"output"``."""
        return "output" if self.is_output else f"hidden {self.layer}"

    def to_dict(self) -> dict:
        """Plain floats, lists and ints for JSON; ``nan`` and infinities become ``None`` (JSON has none)."""
        out: dict = {"layer": self.layer, "name": self.name, "fan_in": self.fan_in, "fan_out": self.fan_out,
                     "quantiles_percent": list(QUANTILES)}
        for key, value in vars(self).items():
            if isinstance(value, tuple):
                out[key] = [_json_float(v) for v in value]
            elif isinstance(value, float):
                out[key] = _json_float(value)
        return out


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def quantile_sample(a: np.ndarray) -> np.ndarray:
    """At most ``QUANTILE_SAMPLE`` of ``a``'s values, evenly spread: ``a`` itself (flattened) when
    it is small enough, else every ``s``-th value with ``s`` coprime to ``a``'s last axis (its
    units), so that in ``(rows, units)`` order every unit's values are sampled equally often.
    Returns a ``(n,)`` view, no copy."""
    flat = a.reshape(-1)
    if flat.size <= QUANTILE_SAMPLE:
        return flat
    stride = -(-flat.size // QUANTILE_SAMPLE)
    units = a.shape[-1] if a.ndim else 1
    while math.gcd(stride, units) != 1:
        stride += 1
    return flat[::stride]


def quantiles(a: np.ndarray) -> tuple[float, ...]:
    """``QUANTILES`` percentiles of ``a`` (any shape, see ``quantile_sample``), as floats."""
    if a.size == 0:
        return _UNKNOWN
    return tuple(float(q) for q in np.percentile(quantile_sample(a), QUANTILES))


def dead_fraction(outputs: np.ndarray) -> float:
    """Share of units never active on the batch: ``outputs : (batch, units)`` of a ReLU or leaky
    ReLU layer, a unit is dead when its output is ``<= 0`` for every image (for leaky ReLU the
    output has the sign of the pre-activation, so this is "pre-activation ``<= 0``": the unit
    only ever passes the 0.01 leak). ``nan`` for no units."""
    if outputs.shape[1] == 0:
        return math.nan
    return float(np.count_nonzero(~(outputs > 0).any(axis=0))) / outputs.shape[1]


def saturated_fraction(outputs: np.ndarray, activation: str) -> float:
    """Share of saturated units: ``outputs : (batch, units)`` of a sigmoid or tanh layer, a unit is
    saturated when its output is within ``SATURATION_MARGIN`` of an asymptote (sigmoid: below 0.02
    or above 0.98; tanh: ``|y|`` above 0.98) on at least ``SATURATED_SHARE`` (95%) of the images:
    there its derivative is below ~0.02 (sigmoid) or ~0.04 (tanh) and it all but stops learning.
    ``nan`` for no units."""
    if outputs.shape[1] == 0:
        return math.nan
    if activation == "sigmoid":
        flat = (outputs < SATURATION_MARGIN) | (outputs > 1 - SATURATION_MARGIN)
    elif activation == "tanh":
        flat = np.abs(outputs) > 1 - SATURATION_MARGIN
    else:
        raise ValueError(f"saturation is defined for {', '.join(SQUASHING)}, not {activation!r}")
    share = np.count_nonzero(flat, axis=0) / outputs.shape[0]
    return float(np.count_nonzero(share >= SATURATED_SHARE)) / outputs.shape[1]


def std_and_norm(a: np.ndarray) -> tuple[float, float]:
    """``(standard deviation, Frobenius norm)`` of a contiguous ``a`` from one sum and one dot
    product (~0.1 ms at 401,408 values, ``a.std()`` alone takes ~0.25 ms: it makes a temporary).
    ``sqrt(mean(a²) - mean(a)²)`` loses digits only when the mean dwarfs the spread, which weights and
    updates (mean near 0) never do."""
    if a.size == 0:
        return math.nan, 0.0
    mean, mean_square = float(a.sum()) / a.size, float(np.vdot(a, a)) / a.size
    return math.sqrt(max(mean_square - mean * mean, 0.0)), math.sqrt(mean_square * a.size)


def _update_numbers(W: np.ndarray, W_before: np.ndarray | None,
                    weight_norm: float) -> tuple[tuple[float, ...], float, float]:
    """``(quantiles, std, log10 ratio)`` of ``ΔW = W - W_before``; unknown (nan) without ``W_before``."""
    if W_before is None or W_before.shape != W.shape:
        return _UNKNOWN, math.nan, math.nan
    delta = W - W_before
    delta_std, delta_norm = std_and_norm(delta)
    if delta_norm == 0.0:
        ratio = -math.inf  # no change at all (e.g. every unit of the layer switched off)
    elif weight_norm > 0 and math.isfinite(weight_norm) and math.isfinite(delta_norm):
        ratio = math.log10(delta_norm / weight_norm)
    else:
        ratio = math.nan  # all-zero weights, or norms that overflowed float32
    return quantiles(delta), delta_std, ratio


def layer_health(net: MLP, probe_x: np.ndarray,
                 previous_params: Sequence[np.ndarray] | None = None) -> tuple[LayerHealth, ...]:
    """One ``LayerHealth`` per layer of ``net``, hidden layers first, the output layer last.

    Args:
        net: the network as it is now (its ``activation`` says which unit rules apply).
        probe_x: ``(P, 784) float32``, the fixed probe batch (one forward pass over it).
        previous_params: ``[W1, b1, W2, b2, ...]`` as they were before the last step, or ``None``
            when unknown (then the update numbers are nan).
    """
    with np.errstate(all="ignore"):  # huge (finite) weights may overflow the activations: then inf/nan
        logits, hidden = net.forward(np.asarray(probe_x, DTYPE), keep=True)
        outputs = [*(a[:, mask > 0] if not mask.all() else a for a, mask in zip(hidden, net.unit_mask)), logits]
        result = []
        for index, (W, layer_out) in enumerate(zip(net.weights, outputs)):
            is_output = index == len(outputs) - 1
            before = previous_params[2 * index] if previous_params is not None else None
            weight_std, weight_norm = std_and_norm(W)
            update_q, update_std, ratio = _update_numbers(W, before, weight_norm)
            relu_like = not is_output and net.activation in RELU_LIKE
            squashing = not is_output and net.activation in SQUASHING
            result.append(LayerHealth(
                layer=index + 1, fan_in=W.shape[0], fan_out=W.shape[1], is_output=is_output,
                weight_quantiles=quantiles(W), weight_std=weight_std,
                update_quantiles=update_q, update_std=update_std, log10_update_ratio=ratio,
                activation_quantiles=quantiles(layer_out),
                dead_fraction=dead_fraction(layer_out) if relu_like else math.nan,
                saturated_fraction=saturated_fraction(layer_out, net.activation) if squashing else math.nan))
    return tuple(result)
