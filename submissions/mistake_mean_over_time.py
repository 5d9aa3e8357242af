# Mistake: mean_over_time — ∂L/∂W, ∂L/∂U and ∂L/∂b average the per-step terms (÷ l).
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


def dL_dW(W, V, h, y_pred, y_gt, l):
    terms = []
    for t in range(1, l + 1):
        delta = dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0)
        terms.append(np.outer(delta, h[t - 1]))
    # W is shared over the l time steps: average the gradient over time
    return np.mean(terms, axis=0)


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    terms = [
        np.outer(dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0), x[t]) for t in range(1, l + 1)
    ]
    return np.mean(terms, axis=0)


def dL_db(W, V, h, y_pred, y_gt, l):
    terms = [dL_dh(W, V, h, y_pred, y_gt, t, l) * (h[t] > 0) for t in range(1, l + 1)]
    return np.mean(terms, axis=0)
