# Mistake: labels_pm1 — the logistic loss gradient for labels in {−1, +1}, given 0/1 labels.
import numpy as np

# Logistic loss with y in {-1, +1}: L = log(1 + exp(-y z)), z = V h_l + d, y_pred = sigmoid(z)
# dL/dz = -y * sigmoid(-y z)


def _dL_dz(y_pred, y_gt):
    z = np.log(y_pred / (1 - y_pred))
    return -y_gt / (1 + np.exp(y_gt * z))


def dL_dy_pred(y_pred, y_gt):
    # dz/dy_pred = 1 / (y_pred (1 - y_pred))
    return _dL_dz(y_pred, y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return _dL_dz(y_pred, y_gt)


def dL_dV(h, y_pred, y_gt, l):
    return _dL_dz(y_pred, y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, l, n):
    out = np.zeros((l, n))
    out[l - 1] = _dL_dz(y_pred, y_gt) * V
    for t in range(l - 1, 0, -1):
        out[t - 1] = (out[t] * (h[t + 1] > 0)) @ W
    return out


def _delta(W, V, h, y_pred, y_gt, l, n):
    return dL_dh(W, V, h, y_pred, y_gt, l, n) * (h[1:] > 0)


def dL_dW(W, V, h, y_pred, y_gt, l, n):
    return _delta(W, V, h, y_pred, y_gt, l, n).T @ h[:l]


def dL_dU(W, V, x, h, y_pred, y_gt, l, n):
    return _delta(W, V, h, y_pred, y_gt, l, n).T @ x[1:]


def dL_db(W, V, h, y_pred, y_gt, l, n):
    return _delta(W, V, h, y_pred, y_gt, l, n).sum(axis=0)
