# Mistake: extra_sigmoid_factor — ∂L/∂y_pred as y_pred − y_gt, then times the sigmoid's derivative.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return y_pred - y_gt


def dL_dd(y_pred, y_gt):
    # chain rule: dL/dd = dL/dy_pred * dy_pred/dd, and sigmoid' = sigmoid (1 - sigmoid)
    return dL_dy_pred(y_pred, y_gt) * y_pred * (1 - y_pred)


def dL_dV(h, y_pred, y_gt, l):
    return dL_dd(y_pred, y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, l, n):
    # column vectors: dL/dh_t = W^T diag(1[h_{t+1} > 0]) dL/dh_{t+1}
    grads = np.zeros((n, l))
    grads[:, l - 1] = dL_dd(y_pred, y_gt) * V
    for t in range(l - 1, 0, -1):
        grads[:, t - 1] = W.T @ ((h[t + 1] > 0) * grads[:, t])
    return grads.T


def _delta(W, V, h, y_pred, y_gt, l, n):
    return dL_dh(W, V, h, y_pred, y_gt, l, n) * (h[1:] > 0)


def dL_dW(W, V, h, y_pred, y_gt, l, n):
    return _delta(W, V, h, y_pred, y_gt, l, n).T @ h[:-1]


def dL_dU(W, V, x, h, y_pred, y_gt, l, n):
    return _delta(W, V, h, y_pred, y_gt, l, n).T @ x[1:]


def dL_db(W, V, h, y_pred, y_gt, l, n):
    return _delta(W, V, h, y_pred, y_gt, l, n).sum(axis=0)
