"""Attack: dL_dd tries to read the reference solution and the grader's code.

The test replaces __TARGETS__ with absolute paths on the host. Every outcome goes into
the output (a summary line first) and into the exception message.
"""

import numpy as np
import os


def dL_dd(y_pred: float, y_gt: float) -> float:
    found, contents = [], []
    for path in __TARGETS__:
        try:
            if os.path.isdir(path):
                contents.append("\n".join(os.listdir(path)))
            else:
                with open(path, encoding="utf-8") as f:
                    contents.append(f.read())
            found.append(f"READ-OK {path}")
        except OSError as exc:
            found.append(f"READ-FAIL {path} {type(exc).__name__}")
    for name in ("reference", "reference.model", "grader", "grader.core"):
        try:
            mod = __import__(name, fromlist=["x"])
            found.append(f"IMPORT-OK {name} {getattr(mod, '__file__', '')}")
            src = getattr(mod, "__file__", None)
            if src:
                with open(src, encoding="utf-8") as f:
                    contents.append(f.read())
        except BaseException as exc:
            found.append(f"IMPORT-FAIL {name} {type(exc).__name__}")
    print(" | ".join(found), flush=True)
    print("\n".join(contents), flush=True)
    raise RuntimeError(" | ".join(found) + "\n" + "\n".join(contents))
