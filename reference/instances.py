"""Seeded, discriminating instances of the BPTT homework.

``instances(seed, count)`` draws cases from numpy's ``Generator`` (PCG64) seeded by a
``SeedSequence``. Everything that decides the arrays a student sees is computed either by the
generator itself or with correctly rounded arithmetic (``math.fsum`` over Python floats, one
IEEE operation per product), never by BLAS or LAPACK, whose results differ in the last bits from
one library and CPU to the next. What is left to the platform is libm's ``exp``/``log`` (in d,
y_pred and numpy's normal sampler), correctly rounded in practice on current glibc and macOS,
and accept/reject decisions that compare BLAS results with thresholds far from where they
land. A golden test pins the arrays of a few seeds.

A random case must *discriminate*: a correct float32 answer must pass it and every catalogued
wrong answer must fail it by a wide margin (but where it is the right answer by its nature, as
labels taken as ±1 are for y_gt = 1: RIGHT_ON). The rules below are what made that true; each
``_check_*`` function says why its rule exists. A drawn case that breaks a rule is redrawn from
the same generator, so redraws are deterministic too. The small edge cases (n = 1; l = 1, where
∂L/∂W is exactly 0 because h_0 = 0; l = 2) exist to catch crashes on degenerate shapes, not to
tell mistakes apart, so only the rules that keep a correct answer passing apply to them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from grader.compare import Tolerance, compare
from reference.mistakes import CaseInputs, wrong_answers
from reference.model import Gradients, backward

#: Random cases: n in [N_MIN, N_MAX], l in [L_MIN, L_MAX]. At n = 2 "W in place of Wᵀ" is caught
#: only half the time and at n = 1 several mistakes cannot be told apart, hence n ≥ 3; l ≥ 4
#: gives the recursion enough steps for ordering and mask mistakes to show.
N_MIN, N_MAX = 3, 16
L_MIN, L_MAX = 4, 30
#: Edge cases (n, l): they catch crashes on degenerate shapes.
EDGE_SIZES: tuple[tuple[int, int], ...] = ((1, 3), (4, 1), (3, 2))
#: W = s·Q with Q orthogonal: every singular value is s, so a product of k masked Jacobians
#: neither vanishes nor explodes over 30 steps (with about half the units active, each step
#: scales a gradient by roughly s·√(1/2) ≈ 0.85..1.06). N(0, 1/n) weights let products vanish
#: (a correct float32 answer then failed 2.8% of instances); N(0, 1) saturated the sigmoid.
W_SCALE = (1.2, 1.5)
#: Every |pre-activation| ≥ this fraction of its step's rms: no ReLU mask flips under float32
#: rounding or when a student recomputes the forward pass in another summation order.
PREACTIVATION_MARGIN = 1e-3
#: Active fraction of units at each step: a step with all units off zeroes every gradient
#: before it; a step with all on hides mask mistakes.
ACTIVE_FRACTION = (0.2, 0.8)
#: rms of every pre-activation at most this: keeps gradients on one scale across steps.
HIDDEN_RMS_MAX = 10.0
#: y_pred is drawn in this range (then d is solved for): the sigmoid is never saturated, and
#: |y_pred − y_gt| ≥ 0.15 so the error factor is never close to zero.
Y_PRED_RANGE = (0.15, 0.85)
#: A correct float32 computation must stay below this fraction of the tolerance.
FLOAT32_MAX_RATIO = 0.5
#: Every catalogued wrong answer must exceed the tolerance at least this many times over,
#: except where it is the right answer by its nature (RIGHT_ON).
MISTAKE_MIN_RATIO = 50.0
#: Catalogued mistakes that give the right answer on some cases by their nature, and which
#: cases: there the guard leaves them out. labels_pm1 (labels taken as ±1) is right for
#: y_gt = 1, where the two conventions agree; random case k has the label k mod 2, so every
#: set with two random cases or more has cases of label 0, where it fails.
RIGHT_ON: dict[str, Callable[[CaseInputs], bool]] = {"labels_pm1": lambda c: c.y_gt == 1.0}
MAX_ATTEMPTS = 10_000
#: Redraws of one step's input x_t before the whole case is redrawn.
STEP_ATTEMPTS = 50


@dataclass(frozen=True)
class Instance:
    """One case: its inputs and the reference gradients."""

    index: int
    kind: str  # "edge" or "random"
    inputs: CaseInputs
    expected: Gradients


# -- correctly rounded arithmetic on small arrays ---------------------------------------------


def _dot(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def _matvec(m: list[list[float]], v: list[float]) -> list[float]:
    return [_dot(row, v) for row in m]


def _orthogonal(rng: np.random.Generator, n: int) -> list[list[float]]:
    """A random orthogonal matrix: the product of n Householder reflections I − 2vvᵀ/vᵀv."""
    q = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    for _ in range(n):
        v = [float(a) for a in rng.standard_normal(n)]
        vv = _dot(v, v)
        for row in q:  # q ← q (I − 2 v vᵀ / vᵀv)
            c = 2.0 * _dot(row, v) / vv
            for j in range(n):
                row[j] -= c * v[j]
    return q


def _step_ok(a: list[float], prev_mask: list[bool] | None, discriminate: bool) -> bool:
    """The per-step rules for one pre-activation a_t (see the constants above)."""
    arr = np.array(a)
    rms = math.sqrt(math.fsum(v * v for v in a) / len(a))
    if rms == 0.0 or rms > HIDDEN_RMS_MAX or np.min(np.abs(arr)) < PREACTIVATION_MARGIN * rms:
        return False
    if not discriminate:
        return True
    mask = [v > 0.0 for v in a]
    frac = sum(mask) / len(mask)
    if not ACTIVE_FRACTION[0] <= frac <= ACTIVE_FRACTION[1]:
        return False
    return prev_mask is None or mask != prev_mask


def _relu_forward(
    rng: np.random.Generator,
    W: list[list[float]],
    U: list[list[float]],
    b: list[float],
    l: int,
    discriminate: bool,
) -> tuple[list[list[float]], list[list[float]]] | None:
    """Draw x_1..x_l step by step and run the forward pass: (x, h) with row 0 zero, or None.

    Each x_t is redrawn (a bounded number of times) until its step keeps the rules; drawing
    the whole sequence at once and rejecting it would need exponentially many draws in l.
    """
    n = len(b)
    h = [[0.0] * n]
    x = [[0.0] * n]
    prev_mask: list[bool] | None = None
    for t in range(1, l + 1):
        wh = _matvec(W, h[t - 1])
        for _ in range(STEP_ATTEMPTS):
            x_t = [float(v) for v in rng.standard_normal(n)]
            ux = _matvec(U, x_t)
            a = [math.fsum((b[i], wh[i], ux[i])) for i in range(n)]
            if _step_ok(a, prev_mask, discriminate):
                break
        else:
            return None
        x.append(x_t)
        h.append([v if v > 0.0 else 0.0 for v in a])
        prev_mask = [v > 0.0 for v in a]
    return x, h


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


# -- the rules -------------------------------------------------------------------------------


def _float32_ratio(c: CaseInputs, expected: Gradients, tol: Tolerance) -> float:
    """Worst ratio of a correct float32 computation: on the given h, and recomputing h."""
    f = np.float32
    W, U, b, V, x = (a.astype(f) for a in (c.W, c.U, c.b, c.V, c.x))
    h_given = c.h.astype(f)
    h_own = np.zeros_like(h_given)
    for t in range(1, c.l + 1):
        h_own[t] = np.maximum(b + W @ h_own[t - 1] + U @ x[t], f(0))
    worst = 0.0
    for h in (h_given, h_own):
        z = f(V @ h[c.l] + f(c.d))
        y_pred = f(1) / (f(1) + np.exp(-z))
        got = backward(W, V, x, h, y_pred, f(c.y_gt), dtype=f).as_dict()
        for part, ref in expected.as_dict().items():
            worst = max(worst, compare(got[part], ref, tol).ratio)
    return worst


def _min_mistake_ratio(c: CaseInputs, expected: Gradients, tol: Tolerance) -> float:
    ref = expected.as_dict()
    return min(
        compare(value, ref[part], tol).ratio
        for part, by_id in wrong_answers(c).items()
        for mistake, value in by_id.items()
        if not (mistake in RIGHT_ON and RIGHT_ON[mistake](c))
    )


def _nonzero(expected: Gradients) -> bool:
    return all(np.any(v != 0) for v in expected.as_dict().values())


# -- drawing ---------------------------------------------------------------------------------


def _draw(
    rng: np.random.Generator,
    n: int,
    l: int,
    tol: Tolerance,
    discriminate: bool,
    label: float | None = None,
) -> tuple[CaseInputs, Gradients] | None:
    """One attempt with the label ``label``, or a drawn one; None when a rule rejects it."""
    s = float(rng.uniform(*W_SCALE))
    W = [[s * v for v in row] for row in _orthogonal(rng, n)]
    U = [[float(v) / math.sqrt(n) for v in row] for row in rng.standard_normal((n, n))]
    b = [float(v) for v in rng.normal(0.0, 0.1, n)]
    V = [float(v) for v in rng.standard_normal(n)]
    y_gt = float(rng.integers(0, 2))  # drawn even when set: the other numbers stay as drawn
    if label is not None:
        y_gt = label
    target = float(rng.uniform(*Y_PRED_RANGE))
    forward = _relu_forward(rng, W, U, b, l, discriminate)
    if forward is None:
        return None
    x, h_l = forward
    h = np.array(h_l)
    if not np.any(h[l] > 0):  # h_l = 0 would make ∂L/∂V and every other gradient vanish
        return None
    vh = _dot(V, h_l[l])
    d = math.log(target / (1.0 - target)) - vh  # solve V h_l + d = logit(target)
    y_pred = _sigmoid(math.fsum((vh, d)))
    inputs = CaseInputs(
        W=np.array(W),
        U=np.array(U),
        b=np.array(b),
        V=np.array(V),
        d=d,
        x=np.array(x),
        h=h,
        y_pred=y_pred,
        y_gt=y_gt,
    )
    expected = backward(inputs.W, inputs.V, inputs.x, inputs.h, y_pred, y_gt)
    if _float32_ratio(inputs, expected, tol) > FLOAT32_MAX_RATIO:
        return None
    if discriminate and (
        not _nonzero(expected) or _min_mistake_ratio(inputs, expected, tol) < MISTAKE_MIN_RATIO
    ):
        return None
    return inputs, expected


def _instance(
    ss: np.random.SeedSequence,
    index: int,
    kind: str,
    size: tuple[int, int] | None,
    tol: Tolerance,
    label: float | None = None,
) -> Instance:
    rng = np.random.Generator(np.random.PCG64(ss))
    if size is None:
        n, l = int(rng.integers(N_MIN, N_MAX + 1)), int(rng.integers(L_MIN, L_MAX + 1))
    else:
        n, l = size
    for _ in range(MAX_ATTEMPTS):
        drawn = _draw(rng, n, l, tol, discriminate=kind == "random", label=label)
        if drawn is not None:
            return Instance(index=index, kind=kind, inputs=drawn[0], expected=drawn[1])
    raise RuntimeError(f"no acceptable instance for n={n}, l={l} in {MAX_ATTEMPTS} draws")


def instances(seed: int, count: int, tol: Tolerance | None = None) -> list[Instance]:
    """The edge cases followed by ``count`` random cases, all determined by ``seed``.

    Case k of the random cases depends only on (seed, k), not on ``count``; its label is
    k mod 2, so that a set holds both labels (see RIGHT_ON). The edge cases draw theirs.
    """
    tol = tol or Tolerance()
    edge_ss = np.random.SeedSequence([seed, 0]).spawn(len(EDGE_SIZES))
    random_ss = np.random.SeedSequence([seed, 1]).spawn(count)
    cases = [
        _instance(ss, i, "edge", size, tol)
        for i, (ss, size) in enumerate(zip(edge_ss, EDGE_SIZES, strict=True))
    ]
    cases += [
        _instance(ss, len(EDGE_SIZES) + k, "random", None, tol, label=float(k % 2))
        for k, ss in enumerate(random_ss)
    ]
    return cases
