"""The model solution's own formulas, transcribed literally. Slow on purpose.

These are how an instructor sees that the grader grades *this* homework: the tests prove they
agree with the recursion in :mod:`reference.model`.

    ∂L/∂h_t = (y_pred − y_gt) V · diag(1[h_l>0]) W · diag(1[h_{l−1}>0]) W ⋯ diag(1[h_{t+1}>0]) W
    ∂L/∂W   = Σ_{t=1..l} ∂L/∂h_t diag(1[h_t>0]) (I_n ⊗ h_{t−1}ᵀ)        (a 1×n² row)
"""

from __future__ import annotations

import numpy as np

from reference.model import Array


def jacobian_factor(W: Array, h_i: Array) -> Array:
    """∂h_i/∂h_{i−1} = diag(1[h_i > 0]) W."""
    return np.diag((h_i > 0).astype(np.float64)) @ W


def dL_dh_t(W: Array, V: Array, h: Array, y_pred: float, y_gt: float, t: int) -> Array:
    """The product of Jacobians for one t, factors in descending order of i (l down to t+1)."""
    l = h.shape[0] - 1
    row = (y_pred - y_gt) * V.reshape(1, -1)
    for i in range(l, t, -1):
        row = row @ jacobian_factor(W, h[i])
    return row.reshape(-1)


def dL_dh(W: Array, V: Array, h: Array, y_pred: float, y_gt: float) -> Array:
    """∂L/∂h_t for t = 1..l as an l×n array (row t−1), each row its own product."""
    l = h.shape[0] - 1
    return np.stack([dL_dh_t(W, V, h, y_pred, y_gt, t) for t in range(1, l + 1)])


def dL_dW_row(W: Array, V: Array, h: Array, y_pred: float, y_gt: float) -> Array:
    """∂L/∂W as the model solution writes it: a 1×n² row (W flattened row by row)."""
    l, n = h.shape[0] - 1, h.shape[1]
    total = np.zeros((1, n * n))
    for t in range(1, l + 1):
        dh_t = dL_dh_t(W, V, h, y_pred, y_gt, t).reshape(1, -1)
        mask_t = np.diag((h[t] > 0).astype(np.float64))
        kron = np.kron(np.eye(n), h[t - 1].reshape(1, -1))  # I_n ⊗ h_{t−1}ᵀ, n × n²
        total += dh_t @ mask_t @ kron
    return total
