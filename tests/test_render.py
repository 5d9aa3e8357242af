"""The terminal rendering of ``grader check``, ``show-case`` and ``cases``: text shown as it is
(never read as rich markup or emoji codes), and the show-case hint naming the case the message
is about. Reports are graded in-process with the real child (see test_evaluate)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from grader.assignment import load_assignment
from grader.cases import load_case_set
from grader.core import grade
from grader.render import print_case, print_case_list, print_report
from grader.report import FeedbackLevel, GradeReport, Lang
from grader.settings import get_settings

REPO = Path(__file__).resolve().parent.parent
SUBMISSIONS = REPO / "submissions"
BASE = Path(__file__).resolve().parent / "data" / "grader" / "correct_required.py"
ASSIGNMENT = load_assignment(REPO / "reference" / "assignment.toml")
CASES = load_case_set(ASSIGNMENT, "public").cases
NASTY = "[x] [bold]b[/] :warning: \\[e]"


@pytest.fixture(autouse=True)
def _no_grader_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, not from GRADER_* variables of whoever runs it."""
    import os

    for key in [k for k in os.environ if k.startswith("GRADER_")]:
        monkeypatch.delenv(key)


def shown(render: Any, *args: Any, width: int = 1000) -> str:
    """What a renderer prints on a terminal ``width`` columns wide, as plain text."""
    console = Console(file=io.StringIO(), record=True, width=width, color_system=None)
    render(*args, console=console)
    return console.export_text()


def graded(
    path: Path, *parts: str, lang: Lang = "en", feedback: FeedbackLevel = "mistake"
) -> GradeReport:
    settings = get_settings(feedback=feedback)
    report = grade(path, assignment=ASSIGNMENT, settings=settings, parts=parts or None)
    return report.model_copy(update={"lang": lang})


def message_lines(text: str) -> dict[str, str]:
    """The Message cell of each part's row(s), joined, by the part's label."""
    cells: dict[str, str] = {}
    label = ""
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        columns = [c.strip() for c in line.strip("│").split("│")]
        label = columns[0] or label
        cells[label] = (cells.get(label, "") + " " + columns[-1]).strip()
    return cells


# -- text from outside is shown as it is ----------------------------------------------------

# Graded at the "solution" feedback level: the correct formulas have the most brackets.
BRACKETED = [
    pytest.param(
        "mistake_missing_relu_mask", "h", "en", "= diag(1[h_i > 0]) W.", id="relu-en"
    ),  # the mask's indicator 1[h_i > 0]: rich took [h_i > 0] for a style
    pytest.param("mistake_missing_relu_mask", "h", "zh", "= diag(1[h_i > 0]) W。", id="relu-zh"),
    pytest.param(
        "mistake_transposed_result",
        "W",
        "en",
        "entry [i, j] holds the derivative with respect to W[j, i]",
        id="mistake-en",
    ),  # the mistake's own text
    pytest.param(
        "mistake_transposed_result",
        "W",
        "zh",
        "元素 [i, j] 存放的是对 W[j, i] 的导数",
        id="mistake-zh",
    ),
    pytest.param(
        "mistake_transposed_result",
        "W",
        "en",
        "G[i, j] must be ∂L/∂W[i, j] = Σ_t δ_t[i] h_{t−1}[j]",
        id="indices-en",
    ),  # every index in square brackets
    pytest.param(
        "mistake_transposed_result",
        "W",
        "zh",
        "G[i, j] 应为 ∂L/∂W[i, j] = Σ_t δ_t[i] h_{t−1}[j]",
        id="indices-zh",
    ),
]


@pytest.mark.parametrize(("stem", "part", "lang", "phrase"), BRACKETED)
def test_catalogued_mistake_is_shown_with_its_brackets(
    stem: str, part: str, lang: Lang, phrase: str
) -> None:
    report = graded(SUBMISSIONS / f"{stem}.py", part, lang=lang, feedback="solution")
    assert phrase in report.part(part).messages.get(lang)
    cell = message_lines(shown(print_report, report))[report.part(part).label]
    assert phrase in cell


def test_exception_text_and_file_name_are_shown_as_they_are(tmp_path: Path) -> None:
    # What a student's code raises, and the file's name, are the student's text.
    path = tmp_path / "sub[x]:warning:.py"
    override = f"\n\ndef dL_dV(h, y_pred, y_gt, l):\n    raise ValueError({NASTY!r})\n"
    path.write_text(BASE.read_text(encoding="utf-8") + override, encoding="utf-8")
    report = graded(path, "V").model_copy(update={"notes": [NASTY]})
    text = shown(print_report, report)
    assert f"ValueError: {NASTY}" in message_lines(text)["∂L/∂V"]
    assert "sub[x]:warning:.py" in text
    assert NASTY in text.splitlines()  # a note


def test_case_list_and_case_are_shown_as_they_are() -> None:
    case_set = {"assignment": NASTY, "case_set": "public", "cases": [{"index": 0, "n": 2, "l": 3}]}
    title = " ".join(shown(print_case_list, case_set).split())  # it wraps to the table's width
    assert f"{NASTY}: public cases" in title
    case = {"index": 0, "n": 1, "inputs": {f"{NASTY}": 1.5}, "expected": {"d": [0.25]}}
    text = shown(print_case, case)
    assert f"{NASTY} = 1.5" in text.splitlines()
    assert "d =" in text.splitlines()


# -- the show-case hint names the case the message is about ------------------------------------

#: Rows t ≤ l − 5 of ∂L/∂h wrong by l × max|∂L/∂h|: the worst case (largest l) is not the first
#: failed one.
LOW_T_WRONG = """
_whole = dL_dh

def dL_dh(W, V, h, y_pred, y_gt, l, n):
    g = _whole(W, V, h, y_pred, y_gt, l, n)
    return g + (np.arange(1, l + 1) <= l - 5)[:, None] * l * np.abs(g).max()
"""
#: ∂L/∂W off by 1e-3: also on the cases whose reference is zero (the first cases).
W_OFFSET = """
_whole_W = dL_dW

def dL_dW(W, V, h, y_pred, y_gt, l, n):
    return _whole_W(W, V, h, y_pred, y_gt, l, n) + 1e-3
"""
#: A wrong value on every case, and a wrong shape from the first case with n > 5 on.
WRONG_THEN_SHAPE = """
def dL_dV(h, y_pred, y_gt, l, n):
    return np.zeros(n + 1) if n > 5 else (y_pred - y_gt) * h[l] + 1.0
"""

HINTS = [
    pytest.param("h", LOW_T_WRONG, id="worst-case"),  # "Worst on case N": the largest error
    pytest.param("W", W_OFFSET, id="worst-nonzero"),  # not a case whose reference is zero
    pytest.param("V", WRONG_THEN_SHAPE, id="problem-case"),  # "… on case N" of a wrong shape
]
CASE_NAMED = {"en": r"on case (\d+)", "zh": r"测试用例 (\d+)"}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("part", "override"), HINTS)
def test_show_case_hint_names_the_case_the_message_names(
    part: str, override: str, lang: Lang, tmp_path: Path
) -> None:
    path = tmp_path / "submission.py"
    path.write_text(BASE.read_text(encoding="utf-8") + "\n\n" + override, encoding="utf-8")
    report = graded(path, part, lang=lang)
    p = report.part(part)
    first_failed = next(c.index for c in p.cases if not c.passed)
    named = re.search(CASE_NAMED[lang], p.messages.get(lang))
    assert named is not None, p.messages.get(lang)
    assert int(named[1]) != first_failed  # a case where the old hint was wrong
    hint = re.search(r"grader show-case (\d+) --part (\w+)", shown(print_report, report))
    assert hint is not None
    assert (int(hint[1]), hint[2]) == (int(named[1]), part)


def test_no_hint_for_a_passed_part() -> None:
    report = graded(SUBMISSIONS / "correct_loops.py", "W")
    assert report.part("W").status == "passed"
    assert "show-case" not in shown(print_report, report)
