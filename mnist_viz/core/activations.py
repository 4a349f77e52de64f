"""Hidden-layer activations: an in-place forward and an in-place backward.

``forward(z)`` overwrites the pre-activation ``z`` with the activation and returns it (one pass,
no new array: this runs on every step). ``backward_inplace(grad, a)`` multiplies the incoming
gradient by the derivative, computed from the activation ``a`` alone — for all four functions
the derivative can be written in terms of the output (ReLU: a > 0; sigmoid: a(1-a); tanh: 1-a²),
so the pre-activation never needs to be kept. Shapes: any, in practice ``(batch, H) float32``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    backward_inplace: Callable[[np.ndarray, np.ndarray], None]


def _relu(z):
    return np.maximum(z, 0, out=z)


def _relu_back(grad, a):
    # A multiply by the boolean mask is ~4x faster than masked assignment (grad[a <= 0] = 0).
    np.multiply(grad, a > 0, out=grad)


def _leaky(z):
    # For a slope below 1, leaky_relu(z) = max(z, slope*z).
    return np.maximum(z, z * z.dtype.type(LEAKY_SLOPE), out=z)


def _leaky_back(grad, a):
    grad *= np.where(a > 0, 1.0, LEAKY_SLOPE).astype(grad.dtype, copy=False)


def _sigmoid(z):
    # 1 / (1 + exp(-z)) overflows exp for z << 0; 0.5 * (1 + tanh(z/2)) is the same function, stable everywhere.
    z *= 0.5
    np.tanh(z, out=z)
    z += 1
    z *= 0.5
    return z


def _sigmoid_back(grad, a):
    grad *= a * (1 - a)


def _tanh(z):
    return np.tanh(z, out=z)


def _tanh_back(grad, a):
    grad *= 1 - a * a


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation("relu", _relu, _relu_back),
    "leaky_relu": Activation("leaky_relu", _leaky, _leaky_back),
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_back),
    "tanh": Activation("tanh", _tanh, _tanh_back),
}
