"""Builds the BPTT homework's case sets for the grader: inputs, expected and wrong answers.

``python -m reference.provider`` rewrites ``public_cases.npz``, the stored public case set that
``grader check`` reads instead of building it each run (a test fails when it is stale).
"""

from __future__ import annotations

from grader.assignment import Assignment
from grader.cases import Case, CaseSet, CaseSetKind, Mistake
from reference.instances import instances
from reference.mistakes import CATALOGUE, wrong_answers
from reference.mistakes import Mistake as CatalogueMistake


def build_case_set(assignment: Assignment, kind: CaseSetKind, seed: int) -> CaseSet:
    count = assignment.cases.public_count if kind == "public" else assignment.cases.hidden_count
    cases = []
    for inst in instances(seed, count, assignment.tolerance):
        c = inst.inputs
        sizes = {"n": c.n, "l": c.l}
        inputs = {
            "W": c.W,
            "U": c.U,
            "b": c.b,
            "V": c.V,
            "d": c.d,
            "x": c.x,
            "h": c.h,
            "y_pred": c.y_pred,
            "y_gt": c.y_gt,
            **sizes,
        }
        cases.append(
            Case(
                index=inst.index,
                kind=inst.kind,
                sizes=sizes,
                inputs=inputs,
                expected=inst.expected.as_dict(),
                wrong=wrong_answers(c),
            )
        )
    mistakes = tuple(Mistake(m.id, m.parts, _messages(m)) for m in CATALOGUE)
    return CaseSet(assignment.name, kind, tuple(cases), mistakes)


def _messages(mistake: CatalogueMistake) -> dict[str, str]:
    """A mistake's texts for the case set: "en" and "zh", and "en:U", "zh:U" for a part with
    its own wording; its correct formula as "solution:en", "solution:zh", and
    "solution:en:U", "solution:zh:U" for a part with its own (grader.feedback_levels picks
    the part's, and shows the solution at the "solution" feedback level only)."""
    messages = {"en": mistake.en, "zh": mistake.zh}
    for part, (en, zh) in mistake.by_part.items():
        messages |= {f"en:{part}": en, f"zh:{part}": zh}
    if mistake.solution_en:
        messages |= {"solution:en": mistake.solution_en, "solution:zh": mistake.solution_zh}
    for part, (en, zh) in mistake.solution_by_part.items():
        messages |= {f"solution:en:{part}": en, f"solution:zh:{part}": zh}
    return messages


def main() -> None:
    from pathlib import Path

    from grader.assignment import load_assignment
    from grader.cases import save_public_cases

    print(f"wrote {save_public_cases(load_assignment(Path(__file__).parent))}")


if __name__ == "__main__":
    main()
