"""Attack: dL_dd returns an 800 MB array."""

import numpy as np


def dL_dd(y_pred: float, y_gt: float) -> float:
    return np.ones(10**8)
