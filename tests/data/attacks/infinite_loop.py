"""Attack: dL_dd never returns (busy loop)."""

import numpy as np


def dL_dd(y_pred: float, y_gt: float) -> float:
    while True:
        pass
