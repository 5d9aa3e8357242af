"""The assignment description: its parts, its case sets and its tolerance, from a TOML file.

Nothing here knows about BPTT: an assignment of the same kind (functions of named array inputs,
graded against reference arrays) is another TOML file with its own case-set provider.
"""

from __future__ import annotations

import tomllib
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from grader.compare import Tolerance
from grader.errors import AssignmentError
from grader.report import FeedbackLevel

ENTRY_POINT_GROUP = "bptt_grader.assignments"
ASSIGNMENT_FILE = "assignment.toml"
PUBLIC_CASES_FILE = "public_cases.npz"
TEMPLATE_FILE = "template.py"
#: The homework text beside assignment.toml, per language (Markdown).
HOMEWORK_FILES = {"en": "homework.md", "zh": "homework.zh.md"}
#: The student copy's README (Markdown), beside assignment.toml.
STUDENT_GUIDE_FILE = "student-guide.md"
#: What a bonus part is worth when its ``points`` are not given (a required part must say).
DEFAULT_BONUS_POINTS = 1.0


class Steps(BaseModel):
    """A part answered row by row: a function with parameter ``param`` is called per step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    param: str = Field(description="the step parameter's name, e.g. t")
    first: int = Field(1, description="the first step's value")
    count: str = Field(description="the case input that gives the number of steps, e.g. l")


class Part(BaseModel):
    """One function to write. A bonus part's points come on top of the required parts'
    maximum (``Assignment.max_score``): they raise the total, never the maximum."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    label: str
    function: str
    points: float = Field(
        allow_inf_nan=False,
        description=f"what the part is worth; a bonus part without it: {DEFAULT_BONUS_POINTS:g}",
    )
    bonus: bool = Field(False, description="optional: scored on top of the required parts")
    steps: Steps | None = None
    accept_flat: bool = Field(False, description="a matrix may also come back flattened by rows")

    @model_validator(mode="before")
    @classmethod
    def _default_points(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "points" in data:
            return data
        if data.get("bonus") is True:
            return {**data, "points": DEFAULT_BONUS_POINTS}
        raise ValueError(
            f"part {data.get('name')!r} has no points: give it `points = N` (only a bonus part "
            f"has a default, {DEFAULT_BONUS_POINTS:g})"
        )

    @model_validator(mode="after")
    def _points_not_negative(self) -> Part:
        if self.points < 0:
            raise ValueError(
                f"part {self.name!r} has points = {self.points:g}: points cannot be negative "
                "(0 or more; a part worth nothing is points = 0)"
            )
        return self


class CaseCounts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    public_seed: int
    public_count: int = Field(ge=0)
    hidden_count: int = Field(ge=0)


class Assignment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    title_zh: str | None = None
    provider: str | None = Field(None, description="module with build_case_set()")
    inputs: tuple[str, ...]
    partial_credit: bool = False
    feedback: FeedbackLevel = Field(
        "mistake",
        description="how much a failed part's message gives away: verdict (status and score), "
        "mistake (the likely mistake and where; no formula) or solution (the formula too)",
    )
    tolerance: Tolerance = Tolerance()
    cases: CaseCounts
    parts: tuple[Part, ...]
    root: Path = Field(Path("."), exclude=True, description="the folder of the TOML file")

    @model_validator(mode="after")
    def _unique_parts(self) -> Assignment:
        names = [p.name for p in self.parts]
        if len(set(names)) != len(names):
            raise ValueError(f"part names must be unique, got {names}")
        return self

    @property
    def max_score(self) -> float:
        """What the required parts are worth: full marks."""
        return sum(p.points for p in self.parts if not p.bonus)

    @property
    def max_bonus(self) -> float:
        """What the bonus parts are worth on top of :attr:`max_score`."""
        return sum(p.points for p in self.parts if p.bonus)

    @cached_property
    def parts_by_name(self) -> dict[str, Part]:
        return {p.name: p for p in self.parts}

    @property
    def public_cases_path(self) -> Path:
        return self.root / PUBLIC_CASES_FILE

    @property
    def template_path(self) -> Path:
        return self.root / TEMPLATE_FILE

    def homework_text(self, lang: str) -> str:
        """The homework in ``lang`` (English where it has no translation)."""
        for name in dict.fromkeys([HOMEWORK_FILES.get(lang, ""), HOMEWORK_FILES["en"]]):
            path = self.root / name
            if name and path.is_file():
                return path.read_text(encoding="utf-8")
        raise AssignmentError(
            f"the assignment {self.name!r} ships no homework text: {HOMEWORK_FILES['en']} is "
            f"not in {self.root}"
        )


def load_assignment(path: Path | str | None = None) -> Assignment:
    """Load an assignment from a TOML file or a folder holding ``assignment.toml``.

    Without a path, the assignment registered under the ``bptt_grader.assignments`` entry point
    is used (the installed ``reference`` package, or the public data of a student bundle).
    """
    toml_path = _default_path() if path is None else Path(path)
    if toml_path.is_dir():
        toml_path = toml_path / ASSIGNMENT_FILE
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssignmentError(
            f"assignment file {toml_path} does not exist: pass the path of an assignment.toml "
            "(GRADER_ASSIGNMENT or --assignment)"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AssignmentError(f"assignment file {toml_path} is not valid TOML: {exc}") from None
    try:
        return Assignment.model_validate({**data, "root": toml_path.parent})
    except ValidationError as exc:
        raise AssignmentError(f"assignment file {toml_path} is invalid:\n{exc}") from None


def _default_path() -> Path:
    eps = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    if not eps:
        raise AssignmentError(
            "no assignment is installed: install the course package (pip install bptt-grader) "
            "or pass the path of an assignment.toml (GRADER_ASSIGNMENT or --assignment)"
        )
    import importlib.util

    spec = importlib.util.find_spec(eps[0].value)
    if spec is None or not spec.submodule_search_locations:
        raise AssignmentError(f"assignment package {eps[0].value!r} cannot be found")
    return Path(next(iter(spec.submodule_search_locations))) / ASSIGNMENT_FILE
