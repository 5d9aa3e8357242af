"""The grade report: pydantic v2 models, frozen. Rendering lives in the shells (CLI, web)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PartStatus = Literal["passed", "failed", "error", "timeout", "missing"]
Lang = Literal["en", "zh"]


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
    assignment: str
    submission: SubmissionInfo
    score: float
    max_score: float
    bonus_score: float = 0.0
    parts: list[PartReport]
    case_set: Literal["public", "hidden"]
    sandbox: str = Field(description="which isolation backend ran the code")
    grader_version: str
    duration_s: float
    lang: Lang = "en"
    load_error: Messages | None = Field(None, description="why the file's top-level code failed")
    output_excerpt: str = Field("", description="the start of what the submission printed")
    output_bytes: int = 0
    notes: list[str] = Field(default_factory=list)

    @property
    def full_marks(self) -> bool:
        """Every graded required part passed (every graded part, when only bonus parts were)."""
        required = [p for p in self.parts if not p.bonus] or self.parts
        return self.score >= self.max_score and all(p.status == "passed" for p in required)

    def part(self, name: str) -> PartReport:
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(name)
