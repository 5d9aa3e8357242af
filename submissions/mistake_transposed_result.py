# Mistake: transposed_result — ∂L/∂W is flattened column-major and ∂L/∂U is returned as Gᵀ.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, h, y_pred, y_gt):
    l = h.shape[0] - 1
    dh = np.zeros((l, h.shape[1]))
    dh[l - 1] = (y_pred - y_gt) * V
    for t in range(l - 1, 0, -1):
        dh[t - 1] = (dh[t] * (h[t + 1] > 0)) @ W
    return dh


def dL_dW(W, V, h, y_pred, y_gt):
    delta = dL_dh(W, V, h, y_pred, y_gt) * (h[1:] > 0)
    G = delta.T @ h[:-1]
    # the answer should be the 1 x n^2 row vector vec(dL/dW)
    return G.flatten(order="F").reshape(1, -1)


def dL_dU(W, V, x, h, y_pred, y_gt):
    delta = dL_dh(W, V, h, y_pred, y_gt) * (h[1:] > 0)
    G = np.zeros_like(W)
    for t in range(1, len(h)):
        G += np.outer(x[t], delta[t - 1])
    return G


def dL_db(W, V, h, y_pred, y_gt):
    return (dL_dh(W, V, h, y_pred, y_gt) * (h[1:] > 0)).sum(axis=0)
