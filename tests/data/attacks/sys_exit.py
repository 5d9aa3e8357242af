"""Attack: dL_dd calls sys.exit(0) to end the run early."""

import numpy as np
import sys


def dL_dd(y_pred: float, y_gt: float) -> float:
    sys.exit(0)
