"""The tolerance rule: an element passes when |A − R| ≤ τ·max|R| + rtol·|R|."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from grader.assignment import load_assignment
from grader.compare import Tolerance, compare, compare_many

ASSIGNMENT = load_assignment(
    Path(__file__).resolve().parent.parent / "reference" / "assignment.toml"
)

#: τ and rtol differ so that each term of the bound is seen on its own.
TOL = Tolerance(tau=1e-3, rtol=1e-2)
REF = np.array([10.0, -1.0, 0.0])
#: τ·max|R| + rtol·|R| for each element of REF: 0.01 + 0.1, 0.01 + 0.01, 0.01 + 0.
BOUND = np.array([0.11, 0.02, 0.01])

BOUNDARY = [
    pytest.param(0, +0.999, True, id="largest-inside"),  # just under 0.11 above R = 10
    pytest.param(0, +1.001, False, id="largest-outside"),  # just over 0.11 above R = 10
    pytest.param(0, -1.001, False, id="largest-outside-below"),  # the same, below R
    pytest.param(1, -0.999, True, id="small-inside"),  # absolute term uses max|R|, not |R|
    pytest.param(1, +1.001, False, id="small-outside"),  # just over 0.02 from R = −1
    pytest.param(2, +0.999, True, id="zero-element-inside"),  # only τ·max|R| at R = 0
    pytest.param(2, -1.001, False, id="zero-element-outside"),  # just over 0.01 from R = 0
]


@pytest.mark.parametrize(("index", "fraction", "passes"), BOUNDARY)
def test_boundary_just_inside_and_outside(index: int, fraction: float, passes: bool) -> None:
    answer = REF.copy()
    answer[index] += fraction * BOUND[index]
    disc = compare(answer, REF, TOL)
    assert disc.passed is passes
    assert disc.ratio == pytest.approx(abs(fraction), rel=1e-6)
    assert disc.worst_index == (index,)
    assert disc.failing.tolist() == [i == index and not passes for i in range(3)]


def test_error_exactly_on_the_bound_passes() -> None:
    # Binary-exact numbers: bound = 0.25·2 + 0.5·2 = 1.5 and the error is exactly 1.5.
    disc = compare(np.array([3.5, 1.0]), np.array([2.0, 1.0]), Tolerance(tau=0.25, rtol=0.5))
    assert disc.ratio == 1.0
    assert disc.passed


NON_FINITE = [
    pytest.param(np.nan, 0, id="nan"),  # NaN where R = 10
    pytest.param(np.inf, 1, id="inf"),  # +inf where R = −1
    pytest.param(-np.inf, 2, id="minus-inf"),  # −inf where R = 0
]


@pytest.mark.parametrize(("bad", "index"), NON_FINITE)
def test_non_finite_answer_fails(bad: float, index: int) -> None:
    answer = REF.copy()
    answer[index] = bad
    disc = compare(answer, REF, Tolerance())
    assert not disc.passed
    assert disc.ratio == np.inf
    assert disc.worst_index == (index,)
    assert disc.failing[index]


ZERO_REFERENCE = [
    pytest.param(0.0, True, id="exact-zero"),  # nothing to forgive
    pytest.param(-0.0, True, id="negative-zero"),  # −0.0 equals 0.0
    pytest.param(1e-12, False, id="tiny-positive"),  # any visible non-zero fails at R = 0
    pytest.param(-1e-12, False, id="tiny-negative"),  # sign does not matter
]


@pytest.mark.parametrize(("value", "passes"), ZERO_REFERENCE)
def test_zero_reference(value: float, passes: bool) -> None:
    # ∂L/∂W is exactly zero when l = 1: only the floor keeps the bound positive there.
    reference = np.zeros((3, 3))
    answer = np.zeros((3, 3))
    answer[1, 2] = value
    disc = compare(answer, reference, Tolerance())
    assert disc.passed is passes
    assert np.isfinite(disc.ratio)


SHAPE_MISMATCH = [
    pytest.param((3,), (1, 3), id="vector-vs-row"),  # same size, other shape
    pytest.param((2, 2), (4,), id="matrix-vs-flat"),  # same size, other shape
    pytest.param((3,), (4,), id="other-size"),  # different sizes
]


@pytest.mark.parametrize(("answer_shape", "reference_shape"), SHAPE_MISMATCH)
def test_shape_mismatch_raises(
    answer_shape: tuple[int, ...], reference_shape: tuple[int, ...]
) -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        compare(np.zeros(answer_shape), np.zeros(reference_shape), Tolerance())


finite_float64 = st.floats(min_value=-1e38, max_value=1e38, allow_nan=False, allow_infinity=False)


@settings(database=None, max_examples=300, deadline=None)
@given(arrays(np.float64, array_shapes(max_dims=2, max_side=12), elements=finite_float64))
def test_float32_rounding_of_the_reference_passes(reference: np.ndarray) -> None:
    # Rounding to float32 is off by at most 2⁻²⁴·|R| (or a subnormal step, far under τ·floor).
    answer = reference.astype(np.float32)
    assert compare(answer, reference, ASSIGNMENT.tolerance).passed


@settings(max_examples=60, deadline=None, database=None)
@given(
    shapes=st.lists(
        st.sampled_from([(), (1,), (3,), (2, 3), (4, 4), (5, 2)]), min_size=1, max_size=6
    ),
    seed=st.integers(0, 2**32 - 1),
    noise=st.sampled_from([0.0, 1e-7, 1e-4, 1e-2, np.nan, np.inf]),
)
def test_compare_many_agrees_with_compare_pair_by_pair(
    shapes: list[tuple[int, ...]], seed: int, noise: float
) -> None:
    rng = np.random.default_rng(seed)
    refs = [rng.standard_normal(s) * 10.0 ** rng.integers(-3, 3) for s in shapes]
    refs[0] = np.zeros(shapes[0])  # a reference that is exactly zero, like ∂L/∂W at l = 1
    answers = [r + noise * rng.standard_normal(r.shape) for r in refs]
    tol = Tolerance()
    many = compare_many(answers, refs, tol)
    for a, r, d in zip(answers, refs, many, strict=True):
        one = compare(a, r, tol)
        assert d.passed == one.passed
        assert d.worst_index == one.worst_index
        np.testing.assert_array_equal(d.failing, one.failing)
        for x, y in ((d.ratio, one.ratio), (d.max_abs_error, one.max_abs_error),
                     (d.max_rel_error, one.max_rel_error)):  # fmt: skip
            assert x == y or (np.isinf(x) and np.isinf(y))
