# Mistake: uses_h_t — ∂L/∂W sums δ_t h_tᵀ where h_{t−1} belongs.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, l, n):
    dh = np.zeros((l, n))
    dh[-1] = (y_pred - y_gt) * V
    for k in range(l - 2, -1, -1):  # k = t - 1
        dh[k] = (dh[k + 1] * (h[k + 2] > 0)) @ W
    return dh


def dL_dW(W, V, h, y_pred, y_gt, l, n):
    delta = dL_dh(W, V, h, y_pred, y_gt, l, n) * (h[1:] > 0)
    G = np.zeros((n, n))
    for t in range(1, l + 1):
        G += np.outer(delta[t - 1], h[t])
    return G


def dL_dU(W, V, x, h, y_pred, y_gt, l, n):
    delta = dL_dh(W, V, h, y_pred, y_gt, l, n) * (h[1:] > 0)
    G = np.zeros((n, n))
    for t in range(1, l + 1):
        G += np.outer(delta[t - 1], x[t])
    return G


def dL_db(W, V, h, y_pred, y_gt, l, n):
    delta = dL_dh(W, V, h, y_pred, y_gt, l, n) * (h[1:] > 0)
    return delta.sum(axis=0)
