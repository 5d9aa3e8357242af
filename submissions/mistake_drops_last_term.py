# Mistake: drops_last_term — the sum for ∂L/∂W runs over t = 1..l−1 and misses the t = l term.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, t, l):
    g = (y_pred - y_gt) * V
    for i in range(l, t, -1):
        g = (g * (h[i] > 0)) @ W
    return g


def dL_dW(W, V, h, y_pred, y_gt, l):
    G = np.zeros_like(W)
    for t in range(1, l):
        G += np.outer(dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0), h[t - 1])
    return G


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    G = np.zeros_like(W)
    for t in range(1, l + 1):
        G += np.outer(dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0), x[t])
    return G


def dL_db(W, V, h, y_pred, y_gt, l):
    total = np.zeros_like(V)
    for t in range(1, l + 1):
        total += dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0)
    return total
