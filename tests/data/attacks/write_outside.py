"""Attack: dL_dd writes outside its sandbox and tries to remount / read-write.

The test replaces __TARGETS__ with absolute paths on the host.
"""

import numpy as np
import os


def dL_dd(y_pred: float, y_gt: float) -> float:
    outcomes = []
    for path in __TARGETS__:
        try:
            with open(path, "w") as f:
                f.write("escaped")
            outcomes.append(f"WROTE {path}")
        except OSError as exc:
            outcomes.append(f"WRITE-FAIL {path} {type(exc).__name__}")
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for target in (b"/", b"/usr/lib", b"/sandbox/child.py"):
            rc = libc.mount(None, target, None, 32 | 4096, None)  # MS_REMOUNT | MS_BIND
            outcomes.append(f"REMOUNT {target!r} rc={rc} errno={ctypes.get_errno()}")
    except BaseException as exc:
        outcomes.append(f"REMOUNT-FAIL {type(exc).__name__}")
    print(" | ".join(outcomes), flush=True)
    raise RuntimeError(" | ".join(outcomes))
