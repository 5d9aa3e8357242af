"""reference.mistakes: each wrong answer is the derivation it names, and the matcher can name it.

The appended entries (APPENDED) are checked against independent witnesses: central finite
differences of the wrong model each one stands for (the ±1 logistic loss, the squared error, a
backward pass cut off after TRUNCATION_STEPS steps, the pre-activation), or the literal product
of Jacobians with tanh's derivative in ReLU's place. Their texts are checked for the two
feedback levels: the mistake text in words without a formula, the solution with one, both
languages whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest

from grader.compare import Tolerance, compare
from reference.instances import EDGE_SIZES, L_MIN, Instance, instances
from reference.mistakes import CATALOGUE, TRUNCATION_STEPS, CaseInputs, wrong_answers
from reference.model import Array, loss_from_logit, relu, sigmoid, softplus

SEED = 20261203
#: Two random cases: one of each label (random case k has y_gt = k mod 2).
CASES: tuple[Instance, ...] = tuple(instances(SEED, 2)[len(EDGE_SIZES) :])
CASE_PARAMS = [
    pytest.param(c, id=f"case{c.index}-n{c.inputs.n}-l{c.inputs.l}-y{c.inputs.y_gt:.0f}")
    for c in CASES
]
BY_ID = {m.id: m for m in CATALOGUE}
APPENDED = (
    "tanh_derivative",
    "labels_pm1",
    "mean_over_time",
    "truncated_bptt",
    "returns_delta",
    "missing_sigmoid_factor",
    "extra_sigmoid_factor",
)
#: Their solution texts (the "solution" feedback level): (en, zh) by id.
SOLUTIONS = {i: (BY_ID[i].solution_en, BY_ID[i].solution_zh) for i in APPENDED}
FD_STEP = 1e-6
#: Central differences at 1e-6 are good to about 1e-9 of the gradient's size (see
#: tests/test_reference_model.py); a wrong witness is off by the gradient's own size.
FD_RTOL = 1e-6

# -- the wrong models, by finite differences --------------------------------------------------

Params = dict[str, Array]


def _params(c: CaseInputs) -> Params:
    return {"W": c.W, "U": c.U, "b": c.b, "V": c.V, "d": np.array(c.d)}


def _logit(
    c: CaseInputs,
    p: Params,
    *,
    from_step: int = 1,
    start: tuple[int, Array] | None = None,
    pre_add: tuple[int, Array] | None = None,
) -> float:
    """z = V h_l + d with the parameters ``p`` used from step ``from_step`` on (the case's
    own before it), optionally run from h_t0 = h (``start``) or with a vector added to one
    step's pre-activation (``pre_add``)."""
    t0, h = start if start is not None else (0, c.h[0])
    for t in range(t0 + 1, c.l + 1):
        W, U, b = (p[k] if t >= from_step else getattr(c, k) for k in ("W", "U", "b"))
        a = b + W @ h + U @ c.x[t]
        if pre_add is not None and pre_add[0] == t:
            a = a + pre_add[1]
        h = relu(a)
    return float(p["V"] @ h + p["d"])


def _fd(f: Callable[[Array], float], at: Array) -> Array:
    grad = np.zeros(at.shape)
    for i in np.ndindex(at.shape):
        step = np.zeros(at.shape)
        step[i] = FD_STEP
        grad[i] = (f(at + step) - f(at - step)) / (2 * FD_STEP)
    return grad


def _fd_gradients(
    c: CaseInputs, loss_of_z: Callable[[float], float], from_step: int = 1
) -> dict[str, Array]:
    """∂loss/∂(W, U, b, V, d) and ∂loss/∂h_t for t ≥ from_step (zero rows before), with
    W, U, b perturbed only where used at steps ≥ from_step."""
    p = _params(c)

    def of_param(name: str) -> Callable[[Array], float]:
        return lambda v: loss_of_z(_logit(c, p | {name: v}, from_step=from_step))

    def of_state(t: int) -> Callable[[Array], float]:
        return lambda v: loss_of_z(_logit(c, p, start=(t, v)))

    out = {name: _fd(of_param(name), p[name]) for name in p}
    out["h"] = np.zeros((c.l, c.n))
    for t in range(from_step, c.l + 1):
        out["h"][t - 1] = _fd(of_state(t), c.h[t])
    return out


def _assert_close(got: Array, want: Array, what: str) -> None:
    scale = float(np.max(np.abs(want), initial=0.0))
    np.testing.assert_allclose(got, want, rtol=0, atol=FD_RTOL * max(scale, 1e-12), err_msg=what)


def _assert_parts(mistake_id: str, c: CaseInputs, want: dict[str, Array]) -> None:
    got = BY_ID[mistake_id].answer(c)
    assert set(got) == set(BY_ID[mistake_id].parts)
    for part, value in got.items():
        _assert_close(value, want[part], f"{mistake_id}/{part}")


def _cross_entropy(c: CaseInputs) -> Callable[[float], float]:
    return lambda z: loss_from_logit(z, c.y_gt)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_labels_pm1_is_the_gradient_of_the_pm1_logistic_loss(case: Instance) -> None:
    # log(1 + e^(−y z)) with the 0/1 label put in for y: constant (log 2) when y_gt = 0.
    c = case.inputs
    want = _fd_gradients(c, lambda z: softplus(-c.y_gt * z))
    logit = np.log(c.y_pred / (1 - c.y_pred))
    want["y_pred"] = _fd(
        lambda p: softplus(-c.y_gt * float(np.log(p[0] / (1 - p[0])))), np.array([c.y_pred])
    ).reshape(())
    assert abs(logit - _logit(c, _params(c))) < 1e-9  # the case's y_pred is sigmoid(z)
    _assert_parts("labels_pm1", c, want)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_extra_sigmoid_factor_is_the_gradient_of_the_squared_error(case: Instance) -> None:
    c = case.inputs

    def squared_error(z: float) -> float:
        return 0.5 * (sigmoid(z) - c.y_gt) ** 2

    want = _fd_gradients(c, squared_error)
    _assert_parts("extra_sigmoid_factor", c, want)
    # Its ∂L/∂y_pred, the squared error's too, is dy_pred_is_dd's answer (tests/mistake_support).
    de_dp = _fd(lambda p: 0.5 * (p[0] - c.y_gt) ** 2, np.array([c.y_pred]))
    _assert_close(BY_ID["dy_pred_is_dd"].answer(c)["y_pred"], de_dp.reshape(()), "y_pred")


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_missing_sigmoid_factor_carries_dL_dy_pred_back_as_dL_dd(case: Instance) -> None:
    c = case.inputs
    ce_of_p = _fd(
        lambda p: -(c.y_gt * np.log(p[0]) + (1 - c.y_gt) * np.log(1 - p[0])),
        np.array([c.y_pred]),
    )[0]
    # ∂L/∂y_pred · ∂z/∂θ: the chain rule with ∂y_pred/∂z left out.
    want = {part: ce_of_p * g for part, g in _fd_gradients(c, lambda z: z).items()}
    _assert_parts("missing_sigmoid_factor", c, want)
    # Its ∂L/∂d is dd_is_dy_pred's answer (tests/mistake_support).
    _assert_close(BY_ID["dd_is_dy_pred"].answer(c)["d"], np.asarray(ce_of_p), "d")


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_truncated_bptt_holds_the_early_steps_fixed(case: Instance) -> None:
    c = case.inputs
    keep_from = c.l - TRUNCATION_STEPS + 1  # steps keep_from..l are differentiated
    want = _fd_gradients(c, _cross_entropy(c), from_step=keep_from)
    _assert_parts("truncated_bptt", c, want)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_mean_over_time_divides_the_sums_by_l(case: Instance) -> None:
    c = case.inputs
    want = {k: v / c.l for k, v in _fd_gradients(c, _cross_entropy(c)).items()}
    _assert_parts("mean_over_time", c, want)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_returns_delta_is_the_pre_activation_gradient(case: Instance) -> None:
    c = case.inputs
    ce = _cross_entropy(c)

    def of_pre_activation(t: int) -> Callable[[Array], float]:
        return lambda v: ce(_logit(c, _params(c), pre_add=(t, v)))

    rows = [_fd(of_pre_activation(t), np.zeros(c.n)) for t in range(1, c.l + 1)]
    _assert_parts("returns_delta", c, {"h": np.array(rows)})


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_tanh_derivative_is_the_literal_product_with_tanh_slopes(case: Instance) -> None:
    # The homework's literal formulas (reference.literal) with diag(1 − h_i²) for each
    # diag(1[h_i > 0]): (y_pred − y_gt) V · J_l J_{l−1} ⋯ J_{t+1}, J_i = diag(1 − h_i²) W.
    c = case.inputs
    slope = [np.diag(1 - h_i**2) for h_i in c.h]
    rows = []
    for t in range(1, c.l + 1):
        row = (c.y_pred - c.y_gt) * c.V
        for i in range(c.l, t, -1):
            row = row @ (slope[i] @ c.W)
        rows.append(row)
    eye = np.eye(c.n)
    want = {
        "h": np.array(rows),
        "W": sum(
            (rows[t - 1] @ slope[t] @ np.kron(eye, c.h[t - 1][None, :]) for t in range(1, c.l + 1)),
            np.zeros(c.n * c.n),
        ).reshape(c.n, c.n),
        "U": sum(
            (rows[t - 1] @ slope[t] @ np.kron(eye, c.x[t][None, :]) for t in range(1, c.l + 1)),
            np.zeros(c.n * c.n),
        ).reshape(c.n, c.n),
        "b": sum((rows[t - 1] @ slope[t] for t in range(1, c.l + 1)), np.zeros(c.n)),
    }
    got = BY_ID["tanh_derivative"].answer(c)
    assert set(got) == set(want)
    for part, value in got.items():  # the products grow large: compare relative to their size
        scale = float(np.max(np.abs(want[part])))
        np.testing.assert_allclose(value, want[part], rtol=0, atol=1e-10 * scale, err_msg=part)


def test_truncation_cuts_a_term_of_dL_dW_on_every_random_case() -> None:
    # ∂L/∂W's t = 1 term is 0 (h_0 = 0): a truncation that keeps l − 1 steps or more would give
    # the right ∂L/∂W on the shortest random cases, and the guard would reject them all.
    assert 1 <= TRUNCATION_STEPS <= L_MIN - 2


# -- the matcher can name each mistake --------------------------------------------------------


def test_every_entry_answers_exactly_its_parts() -> None:
    c = CASES[0].inputs
    for mistake in CATALOGUE:
        assert set(mistake.answer(c)) == set(mistake.parts), mistake.id


@pytest.fixture(scope="module")
def case_sets() -> list[list[Instance]]:
    """A few public-sized sets: the edge cases and 12 random ones each."""
    return [instances(seed, 12) for seed in (1, 2, 3)]


def test_each_mistake_is_named_as_itself(case_sets: list[list[Instance]]) -> None:
    # grader.evaluate.diagnose names the first entry whose answers match on every case: the
    # answer of each mistake must match no earlier entry's on a whole set.
    tol = Tolerance()
    shadowed = []
    for cases in case_sets:
        wrong = [wrong_answers(i.inputs) for i in cases]
        for k, mistake in enumerate(CATALOGUE):
            for part in mistake.parts:
                for earlier in CATALOGUE[:k]:
                    if part in earlier.parts and all(
                        compare(w[part][mistake.id], w[part][earlier.id], tol).passed for w in wrong
                    ):
                        shadowed.append(f"{mistake.id}/{part} matches {earlier.id}")
    assert not shadowed, shadowed


# -- the texts --------------------------------------------------------------------------------

#: Latin words a Chinese text may hold: the homework's own names, not English.
MATH_WORDS = frozenset({"ReLU", "tanh", "sigmoid", "BPTT", "pred", "diag"})


def test_the_solutions_are_those_of_the_appended_entries() -> None:
    ids = [m.id for m in CATALOGUE]
    assert APPENDED, "APPENDED is empty"
    assert ids[-len(APPENDED) :] == list(APPENDED)  # appended, in order, and only those


@pytest.mark.parametrize("mistake_id", APPENDED)
def test_mistake_text_states_no_formula_and_the_solution_does(mistake_id: str) -> None:
    mistake = BY_ID[mistake_id]
    for text in (mistake.en, mistake.zh, *(t for pair in mistake.by_part.values() for t in pair)):
        assert "=" not in text, text  # an equation is a formula: the solution level's
    for text in SOLUTIONS[mistake_id]:
        assert "=" in text, text


@pytest.mark.parametrize("mistake_id", APPENDED)
def test_texts_are_whole_in_each_language(mistake_id: str) -> None:
    mistake = BY_ID[mistake_id]
    solution_en, solution_zh = SOLUTIONS[mistake_id]
    for en in (mistake.en, solution_en):
        assert en.strip() and not re.search(r"[\u4e00-\u9fff]", en), en
    for zh in (mistake.zh, solution_zh):
        assert re.search(r"[\u4e00-\u9fff]", zh), zh
        english = set(re.findall(r"[A-Za-z]{3,}", zh)) - MATH_WORDS
        assert not english, (english, zh)
