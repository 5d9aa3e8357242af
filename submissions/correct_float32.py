"""A correct submission computed entirely in float32, as code written for a GPU framework would be.

Every input is cast to np.float32 first and every constant is a float32, so no step is promoted
back to float64; the answers are float32 arrays and scalars.
"""

import numpy as np

f32 = np.float32


def dL_dy_pred(y_pred: float, y_gt: float) -> np.float32:
    p, y = f32(y_pred), f32(y_gt)
    return (p - y) / (p * (f32(1) - p))


def dL_dd(y_pred: float, y_gt: float) -> np.float32:
    return f32(y_pred) - f32(y_gt)


def dL_dV(h: np.ndarray, y_pred: float, y_gt: float, l: int) -> np.ndarray:
    return dL_dd(y_pred, y_gt) * h[l].astype(f32)


def dL_dh(W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float) -> np.ndarray:
    W32, h32 = W.astype(f32), h.astype(f32)
    l = h32.shape[0] - 1
    masks = (h32 > f32(0)).astype(f32)
    dh = np.zeros((l, h32.shape[1]), dtype=f32)
    g = dL_dd(y_pred, y_gt) * V.astype(f32)
    dh[l - 1] = g
    for t in range(l - 1, 0, -1):
        g = (g * masks[t + 1]) @ W32
        dh[t - 1] = g
    return dh


def _deltas(W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float) -> np.ndarray:
    """l×n float32 array whose row t-1 is δ_t = ∂L/∂h_t ∘ 1[h_t > 0]."""
    return dL_dh(W, V, h, y_pred, y_gt) * (h[1:].astype(f32) > f32(0)).astype(f32)


def dL_dW(W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float) -> np.ndarray:
    return _deltas(W, V, h, y_pred, y_gt).T @ h[:-1].astype(f32)


def dL_dU(
    W: np.ndarray, V: np.ndarray, x: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float
) -> np.ndarray:
    return _deltas(W, V, h, y_pred, y_gt).T @ x[1:].astype(f32)


def dL_db(W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float) -> np.ndarray:
    return _deltas(W, V, h, y_pred, y_gt).sum(axis=0, dtype=f32)
