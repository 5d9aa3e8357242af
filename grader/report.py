"""The grade report: pydantic v2 models, frozen. Rendering lives in the shells (CLI, web)."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PartStatus = Literal["passed", "failed", "error", "timeout", "missing"]
Lang = Literal["en", "zh"]
#: How much a failed part's message gives away, set by the instructor (see grader.feedback_levels):
#: ``verdict`` the status and score only, ``mistake`` the likely mistake and where it shows,
#: ``solution`` the correct formula too.
FeedbackLevel = Literal["verdict", "mistake", "solution"]
FEEDBACK_LEVELS: tuple[FeedbackLevel, ...] = ("verdict", "mistake", "solution")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Messages(_Frozen):
    """One message in each language the grader speaks."""

    en: str = ""
    zh: str = ""

    def get(self, lang: Lang) -> str:
        return self.zh if lang == "zh" and self.zh else self.en


class CaseResult(_Frozen):
    index: int
    sizes: dict[str, int]
    passed: bool
    max_abs_error: float | None = Field(None, description="largest |A − R|")
    max_rel_error: float | None = Field(None, description="largest |A − R| / |R|")
    worst_index: list[int] | None = Field(None, description="where the worst element is")
    tolerance_ratio: float | None = Field(None, description="worst error / allowed error")
    wrong_steps: list[int] | None = Field(None, description="steps (e.g. t) with a wrong row")
    problem: str | None = Field(None, description="why there is no comparable answer")


class PartReport(_Frozen):
    name: str
    label: str
    status: PartStatus
    score: float
    max_score: float
    bonus: bool = False
    diagnosis: str | None = Field(None, description="id of the catalogued mistake, if one matches")
    message: str = Field(description="what went wrong and what to check, in the report's language")
    messages: Messages
    cases: list[CaseResult] = Field(default_factory=list)


class SubmissionInfo(_Frozen):
    filename: str
    sha256: str


class GradeReport(_Frozen):
    """One graded submission.

    Scores: ``score`` out of ``max_score`` is what the required parts earned (full marks when
    they are equal); ``bonus_score`` out of ``max_bonus`` is what the bonus parts earned, on
    top; ``total`` = ``score`` + ``bonus_score`` is the grade to record, and may exceed
    ``max_score``. ``total`` is a stored field, not a computed property, so that a report
    read back from its JSON validates as it was written (and the JSON Schema lists it); it is
    checked to be the sum, and filled in for reports written before it existed.
    """

    assignment: str
    submission: SubmissionInfo
    score: float = Field(description="points of the graded required parts")
    max_score: float = Field(description="what the graded required parts are worth")
    bonus_score: float = Field(0.0, description="points of the graded bonus parts")
    max_bonus: float = Field(0.0, description="what the graded bonus parts are worth")
    total: float = Field(description="score + bonus_score: the grade, out of max_score")
    parts: list[PartReport]
    case_set: Literal["public", "hidden"]
    sandbox: str = Field(description="which isolation backend ran the code")
    grader_version: str
    duration_s: float
    lang: Lang = "en"
    feedback: FeedbackLevel = Field(
        "mistake", description="how much the messages give away: verdict, mistake or solution"
    )
    load_error: Messages | None = Field(None, description="why the file's top-level code failed")
    output_excerpt: str = Field("", description="the start of what the submission printed")
    output_bytes: int = 0
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _total_of_an_older_report(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "total" in data:
            return data
        score, bonus = data.get("score"), data.get("bonus_score", 0.0)
        if not all(isinstance(v, int | float) for v in (score, bonus)):
            return data  # left to the fields' own validation to reject
        return {**data, "total": round(score + bonus, 6)}

    @model_validator(mode="after")
    def _total_is_the_sum(self) -> GradeReport:
        if not math.isclose(self.total, self.score + self.bonus_score, abs_tol=1e-6):
            raise ValueError(
                f"total {self.total:g} is not score {self.score:g} + bonus_score "
                f"{self.bonus_score:g}"
            )
        return self

    @property
    def full_marks(self) -> bool:
        """Every graded required part passed (every graded part, when only bonus parts were):
        what ``grader check``'s exit status 0 says. Bonus parts never take it away."""
        required = [p for p in self.parts if not p.bonus] or self.parts
        return self.score >= self.max_score and all(p.status == "passed" for p in required)

    def part(self, name: str) -> PartReport:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(name)
