"""`grader check --json` wall time against `python -c "import numpy"`, in the same run.

    python bench/check_latency.py [--runs 25] [--file submissions/correct_vectorized.py]

Prints the median wall time of each command, run alternately so that the machine's load
affects all alike, and its ratio to the floor. Besides the check itself (with the sandbox the
settings choose, and on the plain backend), two rows show what loading costs before any grading:
numpy with the report's pydantic models (the least a check can import: numpy compares, pydantic
validates the report), and every module the check imports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(argv: list[str], env: dict[str, str]) -> float:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")} | env
    t = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environ)
    elapsed = time.perf_counter() - t
    if argv[-1] == "--json":  # the sandbox the report says ran, once per command
        SANDBOX.setdefault(" ".join(f"{k}={v}" for k, v in env.items()) or "auto",
                           json.loads(proc.stdout)["sandbox"])  # fmt: skip
    return elapsed


SANDBOX: dict[str, str] = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--file", default=str(ROOT / "submissions" / "correct_vectorized.py"))
    args = parser.parse_args()
    floor_cmd = [sys.executable, "-c", "import numpy"]
    rows: dict[str, list[float]] = {}
    check = [sys.executable, "-m", "grader", "check", args.file, "--json"]
    # Loaded the way the grader command loads them: collector paused, one BLAS thread, and
    # no final collection (see grader.cli.main).
    as_main = ("import gc; gc.disable(); import {}; gc.freeze()", {"OPENBLAS_NUM_THREADS": "1"})
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "python -c 'import numpy'": (floor_cmd, {}),
        "imports: numpy + report models": (
            [sys.executable, "-c", as_main[0].format("numpy, grader.report")], as_main[1]),
        "imports: all the check loads": (
            [sys.executable, "-c",
             as_main[0].format("typer.main, grader.cli, grader.settings, grader.core, "
                                "importlib.metadata")],
            as_main[1]),
        "grader check --json (auto)": (check, {}),
        "grader check --json (plain)": (check, {"GRADER_SANDBOX": "plain"}),
    }  # fmt: skip
    for _ in range(args.runs):
        for name, (argv, env) in commands.items():
            rows.setdefault(name, []).append(wall(argv, env))
    floor = statistics.median(rows["python -c 'import numpy'"])
    print(f"{'command':38} {'median s':>9} {'× floor':>8}   ({args.runs} runs, alternating)")
    for name, times in rows.items():
        t = statistics.median(times)
        print(f"{name:38} {t:9.4f} {t / floor:8.2f}")
    print("sandbox that ran: " + ", ".join(f"{k}: {v}" for k, v in SANDBOX.items()))


if __name__ == "__main__":
    main()
