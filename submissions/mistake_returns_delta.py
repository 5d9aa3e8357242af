# Mistake: returns_delta — dL_dh returns δ_t, the gradient of the pre-activation, not ∂L/∂h_t.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, l):
    # delta_t = dL/dh_t through the ReLU: delta_l = (y_pred - y_gt) V * relu'(h_l),
    # delta_t = (delta_{t+1} W) * relu'(h_t)
    delta = np.zeros((l, len(V)))
    delta[l - 1] = (y_pred - y_gt) * V * (h[l] > 0)
    for t in range(l - 1, 0, -1):
        delta[t - 1] = (delta[t] @ W) * (h[t] > 0)
    return delta


def dL_dW(W, V, h, y_pred, y_gt, l):
    return dL_dh(W, V, h, y_pred, y_gt, l).T @ h[:-1]


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    return dL_dh(W, V, h, y_pred, y_gt, l).T @ x[1:]


def dL_db(W, V, h, y_pred, y_gt, l):
    return dL_dh(W, V, h, y_pred, y_gt, l).sum(axis=0)
