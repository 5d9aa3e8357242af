"""Attack: top-level code patches numpy and builtins so any comparison says 'equal';
dL_dy_pred, dL_dd and dL_dV return wrong answers that must still fail.
"""

import numpy as np
import builtins

_real_asarray = np.asarray
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *x, **k: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.asarray = lambda a, *x, **k: _real_asarray(a, *x, **k) * 0
builtins.abs = lambda x: 0
builtins.max = lambda *a, **k: 0


def dL_dy_pred(y_pred: float, y_gt: float) -> float:
    return -1.0


def dL_dd(y_pred: float, y_gt: float) -> float:
    return 12345.0


def dL_dV(h: np.ndarray, y_pred: float, y_gt: float, l: int) -> np.ndarray:
    return np.zeros((h.shape[1], 1))
