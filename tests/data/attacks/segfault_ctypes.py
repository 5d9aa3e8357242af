"""Attack: dL_dd dereferences a null pointer through ctypes."""

import numpy as np


def dL_dd(y_pred: float, y_gt: float) -> float:
    import ctypes

    return ctypes.string_at(0)
