"""Attack: dL_dd calls os._exit(0), bypassing every handler."""

import numpy as np
import os


def dL_dd(y_pred: float, y_gt: float) -> float:
    os._exit(0)
