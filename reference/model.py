"""The reference BPTT solution for the one-layer ReLU RNN classifier, in float64 numpy.

Forward pass, exactly as the homework states it::

    h_0 = 0,  h_t = ReLU(b + W h_{t-1} + U x_t)  (t = 1..l),  y_pred = Sigmoid(V h_l + d)
    L = -(y_gt log y_pred + (1 - y_gt) log(1 - y_pred))

Arrays follow the submission contract: ``x`` and ``h`` are (l+1)×n with row t holding x_t and
h_t (row 0 of ``x`` is zero padding, row 0 of ``h`` is h_0 = 0).

The backward pass is the O(l·n²) recursion: with e = y_pred − y_gt,
g_l = e V and g_t = g_{t+1} diag(1[h_{t+1} > 0]) W (row vectors, numerator layout), then
δ_t = g_t ∘ 1[h_t > 0] and ∂L/∂W = Σ_t δ_t h_{t−1}ᵀ, ∂L/∂U = Σ_t δ_t x_tᵀ, ∂L/∂b = Σ_t δ_t.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
#: float64 in the reference; float32 only where a student's lower precision is simulated.
AnyFloatArray = NDArray[np.floating[Any]]


@dataclass(frozen=True)
class Forward:
    """The forward pass: hidden states (l+1)×n with h[0] = 0, the logit z and y_pred."""

    h: Array
    z: float
    y_pred: float


@dataclass(frozen=True)
class Gradients:
    """All seven gradients of the loss, float64, shaped as the contract returns them."""

    y_pred: float | np.floating[Any]
    d: float | np.floating[Any]
    V: Array  # (n,)
    h: Array  # (l, n), row t-1 is ∂L/∂h_t
    W: Array  # (n, n), G[i, j] = ∂L/∂W[i, j]
    U: Array  # (n, n)
    b: Array  # (n,)

    def as_dict(self) -> dict[str, Array]:
        return {
            "y_pred": np.asarray(self.y_pred, dtype=np.float64),
            "d": np.asarray(self.d, dtype=np.float64),
            "V": self.V,
            "h": self.h,
            "W": self.W,
            "U": self.U,
            "b": self.b,
        }


def relu(a: Array) -> Array:
    return np.maximum(a, 0.0)


def sigmoid(z: float) -> float:
    """Sigmoid without overflow for either sign of z."""
    if z >= 0:
        return float(1.0 / (1.0 + np.exp(-z)))
    ez = float(np.exp(z))
    return ez / (1.0 + ez)


def softplus(z: float) -> float:
    """log(1 + e^z), stable for large |z|."""
    return float(max(z, 0.0) + np.log1p(np.exp(-abs(z))))


def loss_from_logit(z: float, y_gt: float) -> float:
    """Cross-entropy of Sigmoid(z) for a binary label: softplus((1 − 2 y_gt) z), never log(0)."""
    return softplus((1.0 - 2.0 * y_gt) * z)


def forward(W: Array, U: Array, b: Array, V: Array, d: float, x: Array) -> Forward:
    """Run the RNN over x ((l+1)×n, row 0 ignored) and return the hidden states and y_pred."""
    l = x.shape[0] - 1
    h = np.zeros_like(x, dtype=np.float64)
    for t in range(1, l + 1):
        h[t] = relu(b + W @ h[t - 1] + U @ x[t])
    z = float(V @ h[l] + d)
    return Forward(h=h, z=z, y_pred=sigmoid(z))


def loss(W: Array, U: Array, b: Array, V: Array, d: float, x: Array, y_gt: float) -> float:
    """The cross-entropy loss of one sample (used by the finite-difference checks)."""
    return loss_from_logit(forward(W, U, b, V, d, x).z, y_gt)


def backward(
    W: AnyFloatArray,
    V: AnyFloatArray,
    x: AnyFloatArray,
    h: AnyFloatArray,
    y_pred: float | np.floating[Any],
    y_gt: float | np.floating[Any],
    dtype: type[np.floating] = np.float64,
) -> Gradients:
    """The gradients by the O(l·n²) recursion (see the module docstring).

    ``dtype`` other than float64 serves only to simulate a student's lower-precision answer.
    """
    l, n = h.shape[0] - 1, h.shape[1]
    e = y_pred - y_gt
    mask = (h > 0).astype(dtype)  # mask[t] = 1[h_t > 0]; ReLU'(0) is taken as 0
    dh = np.zeros((l, n), dtype=dtype)
    g = e * V
    dh[l - 1] = g
    for t in range(l - 1, 0, -1):
        g = (g * mask[t + 1]) @ W
        dh[t - 1] = g
    delta = dh * mask[1:]  # δ_t, row t-1
    return Gradients(
        y_pred=e / (y_pred * (1.0 - y_pred)),
        d=e,
        V=e * h[l],
        h=dh,
        W=delta.T @ h[:-1],
        U=delta.T @ x[1:],
        b=delta.sum(axis=0),
    )
