# Mistake: missing_error_factor — ∂L/∂h_l is taken as V, without the factor (y_pred − y_gt).
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, h, l, n):
    result = np.zeros((l, n))
    result[l - 1] = V  # y = V h_l + d, so dy/dh_l = V
    for t in range(l - 1, 0, -1):
        result[t - 1] = (result[t] * (h[t + 1] > 0)) @ W
    return result


def _delta(W, V, h, y_pred, y_gt, l, n):
    g = np.zeros((l, n))
    g[l - 1] = (y_pred - y_gt) * V
    for t in range(l - 1, 0, -1):
        g[t - 1] = (g[t] * (h[t + 1] > 0)) @ W
    return g * (h[1:] > 0)


def dL_dW(W, V, h, y_pred, y_gt, l, n):
    return _delta(W, V, h, y_pred, y_gt, l, n).T @ h[:l]


def dL_dU(W, V, x, h, y_pred, y_gt, l, n):
    return _delta(W, V, h, y_pred, y_gt, l, n).T @ x[1:]


def dL_db(W, V, h, y_pred, y_gt, l, n):
    return _delta(W, V, h, y_pred, y_gt, l, n).sum(axis=0)
