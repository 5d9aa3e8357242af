# Mistake: only_last_term — ∂L/∂W keeps only the t = l term of the sum over time steps.
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


def dL_dW(V, h, y_pred, y_gt, l):
    # y_pred depends on W through h_l = relu(b + W h_{l-1} + U x_l)
    delta_l = (y_pred - y_gt) * V * (h[l] > 0)
    return np.outer(delta_l, h[l - 1])


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
