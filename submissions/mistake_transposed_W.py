# Mistake: transposed_W — with column vectors, ∂L/∂h_{t} is computed as W D ∂L/∂h_{t+1}, not Wᵀ D.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1.0 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l].reshape(-1, 1)


def dL_dh(W, V, h, y_pred, y_gt, l, n):
    cols = np.zeros((n, l))
    g = (y_pred - y_gt) * V.reshape(-1, 1)
    cols[:, l - 1 : l] = g
    for t in range(l - 1, 0, -1):
        D = np.diag((h[t + 1] > 0).astype(float))
        g = W @ D @ g
        cols[:, t - 1 : t] = g
    return cols.T


def _deltas(W, V, h, y_pred, y_gt, l):
    # backprop through time, column vectors: delta_t = D_t dL/dh_t
    deltas = {}
    g = (y_pred - y_gt) * V.reshape(-1, 1)
    for t in range(l, 0, -1):
        deltas[t] = (h[t] > 0).reshape(-1, 1) * g
        g = W.T @ deltas[t]
    return deltas


def dL_dW(W, V, h, y_pred, y_gt, l):
    deltas = _deltas(W, V, h, y_pred, y_gt, l)
    return sum(deltas[t] @ h[t - 1].reshape(1, -1) for t in range(1, l + 1))


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    deltas = _deltas(W, V, h, y_pred, y_gt, l)
    return sum(deltas[t] @ x[t].reshape(1, -1) for t in range(1, l + 1))


def dL_db(W, V, h, y_pred, y_gt, l):
    deltas = _deltas(W, V, h, y_pred, y_gt, l)
    return sum(deltas[t] for t in range(1, l + 1))
