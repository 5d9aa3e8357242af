# Mistake: dd_is_dy_pred — ∂L/∂d is given as ∂L/∂y_pred (the sigmoid's derivative is left out).
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return -(y_gt / y_pred - (1 - y_gt) / (1 - y_pred))


def dL_dd(y_pred, y_gt):
    # d enters y_pred = sigmoid(V h_l + d) with coefficient 1
    return dL_dy_pred(y_pred, y_gt) * 1


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, t, l):
    row = (y_pred - y_gt) * V
    for i in range(l, t, -1):
        row = (row * (h[i] > 0)) @ W
    return row


def dL_dW(W, V, h, y_pred, y_gt, l):
    n = len(V)
    G = np.zeros((n, n))
    for t in range(1, l + 1):
        delta = dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0)
        G += np.outer(delta, h[t - 1])
    return G


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    n = len(V)
    G = np.zeros((n, n))
    for t in range(1, l + 1):
        delta = dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0)
        G += np.outer(delta, x[t])
    return G


def dL_db(W, V, h, y_pred, y_gt, l):
    g = np.zeros(len(V))
    for t in range(1, l + 1):
        g += dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0)
    return g
