# Mistake: sign_flip — every gradient is negated (the minus sign of −log is lost).
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return y_gt / y_pred - (1 - y_gt) / (1 - y_pred)


def dL_dd(y_pred, y_gt):
    return y_gt - y_pred


def dL_dV(h, y_pred, y_gt, l):
    return (y_gt - y_pred) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, t, l):
    grad = (y_gt - y_pred) * V
    for i in range(l, t, -1):
        grad = grad @ (np.diag(h[i] > 0) @ W)
    return grad


def _deltas(W, V, h, y_pred, y_gt, l):
    return [dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0) for t in range(1, l + 1)]


def dL_dW(W, V, h, y_pred, y_gt, l):
    deltas = _deltas(W, V, h, y_pred, y_gt, l)
    return sum(np.outer(deltas[t - 1], h[t - 1]) for t in range(1, l + 1))


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    deltas = _deltas(W, V, h, y_pred, y_gt, l)
    return sum(np.outer(deltas[t - 1], x[t]) for t in range(1, l + 1))


def dL_db(W, V, h, y_pred, y_gt, l):
    return sum(_deltas(W, V, h, y_pred, y_gt, l))
