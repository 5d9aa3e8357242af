"""Attack: dL_dd sleeps far past the part timeout."""

import numpy as np
import time


def dL_dd(y_pred: float, y_gt: float) -> float:
    time.sleep(3600)
    return y_pred - y_gt
