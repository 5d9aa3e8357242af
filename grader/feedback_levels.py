"""Feedback levels: how much a failed part's message gives away, as the instructor decides.

- ``verdict``: the status and the score. A wrong answer's message says only that it is wrong;
  the report keeps no diagnosis and no per-case results.
- ``mistake`` (the default): the likely mistake and where it shows (which steps, which case to
  inspect, which kinds of case fail); never a correct formula.
- ``solution``: the correct formula too, where the catalogue gives one.

A part that cannot be compared at all (missing, an exception, a timeout, a wrong shape) says
why at every level: that is about the program, not about the derivation.

The level is the assignment's ``feedback`` key unless the ``feedback`` setting
(``GRADER_FEEDBACK``) overrides it. A catalogued mistake brings its texts in the case set:
``"en"``/``"zh"`` (and ``"en:U"``/``"zh:U"`` for a part's own wording) name the mistake;
``"solution:en"``/``"solution:zh"`` (and ``"solution:en:U"``, …) give the correct formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from grader.cases import Case, CaseSet, Mistake
from grader.messages import message
from grader.report import CaseResult, FeedbackLevel, Messages, PartReport

#: The prefix of a catalogued mistake's solution texts in the case set.
SOLUTION = "solution:"


def mistake_text(mistake: Mistake, part: str) -> Messages:
    """A catalogued mistake's text for one part: the part's own wording where the catalogue
    gives one (keys ``"en:U"``, ``"zh:U"``), else the mistake's general wording (``"en"``,
    ``"zh"``). It names the mistake; it states no correct formula."""
    return _texts(mistake, "", part)


def solution_text(mistake: Mistake, part: str) -> Messages:
    """The correct formula for a catalogued mistake's part (keys ``"solution:en:U"``, else
    ``"solution:en"``); empty where the case set carries none (a student copy whose
    assignment does not give solutions)."""
    return _texts(mistake, SOLUTION, part)


def _texts(mistake: Mistake, prefix: str, part: str) -> Messages:
    m = mistake.messages

    def pick(lang: str) -> str:
        return m.get(f"{prefix}{lang}:{part}", m.get(f"{prefix}{lang}", ""))

    en = pick("en")
    return Messages(en=en, zh=pick("zh") or en)


def diagnosed(
    mistake: Mistake,
    part: str,
    level: FeedbackLevel,
    *,
    failed: int,
    cases: int,
    case: int,
    sizes: str,
    steps: Messages,
) -> Messages:
    """A wrong answer that matches a catalogued mistake: at the ``mistake`` level its name, its
    text and where to look; at the ``solution`` level the correct formula after them."""
    if level == "verdict":
        return message("verdict_failed")
    text = message(
        "diagnosed",
        failed=failed,
        cases=cases,
        id=mistake.id,
        text=mistake_text(mistake, part),
        case=case,
        sizes=sizes,
        steps=steps,
    )
    solution = solution_text(mistake, part)
    if level != "solution" or not solution.en:
        return text
    shown = message("solution", text=solution)
    return Messages(en=text.en + shown.en, zh=text.zh + shown.zh)


def case_kinds(cases: Sequence[Case], results: Sequence[CaseResult]) -> Messages:
    """Which kinds of case are wrong, for a wrong answer no catalogued mistake explains.

    A kind is a size equal to 1 (``n = 1``, ``l = 1``) or a value of a scalar input that takes
    exactly two values over the case set (a label: ``y_gt = 0``, ``y_gt = 1``), where some
    cases are of that kind and some are not. The message says that only one kind is wrong, or
    that all but one kind are, or else how many of each kind are wrong.
    """
    wrong = frozenset(r.index for r in results if not r.passed)
    every = frozenset(c.index for c in cases)
    kinds = _kinds(cases)
    if not wrong or not kinds:
        return Messages()
    if wrong == every:
        labels = [label for label, _ in kinds]
        return message("kinds_all", kinds=Messages(en=", ".join(labels), zh="、".join(labels)))
    for label, members in kinds:
        if members == wrong:
            return message("kinds_only", kind=label)
    for label, members in kinds:
        if every - members == wrong:
            return message("kinds_except", kind=label)
    counts = [(kind, f"{len(wrong & members)}/{len(members)}") for kind, members in kinds]
    return message(
        "kinds_counts",
        counts=Messages(
            en="; ".join(f"{kind}: {n}" for kind, n in counts),
            zh="；".join(f"{kind}：{n}" for kind, n in counts),
        ),
    )


def _kinds(cases: Sequence[Case]) -> list[tuple[str, frozenset[int]]]:
    every = frozenset(c.index for c in cases)
    found: list[tuple[str, frozenset[int]]] = []
    for key in dict.fromkeys(k for c in cases for k in c.sizes):
        found.append((f"{key} = 1", frozenset(c.index for c in cases if c.sizes.get(key) == 1)))
    for key in dict.fromkeys(k for c in cases for k in c.inputs if k not in c.sizes):
        values = [c.inputs.get(key) for c in cases]
        scalars = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(scalars) != len(values):
            continue  # arrays, flags, missing values: no kind of case
        numbers = sorted({float(v) for v in scalars})
        if len(numbers) != 2:
            continue
        for value in numbers:
            members = frozenset(c.index for c in cases if c.inputs.get(key) == value)
            found.append((f"{key} = {value:g}", members))
    return [(label, members) for label, members in found if members and members != every]


def shipped(case_set: CaseSet, level: FeedbackLevel) -> CaseSet:
    """The case set without what ``level`` never shows, for a copy that leaves the instructor's
    hands (the student copy): below ``solution`` no solution texts, at ``verdict`` no
    catalogued mistakes at all (neither their texts nor their wrong answers)."""
    if level == "solution":
        return case_set
    if level == "verdict":
        cases = tuple(replace(c, wrong={}) for c in case_set.cases)
        return replace(case_set, cases=cases, mistakes=())
    mistakes = tuple(
        replace(m, messages={k: v for k, v in m.messages.items() if not k.startswith(SOLUTION)})
        for m in case_set.mistakes
    )
    return replace(case_set, mistakes=mistakes)


def verdict_only(report: PartReport) -> PartReport:
    """What the ``verdict`` level keeps of a part: its status, score and message, without the
    diagnosis or the per-case results (which case kinds and steps are wrong is a diagnosis)."""
    return report.model_copy(update={"diagnosis": None, "cases": []})
