# Mistake: missing_relu_mask — the ReLU derivative diag(1[h > 0]) is left out of ∂L/∂h_t and ∂L/∂W.
import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def dL_dh(W, V, y_pred, y_gt, t, l):
    # dh_i/dh_{i-1} = W
    grad = (y_pred - y_gt) * V
    for _ in range(l, t, -1):
        grad = grad @ W
    return grad


def _backprop(W, V, h, y_pred, y_gt, l):
    """dL/dh_t for t = 1..l (row t-1), through the ReLU of every later step."""
    grads = np.zeros((l, len(V)))
    grads[l - 1] = (y_pred - y_gt) * V
    for t in range(l - 1, 0, -1):
        grads[t - 1] = (grads[t] * (h[t + 1] > 0)) @ W
    return grads


def dL_dW(W, V, h, y_pred, y_gt, l):
    grads = _backprop(W, V, h, y_pred, y_gt, l)
    G = np.zeros_like(W)
    for t in range(1, l + 1):
        # h_t = relu(b + W h_{t-1} + U x_t), so dh_t/dW[i, j] = h_{t-1}[j]
        G += np.outer(grads[t - 1], h[t - 1])
    return G


def dL_dU(W, V, x, h, y_pred, y_gt, l):
    grads = _backprop(W, V, h, y_pred, y_gt, l)
    delta = grads * (h[1:] > 0)
    return delta.T @ x[1:]


def dL_db(W, V, h, y_pred, y_gt, l):
    grads = _backprop(W, V, h, y_pred, y_gt, l)
    return (grads * (h[1:] > 0)).sum(axis=0)
