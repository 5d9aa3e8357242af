"""`grader check --json` wall time against `python -c "import numpy"`, in the same run.

    python bench/check_latency.py [--runs 15] [--file submissions/correct_vectorized.py]

Prints the median wall time of each command, run alternately so that the machine's load
affects both alike, and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(argv: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--file", default=str(ROOT / "submissions" / "correct_vectorized.py"))
    args = parser.parse_args()
    floor_cmd = [sys.executable, "-c", "import numpy"]
    rows: dict[str, list[float]] = {}
    commands = {
        "python -c 'import numpy'": floor_cmd,
        "grader check --json (auto: bwrap)": [sys.executable, "-m", "grader", "check",
                                              args.file, "--json"],
    }  # fmt: skip
    for _ in range(args.runs):
        for name, argv in commands.items():
            rows.setdefault(name, []).append(wall(argv))
    floor = statistics.median(rows["python -c 'import numpy'"])
    print(f"{'command':38} {'median s':>9} {'× floor':>8}   ({args.runs} runs, alternating)")
    for name, times in rows.items():
        t = statistics.median(times)
        print(f"{name:38} {t:9.4f} {t / floor:8.2f}")


if __name__ == "__main__":
    main()
