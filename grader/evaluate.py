"""From what the child returned to a scored, diagnosed part report.

Shapes are normalised first (a vector may come back as (n,), (1, n) or (n, 1); a scalar as (),
(1,) or (1, 1); a matrix part with ``accept_flat`` also as its row-major 1×n² row), then every
case is compared with the reference, and a failed part is checked against every catalogued
wrong answer: one that matches on every case names the likely mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from grader.assignment import Assignment, Part
from grader.cases import Case, CaseSet
from grader.compare import Tolerance, compare, compare_many
from grader.messages import at, message
from grader.report import CaseResult, Messages, PartReport, PartStatus
from grader.runner.session import CallOutput, RawPart

Answer = NDArray[np.float64]
#: A line of the submitted code to where the student sees it (``Source.where``).
Where = Callable[[int | None], Messages]


def expected_description(shape: tuple[int, ...], accept_flat: bool) -> str:
    if shape == ():
        return "a scalar"
    if len(shape) == 1:
        k = shape[0]
        if k == 1:
            return "a single number (n = 1)"
        return f"a vector of {k} numbers (shape ({k},), (1, {k}) or ({k}, 1))"
    text = "an array of shape " + "×".join(str(s) for s in shape)
    if accept_flat:
        text += f" (or its row-major 1×{prod(shape)} row)"
    return text


def accepted_shapes(shape: tuple[int, ...], accept_flat: bool) -> set[tuple[int, ...]]:
    """The layouts the contract accepts for an answer of the reference's ``shape``."""
    if shape == ():
        return {(), (1,), (1, 1)}
    if len(shape) == 1:
        (k,) = shape
        return {(k,), (1, k), (k, 1)}
    accepted = {shape}
    if len(shape) == 2 and shape[0] == 1:  # one row (e.g. ∂L/∂h_t with l = 1): as a vector too
        accepted |= {(shape[1],)}
    if accept_flat:
        accepted |= {(1, prod(shape)), (prod(shape),)}
    return accepted


def coerce(value: NDArray[Any], shape: tuple[int, ...], accept_flat: bool) -> Answer | None:
    """The answer reshaped to ``shape`` if it is one of the accepted layouts, else None."""
    if tuple(value.shape) not in accepted_shapes(shape, accept_flat):
        return None
    return np.asarray(value.real, dtype=np.float64).reshape(shape)


def _sizes(case: Case) -> str:
    return ", ".join(f"{k} = {v}" for k, v in case.sizes.items())


def _step_text(step: int | None, part: Part) -> str:
    return f" ({part.steps.param} = {step})" if step is not None and part.steps else ""


def _call_problem(
    out: CallOutput, part: Part, case: Case, step: int | None, expected: str, where: Where
) -> Messages | None:
    ctx = {"function": part.function, "case": case.index, "step": _step_text(step, part)}
    if out.error is not None:
        line = out.error.get("line")
        return message(
            "raised",
            type=out.error.get("type", "an exception"),
            error=str(out.error.get("message", ""))[:300],
            where=at(where(line) if line else None),
            **ctx,
        )
    if out.bad_value is not None or out.value is None:
        return message("bad_value", what=out.bad_value or "nothing", expected=expected, **ctx)
    if out.value.dtype.kind == "c":  # the contract asks for real values, even with 0j parts
        return message("complex", **ctx)
    return None


def _answer(raw: RawPart, part: Part, case: Case, where: Where) -> Answer | Messages:
    """One case's answer as a float64 array of the reference's shape, or what is wrong with it."""
    shape = case.expected[part.name].shape
    calls = raw.calls.get(case.index, {})
    per_step = part.steps is not None and None not in calls and bool(calls)
    if per_step:
        assert part.steps is not None
        first = part.steps.first
        count = int(case.sizes.get(part.steps.count) or shape[0])
        row_shape = shape[1:]
        rows = []
        for step in range(first, first + count):
            out = calls.get(step)
            if out is None:
                return message(
                    "bad_value",
                    function=part.function,
                    case=case.index,
                    step=_step_text(step, part),
                    what="nothing",
                    expected=expected_description(row_shape, False),
                )
            problem = _call_problem(
                out, part, case, step, expected_description(row_shape, False), where
            )
            if problem:
                return problem
            assert out.value is not None
            row = coerce(out.value, row_shape, False)
            if row is None:
                return _shape_problem(out.value, row_shape, False, part, case)
            rows.append(row)
        answer = np.stack(rows)
    else:
        out = calls.get(None, CallOutput(bad_value="nothing"))
        problem = _call_problem(
            out, part, case, None, expected_description(shape, part.accept_flat), where
        )
        if problem:
            return problem
        assert out.value is not None
        coerced = coerce(out.value, shape, part.accept_flat)
        if coerced is None:
            return _shape_problem(out.value, shape, part.accept_flat, part, case)
        answer = coerced
    if not np.all(np.isfinite(answer)):
        return message("not_finite", function=part.function, case=case.index, sizes=_sizes(case))
    return answer


def _shape_problem(
    value: NDArray[Any], shape: tuple[int, ...], accept_flat: bool, part: Part, case: Case
) -> Messages:
    return message(
        "bad_shape",
        function=part.function,
        shape=tuple(value.shape),
        case=case.index,
        sizes=_sizes(case),
        expected=expected_description(shape, accept_flat),
    )


def _steps_summary(part: Part, case: Case, failing_rows: NDArray[np.bool_]) -> Messages:
    """For a part answered by steps: which steps are wrong, in words."""
    assert part.steps is not None
    first = part.steps.first
    wrong = [first + i for i, bad in enumerate(failing_rows) if bad]
    last = first + len(failing_rows) - 1
    p = part.steps.param
    if not wrong:
        return Messages()
    if last not in wrong and wrong == list(range(first, last)):
        return message("steps_recursion", p=p, last=last, below=last - 1)
    if last in wrong and len(wrong) == len(failing_rows):
        return message("steps_from_top", p=p, last=last)
    return message("steps_list", p=p, which=", ".join(map(str, wrong[:12])))


def evaluate_part(
    part: Part,
    raw: RawPart,
    case_set: CaseSet,
    assignment: Assignment,
    timeout_s: float,
    *,
    where: Where,
    load_failed: bool = False,
    wall_s: float | None = None,
) -> PartReport:
    """Score one part from the child's raw outcome; ``where`` places a line for the student.
    ``timeout_s`` is the part's CPU-time limit, ``wall_s`` its wall-clock backstop."""
    base: dict[str, Any] = {
        "name": part.name,
        "label": part.label,
        "max_score": part.points,
        "bonus": part.bonus,
    }
    if load_failed:  # the functions never ran: the report's load_error says why
        return _report(base, "timeout" if raw.state == "timeout" else "error", message("not_run"))
    if raw.state == "missing":
        return _report(base, "missing", message("missing", function=part.function))
    if raw.state == "timeout":
        return _report(
            base,
            "timeout",
            message("timeout", function=part.function, seconds=timeout_s, wall=wall_s or timeout_s),
        )
    if raw.state == "error" and not raw.calls:
        key = "part_error" if raw.message else "not_run"
        return _report(
            base, "error", message(key, function=part.function, detail=raw.message.rstrip("."))
        )
    tol = assignment.tolerance
    results: list[CaseResult] = []
    answers: dict[int, Answer] = {}
    first_problem: Messages | None = None
    problem_is_error = False
    worst: tuple[float, Case, Any] | None = None
    got_by_case = [(case, _answer(raw, part, case, where)) for case in case_set.cases]
    answered = [(c, g) for c, g in got_by_case if not isinstance(g, Messages)]
    discs = dict(
        zip(
            (c.index for c, _ in answered),
            compare_many(
                [g for _, g in answered], [c.expected[part.name] for c, _ in answered], tol
            ),
            strict=True,
        )
    )
    for case, got in got_by_case:
        if isinstance(got, Messages):
            out = raw.calls.get(case.index, {})
            raised = any(o.error is not None for o in out.values())
            problem_is_error = problem_is_error or (raised and first_problem is None)
            first_problem = first_problem or got
            results.append(
                CaseResult(index=case.index, sizes=case.sizes, passed=False, problem=got.en)
            )
            continue
        answers[case.index] = got
        disc = discs[case.index]
        wrong_steps = None
        if part.steps is not None and got.ndim >= 1:
            rows = disc.failing.reshape(len(got), -1).any(axis=1)
            wrong_steps = [
                part.steps.first + i for i, bad in enumerate(np.atleast_1d(rows).tolist()) if bad
            ]
        results.append(
            CaseResult(
                index=case.index,
                sizes=case.sizes,
                passed=disc.passed,
                max_abs_error=disc.max_abs_error,
                max_rel_error=disc.max_rel_error,
                worst_index=list(disc.worst_index),
                tolerance_ratio=disc.ratio,
                wrong_steps=wrong_steps,
            )
        )
        if not disc.passed and (worst is None or disc.ratio > worst[0]):
            worst = (disc.ratio, case, disc)
    if raw.state == "error" and raw.message:  # the child died part-way through
        msg = message("crashed", function=part.function, detail=raw.message.rstrip("."))
        return _report(base, "error", msg, results)
    passed = sum(r.passed for r in results)
    total = len(results)
    score = _score(part, assignment, passed, total)
    if first_problem is not None:
        return _report(
            base, "error" if problem_is_error else "failed", first_problem, results, score
        )
    if passed == total:
        return _report(base, "passed", message("passed", cases=total), results, part.points)
    failed = total - passed
    diagnosis = diagnose(part, case_set, answers, tol)
    if diagnosis is not None:
        mistake = next(m for m in case_set.mistakes if m.id == diagnosis)
        text = Messages(en=mistake.messages.get("en", ""), zh=mistake.messages.get("zh", ""))
        msg = message("diagnosed", failed=failed, cases=total, id=diagnosis, text="{text}")
        msg = Messages(en=msg.en.format(text=text.en), zh=msg.zh.format(text=text.zh))
        return _report(base, "failed", msg, results, score, diagnosis)
    assert worst is not None
    ratio, case, disc = worst
    steps = Messages()
    if part.steps is not None:
        rows = disc.failing.reshape(disc.failing.shape[0], -1).any(axis=1)
        steps = _steps_summary(part, case, rows)
    msg = message(
        "wrong",
        failed=failed,
        cases=total,
        case=case.index,
        sizes=_sizes(case),
        index=list(disc.worst_index),
        abs_err=disc.max_abs_error,
        rel_err=disc.max_rel_error,
        ratio=ratio,
        steps="{steps}",
    )
    msg = Messages(en=msg.en.format(steps=steps.en), zh=msg.zh.format(steps=steps.zh))
    return _report(base, "failed", msg, results, score)


def diagnose(
    part: Part, case_set: CaseSet, answers: dict[int, Answer], tol: Tolerance
) -> str | None:
    """The id of the first catalogued wrong answer that the answers match on every case."""
    tol_cases = [c for c in case_set.cases if c.index in answers]
    if len(tol_cases) != len(case_set.cases):
        return None
    for mistake in case_set.mistakes:
        if part.name not in mistake.parts:
            continue
        if all(
            mistake.id in c.wrong.get(part.name, {})
            and compare(answers[c.index], c.wrong[part.name][mistake.id], tol).passed
            for c in tol_cases
        ):
            return mistake.id
    return None


def _score(part: Part, assignment: Assignment, passed: int, total: int) -> float:
    if total and passed == total:
        return part.points
    if assignment.partial_credit and total:
        return round(part.points * passed / total, 6)
    return 0.0


def _report(
    base: dict[str, Any],
    status: PartStatus,
    msg: Messages,
    cases: list[CaseResult] | None = None,
    score: float = 0.0,
    diagnosis: str | None = None,
) -> PartReport:
    return PartReport(
        **base,
        status=status,
        score=score if status == "passed" or score else 0.0,
        diagnosis=diagnosis,
        message=msg.en,
        messages=msg,
        cases=cases or [],
    )
