"""reference.model: the O(l·n²) recursion is the model solution's formulas, and the true gradient.

Two independent witnesses: the literal slow formulas of :mod:`reference.literal` (the homework's
own products of Jacobians and Kronecker factors) and central finite differences of the float64
loss, which know nothing of either.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reference import literal
from reference.mistakes import CATALOGUE, CaseInputs
from reference.model import Array, backward, forward, loss, loss_from_logit, relu, sigmoid

#: No example database, so the tests write no examples into the repo (the seeds are drawn
#: afresh anyway; Hypothesis still caches source constants in the gitignored .hypothesis/).
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
#: Pre-activations closer to 0 than this are assumed away: a finite-difference step must not
#: flip a ReLU mask, and the literal and recursive products must see the same masks.
KINK_MARGIN = 1e-3
FD_STEP = 1e-6
#: Central differences at step 1e-6 are good to about 1e-9 relative; 1e-6 leaves room for
#: rounding and still catches any wrong formula, whose error is of the gradient's own size.
FD_RTOL = 1e-6
LITERAL_RTOL = 1e-12
Y_PRED_MARGIN = 1e-4

seeds = st.integers(min_value=0, max_value=2**63 - 1)
hidden_sizes = st.integers(min_value=1, max_value=6)
lengths = st.integers(min_value=1, max_value=8)


def _random_case(seed: int, n: int, l: int) -> tuple[CaseInputs, Array]:
    """A random case and its pre-activations a_t = b + W h_{t−1} + U x_t (row t−1)."""
    rng = np.random.default_rng(seed)
    # A general (not orthogonal) W with spectral norm near 1: h neither explodes nor vanishes.
    W = rng.standard_normal((n, n))
    W *= rng.uniform(0.7, 1.3) / np.linalg.norm(W, 2)
    U = rng.standard_normal((n, n)) / math.sqrt(n)
    b = rng.normal(0.0, 0.3, n)
    V = rng.standard_normal(n)
    d = float(rng.normal(0.0, 0.5))
    x = np.vstack([np.zeros(n), rng.standard_normal((l, n))])
    y_gt = float(rng.integers(0, 2))
    fwd = forward(W, U, b, V, d, x)
    pre = np.array([b + W @ fwd.h[t - 1] + U @ x[t] for t in range(1, l + 1)])
    case = CaseInputs(W=W, U=U, b=b, V=V, d=d, x=x, h=fwd.h, y_pred=fwd.y_pred, y_gt=y_gt)
    return case, pre


def _away_from_kinks(seed: int, n: int, l: int) -> CaseInputs:
    case, pre = _random_case(seed, n, l)
    assume(bool(np.min(np.abs(pre)) > KINK_MARGIN))
    # A saturated sigmoid leaves y_pred too few bits to difference around.
    assume(Y_PRED_MARGIN < case.y_pred < 1.0 - Y_PRED_MARGIN)
    return case


def _gradients(c: CaseInputs) -> dict[str, Array]:
    return backward(c.W, c.V, c.x, c.h, c.y_pred, c.y_gt).as_dict()


def _central_difference(f: Callable[[], float], at: Array) -> Array:
    """∂f/∂at elementwise by central differences; ``at`` is perturbed in place and restored."""
    grad = np.zeros_like(at)
    for idx in np.ndindex(at.shape):
        saved = at[idx]
        at[idx] = saved + FD_STEP
        up = f()
        at[idx] = saved - FD_STEP
        down = f()
        at[idx] = saved
        grad[idx] = (up - down) / (2.0 * FD_STEP)
    return grad


def _loss_from_step(c: CaseInputs, t: int, h_t: Array) -> float:
    """The loss with h_t replaced by ``h_t``: the forward pass run on from step t."""
    h = h_t
    for s in range(t + 1, c.l + 1):
        h = relu(c.b + c.W @ h + c.U @ c.x[s])
    return loss_from_logit(float(c.V @ h + c.d), c.y_gt)


def _cross_entropy(y_pred: float, y_gt: float) -> float:
    """The homework's L(y_pred, y_gt), as a function of y_pred itself."""
    return -(y_gt * math.log(y_pred) + (1.0 - y_gt) * math.log(1.0 - y_pred))


def _finite_differences(c: CaseInputs) -> dict[str, Array]:
    """All seven gradients by central differences of the float64 loss."""
    params = {"W": c.W.copy(), "U": c.U.copy(), "b": c.b.copy(), "V": c.V.copy()}
    d = np.array([c.d])

    def total() -> float:
        return loss(params["W"], params["U"], params["b"], params["V"], float(d[0]), c.x, c.y_gt)

    out = {name: _central_difference(total, value) for name, value in params.items()}
    out["d"] = _central_difference(total, d).reshape(())
    dh = np.zeros((c.l, c.n))
    for t in range(1, c.l + 1):
        h_t = c.h[t].copy()
        dh[t - 1] = _central_difference(partial(_loss_from_step, c, t, h_t), h_t)
    out["h"] = dh
    # Relative step: y_pred may sit near 0 or 1, where log's curvature is large. Divide by the
    # step actually taken: y_pred ± step is rounded, and near 1 that rounding is not negligible.
    step = FD_STEP * min(c.y_pred, 1.0 - c.y_pred)
    y_up, y_down = c.y_pred + step, c.y_pred - step
    slope = (_cross_entropy(y_up, c.y_gt) - _cross_entropy(y_down, c.y_gt)) / (y_up - y_down)
    out["y_pred"] = np.asarray(slope)
    return out


@PROPERTY
@given(seed=seeds, n=hidden_sizes, l=lengths)
def test_recursion_equals_literal_formulas(seed: int, n: int, l: int) -> None:
    c = _away_from_kinks(seed, n, l)
    got = _gradients(c)
    want_h = literal.dL_dh(c.W, c.V, c.h, c.y_pred, c.y_gt)
    want_W = literal.dL_dW_row(c.W, c.V, c.h, c.y_pred, c.y_gt).reshape(n, n)  # row-major
    for part, want in (("h", want_h), ("W", want_W)):
        assert got[part].shape == want.shape, part
        err = float(np.max(np.abs(got[part] - want)))
        assert err <= LITERAL_RTOL * float(np.max(np.abs(want))), (part, err)


@PROPERTY
@given(seed=seeds, n=hidden_sizes, l=lengths)
def test_gradients_equal_finite_differences(seed: int, n: int, l: int) -> None:
    c = _away_from_kinks(seed, n, l)
    got = _gradients(c)
    fd = _finite_differences(c)
    # Rounding in a central difference is about eps·|L|/step, whatever the gradient's size.
    floor = 1e-9 * max(1.0, loss(c.W, c.U, c.b, c.V, c.d, c.x, c.y_gt))
    for part, want in fd.items():
        assert got[part].shape == want.shape, part
        err = float(np.max(np.abs(got[part] - want)))
        bound = FD_RTOL * float(np.max(np.abs(want))) + floor
        assert err <= bound, (part, err, bound)


@pytest.mark.parametrize(
    ("z", "y_gt", "expected"),
    [
        pytest.param(800.0, 1.0, 0.0, id="confident-right-positive"),  # log1p(e^-800) underflows
        pytest.param(-800.0, 1.0, 800.0, id="confident-wrong-positive"),  # −log σ(−800) = 800
        pytest.param(800.0, 0.0, 800.0, id="confident-wrong-negative"),  # −log(1 − σ(800))
        pytest.param(-800.0, 0.0, 0.0, id="confident-right-negative"),
        pytest.param(0.0, 1.0, math.log(2.0), id="undecided"),  # a finite reference point
    ],
)
def test_loss_from_logit_is_stable(z: float, y_gt: float, expected: float) -> None:
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = loss_from_logit(z, y_gt)
    assert math.isfinite(value)
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        pytest.param(800.0, 1.0, id="large-positive"),  # e^800 would overflow
        pytest.param(-800.0, 0.0, id="large-negative"),
    ],
)
def test_sigmoid_saturates_without_overflow(z: float, expected: float) -> None:
    # filterwarnings = error turns numpy's overflow RuntimeWarning into a failure as well.
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value = sigmoid(z)
    assert value == pytest.approx(expected, abs=1e-300)


@pytest.mark.parametrize("n", [pytest.param(n, id=f"n{n}") for n in (1, 3, 5)])
def test_single_step_has_zero_dL_dW(n: int) -> None:
    # With l = 1 the only term is δ_1 h_0ᵀ, and h_0 = 0.
    c, _ = _random_case(seed=n, n=n, l=1)
    assert np.all(_gradients(c)["W"] == 0.0)
    assert np.all(literal.dL_dW_row(c.W, c.V, c.h, c.y_pred, c.y_gt) == 0.0)


def test_ascending_product_is_not_the_literal_formula() -> None:
    # Non-commuting masked Jacobians: only the descending order D_l W ⋯ D_{t+1} W is right.
    c, pre = _random_case(seed=2024, n=5, l=6)
    assert np.min(np.abs(pre)) > KINK_MARGIN
    (reversed_product,) = (m for m in CATALOGUE if m.id == "reversed_product")
    wrong = reversed_product.answer(c)["h"]
    right = literal.dL_dh(c.W, c.V, c.h, c.y_pred, c.y_gt)
    np.testing.assert_allclose(wrong[-2:], right[-2:], rtol=1e-12)  # ≤ one factor: no order
    rel = np.max(np.abs(wrong - right)) / np.max(np.abs(right))
    assert rel > 1e-2
