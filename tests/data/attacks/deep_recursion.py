"""Attack: unbounded recursion with the recursion limit lifted."""

import numpy as np
import sys


def dL_dd(y_pred: float, y_gt: float) -> float:
    sys.setrecursionlimit(10**6)

    def down(k):
        return down(k + 1) + 1

    return down(0)
