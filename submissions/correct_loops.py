"""A correct submission written with explicit loops, one ∂L/∂h_t per call (the per-t form)."""

import numpy as np


def dL_dy_pred(y_pred: float, y_gt: float) -> float:
    return (y_pred - y_gt) / (y_pred * (1.0 - y_pred))


def dL_dd(y_pred: float, y_gt: float) -> float:
    return y_pred - y_gt


def dL_dV(h: np.ndarray, y_pred: float, y_gt: float, l: int) -> np.ndarray:
    e = y_pred - y_gt
    return np.array([e * h[l][j] for j in range(len(h[l]))])


def dL_dh(
    W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, t: int, l: int
) -> np.ndarray:
    n = len(V)
    e = y_pred - y_gt
    row = [e * V[j] for j in range(n)]  # ∂L/∂h_l
    # Multiply on the right by diag(1[h_i > 0]) W for i = l, l-1, ..., t+1.
    for i in range(l, t, -1):
        new_row = [0.0] * n
        for k in range(n):
            total = 0.0
            for j in range(n):
                if h[i][j] > 0:
                    total += row[j] * W[j][k]
            new_row[k] = total
        row = new_row
    return np.array(row)


def _deltas(
    W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, l: int
) -> list[np.ndarray]:
    """δ_t = ∂L/∂h_t ∘ 1[h_t > 0] for t = 1..l (list index t-1)."""
    deltas = []
    for t in range(1, l + 1):
        dh_t = dL_dh(W, V, h, y_pred, y_gt, t, l)
        deltas.append(np.array([dh_t[j] if h[t][j] > 0 else 0.0 for j in range(len(dh_t))]))
    return deltas


def dL_dW(
    W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, l: int
) -> np.ndarray:
    deltas = _deltas(W, V, h, y_pred, y_gt, l)
    G = np.zeros(W.shape)
    for t in range(1, l + 1):
        G += np.outer(deltas[t - 1], h[t - 1])
    return G


def dL_dU(
    W: np.ndarray, V: np.ndarray, x: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, l: int
) -> np.ndarray:
    deltas = _deltas(W, V, h, y_pred, y_gt, l)
    G = np.zeros(W.shape)
    for t in range(1, l + 1):
        G += np.outer(deltas[t - 1], x[t])
    return G


def dL_db(
    W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, l: int
) -> np.ndarray:
    deltas = _deltas(W, V, h, y_pred, y_gt, l)
    g = np.zeros(len(V))
    for t in range(1, l + 1):
        g += deltas[t - 1]
    return g
