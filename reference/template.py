"""BPTT homework: your answers. Fill in each function below and submit this one file.

The forward pass (see the homework)::

    h_0 = 0,  h_t = ReLU(b + W h_{t-1} + U x_t)  for t = 1..l,  y_pred = Sigmoid(V h_l + d)
    L = -(y_gt log(y_pred) + (1 - y_gt) log(1 - y_pred))

How your functions are called:

- The grader passes arguments *by parameter name*: a function may take any of
  ``W`` (n×n), ``U`` (n×n), ``b`` (n,), ``V`` (n,), ``d`` (float), ``x`` ((l+1)×n, ``x[t]`` is
  x_t, row 0 is zero padding), ``h`` ((l+1)×n, ``h[t]`` is h_t, ``h[0]`` = 0), ``y_pred``
  (float), ``y_gt`` (0.0 or 1.0), ``n``, ``l``, in any order. ``dL_dh`` may also take ``t``.
  Remove the parameters you do not need; add any others from this list. A ``**kwargs``
  parameter receives every input that no other parameter names (``t`` only by name).
- Return Python numbers, nested lists or numpy arrays. One number may be a plain number, (1,)
  or (1, 1); k numbers along one axis (a vector, or an array of one row or one column, such as
  ∂L/∂h when l = 1 or n = 1) may be (k,), (1, k) or (k, 1).
- ``dL_dW`` and ``dL_dU`` return the n×n matrix G with G[i, j] = ∂L/∂W[i, j]; the model
  solution's 1×n² row (W flattened row by row) is accepted too.
- ReLU's derivative at exactly 0 is taken as 0 (the indicator 1[h > 0]).
- Use only the Python standard library and numpy.
- The bonus parts (``dL_dU``, ``dL_db``) are optional.

中文：按参数名传参（可任选上面列出的参数、顺序不限；``**kwargs`` 收到其余全部输入），
只可使用标准库和 numpy；dL_dU 和 dL_db 为附加题（选做）。
"""

import numpy as np


def dL_dy_pred(y_pred: float, y_gt: float) -> float:
    """∂L/∂y_pred: a scalar."""
    raise NotImplementedError


def dL_dd(y_pred: float, y_gt: float) -> float:
    """∂L/∂d: a scalar."""
    raise NotImplementedError


def dL_dV(h: np.ndarray, y_pred: float, y_gt: float, l: int) -> np.ndarray:
    """∂L/∂V: an n-vector."""
    raise NotImplementedError


def dL_dh(
    W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, t: int, l: int
) -> np.ndarray:
    """∂L/∂h_t for the given t (called for t = 1..l): an n-vector.

    Alternatively, drop the parameter ``t`` and return an l×n array whose row t−1 is ∂L/∂h_t.
    """
    raise NotImplementedError


def dL_dW(
    W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, l: int
) -> np.ndarray:
    """∂L/∂W: the n×n matrix G with G[i, j] = ∂L/∂W[i, j] (or the 1×n² row, row by row)."""
    raise NotImplementedError


def dL_dU(
    W: np.ndarray, V: np.ndarray, x: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, l: int
) -> np.ndarray:
    """Bonus (附加题): ∂L/∂U, an n×n matrix like ∂L/∂W (or the 1×n² row)."""
    raise NotImplementedError


def dL_db(
    W: np.ndarray, V: np.ndarray, h: np.ndarray, y_pred: float, y_gt: float, l: int
) -> np.ndarray:
    """Bonus (附加题): ∂L/∂b, an n-vector."""
    raise NotImplementedError
