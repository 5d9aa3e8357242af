"""Attack: dL_dd prints 100 MB to stdout."""

import numpy as np
import sys


def dL_dd(y_pred: float, y_gt: float) -> float:
    line = "x" * (1 << 20)
    for _ in range(100):
        sys.stdout.write(line)
    return y_pred - y_gt
