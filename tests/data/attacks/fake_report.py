"""Attack: top-level code prints a JSON report claiming full marks; dL_dd is wrong."""

import numpy as np
import json
import sys

print(
    json.dumps(
        {
            "assignment": "bptt-relu-rnn",
            "score": 10.0,
            "max_score": 10.0,
            "parts": [],
            "sandbox": "bwrap",
            "FAKE": True,
        }
    )
)
sys.stdout.flush()


def dL_dd(y_pred: float, y_gt: float) -> float:
    return 0.0
