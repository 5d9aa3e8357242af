"""How well the seeded random instances tell a correct answer from every catalogued mistake.

    python bench/discrimination.py [--count N] [--seeds S]

Draws N random instances (default 3000) with ``instances(seed, N / S)`` over S seeds and prints,
under the default tolerance and, to justify it, under tau = rtol = 1e-5 and 1e-3:

* the worst float32 ratio: the largest |A − R| / bound over the parts of a correct float32
  answer (computed as the generator's rule defines it: with the given h and with h recomputed
  in float32); ≤ 1 passes;
* the minimum and 1st-percentile ratio of each catalogued mistake, per part it concerns;
* how many instances have some mistake within 20× of the tolerance.

A mistake is left out of these where it is the right answer by its nature
(``reference.instances.RIGHT_ON``: labels_pm1 when y_gt = 1). Then, per mistake id, what grading
a submission that makes exactly that mistake gives, under the default tolerance and with the
grader's own matcher (``grader.evaluate.diagnose``): the share of random cases on which every
part it concerns fails and is named by its id (each case graded as a set of one), the share
where it is right by its nature, how many of the S sets (each seed's edge and random cases)
name it on every part, and its smallest margin: min |A − R| / bound over its parts and the
cases where it is meant to fail.

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

from grader.assignment import Part, load_assignment  # noqa: E402
from grader.cases import Case, CaseSet, Mistake  # noqa: E402
from grader.compare import Tolerance, compare  # noqa: E402
from grader.evaluate import diagnose  # noqa: E402
from reference.instances import EDGE_SIZES, RIGHT_ON, Instance, instances  # noqa: E402
from reference.mistakes import CATALOGUE, CaseInputs, wrong_answers  # noqa: E402
from reference.model import Array, backward  # noqa: E402

TOLERANCES = {
    "default": Tolerance(),
    "1e-5": Tolerance(tau=1e-5, rtol=1e-5),
    "1e-3": Tolerance(tau=1e-3, rtol=1e-3),
}
NEAR = 20.0  # "within 20× of tolerance"
PARTS: dict[str, Part] = load_assignment(_HERE.parent / "reference").parts_by_name
MISTAKES = tuple(Mistake(m.id, m.parts, {}) for m in CATALOGUE)  # the matcher needs no texts


def right_by_nature(mistake: str, c: CaseInputs) -> bool:
    return mistake in RIGHT_ON and RIGHT_ON[mistake](c)


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
            if not right_by_nature(mistake, inst.inputs)
        }
    return worst, by_mistake


def case_set(cases: list[Instance]) -> CaseSet:
    """The grader's view of ``cases``: expected and wrong answers (no inputs: not run)."""
    return CaseSet(
        "bench",
        "hidden",
        tuple(
            Case(
                index=k,
                kind=inst.kind,
                sizes={"n": inst.inputs.n, "l": inst.inputs.l},
                inputs={},
                expected=inst.expected.as_dict(),
                wrong=wrong_answers(inst.inputs),
            )
            for k, inst in enumerate(cases)
        ),
        MISTAKES,
    )


def named(mistake: str, graded: CaseSet, tol: Tolerance) -> bool:
    """Whether grading ``mistake``'s own answers on ``graded`` fails each part it concerns and
    names ``mistake`` there, as grader.evaluate does."""
    (parts,) = (m.parts for m in MISTAKES if m.id == mistake)
    for part in parts:
        answers = {c.index: c.wrong[part][mistake] for c in graded.cases}
        if all(compare(answers[c.index], c.expected[part], tol).passed for c in graded.cases):
            return False  # the part passes: nothing to name
        if diagnose(PARTS[part], graded, answers, tol) != mistake:
            return False
    return True


def naming_table(sets: list[list[Instance]], by_mistake: dict[str, list[float]]) -> None:
    """Per mistake id: named share, right-by-nature share, sets named, smallest margin."""
    tol = TOLERANCES["default"]
    random = [inst for cases in sets for inst in cases if inst.kind == "random"]
    singles = [case_set([inst]) for inst in random]
    whole = [case_set(cases) for cases in sets]
    print(f"\n{'mistake':<24}{'parts':<22}{'named':>8}{'right':>8}{'sets':>7}  smallest margin")
    for m in CATALOGUE:
        named_share = sum(named(m.id, one, tol) for one in singles) / len(singles)
        right = sum(right_by_nature(m.id, inst.inputs) for inst in random) / len(random)
        sets_named = sum(named(m.id, graded, tol) for graded in whole)
        part, margin = min(
            ((part, min(by_mistake[f"{m.id}/{part}"])) for part in m.parts), key=lambda x: x[1]
        )
        print(
            f"{m.id:<24}{','.join(m.parts):<22}{named_share:>8.1%}{right:>8.1%}"
            f"{f'{sets_named}/{len(whole)}':>7}  {margin:.3g}× ({part})"
        )


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
    sets = [instances(seed, per_seed) for seed in range(args.seeds)]
    drawn = [inst for cases in sets for inst in cases[len(EDGE_SIZES) :]][: args.count]
    generation = time.perf_counter() - started
    n_edge = len(EDGE_SIZES) * args.seeds

    worst: dict[str, list[float]] = {name: [] for name in TOLERANCES}
    by_mistake: dict[str, dict[str, list[float]]] = {name: {} for name in TOLERANCES}
    near = dict.fromkeys(TOLERANCES, 0)
    for inst in drawn:
        w, m = ratios(inst)
        for name in TOLERANCES:
            worst[name].append(w[name])
            near[name] += min(m[name].values()) < NEAR
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

    print(
        "\nA submission making exactly one mistake, graded at the default tolerance: the share "
        "of random cases\nthat fail and name it (each alone), the share where it is right by "
        "its nature, the sets (a seed's\nedge and random cases) that name it on every part, "
        "and its smallest margin (× the tolerance)."
    )
    naming_table(sets, by_mistake["default"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
