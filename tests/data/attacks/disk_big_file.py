"""Attack: dL_dd writes one 1 GiB file into /tmp."""

import numpy as np


def dL_dy_pred(y_pred: float, y_gt: float) -> float:
    return -(y_gt / y_pred - (1.0 - y_gt) / (1.0 - y_pred))


def dL_dd(y_pred: float, y_gt: float) -> float:
    block = b"\0" * (1 << 20)
    with open("/tmp/big.bin", "wb") as f:
        for _ in range(1024):
            f.write(block)
    return y_pred - y_gt


def dL_dV(h: np.ndarray, y_pred: float, y_gt: float, l: int) -> np.ndarray:
    return (y_pred - y_gt) * h[l].reshape(-1, 1)


def dL_dh(W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float) -> np.ndarray:
    l, n = h.shape[0] - 1, h.shape[1]
    masks = (h > 0).astype(float)
    columns = np.zeros((n, l))  # column t-1 is ∂L/∂h_t as a column vector
    g = (y_pred - y_gt) * V.reshape(-1, 1)
    columns[:, [l - 1]] = g
    for t in range(l - 1, 0, -1):
        g = W.T @ (masks[t + 1].reshape(-1, 1) * g)
        columns[:, [t - 1]] = g
    return columns.T


def _deltas(W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float) -> np.ndarray:
    """n×l matrix whose column t-1 is δ_t = D_t ∂L/∂h_t."""
    return dL_dh(W, V, h, y_pred, y_gt).T * (h[1:] > 0).T


def dL_dW(W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float) -> np.ndarray:
    # Σ_t δ_t h_{t-1}ᵀ as one matrix product over all time steps.
    return _deltas(W, V, h, y_pred, y_gt) @ h[:-1]


def dL_dU(
    W: np.ndarray, V: np.ndarray, x: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float
) -> np.ndarray:
    return _deltas(W, V, h, y_pred, y_gt) @ x[1:]


def dL_db(W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float) -> np.ndarray:
    return _deltas(W, V, h, y_pred, y_gt).sum(axis=1, keepdims=True)
