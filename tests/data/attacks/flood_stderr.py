"""Attack: dL_dd writes 100 MB to stderr."""

import numpy as np
import sys


def dL_dd(y_pred: float, y_gt: float) -> float:
    line = "x" * (1 << 20)
    for _ in range(100):
        sys.stderr.write(line)
    return y_pred - y_gt
