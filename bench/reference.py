"""Cost of the reference gradients: the O(l·n²) recursion against the model solution's literal
formulas and a naive finite-difference ∂L/∂W.

    python bench/reference.py [--quick]

Prints one table per grid (n at fixed l, l at fixed n) with the time of each method, the
ratios literal/recursion and fd/recursion, and the log-log growth exponent of each method. The
literal formulas cost about l²·n³ (each Jacobian factor diag(m) W is a full matrix product,
and every t has its own product) and the finite differences 2·n² forward passes of l·n² each.
A combination whose predicted time exceeds the budget is skipped and said so. The finite
differences are predicted from one timed loss evaluation times 2·n²; the literal formulas from
the nearest smaller measurement scaled by n³·l² (an overestimate: the measured exponents are
lower), or, with none, from a timed sample of their work. The default n grid runs past 256
for the recursion alone, where the others are predicted far over budget, because at smaller n
even the recursion is dominated by Python and numpy call overhead and its n² is not yet seen.

BLAS is limited to one thread (unless the environment says otherwise): the exponents are about
operation counts, and on a shared machine multi-threaded BLAS timings vary tenfold.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

# Run as a script, this file's directory leads sys.path and this file's name would shadow the
# reference package it measures.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # read when numpy loads BLAS, so before the import

import numpy as np  # noqa: E402

from reference import literal  # noqa: E402
from reference.mistakes import CaseInputs  # noqa: E402
from reference.model import Array, backward, forward, loss  # noqa: E402

#: Growth exponents (in n, in l) of each method's operation count.
OPERATION_EXPONENTS = {"recursion": (2.0, 1.0), "literal": (3.0, 2.0), "fd": (4.0, 1.0)}
METHODS = tuple(OPERATION_EXPONENTS)


Case = CaseInputs


def make_case(n: int, l: int, seed: int = 0) -> Case:
    """A random case with about half the units active and gradients that neither vanish nor
    explode: W = 1.2·Q with Q orthogonal."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    W = 1.2 * q
    U = rng.standard_normal((n, n)) / math.sqrt(n)
    b = rng.normal(0.0, 0.1, n)
    V = rng.standard_normal(n) / math.sqrt(n)
    x = np.vstack([np.zeros(n), rng.standard_normal((l, n))])
    fwd = forward(W, U, b, V, 0.0, x)
    return Case(W, U, b, V, 0.0, x, fwd.h, fwd.y_pred, 1.0)


def run_recursion(c: Case) -> object:
    return backward(c.W, c.V, c.x, c.h, c.y_pred, c.y_gt)


def run_literal(c: Case) -> object:
    return (
        literal.dL_dh(c.W, c.V, c.h, c.y_pred, c.y_gt),
        literal.dL_dW_row(c.W, c.V, c.h, c.y_pred, c.y_gt),
    )


def run_fd(c: Case, step: float = 1e-6) -> Array:
    """∂L/∂W by central differences: 2·n² evaluations of the loss."""
    W = c.W.copy()
    grad = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        saved = W[idx]
        W[idx] = saved + step
        up = loss(W, c.U, c.b, c.V, c.d, c.x, c.y_gt)
        W[idx] = saved - step
        down = loss(W, c.U, c.b, c.V, c.d, c.x, c.y_gt)
        W[idx] = saved
        grad[idx] = (up - down) / (2.0 * step)
    return grad


RUNNERS: dict[str, Callable[[Case], object]] = {
    "recursion": run_recursion,
    "literal": run_literal,
    "fd": run_fd,
}


def measure(fn: Callable[[], object], budget: float) -> float:
    """Best time of one call, repeating cheap calls until about ``budget`` seconds are spent."""
    start = time.perf_counter()
    fn()
    best = time.perf_counter() - start
    repeats = min(200, int(budget / max(best, 1e-9)))
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def predict(method: str, c: Case, measured: dict[tuple[str, int, int], float]) -> tuple[float, str]:
    """Predicted seconds of one call, and how the prediction was made."""
    n, l = c.h.shape[1], c.h.shape[0] - 1
    if method == "fd":  # 2·n² losses
        one = measure(lambda: loss(c.W, c.U, c.b, c.V, c.d, c.x, c.y_gt), 0.0)
        return 2 * n * n * one, "2n² × one loss"
    if method != "literal":
        return 0.0, ""
    a, b = OPERATION_EXPONENTS[method]
    below = [
        (nn, ll, t) for (m, nn, ll), t in measured.items() if m == method and nn <= n and ll <= l
    ]
    if below:
        nn, ll, t = max(below, key=lambda k: k[0] ** a * k[1] ** b)
        return t * (n / nn) ** a * (l / ll) ** b, f"n={nn}, l={ll} scaled by n³l²"
    # dL_dh and dL_dW_row each form the products of l − t factors for every t: about l(l−1)
    # factors in all, l times the longest product (t = 1); dL_dW_row adds a Kronecker term per t.
    longest = measure(lambda: literal.dL_dh_t(c.W, c.V, c.h, c.y_pred, c.y_gt, 1), 0.0)

    def kron_term() -> object:
        kron = np.kron(np.eye(n), c.h[0].reshape(1, -1))
        return c.V.reshape(1, -1) @ np.diag((c.h[1] > 0).astype(np.float64)) @ kron

    return l * (longest + measure(kron_term, 0.0)), "sampled"


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y against log x (nan with fewer than two points)."""
    if len(xs) < 2:
        return math.nan
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def fmt_time(t: float | None) -> str:
    if t is None:
        return "skipped"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1.0:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"


def fmt_ratio(num: float | None, den: float | None) -> str:
    return "-" if num is None or den is None else f"{num / den:,.0f}×"


def run_grid(
    title: str,
    axis: str,
    points: list[tuple[int, int]],
    limit: float,
    budget: float,
    measured: dict[tuple[str, int, int], float],
) -> None:
    print(f"\n{title}")
    print(f"{'n':>5} {'l':>5} {'recursion':>11} {'literal':>11} {'fd ∂L/∂W':>11} "
          f"{'lit/rec':>9} {'fd/rec':>10}")  # fmt: skip
    rows: list[tuple[int, int, dict[str, float | None]]] = []
    skipped: list[str] = []
    for n, l in points:
        case = make_case(n, l)
        times: dict[str, float | None] = {}
        for method in METHODS:
            if (method, n, l) in measured:
                times[method] = measured[(method, n, l)]
                continue
            guess, how = predict(method, case, measured)
            if guess > limit:
                times[method] = None
                skipped.append(f"{method} at n={n}, l={l}: predicted {fmt_time(guess)} ({how})")
                continue
            runner = RUNNERS[method]
            times[method] = measured[(method, n, l)] = measure(partial(runner, case), budget)
        rows.append((n, l, times))
        rec, lit, fd = times["recursion"], times["literal"], times["fd"]
        print(f"{n:>5} {l:>5} {fmt_time(rec):>11} {fmt_time(lit):>11} {fmt_time(fd):>11} "
              f"{fmt_ratio(lit, rec):>9} {fmt_ratio(fd, rec):>10}", flush=True)  # fmt: skip
    print(f"growth exponent in {axis} (log-log slope; all points / largest three):")
    for method in METHODS:
        xs, ys = [], []
        for n, l, times in rows:
            t = times[method]
            if t is not None:
                xs.append(float(n if axis == "n" else l))
                ys.append(t)
        theory = OPERATION_EXPONENTS[method][0 if axis == "n" else 1]
        print(f"  {method:>9}: {slope(xs, ys):5.2f} / {slope(xs[-3:], ys[-3:]):5.2f}"
              f"   (operation count: {theory:.0f})")  # fmt: skip
    for s in skipped:
        print(f"  skipped {s}, over the {limit:.0f} s budget")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small grid, a few seconds")
    args = parser.parse_args(argv)
    # (n grid at fixed l, l grid at fixed n, skip limit in s, timing budget per call in s)
    if args.quick:
        n_grid, fixed_l, l_grid, fixed_n = [8, 16, 32, 64], 25, [25, 50, 100], 32
        limit, budget = 2.0, 0.05
    else:
        n_grid, fixed_l = [8, 16, 32, 64, 128, 256, 512, 1024], 50
        l_grid, fixed_n = [25, 50, 100, 200], 64
        limit, budget = 20.0, 0.3
    threads = os.environ["OPENBLAS_NUM_THREADS"]
    print(f"numpy {np.__version__}, BLAS threads {threads}; best of repeated calls; "
          f"skip budget {limit:.0f} s")  # fmt: skip
    measured: dict[tuple[str, int, int], float] = {}
    started = time.perf_counter()
    n_points = [(n, fixed_l) for n in n_grid]
    l_points = [(fixed_n, l) for l in l_grid]
    run_grid(f"growth in n (l = {fixed_l})", "n", n_points, limit, budget, measured)
    run_grid(f"growth in l (n = {fixed_n})", "l", l_points, limit, budget, measured)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
