"""A correct submission that transcribes the model solution's formulas literally.

Gradients are row vectors (numerator layout); ∂L/∂W and ∂L/∂U are 1×n² rows, W flattened row by
row, built with I_n ⊗ h_{t−1}ᵀ exactly as the model solution writes them.
"""

import numpy as np


def dL_dy_pred(y_pred: float, y_gt: float) -> float:
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred: float, y_gt: float) -> float:
    return dL_dy_pred(y_pred, y_gt) * y_pred * (1 - y_pred) * 1


def dL_dV(h: np.ndarray, y_pred: float, y_gt: float, l: int) -> np.ndarray:
    return (y_pred - y_gt) * h[l].reshape(1, -1)  # (y_pred − y_gt) h_lᵀ, a 1×n row


def dL_dh(
    W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, t: int, l: int
) -> np.ndarray:
    # (y_pred − y_gt) V ∏_{i=l..t+1} diag(1[h_i > 0]) W, factors in descending order of i.
    row = (y_pred - y_gt) * V.reshape(1, -1)
    for i in range(l, t, -1):
        row = row @ (np.diag((h[i] > 0).astype(float)) @ W)
    return row


def _sum_kron(
    W: np.ndarray,
    V: np.ndarray,
    h: np.ndarray,
    y_pred: float,
    y_gt: float,
    l: int,
    inputs: np.ndarray,
) -> np.ndarray:
    """Σ_t ∂L/∂h_t diag(1[h_t > 0]) (I_n ⊗ inputs[t]ᵀ), a 1×n² row.

    Row t of ``inputs`` is the vector W or U multiplies at step t: h_{t-1} or x_t.
    """
    n = W.shape[0]
    total = np.zeros((1, n * n))
    for t in range(1, l + 1):
        mask_t = np.diag((h[t] > 0).astype(float))
        kron_t = np.kron(np.eye(n), inputs[t].reshape(1, -1))  # I_n ⊗ inputs[t]ᵀ, n×n²
        total += dL_dh(W, V, h, y_pred, y_gt, t, l) @ mask_t @ kron_t
    return total


def dL_dW(
    W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, l: int
) -> np.ndarray:
    # Shift h down one row so that row t holds h_{t-1}, the vector W multiplies at step t.
    h_prev = np.vstack([np.zeros((1, h.shape[1])), h[:-1]])
    return _sum_kron(W, V, h, y_pred, y_gt, l, h_prev)


def dL_dU(
    W: np.ndarray, V: np.ndarray, x: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, l: int
) -> np.ndarray:
    return _sum_kron(W, V, h, y_pred, y_gt, l, x)


def dL_db(
    W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, l: int
) -> np.ndarray:
    # ∂h_t/∂b (direct dependence) is diag(1[h_t > 0]).
    total = np.zeros((1, W.shape[0]))
    for t in range(1, l + 1):
        total += dL_dh(W, V, h, y_pred, y_gt, t, l) @ np.diag((h[t] > 0).astype(float))
    return total
