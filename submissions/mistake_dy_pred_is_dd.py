# Mistake: dy_pred_is_dd — ∂L/∂y_pred is given as y_pred − y_gt, which is ∂L/∂d.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    # cross-entropy + sigmoid: the derivative simplifies to y_pred - y_gt
    return y_pred - y_gt


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, l, n):
    out = np.zeros((l, n))
    g = (y_pred - y_gt) * V
    out[l - 1] = g
    for t in range(l - 1, 0, -1):
        g = (g * (h[t + 1] > 0)) @ W
        out[t - 1] = g
    return out


def dL_dW(W, V, h, y_pred, y_gt, l, n):
    delta = dL_dh(W, V, h, y_pred, y_gt, l, n) * (h[1:] > 0)
    return delta.T @ h[:-1]


def dL_dU(W, V, x, h, y_pred, y_gt, l, n):
    delta = dL_dh(W, V, h, y_pred, y_gt, l, n) * (h[1:] > 0)
    return delta.T @ x[1:]


def dL_db(W, V, h, y_pred, y_gt, l, n):
    delta = dL_dh(W, V, h, y_pred, y_gt, l, n) * (h[1:] > 0)
    return delta.sum(axis=0)
