"""From a returned value to a scored, diagnosed part: accepted layouts, what a bad value is
reported as, how arguments are bound, per-step answers and partial credit.

Small submissions are the correct base file (tests/data/grader/correct_required.py) with one
function redefined at the end, written to tmp_path and graded through :func:`grader.core.grade`
with the real child process.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from grader.assignment import Assignment, load_assignment
from grader.cases import Case, load_case_set
from grader.core import grade
from grader.evaluate import coerce, quoted_case, step_ranges
from grader.report import CaseResult, GradeReport, PartReport
from grader.settings import get_settings

REPO = Path(__file__).resolve().parent.parent
BASE = Path(__file__).resolve().parent / "data" / "grader" / "correct_required.py"
ASSIGNMENT = load_assignment(REPO / "reference" / "assignment.toml")
REQUIRED = tuple(p.name for p in ASSIGNMENT.parts if not p.bonus)
CASES: tuple[Case, ...] = load_case_set(ASSIGNMENT, "public").cases


@pytest.fixture(autouse=True)
def _no_grader_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, not from GRADER_* variables of whoever runs it."""
    import os

    for key in [k for k in os.environ if k.startswith("GRADER_")]:
        monkeypatch.delenv(key)


def write_submission(tmp_path: Path, override: str, name: str = "submission.py") -> Path:
    path = tmp_path / name
    path.write_text(BASE.read_text(encoding="utf-8") + "\n\n" + override, encoding="utf-8")
    return path


def grade_parts(
    path: Path, *parts: str, assignment: Assignment = ASSIGNMENT
) -> dict[str, PartReport]:
    report: GradeReport = grade(
        path, assignment=assignment, settings=get_settings(), parts=parts or None
    )
    return {p.name: p for p in report.parts}


def line_of(path: Path, marker: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, start=1) if marker in text)


# -- coerce: the accepted layouts ---------------------------------------------------------------

LAYOUTS = [
    pytest.param((), (), False, True, id="scalar-0d"),  # a Python number
    pytest.param((1,), (), False, True, id="scalar-1"),  # a one-element vector
    pytest.param((1, 1), (), False, True, id="scalar-1x1"),  # a 1×1 matrix
    pytest.param((2,), (), False, False, id="scalar-wrong-size"),  # two numbers for a scalar
    pytest.param((4,), (4,), False, True, id="vector-flat"),  # (n,)
    pytest.param((1, 4), (4,), False, True, id="vector-row"),  # (1, n)
    pytest.param((4, 1), (4,), False, True, id="vector-column"),  # (n, 1)
    pytest.param((5,), (4,), False, False, id="vector-wrong-size"),  # n + 1 numbers
    pytest.param((2, 2), (4,), False, False, id="vector-as-square"),  # right size, a matrix
    pytest.param((3, 3), (3, 3), True, True, id="matrix"),  # n×n
    pytest.param((1, 9), (3, 3), True, True, id="matrix-flat-row"),  # the 1×n² row
    pytest.param((9,), (3, 3), True, True, id="matrix-flat-1d"),  # the row as a 1-d array
    pytest.param((3, 4), (3, 3), True, False, id="matrix-wrong-size"),  # n×(n+1)
    pytest.param((5, 3), (5, 3), False, True, id="steps-array"),  # dL_dh as l×n
    pytest.param((3, 5), (5, 3), False, False, id="steps-transposed"),  # n×l, same size
    pytest.param((1, 15), (5, 3), False, False, id="steps-flat-row"),  # no flat form for dL_dh
    pytest.param((1, 1, 4), (4,), False, False, id="vector-3d"),  # 3-d
    pytest.param((1, 1, 1), (), False, False, id="scalar-3d"),  # 3-d
    pytest.param((9, 1), (3, 3), True, False, id="matrix-flat-column"),  # n²×1
]


@pytest.mark.parametrize(("shape", "target", "accept_flat", "accepted"), LAYOUTS)
def test_coerce_layouts(
    shape: tuple[int, ...], target: tuple[int, ...], accept_flat: bool, accepted: bool
) -> None:
    value = np.arange(1, 1 + int(np.prod(shape)), dtype=np.float32).reshape(shape)
    got = coerce(value, target, accept_flat)
    if not accepted:
        assert got is None
        return
    assert got is not None
    assert got.shape == target
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got.ravel(), value.ravel())  # row-major, nothing reordered


def test_coerce_keeps_the_real_part_of_a_complex_array_with_zero_imaginary_part() -> None:
    got = coerce(np.array([1 + 0j, 2 + 0j]), (2,), False)
    assert got is not None
    np.testing.assert_array_equal(got, [1.0, 2.0])


# -- what came back, in the message ------------------------------------------------------------

#: Wrong only where n > 1 and l > 1, so that the first failing case has a vector and an array.
FIRST_BIG = next(c for c in CASES if c.sizes["n"] > 1 and c.sizes["l"] > 1)

WRONG_SIZE = [
    pytest.param(
        "V",
        "def dL_dV(h, y_pred, y_gt, l, n):\n"
        "    return np.zeros(n + 1) if n > 1 and l > 1 else (y_pred - y_gt) * h[l]\n",
        lambda n, l: (f"shape ({n + 1},)", f"expected a vector of {n} numbers"),
        id="vector-too-long",
    ),  # n + 1 numbers for ∂L/∂V
    pytest.param(
        "W",
        "def dL_dW(W, n, l):\n"
        "    return np.zeros((n, n + 1)) if n > 1 and l > 1 else np.zeros((n, n))\n",
        lambda n, l: (
            f"shape ({n}, {n + 1})",
            f"expected an array of shape {n}×{n} (or its row-major 1×{n * n} row)",
        ),
        id="matrix-extra-column",
    ),  # n×(n+1) for ∂L/∂W
    pytest.param(
        "h",
        "def dL_dh(h, n, l):\n"
        "    return np.zeros((l + 1, n)) if n > 1 and l > 1 else np.zeros((l, n))\n",
        lambda n, l: (f"shape ({l + 1}, {n})", f"expected an array of shape {l}×{n}"),
        id="steps-with-h0-row",
    ),  # a row for h_0 too
    pytest.param(
        "d",
        "def dL_dd(y_pred, y_gt, n, l):\n"
        "    return np.zeros(2) if n > 1 and l > 1 else y_pred - y_gt\n",
        lambda n, l: ("shape (2,)", "expected a scalar"),
        id="scalar-as-pair",
    ),  # two numbers for ∂L/∂d
]


@pytest.mark.parametrize(("part", "override", "expected"), WRONG_SIZE)
def test_wrong_size_names_shape_returned_and_expected(
    part: str, override: str, expected: Callable[[int, int], tuple[str, str]], tmp_path: Path
) -> None:
    report = grade_parts(write_submission(tmp_path, override), part)[part]
    returned, wanted = expected(FIRST_BIG.sizes["n"], FIRST_BIG.sizes["l"])
    assert report.status == "failed"
    assert f"on case {FIRST_BIG.index}" in report.message
    assert returned in report.message
    assert wanted in report.message


BAD_VALUES = [
    pytest.param("return np.full(len(h[l]), np.nan)", "NaN", id="nan"),  # NaN everywhere
    pytest.param("return np.full(len(h[l]), -np.inf)", "NaN or inf", id="inf"),  # −inf
    pytest.param("return (y_pred - y_gt) * h[l] + 1j", "complex", id="complex"),  # x + 1j
    pytest.param(
        "return ((y_pred - y_gt) * h[l]).astype(complex)", "complex", id="complex-zero-imag"
    ),  # a complex dtype is refused even when every imaginary part is 0
    pytest.param("return {'V': h[l]}", "a value of type dict", id="dict"),  # a dict of answers
    pytest.param("(y_pred - y_gt) * h[l]", "a value of type NoneType", id="none"),  # no return
    pytest.param("return 'see my notebook'", "a value of type str", id="str"),  # text
    pytest.param("return [[1.0, 2.0], [3.0]]", "list that numpy cannot", id="ragged"),  # ragged
]


@pytest.mark.parametrize(("body", "phrase"), BAD_VALUES)
def test_bad_value_fails_the_part_saying_what_came_back(
    body: str, phrase: str, tmp_path: Path
) -> None:
    override = f"def dL_dV(h, y_pred, y_gt, l):\n    {body}\n"
    report = grade_parts(write_submission(tmp_path, override), "V")["V"]
    assert report.status == "failed"
    assert report.score == 0
    assert phrase in report.message
    assert "dL_dV" in report.message


def test_raising_function_reports_its_line(tmp_path: Path) -> None:
    path = write_submission(
        tmp_path,
        "def dL_dV(h, y_pred, y_gt, l):\n"
        "    scale = 1.0\n"
        "    raise ValueError('not derived yet')  # the failing line\n",
    )
    report = grade_parts(path, "V")["V"]
    assert report.status == "error"
    assert "ValueError: not derived yet" in report.message
    assert f"(line {line_of(path, '# the failing line')})" in report.message


# -- arguments by name ---------------------------------------------------------------------------

UNKNOWN_PARAMETER = [
    pytest.param(
        "V", "def dL_dV(h, y_pred, y_gt, l, lr):\n    return h[l]\n", "lr", set(), id="V"
    ),  # lr is no input: the names listed are the inputs
    pytest.param(
        "h", "def dL_dh(W, V, h, t, hidden):\n    return V\n", "hidden", {"t"}, id="h"
    ),  # the step parameter t is listed too
]


@pytest.mark.parametrize(("part", "override", "unknown", "extra"), UNKNOWN_PARAMETER)
def test_unknown_parameter_lists_the_accepted_names(
    part: str, override: str, unknown: str, extra: set[str], tmp_path: Path
) -> None:
    report = grade_parts(write_submission(tmp_path, override), part)[part]
    assert report.status == "error"
    match = re.search(r"unknown parameter '(\w+)'; accepted names: ([\w, ]+)", report.message)
    assert match is not None, report.message
    assert match[1] == unknown
    assert set(match[2].split(", ")) == set(ASSIGNMENT.inputs) | extra


DEFAULTS = [
    pytest.param(
        "d",
        "def dL_dd(y_pred, y_gt, scale=1.0, *, offset=0.0):\n"
        "    return scale * (y_pred - y_gt) + offset\n",
        id="unknown-name-keeps-default",
    ),  # scale and offset are not inputs: they keep 1.0 and 0.0
    pytest.param(
        "V",
        "def dL_dV(h, y_pred, y_gt, l=None):\n    return (y_pred - y_gt) * h[l]\n",
        id="known-name-is-passed",
    ),  # l is an input: passed although it has a default
]


@pytest.mark.parametrize(("part", "override"), DEFAULTS)
def test_parameter_with_default(part: str, override: str, tmp_path: Path) -> None:
    report = grade_parts(write_submission(tmp_path, override), part)[part]
    assert report.status == "passed", report.message


MUTATES_INPUTS = """
def dL_dy_pred(y_pred, y_gt, W, U, b, V, x, h):
    answer = (y_pred - y_gt) / (y_pred * (1 - y_pred))
    for array in (W, U, b, V, x, h):
        array[...] = 0
    return answer


_correct_dL_dh = dL_dh


def dL_dh(W, V, h, y_pred, y_gt, t, l, n):
    row = _correct_dL_dh(W, V, h, y_pred, y_gt, l, n)[t - 1]
    h[:] = 0
    W *= -1
    return row
"""


def test_mutated_inputs_do_not_reach_later_calls(tmp_path: Path) -> None:
    # dL_dy_pred runs first and zeroes every array; each per-t call of dL_dh spoils h and W.
    parts = grade_parts(write_submission(tmp_path, MUTATES_INPUTS))
    assert {n: parts[n].status for n in REQUIRED} == dict.fromkeys(REQUIRED, "passed")


# -- ∂L/∂h: per step or whole ---------------------------------------------------------------------

_ROW = """
def dL_dh(W, V, h, y_pred, y_gt, t, l):
    g = (y_pred - y_gt) * V
    for i in range(l, t, -1):
        g = (g * (h[i] > 0)) @ W
    return {ret}
"""

DH_FORMS = [
    pytest.param(_ROW.format(ret="g"), id="per-t-vector"),  # one (n,) row per t
    pytest.param(_ROW.format(ret="g.reshape(1, -1)"), id="per-t-row"),  # one (1, n) per t
    pytest.param(_ROW.format(ret="list(g)"), id="per-t-list"),  # one Python list per t
    pytest.param("", id="whole-array"),  # the base file's l×n array
    pytest.param(
        "_whole = dL_dh\n\ndef dL_dh(W, V, h, y_pred, y_gt, l, n):\n"
        "    return _whole(W, V, h, y_pred, y_gt, l, n).tolist()\n",
        id="whole-nested-list",
    ),  # the l×n array as nested lists
]


@pytest.mark.parametrize("override", DH_FORMS)
def test_dh_per_step_and_whole_array_both_pass(override: str, tmp_path: Path) -> None:
    report = grade_parts(write_submission(tmp_path, override), "h")["h"]
    assert report.status == "passed", report.message
    assert report.score == ASSIGNMENT.parts_by_name["h"].points


STEP_SUMMARIES = [
    pytest.param(
        _ROW.format(ret="g if t == l else g + 1.0"),
        lambda l: (f"Correct at t = {l}, wrong from t = {l - 1} down", list(range(1, l))),
        id="wrong-below-top",
    ),  # the starting value is right, the recursion step is not
    pytest.param(
        _ROW.format(ret="g + 1.0"),
        lambda l: (f"Already wrong at t = {l}", list(range(1, l + 1))),
        id="wrong-from-top",
    ),  # the starting value is already wrong
]


@pytest.mark.parametrize(("override", "expected"), STEP_SUMMARIES)
def test_dh_message_says_which_steps_are_wrong(
    override: str, expected: Callable[[int], tuple[str, list[int]]], tmp_path: Path
) -> None:
    report = grade_parts(write_submission(tmp_path, override), "h")["h"]
    assert (report.status, report.diagnosis) == ("failed", None)
    worst = re.search(r"Worst on case (\d+) \(n = \d+, l = (\d+)\)", report.message)
    assert worst is not None, report.message
    phrase, _ = expected(int(worst[2]))
    assert phrase in report.message
    for case in report.cases:
        assert case.wrong_steps == expected(case.sizes["l"])[1], case.index


# -- partial credit -------------------------------------------------------------------------------

WRONG_ON_SMALL_N = """
def dL_dV(h, y_pred, y_gt, l, n):
    answer = (y_pred - y_gt) * h[l]
    return answer if n >= 5 else answer + 1.0
"""

PARTIAL_CREDIT = [
    pytest.param(True, id="on"),  # points × passed / total
    pytest.param(False, id="off"),  # all or nothing (the TOML's default)
]


@pytest.mark.parametrize("partial_credit", PARTIAL_CREDIT)
def test_partial_credit(partial_credit: bool, tmp_path: Path) -> None:
    assignment = ASSIGNMENT.model_copy(update={"partial_credit": partial_credit})
    report = grade(
        write_submission(tmp_path, WRONG_ON_SMALL_N), assignment=assignment, settings=get_settings()
    )
    v = report.part("V")
    passed = sum(c.sizes["n"] >= 5 for c in CASES)
    assert 0 < passed < len(CASES)
    assert v.status == "failed"
    assert [c.passed for c in v.cases] == [c.sizes["n"] >= 5 for c in CASES]
    points = ASSIGNMENT.parts_by_name["V"].points
    expected = round(points * passed / len(CASES), 6) if partial_credit else 0.0
    assert v.score == pytest.approx(expected)
    assert report.score == pytest.approx(ASSIGNMENT.max_score - points + expected)
    assert not report.full_marks


# -- where a part is wrong: every wrong step, the worst case, the case quoted ---------------------

STEP_RANGES = [
    pytest.param([1, 2, 3, 5, 7, 8], "1–3, 5, 7–8", id="runs-and-single"),  # mixed
    pytest.param(list(range(1, 15)), "1–14", id="one-run"),  # 14 steps: none left out
    pytest.param([4], "4", id="single"),  # one step
    pytest.param([], "", id="none"),  # nothing
]


@pytest.mark.parametrize(("steps", "text"), STEP_RANGES)
def test_step_ranges(steps: list[int], text: str) -> None:
    assert step_ranges(steps) == text


#: Rows t ≤ l − 5 wrong by l × max|∂L/∂h|: the case with the largest l is the worst.
_WRONG_LOW_T = """
_whole = dL_dh

def dL_dh(W, V, h, y_pred, y_gt, l, n):
    g = _whole(W, V, h, y_pred, y_gt, l, n)
    bad = {bad}
    return g + bad[:, None] * l * np.abs(g).max()
"""


STEP_LISTS = [
    pytest.param(
        _WRONG_LOW_T.format(bad="np.arange(1, l + 1) <= l - 5"),
        lambda l: (f"1–{l - 5}", f"{l - 4}–{l}", list(range(1, l - 4))),
        id="low-t-wrong",
    ),  # t = 1–(l−5) wrong, the last five right
    pytest.param(
        _WRONG_LOW_T.format(bad="np.arange(1, l + 1) % 2 == 1"),
        lambda l: (
            ", ".join(map(str, range(1, l + 1, 2))),
            ", ".join(map(str, range(2, l + 1, 2))),
            list(range(1, l + 1, 2)),
        ),
        id="odd-t-wrong",
    ),  # every other step: more than a dozen single steps, none left out
]


@pytest.mark.parametrize(("override", "split"), STEP_LISTS)
def test_dh_message_names_every_wrong_and_right_step(
    override: str, split: Callable[[int], tuple[str, str, list[int]]], tmp_path: Path
) -> None:
    report = grade_parts(write_submission(tmp_path, override), "h")["h"]
    worst = re.search(r"Worst on case (\d+) \(n = \d+, l = (\d+)\)", report.message)
    assert worst is not None, report.message
    l = int(worst[2])
    assert l == max(c.sizes["l"] for c in CASES)
    wrong, right, steps = split(l)
    assert f" t = {wrong} wrong; {right} right." in report.messages.en
    assert f" t = {wrong} 错误；{right} 正确。" in report.messages.zh
    assert report.cases[int(worst[1])].wrong_steps == steps


#: ∂L/∂W off by 1e-3 everywhere: also where the reference is exactly zero (l = 1, or n = 1).
W_OFFSET = """
_whole_W = dL_dW

def dL_dW(W, V, h, y_pred, y_gt, l, n):
    g = _whole_W(W, V, h, y_pred, y_gt, l, n)
    return {ret}
"""
ZERO_W = [c.index for c in CASES if not np.any(c.expected["W"])]


def test_worst_case_is_not_one_whose_reference_is_zero(tmp_path: Path) -> None:
    assert ZERO_W, "the public cases have a ∂L/∂W of exactly zero"
    report = grade_parts(write_submission(tmp_path, W_OFFSET.format(ret="g + 1e-3")), "W")["W"]
    worst = re.search(
        r"Worst on case (\d+) \(n = \d+, l = \d+\): element (\[[\d, ]+\])", report.message
    )
    assert worst is not None, report.message
    quoted = report.cases[int(worst[1])]
    assert quoted.index not in ZERO_W
    nonzero_failed = [c for c in report.cases if not c.passed and c.index not in ZERO_W]
    assert quoted.tolerance_ratio == max(c.tolerance_ratio or 0.0 for c in nonzero_failed)
    assert f"{quoted.tolerance_ratio:.3g}× the tolerance" in report.message
    # The numbers are the quoted element's: off by 1e-3, where the reference is 0 or not.
    assert "is off by 0.001 (" in report.message
    assert all(report.cases[i].max_rel_error is None for i in ZERO_W)  # no relative error there


def test_only_zero_reference_cases_wrong_says_zero_is_expected(tmp_path: Path) -> None:
    override = W_OFFSET.format(ret="g + 1e-3 if not g.any() else g")
    report = grade_parts(write_submission(tmp_path, override), "W")["W"]
    assert [c.index for c in report.cases if not c.passed] == ZERO_W
    quoted = re.search(r"Worst on case (\d+) ", report.message)
    assert quoted is not None and int(quoted[1]) in ZERO_W
    assert "where every element should be 0: element [0, 0] is 0.001." in report.message
    assert "其所有元素都应为 0" in report.messages.zh
    assert "tolerance" not in report.message  # no ratio to the comparison's floor


def _case(index: int, passed: bool, ratio: float | None, rel: float | None = 1.0) -> CaseResult:
    problem = "no answer" if ratio is None and not passed else None
    return CaseResult(
        index=index,
        sizes={"n": 2},
        passed=passed,
        tolerance_ratio=ratio,
        max_rel_error=rel if ratio is not None else None,
        problem=problem,
    )


QUOTED = [
    pytest.param([_case(0, True, 0.1), _case(1, True, 0.2)], None, id="all-passed"),  # no case
    pytest.param(
        [_case(0, False, 5.0), _case(1, False, 50.0), _case(2, True, 0.5)], 1, id="largest-ratio"
    ),  # the largest tolerance ratio, not the first failed case
    pytest.param(
        [_case(0, False, 1e16, rel=None), _case(1, False, 3.0)], 1, id="zero-reference-last"
    ),  # a zero reference's enormous ratio does not count against a real one
    pytest.param(
        [_case(0, True, 0.0, rel=None), _case(1, False, 1e13, rel=None)], 1, id="only-zero"
    ),  # quoted when every wrong case has a zero reference
    pytest.param(
        [_case(0, False, 99.0), _case(1, False, None), _case(2, False, None)], 1, id="problem"
    ),  # the first case without a comparable answer: its message is the part's
]


@pytest.mark.parametrize(("cases", "index"), QUOTED)
def test_quoted_case(cases: list[CaseResult], index: int | None) -> None:
    quoted = quoted_case(cases)
    assert (quoted.index if quoted else None) == index


#: A wrong value on every case, and a wrong shape from the first case with n > 5 on.
WRONG_THEN_SHAPE = """
def dL_dV(h, y_pred, y_gt, l, n):
    return np.zeros(n + 1) if n > 5 else (y_pred - y_gt) * h[l] + 1.0
"""


def test_quoted_case_is_the_one_a_problem_message_names(tmp_path: Path) -> None:
    report = grade_parts(write_submission(tmp_path, WRONG_THEN_SHAPE), "V")["V"]
    first_big = next(c.index for c in CASES if c.sizes["n"] > 5)
    assert not report.cases[0].passed and first_big > 0
    assert f"on case {first_big} " in report.message
    quoted = quoted_case(report.cases)
    assert quoted is not None and quoted.index == first_big


# -- a catalogued mistake in the part's own terms -------------------------------------------------

U_TRANSPOSED = {
    "en:U": "The result is transposed: entry [i, j] holds the derivative by U[j, i].",
    "zh:U": "结果被转置了：元素 [i, j] 存放的是对 U[j, i] 的导数。",
    "solution:en:U": "G[i, j] must be ∂L/∂U[i, j] = Σ_t δ_t[i] x_t[j].",
    "solution:zh:U": "G[i, j] 应为 ∂L/∂U[i, j] = Σ_t δ_t[i] x_t[j]。",
}


def test_a_mistake_speaks_of_each_part_in_its_own_terms(tmp_path: Path) -> None:
    public = load_case_set(ASSIGNMENT, "public")
    mistakes = tuple(
        replace(m, messages={**m.messages, **U_TRANSPOSED}) if m.id == "transposed_result" else m
        for m in public.mistakes
    )
    case_set = replace(public, mistakes=mistakes)
    path = REPO / "submissions" / "mistake_transposed_result.py"
    settings = get_settings(feedback="solution")
    report = grade(path, assignment=ASSIGNMENT, settings=settings, case_set=case_set)
    general = next(m for m in mistakes if m.id == "transposed_result").messages
    w, u = report.part("W"), report.part("U")
    assert (w.diagnosis, u.diagnosis) == ("transposed_result", "transposed_result")
    for lang in ("en", "zh"):
        w_text, u_text = getattr(w.messages, lang), getattr(u.messages, lang)
        assert general[lang] in w_text and general[f"solution:{lang}"] in w_text
        assert U_TRANSPOSED[f"{lang}:U"] in u_text and general[lang] not in u_text
        assert U_TRANSPOSED[f"solution:{lang}:U"] in u_text
        assert general[f"solution:{lang}"] not in u_text


def test_transposed_result_speaks_of_each_part_in_its_own_terms() -> None:
    path = REPO / "submissions" / "mistake_transposed_result.py"
    report = grade(path, assignment=ASSIGNMENT, settings=get_settings(feedback="solution"))
    u, w = report.part("U"), report.part("W")
    for text in (u.messages.en, u.messages.zh):
        assert "∂L/∂U[i, j] = Σ_t δ_t[i] x_t[j]" in text and "h_{t−1}" not in text
    for text in (w.messages.en, w.messages.zh):
        assert "∂L/∂W[i, j] = Σ_t δ_t[i] h_{t−1}[j]" in text
