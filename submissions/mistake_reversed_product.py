# Mistake: reversed_product — the factors diag(1[h_i > 0]) W are multiplied in ascending i.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, t, l):
    # dL/dh_t = (y_pred - y_gt) V prod_{i=t+1}^{l} diag(1[h_i > 0]) W
    prod = np.eye(len(V))
    for i in range(t + 1, l + 1):
        prod = prod @ np.diag((h[i] > 0).astype(float)) @ W
    return (y_pred - y_gt) * V @ prod


def _dh_all(W, V, h, y_pred, y_gt, l):
    dh = np.zeros((l + 1, len(V)))  # row t = dL/dh_t, row 0 unused
    dh[l] = (y_pred - y_gt) * V
    for t in range(l - 1, 0, -1):
        dh[t] = (dh[t + 1] * (h[t + 1] > 0)) @ W
    return dh


def dL_dW(W, V, h, y_pred, y_gt, l):
    dh = _dh_all(W, V, h, y_pred, y_gt, l)
    delta = dh[1:] * (h[1:] > 0)
    return delta.T @ h[:-1]


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    dh = _dh_all(W, V, h, y_pred, y_gt, l)
    delta = dh[1:] * (h[1:] > 0)
    return delta.T @ x[1:]


def dL_db(W, V, h, y_pred, y_gt, l):
    dh = _dh_all(W, V, h, y_pred, y_gt, l)
    return np.sum(dh[1:] * (h[1:] > 0), axis=0)
