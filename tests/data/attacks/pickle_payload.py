"""Attack: dL_dd returns objects whose unpickling would run code in the grader.

The test replaces __MARKER__ with a path on the host: it must never be created.
"""

import numpy as np
import os

MARKER = "__MARKER__"


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


def dL_dy_pred(y_pred: float, y_gt: float) -> float:
    return Payload()


def dL_dd(y_pred: float, y_gt: float) -> float:
    return np.array([Payload()], dtype=object)
