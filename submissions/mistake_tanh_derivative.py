# Mistake: tanh_derivative — the backward pass uses tanh's derivative 1 − h² for the ReLU.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def act_grad(h_t):
    # derivative of the activation, written in terms of its output
    return 1 - h_t**2


def dL_dh(W, V, h, y_pred, y_gt, t, l):
    g = (y_pred - y_gt) * V
    for i in range(l, t, -1):
        # h_i = act(a_i), a_i = b + W h_{i-1} + U x_i
        g = (g * act_grad(h[i])) @ W
    return g


def _deltas(W, V, h, y_pred, y_gt, l):
    return np.array([dL_dh(W, V, h, y_pred, y_gt, t, l) * act_grad(h[t]) for t in range(1, l + 1)])


def dL_dW(W, V, h, y_pred, y_gt, l):
    return _deltas(W, V, h, y_pred, y_gt, l).T @ h[:-1]


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    return _deltas(W, V, h, y_pred, y_gt, l).T @ x[1:]


def dL_db(W, V, h, y_pred, y_gt, l):
    return _deltas(W, V, h, y_pred, y_gt, l).sum(axis=0)
