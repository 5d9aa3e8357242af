# Mistake: truncated_bptt — the backward pass stops 2 steps back from the output (truncated BPTT).
import numpy as np

BPTT_TRUNCATE = 2  # steps to back-propagate through, as in the RNN tutorial


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt, l):
    n = len(V)
    dh = np.zeros((l, n))
    g = (y_pred - y_gt) * V
    for t in range(l, max(0, l - BPTT_TRUNCATE), -1):
        dh[t - 1] = g
        g = (g * (h[t] > 0)) @ W
    return dh


def dL_dW(W, V, h, y_pred, y_gt, l):
    dh = dL_dh(W, V, h, y_pred, y_gt, l)
    G = np.zeros_like(W)
    for t in range(l, max(0, l - BPTT_TRUNCATE), -1):
        G += np.outer(dh[t - 1] * (h[t] > 0), h[t - 1])
    return G


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    dh = dL_dh(W, V, h, y_pred, y_gt, l)
    G = np.zeros_like(W)
    for t in range(l, max(0, l - BPTT_TRUNCATE), -1):
        G += np.outer(dh[t - 1] * (h[t] > 0), x[t])
    return G


def dL_db(W, V, h, y_pred, y_gt, l):
    dh = dL_dh(W, V, h, y_pred, y_gt, l)
    return sum(dh[t - 1] * (h[t] > 0) for t in range(l, max(0, l - BPTT_TRUNCATE), -1))
