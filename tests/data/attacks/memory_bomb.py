"""Attack: dL_dd allocates 8 GiB and touches it."""

import numpy as np


def dL_dd(y_pred: float, y_gt: float) -> float:
    hog = np.ones(8 << 30, dtype=np.uint8)
    return float(hog[-1]) * (y_pred - y_gt)
