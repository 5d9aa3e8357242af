"""A correct submission of the five required parts, used as the base of the grader's tests.

Tests append a redefinition of one function to this file (the later `def` wins) to make that
one part misbehave while every other part stays correct. No function calls another by its
public name, so a redefinition changes only its own part. dL_dh returns the whole l×n array.
"""

import numpy as np


def dL_dy_pred(y_pred, y_gt):
    return (y_pred - y_gt) / (y_pred * (1 - y_pred))


def dL_dd(y_pred, y_gt):
    return y_pred - y_gt


def dL_dV(h, y_pred, y_gt, l):
    return (y_pred - y_gt) * h[l]


def _dh_rows(W, V, h, y_pred, y_gt, l, n):
    grads = np.zeros((l, n))
    grads[l - 1] = (y_pred - y_gt) * V
    for t in range(l - 1, 0, -1):
        grads[t - 1] = (grads[t] * (h[t + 1] > 0)) @ W
    return grads


def dL_dh(W, V, h, y_pred, y_gt, l, n):
    return _dh_rows(W, V, h, y_pred, y_gt, l, n)


def dL_dW(W, V, h, y_pred, y_gt, l, n):
    grads = _dh_rows(W, V, h, y_pred, y_gt, l, n)
    result = np.zeros((n, n))
    for t in range(1, l + 1):
        result += np.outer(grads[t - 1] * (h[t] > 0), h[t - 1])
    return result
