# Mistake: mask_off_by_one — each factor of ∂L/∂h_t uses the mask of h_{i−1} instead of h_i.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, t, l):
    result = (y_pred - y_gt) * V
    for i in range(l, t, -1):
        # dh_i/dh_{i-1} = W diag(relu'(h_{i-1}))
        result = result * (h[i - 1] > 0)
        result = result @ W
    return result


def dL_dW(W, V, h, y_pred, y_gt, l):
    n = W.shape[0]
    G = np.zeros((n, n))
    g = (y_pred - y_gt) * V  # dL/dh_l
    for t in range(l, 0, -1):
        delta = g * (h[t] > 0)
        G += np.outer(delta, h[t - 1])
        g = delta @ W  # dL/dh_{t-1}
    return G


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    n = W.shape[0]
    G = np.zeros((n, n))
    g = (y_pred - y_gt) * V
    for t in range(l, 0, -1):
        delta = g * (h[t] > 0)
        G += np.outer(delta, x[t])
        g = delta @ W
    return G


def dL_db(W, V, h, y_pred, y_gt, l):
    total = np.zeros(len(V))
    g = (y_pred - y_gt) * V
    for t in range(l, 0, -1):
        delta = g * (h[t] > 0)
        total += delta
        g = delta @ W
    return total
