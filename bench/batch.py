"""Batch grading throughput against the floor of bare `python -c "import numpy"` runs.

Grades N generated submissions on the hidden cases in the hardened sandbox, with 1 and 2
workers, with and without the warm pool, and prints submissions/s next to N bare interpreter
runs done sequentially and with the same parallelism. ``--kind mix`` (the default): copies of
the example submissions (correct, wrong, slow Python loops), each with a different comment line
so every hash differs, plus one infinite loop under a 2-second part limit. ``--kind
vectorized``: N copies of the vectorized correct submission.

    python bench/batch.py [--count 40] [--kind mix|vectorized]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Run as a script, bench/ leads sys.path and bench/reference.py would shadow the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from grader.assignment import load_assignment  # noqa: E402
from grader.batch.discover import discover  # noqa: E402
from grader.batch.executors import LocalExecutor  # noqa: E402
from grader.batch.run import run_batch  # noqa: E402
from grader.cases import load_case_set  # noqa: E402
from grader.core import Grader  # noqa: E402
from grader.runner.limits import Limits  # noqa: E402
from grader.settings import get_settings  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "submissions"
LOOP = "def dL_dd(y_pred, y_gt):\n    while True:\n        pass\n"


def make_class(folder: Path, count: int, kind: str) -> None:
    if kind == "vectorized":
        src = (EXAMPLES / "correct_vectorized.py").read_text()
        for i in range(count):
            (folder / f"s{i:03d}.py").write_text(f"# copy {i}\n{src}")
        return
    sources = sorted(p for p in EXAMPLES.glob("*.py") if p.name != "template.py")
    (folder / "s000_loop.py").write_text(LOOP)
    for i in range(1, count):
        src = sources[i % len(sources)]
        (folder / f"s{i:03d}_{src.stem}.py").write_text(f"# copy {i}\n" + src.read_text())


def floor(count: int, workers: int) -> float:
    def one(_: int) -> None:
        subprocess.run([sys.executable, "-c", "import numpy"], check=True)

    t = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--kind", choices=("mix", "vectorized"), default="mix")
    args = parser.parse_args()
    settings = get_settings(limits=Limits(part_timeout_s=2))
    assignment = load_assignment()
    hidden = load_case_set(assignment, "hidden", "bench-secret")
    graders = {
        "per-job": Grader(settings, case_set=hidden, assignment=assignment, untrusted=True),
        "pool": Grader(settings, case_set=hidden, assignment=assignment, untrusted=True, warm=True),
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        make_class(folder, args.count, args.kind)
        subs = discover(folder).submissions
        for label, grader in graders.items():
            for workers in (1, 2):
                out = Path(tmp) / f"out-{label}-{workers}"
                result = run_batch(subs, out, grader, LocalExecutor(workers))
                assert result.graded == args.count
                bare = floor(args.count, workers)
                rows.append((f"{label} ({grader.backend.name})", workers, result.wall_s, bare))
            grader.close()
    what = "vectorized correct" if args.kind == "vectorized" else "mixed, 1 infinite loop"
    print(f"{args.count} submissions ({what}; 2 s part limit)")
    print(
        f"{'backend':24} {'workers':>7} {'batch s':>8} {'subs/s':>7} {'floor s':>8} "
        f"{'floor/s':>8} {'× floor':>8}"
    )
    for label, workers, wall, bare in rows:
        print(
            f"{label:24} {workers:7d} {wall:8.2f} {args.count / wall:7.2f} {bare:8.2f} "
            f"{args.count / bare:8.2f} {wall / bare:8.2f}"
        )
    for label in dict.fromkeys(r[0] for r in rows):
        one, two = (r[2] for r in rows if r[0] == label)
        print(f"speed-up 1 → 2 workers, {label}: {one / two:.2f}×")


if __name__ == "__main__":
    main()
