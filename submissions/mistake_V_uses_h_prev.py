# Mistake: V_uses_h_prev — ∂L/∂V uses h_{l−1} instead of the last hidden state h_l.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    # h has l+1 rows, so the last one is h[l-1]
    return (y_pred - y_gt) * h[l - 1]


def dL_dh(W, V, h, y_pred, y_gt):
    l = len(h) - 1
    rows = [(y_pred - y_gt) * V]  # dL/dh_l first, then backwards
    for t in range(l - 1, 0, -1):
        rows.append(rows[-1] @ np.diag((h[t + 1] > 0).astype(float)) @ W)
    return np.array(rows[::-1])


def dL_dW(W, V, h, y_pred, y_gt):
    dh = dL_dh(W, V, h, y_pred, y_gt)
    delta = dh * (h[1:] > 0)
    return delta.T @ h[:-1]


def dL_dU(W, V, x, h, y_pred, y_gt):
    dh = dL_dh(W, V, h, y_pred, y_gt)
    delta = dh * (h[1:] > 0)
    return delta.T @ x[1:]


def dL_db(W, V, h, y_pred, y_gt):
    dh = dL_dh(W, V, h, y_pred, y_gt)
    return (dh * (h[1:] > 0)).sum(axis=0)
