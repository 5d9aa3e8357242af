"""From what the child returned to a scored, diagnosed part report.

Shapes are normalised first: an answer whose reference has at most one axis longer than 1 (a
scalar, a vector, a matrix of one row or one column, such as ∂L/∂h when l = 1 or n = 1) may
come as any layout of its k numbers: (k,), (1, k) or (k, 1), and a single number also as a
plain number (shape ()); a matrix part with ``accept_flat`` also as its row-major 1×n² row.
Then every case is compared with the reference, and a failed part is checked against every
catalogued wrong answer: one that matches on every case names the likely mistake. How much the
message says is the feedback level's to decide (see :mod:`grader.feedback_levels`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from math import prod
from typing import Any

import numpy as np
from numpy.typing import NDArray

from grader.assignment import Assignment, Part
from grader.cases import Case, CaseSet
from grader.compare import Tolerance, compare, compare_many
from grader.feedback_levels import case_kinds, diagnosed, verdict_only
from grader.messages import at, message
from grader.report import CaseResult, FeedbackLevel, Messages, PartReport, PartStatus
from grader.runner.session import BadValue, CallOutput, RawPart

Answer = NDArray[np.float64]
#: A line of the submitted code to where the student sees it (``Source.where``).
Where = Callable[[int | None], Messages]

_NO_MODULE = re.compile(r"No module named '([\w.]+)'")


def _vector_like(shape: tuple[int, ...]) -> bool:
    """At most one axis longer than 1, in at most two: its numbers have one order only."""
    return len(shape) <= 2 and sum(n > 1 for n in shape) <= 1


def expected_description(shape: tuple[int, ...], accept_flat: bool) -> Messages:
    """What the contract accepts for an answer of the reference's ``shape``, in words."""
    size = prod(shape)
    if shape == ():
        return message("expect_scalar")
    if len(shape) == 1:
        return message("expect_one") if size == 1 else message("expect_vector", k=size)
    if size == 1 and len(shape) == 2:
        return message("expect_one_of_matrix")
    text = message("expect_array", shape="×".join(str(s) for s in shape))
    if _vector_like(shape):
        more = message("expect_or_vector", k=size)
    elif accept_flat:
        more = message("expect_or_flat", size=size)
    else:
        return text
    return Messages(en=text.en + more.en, zh=text.zh + more.zh)


def accepted_shapes(shape: tuple[int, ...], accept_flat: bool) -> set[tuple[int, ...]]:
    """The layouts the contract accepts for an answer of the reference's ``shape``."""
    size = prod(shape)
    accepted = {shape}
    if _vector_like(shape):
        accepted |= {(size,), (1, size), (size, 1)}
        if size == 1:
            accepted.add(())
    if accept_flat:
        accepted |= {(1, size), (size,)}
    return accepted


def coerce(value: NDArray[Any], shape: tuple[int, ...], accept_flat: bool) -> Answer | None:
    """The answer reshaped to ``shape`` if it is one of the accepted layouts, else None."""
    if tuple(value.shape) not in accepted_shapes(shape, accept_flat):
        return None
    return np.asarray(value.real, dtype=np.float64).reshape(shape)


def is_stub(error: dict[str, Any]) -> bool:
    """Whether an exception is the template's: NotImplementedError with no message."""
    return error.get("type") == "NotImplementedError" and not error.get("message")


def error_text(error: dict[str, Any]) -> Messages:
    """An exception's message for the report: as raised, except that a module that is not
    there says what the contract allows (numpy and the standard library)."""
    text = str(error.get("message", ""))[:300]
    found = _NO_MODULE.fullmatch(text) if error.get("type") == "ModuleNotFoundError" else None
    if found is not None and found[1].partition(".")[0] != "numpy":
        return message("no_module", module=found[1].partition(".")[0])
    return Messages(en=text, zh=text)


def _sizes(case: Case) -> str:
    return ", ".join(f"{k} = {v}" for k, v in case.sizes.items())


def _step_text(step: int | None, part: Part) -> Messages:
    if step is None or part.steps is None:
        return Messages()
    return Messages(en=f" ({part.steps.param} = {step})", zh=f"（{part.steps.param} = {step}）")


def _call_problem(
    out: CallOutput, part: Part, case: Case, step: int | None, expected: Messages, where: Where
) -> Messages | None:
    ctx = {"function": part.function, "case": case.index, "step": _step_text(step, part)}
    if out.error is not None:
        line = out.error.get("line")
        place = at(where(line) if line else None)
        if is_stub(out.error):
            return message("stub", function=part.function, where=place)
        return message(
            "raised",
            type=out.error.get("type", "an exception"),
            error=error_text(out.error),
            where=place,
            **ctx,
        )
    if out.bad is not None or out.value is None:
        what = (out.bad or BadValue("nothing")).words()
        return message("bad_value", what=what, expected=expected, **ctx)
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
                    what=BadValue("nothing").words(),
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
        out = calls.get(None, CallOutput(bad=BadValue("nothing")))
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


def step_ranges(steps: Sequence[int]) -> str:
    """Increasing steps as ranges of consecutive ones: [1, 2, 3, 5, 7, 8] -> "1–3, 5, 7–8"."""
    runs: list[list[int]] = []
    for step in steps:
        if runs and step == runs[-1][-1] + 1:
            runs[-1].append(step)
        else:
            runs.append([step])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _steps_summary(part: Part, failing_rows: Sequence[bool]) -> Messages:
    """For a part answered by steps: which steps are wrong, every one of them, in words."""
    assert part.steps is not None
    first = part.steps.first
    all_steps = range(first, first + len(failing_rows))
    wrong = [step for step, bad in zip(all_steps, failing_rows, strict=True) if bad]
    right = [step for step, bad in zip(all_steps, failing_rows, strict=True) if not bad]
    last = all_steps[-1] if all_steps else first
    p = part.steps.param
    if not wrong:
        return Messages()
    if not right:
        return message("steps_from_top", p=p, last=last)
    if right == [last]:
        return message("steps_recursion", p=p, last=last, below=last - 1)
    return message("steps_ranges", p=p, wrong=step_ranges(wrong), right=step_ranges(right))


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
    feedback: FeedbackLevel = "mistake",
) -> PartReport:
    """Score one part from the child's raw outcome; ``where`` places a line for the student.
    ``timeout_s`` is the part's CPU-time limit, ``wall_s`` its wall-clock backstop;
    ``feedback`` how much a wrong answer's message gives away (see grader.feedback_levels)."""
    report = _evaluate_part(
        part, raw, case_set, assignment, timeout_s, where, load_failed, wall_s, feedback
    )
    return verdict_only(report) if feedback == "verdict" else report


def _evaluate_part(
    part: Part,
    raw: RawPart,
    case_set: CaseSet,
    assignment: Assignment,
    timeout_s: float,
    where: Where,
    load_failed: bool,
    wall_s: float | None,
    feedback: FeedbackLevel,
) -> PartReport:
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
        # No relative error exists where the reference is all zero (see quoted_case).
        zero_reference = not np.any(case.expected[part.name])
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
                max_rel_error=None if zero_reference else disc.max_rel_error,
                worst_index=list(disc.worst_index),
                tolerance_ratio=disc.ratio,
                wrong_steps=wrong_steps,
            )
        )
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
    if feedback == "verdict":  # nothing about why: not even the catalogue is consulted
        return _report(base, "failed", message("verdict_failed"), results, score)
    failed = total - passed
    worst = quoted_case(results)
    assert worst is not None and worst.index in discs
    case = next(c for c in case_set.cases if c.index == worst.index)
    disc = discs[worst.index]
    steps = Messages()
    if part.steps is not None:
        rows = disc.failing.reshape(disc.failing.shape[0], -1).any(axis=1)
        steps = _steps_summary(part, np.atleast_1d(rows).tolist())
    diagnosis = diagnose(part, case_set, answers, tol)
    if diagnosis is not None:
        mistake = next(m for m in case_set.mistakes if m.id == diagnosis)
        msg = diagnosed(
            mistake,
            part.name,
            feedback,
            failed=failed,
            cases=total,
            case=case.index,
            sizes=_sizes(case),
            steps=steps,
        )
        return _report(base, "failed", msg, results, score, diagnosis)
    where_in_case: dict[str, Any] = {
        "failed": failed,
        "cases": total,
        "case": case.index,
        "sizes": _sizes(case),
        "index": list(disc.worst_index),
        "steps": steps,
        "kinds": case_kinds(case_set.cases, results),
    }
    answer_value = float(answers[case.index][disc.worst_index])
    reference_value = float(case.expected[part.name][disc.worst_index])
    if worst.max_rel_error is None:  # every wrong case should be all zero
        msg = message("wrong_zero", value=answer_value, **where_in_case)
        return _report(base, "failed", msg, results, score)
    abs_err = abs(answer_value - reference_value)
    relative = (
        message("wrong_relative", rel_err=abs_err / abs(reference_value))
        if reference_value
        else message("wrong_expected_zero")
    )
    msg = message("wrong", abs_err=abs_err, relative=relative, ratio=disc.ratio, **where_in_case)
    return _report(base, "failed", msg, results, score)


def quoted_case(cases: Sequence[CaseResult]) -> CaseResult | None:
    """The case a failed part's message is about, which ``grader show-case`` should show.

    It is the first case without a comparable answer (a wrong shape, NaN, an exception: the
    message is that case's), else the wrong answer furthest beyond its tolerance, among the
    cases whose reference is not all zero where there are any. A zero reference has only the
    comparison's floor as its bound, so that any error there is absurdly many times the
    tolerance; such a case (its ``max_rel_error`` is None: no relative error exists) is quoted
    only when every wrong case is one.
    """
    for c in cases:
        if c.problem is not None:
            return c
    wrong = [c for c in cases if not c.passed and c.tolerance_ratio is not None]
    if not wrong:
        return None
    return max(wrong, key=lambda c: (c.max_rel_error is not None, c.tolerance_ratio or 0.0))


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
