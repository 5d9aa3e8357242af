"""Feedback levels: how much a failed part's message gives away.

Every catalogued mistake's example submission (submissions/mistake_<id>.py) is graded with the
real child process at each level: at ``mistake`` (the default) no message states a correct
formula, at ``solution`` the formula is there, at ``verdict`` neither the mistake nor where it
shows. The correct formulas' characteristic fragments are read from the solution texts the
case set carries: the right-hand side of every ``… = …`` they state. Both languages of every
message and catalogue text carry the same placeholders and formulas, and the Chinese texts no
untranslated English. The level comes from the assignment file unless GRADER_FEEDBACK (or the
``feedback`` setting) overrides it, and a student copy ships only the texts its level shows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from string import Formatter
from typing import Any

import pytest

from grader.assignment import PUBLIC_CASES_FILE, Assignment, load_assignment
from grader.batch.bundle import write_public_data
from grader.cases import Case, CaseSet, Mistake, load_case_set, public_recipe
from grader.core import Grader
from grader.errors import AssignmentError
from grader.feedback_levels import (
    SOLUTION,
    case_kinds,
    mistake_text,
    shipped,
    solution_text,
)
from grader.messages import TEMPLATES
from grader.report import FEEDBACK_LEVELS, CaseResult, FeedbackLevel, GradeReport, Lang
from grader.settings import get_settings
from reference.mistakes import CATALOGUE

REPO = Path(__file__).resolve().parent.parent
SUBMISSIONS = REPO / "submissions"
BASE = Path(__file__).resolve().parent / "data" / "grader" / "correct_required.py"
ASSIGNMENT = load_assignment(REPO / "reference" / "assignment.toml")
PUBLIC = load_case_set(ASSIGNMENT, "public")
MISTAKES = {m.id: m for m in PUBLIC.mistakes}
LANGS: tuple[Lang, ...] = ("en", "zh")


@pytest.fixture(autouse=True)
def _no_grader_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the test, not from GRADER_* variables of whoever runs it."""
    for key in [k for k in os.environ if k.startswith("GRADER_")]:
        monkeypatch.delenv(key)


# -- the correct formulas' fragments --------------------------------------------------------------

#: Where the right-hand side of a formula ends: a clause's punctuation (ASCII or full-width),
#: a Chinese character, an English word (not a function such as diag( ), or the next " = ".
_CLAUSE_END = re.compile(r"[,;:，；：。（]|\.(?:\s|$)|[\u4e00-\u9fff]|\s\(?[a-z]{3,}\b(?!\()|\s=\s")
#: A gradient or Jacobian stated equal to something: "∂L/∂h_l = …", "∂L/∂W[i, j] = …".
_STATED_DERIVATIVE = re.compile(r"∂\S*(?:\[[^\]]*\])?\s=\s")


def formula_fragments(text: str) -> list[str]:
    """The right-hand side of every ``lhs = rhs`` in ``text``, cut where its clause ends, for
    an lhs that is not a bare index (``t = 1..l`` names steps; it is not a formula)."""
    fragments = []
    for equals in re.finditer(r"\s=\s", text):
        before = text[: equals.start()].split()
        if not before or re.fullmatch(r"[a-z]", before[-1]):
            continue
        rest = text[equals.end() :]
        depth, end = 0, len(rest)
        for i, ch in enumerate(rest):
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
            if depth <= 0 and _CLAUSE_END.match(rest, i):
                end = i
                break
        fragment = rest[:end].strip().rstrip(".")
        if len(fragment) >= 3:
            fragments.append(fragment)
    return fragments


def solution_texts(case_set: CaseSet = PUBLIC) -> dict[str, str]:
    """Every solution text the case set carries, by mistake id and key."""
    return {
        f"{m.id}/{key}": text
        for m in case_set.mistakes
        for key, text in m.messages.items()
        if key.startswith(SOLUTION)
    }


FRAGMENTS = sorted({f for text in solution_texts().values() for f in formula_fragments(text)})


def formulas_in(text: str) -> list[str]:
    """The correct formulas ``text`` gives away: fragments of any solution, and any derivative
    stated equal to something."""
    return [f for f in FRAGMENTS if f in text] + _STATED_DERIVATIVE.findall(text)


EXTRACTED = [
    pytest.param(
        "∂L/∂h_l = (y_pred − y_gt) V; for t < l, ∂L/∂h_t = ∂L/∂h_{t+1} D W.",
        ["(y_pred − y_gt) V", "∂L/∂h_{t+1} D W"],
        id="clauses",
    ),  # two formulas, a semicolon between them, a full stop after
    pytest.param(
        "∂L/∂W[i, j] = Σ_t δ_t[i] h_{t−1}[j], with δ_t = ∂L/∂h_t ⊙ 1[h_t > 0].",
        ["Σ_t δ_t[i] h_{t−1}[j]", "∂L/∂h_t ⊙ 1[h_t > 0]"],
        id="brackets",
    ),  # a comma inside [i, j] does not end the formula; ", with" does
    pytest.param(
        "∂L/∂d = ∂L/∂y_pred · y_pred (1 − y_pred) = y_pred − y_gt。",
        ["∂L/∂y_pred · y_pred (1 − y_pred)", "y_pred − y_gt"],
        id="chain-zh",
    ),  # a chain of equalities, and Chinese punctuation
    pytest.param("W is used at every step t = 1..l, and sums.", [], id="index"),  # a range
    pytest.param("∂L/∂V = (y_pred − y_gt) h_l (row vectors).", ["(y_pred − y_gt) h_l"], id="word"),
]


@pytest.mark.parametrize(("text", "expected"), EXTRACTED)
def test_formula_fragments_are_the_right_hand_sides(text: str, expected: list[str]) -> None:
    assert formula_fragments(text) == expected


def test_every_solution_text_states_a_formula() -> None:
    texts = solution_texts()
    assert texts, "the case set carries no solution texts"
    with_solution = {key.split("/")[0] for key in texts}
    assert with_solution == set(MISTAKES)  # every catalogued mistake has one
    for key, text in texts.items():
        assert formula_fragments(text), (key, text)


# -- every catalogued mistake at every level ----------------------------------------------------


@pytest.fixture(scope="module")
def reports() -> Iterator[dict[tuple[FeedbackLevel, str], GradeReport]]:
    """Each mistake's example submission graded at each level, lazily, once per module."""
    with pytest.MonkeyPatch.context() as env:
        for key in [k for k in os.environ if k.startswith("GRADER_")]:
            env.delenv(key)
        graders = {level: Grader(get_settings(feedback=level)) for level in FEEDBACK_LEVELS}
    cache: dict[tuple[FeedbackLevel, str], GradeReport] = {}

    class Lazy(dict[tuple[FeedbackLevel, str], GradeReport]):
        def __missing__(self, key: tuple[FeedbackLevel, str]) -> GradeReport:
            level, mistake = key
            path = SUBMISSIONS / f"mistake_{mistake}.py"
            assert path.is_file(), f"{path} is missing: every catalogued mistake has an example"
            cache[key] = graders[level].grade_file(path)
            return cache[key]

    try:
        yield Lazy()
    finally:
        for grader in graders.values():
            grader.close()


MISTAKE_IDS = [pytest.param(m.id, id=m.id) for m in CATALOGUE]


def test_the_default_level_is_mistake() -> None:
    assert ASSIGNMENT.feedback == "mistake"
    assert get_settings().feedback is None  # None: the assignment's
    assert Grader(get_settings()).feedback == "mistake"


@pytest.mark.parametrize("mistake", MISTAKE_IDS)
def test_mistake_level_names_the_mistake_and_no_formula(
    mistake: str, reports: dict[tuple[FeedbackLevel, str], GradeReport]
) -> None:
    report = reports["mistake", mistake]
    assert report.feedback == "mistake"
    concerned = MISTAKES[mistake].parts
    for part in report.parts:
        if part.name in concerned:
            assert (part.status, part.diagnosis) == ("failed", mistake), part.name
            assert part.cases, part.name  # where it shows: every case's verdict
            for lang in LANGS:
                text = part.messages.get(lang)
                assert (
                    mistake in text and mistake_text(MISTAKES[mistake], part.name).get(lang) in text
                ), (part.name, lang)
                assert re.search(r"(Worst on case|最差的是测试用例) \d+", text), text
        for lang in LANGS:
            assert formulas_in(part.messages.get(lang)) == [], (part.name, lang)


@pytest.mark.parametrize("mistake", MISTAKE_IDS)
def test_solution_level_adds_the_formula(
    mistake: str, reports: dict[tuple[FeedbackLevel, str], GradeReport]
) -> None:
    report = reports["solution", mistake]
    assert report.feedback == "solution"
    for name in MISTAKES[mistake].parts:
        part = report.part(name)
        assert part.diagnosis == mistake
        shown = reports["mistake", mistake].part(name).messages
        solution = solution_text(MISTAKES[mistake], name)
        for lang in LANGS:
            text = part.messages.get(lang)
            assert text.startswith(shown.get(lang)), (name, lang)  # the mistake level, then
            assert solution.get(lang) and solution.get(lang) in text, (name, lang)
            for fragment in formula_fragments(solution.get(lang)):
                assert fragment in text, (name, lang, fragment)
            assert formulas_in(text), (name, lang)  # the check above would see it


@pytest.mark.parametrize("mistake", MISTAKE_IDS)
def test_verdict_level_reveals_neither_the_mistake_nor_where(
    mistake: str, reports: dict[tuple[FeedbackLevel, str], GradeReport]
) -> None:
    report = reports["verdict", mistake]
    told = reports["mistake", mistake]
    assert report.feedback == "verdict"
    assert (report.score, report.total) == (told.score, told.total)
    hidden = [
        text
        for m in CATALOGUE
        for pairs in ([(m.en, m.zh), (m.solution_en, m.solution_zh)], m.by_part.values())
        for pair in pairs
        for text in pair
        if text
    ]
    for part in report.parts:
        assert part.status == told.part(part.name).status
        assert part.diagnosis is None and part.cases == [], part.name
        for lang in LANGS:
            text = part.messages.get(lang)
            assert mistake not in text
            assert not any(t in text for t in hidden), (part.name, lang)
            assert formulas_in(text) == []
            if part.status == "failed":
                assert text == TEMPLATES["verdict_failed"][LANGS.index(lang)]


# -- a wrong answer no catalogued mistake explains --------------------------------------------


def test_unmatched_wrong_answer_says_which_kinds_of_case_fail(tmp_path: Path) -> None:
    path = tmp_path / "submission.py"
    override = (
        "\n\ndef dL_dV(h, y_pred, y_gt, l):\n"
        "    return (y_pred - y_gt) * h[l] * (2.0 if y_gt == 0 else 1.0)\n"
    )
    path.write_text(BASE.read_text(encoding="utf-8") + override, encoding="utf-8")
    by_level = {
        level: Grader(get_settings(feedback=level)).grade_file(path, parts=["V"]).part("V")
        for level in FEEDBACK_LEVELS
    }
    mistake = by_level["mistake"]
    assert (mistake.status, mistake.diagnosis) == ("failed", None)
    assert mistake.messages.en.endswith(" Only the cases with y_gt = 0 are wrong.")
    assert mistake.messages.zh.endswith("只有 y_gt = 0 的测试用例是错的。")
    assert by_level["solution"].messages == mistake.messages  # no formula to add
    verdict = by_level["verdict"]
    assert (verdict.status, verdict.score, verdict.cases) == ("failed", 0.0, [])
    assert "y_gt" not in verdict.messages.en + verdict.messages.zh


def _case(index: int, n: int, l: int, y_gt: float) -> Case:
    return Case(index, "random", {"n": n, "l": l}, {"y_gt": y_gt, "d": 0.5 + index}, {})


#: Five cases: n = 1 (case 0), l = 1 (case 1), y_gt = 1 for cases 0, 2 and 3.
CASES = [_case(0, 1, 3, 1.0), _case(1, 4, 1, 0.0), _case(2, 3, 5, 1.0), _case(3, 5, 6, 1.0)]
CASES.append(_case(4, 6, 7, 0.0))

KINDS = [
    pytest.param({0}, " Only the cases with n = 1 are wrong.", id="only-n1"),  # shapes
    pytest.param({0, 2, 3, 4}, " Every case is wrong except those with l = 1.", id="except-l1"),
    pytest.param({1, 4}, " Only the cases with y_gt = 0 are wrong.", id="only-label-0"),  # sign
    pytest.param(
        {0, 1, 2, 3, 4},
        " Every kind of case is wrong (n = 1, l = 1, y_gt = 0, y_gt = 1).",
        id="all",
    ),  # nothing singles a kind out
    pytest.param(
        {0, 4},
        " Wrong cases by kind: n = 1: 1/1; l = 1: 0/1; y_gt = 0: 1/2; y_gt = 1: 1/3.",
        id="counts",
    ),  # no kind explains it: how many of each
    pytest.param(set(), "", id="none"),  # nothing wrong, nothing said
]


@pytest.mark.parametrize(("wrong", "expected"), KINDS)
def test_case_kinds(wrong: set[int], expected: str) -> None:
    results = [CaseResult(index=c.index, sizes=c.sizes, passed=c.index not in wrong) for c in CASES]
    said = case_kinds(CASES, results)
    assert said.en == expected
    assert bool(said.zh) == bool(expected) and "wrong" not in said.zh


# -- both languages ---------------------------------------------------------------------------

#: Identifiers and mathematical names a Chinese text may spell in ASCII (three letters or more).
ZH_ASCII_WHITELIST = frozenset(
    {"ReLU", "sigmoid", "tanh", "BPTT", "diag", "log", "NaN", "inf", "CPU"}  # math, computing
    | {"y_pred", "numpy", "dtype", "Python", "None", "NoneType", "NotImplementedError"}  # code
    | {"return", "input", "__name__", "__main__", "show-case"}
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*")


def untranslated(zh: str) -> list[str]:
    """ASCII words of three letters or more in a Chinese text that are not whitelisted."""
    return [
        word
        for word in _IDENTIFIER.findall(zh)
        if re.search(r"[A-Za-z]{3}", word) and word not in ZH_ASCII_WHITELIST
    ]


def template_fields(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field is not None}


def braces(text: str) -> list[str]:
    """The {…} groups of a catalogue text (subscripts such as h_{t−1}, sets such as {0, 1})."""
    return sorted(re.findall(r"\{[^{}]*\}", text))


def catalogue_pairs() -> list[tuple[str, str, str]]:
    """(name, en, zh) of every text of the catalogue, as the case set carries it."""
    pairs = []
    for m in PUBLIC.mistakes:
        for key, en in m.messages.items():
            found = re.fullmatch(r"(solution:)?(en|zh)(:\w+)?", key)
            assert found is not None, f"{m.id}: unknown text key {key!r}"
            prefix, lang, part = found.groups()
            if lang == "en":
                zh_key = f"{prefix or ''}zh{part or ''}"
                pairs.append((f"{m.id}/{key}", en, m.messages.get(zh_key, "")))
    return pairs


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_template_languages_agree(key: str) -> None:
    en, zh = TEMPLATES[key]
    assert template_fields(en) == template_fields(zh)
    blank = {field: "" for field in template_fields(zh)}
    assert untranslated(re.sub(r"\{[^{}]*\}", "", zh).format(**blank)) == []
    assert en.strip() and zh.strip()


def test_catalogue_languages_agree() -> None:
    pairs = catalogue_pairs()
    assert {name.split("/")[0] for name, _, _ in pairs} == set(MISTAKES)
    for name, en, zh in pairs:
        assert zh, f"{name} has no Chinese text"
        assert braces(en) == braces(zh), name
        assert untranslated(zh) == [], name


def test_untranslated_english_is_found() -> None:
    # The check above can fail: a fragment left in English is caught; identifiers are not.
    assert untranslated("缺少 ReLU 的导数：check the mask 1[h_i > 0]。") == ["check", "the", "mask"]
    assert untranslated("运行 grader show-case 3，dL_dW 与 y_pred。") == ["grader"]
    assert untranslated("{function} 未能在 {seconds:g} 秒内完成") == ["function", "seconds"]


# -- where the level comes from -----------------------------------------------------------------


def assignment_copy(folder: Path, feedback: str | None) -> Path:
    """The course assignment in ``folder`` (its stored public cases beside it) with
    ``feedback = …`` set (or left out)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = (REPO / "reference" / "assignment.toml").read_text(encoding="utf-8")
    lines = [line for line in source.splitlines() if not line.startswith("feedback =")]
    if feedback is not None:
        lines.insert(lines.index("partial_credit = false") + 1, f'feedback = "{feedback}"')
    (folder / "assignment.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / PUBLIC_CASES_FILE).write_bytes((REPO / "reference" / PUBLIC_CASES_FILE).read_bytes())
    return folder / "assignment.toml"


def test_assignment_file_sets_the_level(tmp_path: Path) -> None:
    assert load_assignment(assignment_copy(tmp_path / "a", "verdict")).feedback == "verdict"
    assert load_assignment(assignment_copy(tmp_path / "b", None)).feedback == "mistake"
    with pytest.raises(AssignmentError, match="feedback"):
        load_assignment(assignment_copy(tmp_path / "c", "everything"))


def test_the_level_does_not_make_the_stored_cases_stale(tmp_path: Path) -> None:
    levels = [load_assignment(assignment_copy(tmp_path / lv, lv)) for lv in FEEDBACK_LEVELS]
    assert all(public_recipe(a) == public_recipe(ASSIGNMENT) for a in levels)


def run_check(path: Path, assignment: Path, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """``grader check PATH --json --assignment …`` in a subprocess, no GRADER_* inherited."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    clean |= {"PYTHONIOENCODING": "utf-8", **env}
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "check", str(path), "--json",
         "--assignment", str(assignment)],
        cwd=cwd,
        env=clean, capture_output=True, text=True, encoding="utf-8", timeout=180,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-3000:]
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


OVERRIDES = [
    pytest.param("verdict", {}, "verdict", id="assignment-verdict"),  # the file decides
    pytest.param("verdict", {"GRADER_FEEDBACK": "solution"}, "solution", id="env-solution"),
    pytest.param("solution", {"GRADER_FEEDBACK": "verdict"}, "verdict", id="env-verdict"),
    pytest.param("solution", {"GRADER_FEEDBACK": "mistake"}, "mistake", id="env-mistake"),
]


@pytest.mark.parametrize(("in_file", "env", "level"), OVERRIDES)
def test_the_setting_overrides_the_assignment_file(
    in_file: FeedbackLevel, env: dict[str, str], level: FeedbackLevel, tmp_path: Path
) -> None:
    assignment = assignment_copy(tmp_path / "course", in_file)
    report = run_check(SUBMISSIONS / "mistake_uses_h_t.py", assignment, env, tmp_path)
    w = next(p for p in report["parts"] if p["name"] == "W")
    assert report["feedback"] == level
    assert w["status"] == "failed"
    assert (w["diagnosis"] == "uses_h_t") is (level != "verdict")
    assert ("uses_h_t" in w["message"]) is (level != "verdict")
    assert bool(formulas_in(w["message"])) is (level == "solution")


# -- the student copy ships what its level shows ---------------------------------------------


def _solution_keys(case_set: CaseSet) -> list[str]:
    return [k for m in case_set.mistakes for k in m.messages if k.startswith(SOLUTION)]


def test_shipped_case_set_keeps_what_the_level_shows() -> None:
    assert shipped(PUBLIC, "solution") is PUBLIC
    told = shipped(PUBLIC, "mistake")
    assert _solution_keys(PUBLIC) and _solution_keys(told) == []
    assert [m.id for m in told.mistakes] == [m.id for m in PUBLIC.mistakes]
    assert [c.wrong for c in told.cases] == [c.wrong for c in PUBLIC.cases]
    none = shipped(PUBLIC, "verdict")
    assert none.mistakes == () and all(c.wrong == {} for c in none.cases)
    assert [c.expected for c in none.cases] == [c.expected for c in PUBLIC.cases]


@pytest.mark.parametrize("level", FEEDBACK_LEVELS)
def test_student_copy_ships_only_its_levels_texts(level: FeedbackLevel, tmp_path: Path) -> None:
    assignment: Assignment = load_assignment(assignment_copy(tmp_path / "course", level))
    data = write_public_data(assignment, tmp_path / "public")
    stored = CaseSet.load(data / PUBLIC_CASES_FILE)
    assert bool(_solution_keys(stored)) is (level == "solution")
    assert bool(stored.mistakes) is (level != "verdict")
    if level == "mistake":  # the mistake texts are there, for grader check to name them
        assert all(isinstance(m, Mistake) and m.messages.get("zh") for m in stored.mistakes)
