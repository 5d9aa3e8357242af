"""Per-job overhead of each sandbox backend against a bare `python -c "import numpy"`.

Prints, for N runs each, the median wall time of: the bare interpreter importing numpy (the
floor every process-per-job design pays), one plain-backend job, one bubblewrap job and one
job forked by the warm pool, of a trivial submission on the public case set, and their ratios
to the floor, all in the same run.

    python bench/sandbox.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, bench/ leads sys.path and bench/reference.py would shadow the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from grader.assignment import load_assignment  # noqa: E402
from grader.cases import load_case_set  # noqa: E402
from grader.core import grade  # noqa: E402
from grader.runner.backend import PlainBackend  # noqa: E402
from grader.runner.bwrap import BwrapBackend, bwrap_works  # noqa: E402
from grader.settings import get_settings  # noqa: E402

TRIVIAL = "def dL_dd(y_pred, y_gt):\n    return y_pred - y_gt\n"


def median_time(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    assignment = load_assignment()
    cases = load_case_set(assignment, "public")
    settings = get_settings()
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "trivial.py"
        sub.write_text(TRIVIAL)
        floor = median_time(
            lambda: subprocess.run([sys.executable, "-c", "import numpy"], check=True), args.runs
        )
        rows = [("python -c 'import numpy'", floor)]
        plain = PlainBackend()
        rows.append(("plain backend job", median_time(
            lambda: grade(sub, assignment, settings, case_set=cases, backend=plain,
                          parts=["d"]), args.runs)))  # fmt: skip
        reason = bwrap_works()
        if reason is None:
            bw = BwrapBackend()
            rows.append(("bwrap backend job", median_time(
                lambda: grade(sub, assignment, settings, case_set=cases, backend=bw,
                              parts=["d"]), args.runs)))  # fmt: skip
            from grader.runner.zygote import PoolBackend

            pool = PoolBackend()
            pool.warm_up()
            rows.append(("pool backend job (warm)", median_time(
                lambda: grade(sub, assignment, settings, case_set=cases, backend=pool,
                              parts=["d"]), args.runs)))  # fmt: skip
            pool.close()
        else:
            print(f"bwrap skipped: {reason}")
    print(f"{'what':28} {'median s':>9} {'× floor':>8}   ({args.runs} runs each)")
    for name, t in rows:
        print(f"{name:28} {t:9.4f} {t / floor:8.2f}")


if __name__ == "__main__":
    main()
