"""How well the seeded random instances tell a correct answer from every catalogued mistake.

    python bench/discrimination.py [--count N] [--seeds S]

Draws N random instances (default 3000) with ``instances(seed, N / S)`` over S seeds and prints,
under the default tolerance and, to justify it, under tau = rtol = 1e-5 and 1e-3:

* the worst float32 ratio: the largest |A − R| / bound over the parts of a correct float32
  answer (computed as the generator's rule defines it: with the given h and with h recomputed
  in float32); ≤ 1 passes;
* the minimum and 1st-percentile ratio of each catalogued mistake, per part it concerns;
* how many instances have some mistake within 20× of the tolerance.

The instances themselves were selected under the default tolerance, so the other two columns
say what those same cases would do under another tolerance, not what a generator re-tuned to
it would draw. Then the distribution of n and l and the generation time per instance.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

# Run as a script, this file's directory leads sys.path, and bench/reference.py would shadow
# the reference package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402

from grader.compare import Tolerance, compare  # noqa: E402
from reference.instances import EDGE_SIZES, Instance, instances  # noqa: E402
from reference.mistakes import CaseInputs, wrong_answers  # noqa: E402
from reference.model import Array, backward  # noqa: E402

TOLERANCES = {
    "default": Tolerance(),
    "1e-5": Tolerance(tau=1e-5, rtol=1e-5),
    "1e-3": Tolerance(tau=1e-3, rtol=1e-3),
}
NEAR = 20.0  # "within 20× of tolerance"


def float32_answers(c: CaseInputs) -> list[dict[str, Array]]:
    """A correct float32 answer on the given h and on h recomputed in float32 (the two
    computations reference.instances requires to pass)."""
    f = np.float32
    W, U, b, V, x = (a.astype(f) for a in (c.W, c.U, c.b, c.V, c.x))
    h_own = np.zeros((c.l + 1, c.n), dtype=f)
    for t in range(1, c.l + 1):
        h_own[t] = np.maximum(b + W @ h_own[t - 1] + U @ x[t], f(0))
    answers = []
    for h in (c.h.astype(f), h_own):
        y_pred = f(1) / (f(1) + np.exp(-(V @ h[c.l] + f(c.d))))
        answers.append(backward(W, V, x, h, y_pred, f(c.y_gt), dtype=f).as_dict())
    return answers


def ratios(inst: Instance) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Per tolerance: the worst float32 ratio, and each mistake's ratio (key mistake/part)."""
    expected = inst.expected.as_dict()
    answers = float32_answers(inst.inputs)
    wrong = wrong_answers(inst.inputs)
    worst: dict[str, float] = {}
    by_mistake: dict[str, dict[str, float]] = {}
    for name, tol in TOLERANCES.items():
        worst[name] = max(
            compare(a[part], ref, tol).ratio for a in answers for part, ref in expected.items()
        )
        by_mistake[name] = {
            f"{mistake}/{part}": compare(value, expected[part], tol).ratio
            for part, by_id in wrong.items()
            for mistake, value in by_id.items()
        }
    return worst, by_mistake


def histogram(values: list[int], bins: list[tuple[int, int]]) -> str:
    counts = Counter(next(f"{lo}-{hi}" for lo, hi in bins if lo <= v <= hi) for v in values)
    return "  ".join(f"{lo}-{hi}: {counts[f'{lo}-{hi}']}" for lo, hi in bins)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="random instances in all")
    parser.add_argument("--seeds", type=int, default=5, help="seeds to spread them over")
    args = parser.parse_args(argv)
    per_seed = -(-args.count // args.seeds)

    started = time.perf_counter()
    drawn: list[Instance] = []
    for seed in range(args.seeds):
        drawn += instances(seed, per_seed)[len(EDGE_SIZES) :]
    drawn = drawn[: args.count]
    generation = time.perf_counter() - started
    n_edge = len(EDGE_SIZES) * args.seeds

    worst: dict[str, list[float]] = {name: [] for name in TOLERANCES}
    by_mistake: dict[str, dict[str, list[float]]] = {name: {} for name in TOLERANCES}
    for inst in drawn:
        w, m = ratios(inst)
        for name in TOLERANCES:
            worst[name].append(w[name])
            for key, r in m[name].items():
                by_mistake[name].setdefault(key, []).append(r)

    print(f"{len(drawn)} random instances from seeds 0..{args.seeds - 1} ({per_seed} each)")
    print(f"generation: {generation:.1f} s with {n_edge} edge cases, "
          f"{1e3 * generation / (len(drawn) + n_edge):.1f} ms per instance")  # fmt: skip
    ns = [i.inputs.n for i in drawn]
    ls = [i.inputs.l for i in drawn]
    print(f"n: {histogram(ns, [(3, 4), (5, 7), (8, 10), (11, 13), (14, 16)])}")
    print(f"l: {histogram(ls, [(4, 9), (10, 15), (16, 21), (22, 26), (27, 30)])}")

    print("\n(ratio = worst |A − R| / bound; ≤ 1 passes)")
    header = "".join(f"{name:>22}" for name in TOLERANCES)
    print(f"{'tau = rtol':<34}{header}")
    print(f"{'worst correct float32':<34}" + "".join(f"{max(worst[n]):>22.3g}" for n in TOLERANCES))
    near = {
        name: sum(
            1 for k in range(len(drawn)) if min(rs[k] for rs in by_mistake[name].values()) < NEAR
        )
        for name in TOLERANCES
    }
    print(f"{'instances, a mistake < 20×':<34}" + "".join(f"{near[n]:>22}" for n in TOLERANCES))
    overall = {name: min(min(rs) for rs in by_mistake[name].values()) for name in TOLERANCES}
    print(f"{'min over all mistakes':<34}" + "".join(f"{overall[n]:>22.3g}" for n in TOLERANCES))
    print(f"\n{'mistake/part: min / 1st percentile':<34}{header}")
    for key in sorted(by_mistake["default"]):
        cells = []
        for name in TOLERANCES:
            rs = np.array(by_mistake[name][key])
            cells.append(f"{rs.min():.3g} / {np.percentile(rs, 1):.3g}")
        print(f"{key:<34}" + "".join(f"{c:>22}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
