"""Attack: dL_dd forks on its first call; the copy returns from dL_dd too, into the runner,
which would go on answering (later parts garbled) if it could speak for the child."""

import os

FORKED = []


def dL_dd(y_pred: float, y_gt: float) -> float:
    if not FORKED:
        FORKED.append(os.fork())
    return y_pred - y_gt
