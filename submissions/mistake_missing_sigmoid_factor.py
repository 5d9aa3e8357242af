# Mistake: missing_sigmoid_factor — ∂L/∂d is ∂L/∂y_pred (no sigmoid derivative), carried back.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return -y_gt / y_pred + (1 - y_gt) / (1 - y_pred)


def dL_dd(y_pred, y_gt):
    # y_pred = sigmoid(V h_l + d): d enters with coefficient 1
    return dL_dy_pred(y_pred, y_gt)


def dL_dV(h, y_pred, y_gt, l):
    return dL_dd(y_pred, y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, t, l):
    g = dL_dd(y_pred, y_gt) * V
    for i in range(l, t, -1):
        g = g @ np.diag((h[i] > 0).astype(float)) @ W
    return g


def dL_dW(W, V, h, y_pred, y_gt, l):
    n = len(V)
    row = np.zeros((1, n * n))
    for t in range(1, l + 1):
        g = dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0)
        row += g @ np.kron(np.eye(n), h[t - 1].reshape(1, n))
    return row


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    n = len(V)
    row = np.zeros((1, n * n))
    for t in range(1, l + 1):
        g = dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0)
        row += g @ np.kron(np.eye(n), x[t].reshape(1, n))
    return row


def dL_db(W, V, h, y_pred, y_gt, l):
    return sum(dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0) for t in range(1, l + 1))
