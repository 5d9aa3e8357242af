"""The class summary: one self-contained HTML page (inline SVG charts, no scripts).

:func:`summarize` turns the rows into plain numbers (a pydantic model, testable on its own);
:func:`render_summary` puts them in the packaged Jinja2 template with autoescaping on, since
student ids and file names are untrusted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict

from grader.assignment import Assignment
from grader.batch.charts import bars_svg, histogram_svg
from grader.batch.run import BatchResult

TEMPLATES = Path(__file__).with_name("templates")


class PartSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    bonus: bool
    passed: int
    graded: int
    diagnoses: list[tuple[str, int]]  # most frequent first (a part's status when undiagnosed)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    generated: str
    students: int
    graded: int
    full_marks: int
    #: Required parts (score out of max_score), bonus parts (bonus out of max_bonus), and
    #: their sum, the total: the figures every output shows.
    max_score: float
    mean_score: float | None
    median_score: float | None
    max_bonus: float
    mean_bonus: float | None
    mean_total: float | None
    median_total: float | None
    histogram: list[tuple[str, int]]
    parts: list[PartSummary]
    failures: list[tuple[str, str]]  # student, why
    wall_s: float
    mean_s: float | None
    p95_s: float | None
    workers: int
    regraded: int
    reused: int


def summarize(result: BatchResult, assignment: Assignment) -> Summary:
    reports = [r.report for r in result.rows if r.report is not None]
    scores = sorted(r.score for r in reports)
    bonuses = [r.bonus_score for r in reports]
    totals = sorted(r.total for r in reports)
    durations = sorted(r.duration_s for r in reports)
    parts = []
    for part in assignment.parts:
        graded = [r.part(part.name) for r in reports if any(p.name == part.name for p in r.parts)]
        reasons = Counter(
            p.diagnosis or p.status for p in graded if p.status != "passed"
        ).most_common(5)
        parts.append(
            PartSummary(
                name=part.name,
                label=part.label,
                bonus=part.bonus,
                passed=sum(1 for p in graded if p.status == "passed"),
                graded=len(graded),
                diagnoses=reasons,
            )
        )
    return Summary(
        title=assignment.title,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        students=len(result.rows),
        graded=len(reports),
        full_marks=sum(1 for r in reports if r.full_marks),
        max_score=assignment.max_score,
        mean_score=_mean(scores),
        median_score=_quantile(scores, 0.5),
        max_bonus=assignment.max_bonus,
        mean_bonus=_mean(bonuses),
        mean_total=_mean(totals),
        median_total=_quantile(totals, 0.5),
        histogram=_histogram(scores, assignment.max_score),
        parts=parts,
        failures=[(r.student, r.failure) for r in result.rows if r.failure is not None],
        wall_s=result.wall_s,
        mean_s=round(sum(durations) / len(durations), 3) if durations else None,
        p95_s=_quantile(durations, 0.95),
        workers=result.workers,
        regraded=result.graded,
        reused=result.reused,
    )


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _quantile(sorted_values: Sequence[float], q: float) -> float | None:
    if not sorted_values:
        return None
    # Nearest rank: an actual observed value, as an instructor would read it off a list.
    k = max(0, math.ceil(q * len(sorted_values)) - 1)
    return round(sorted_values[k], 3)


def _histogram(scores: Sequence[float], max_score: float) -> list[tuple[str, int]]:
    """One bin per whole point up to 20 points, else ten equal bins; the last bin is closed."""
    if max_score <= 20:
        edges = [float(i) for i in range(math.ceil(max_score) + 1)]
        labels = [f"{e:g}" for e in edges]
        counts = [0] * len(edges)
        for s in scores:
            counts[min(len(edges) - 1, math.floor(s + 1e-9))] += 1
        return list(zip(labels, counts, strict=True))
    width = max_score / 10
    counts = [0] * 10
    for s in scores:
        counts[min(9, int(s / width))] += 1
    return [(f"{i * width:g}–{(i + 1) * width:g}", c) for i, c in enumerate(counts)]


def render_summary(summary: Summary) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    labels, counts = zip(*summary.histogram, strict=True) if summary.histogram else ((), ())
    charts = {
        "histogram": histogram_svg(labels, counts, title="score histogram"),
        "pass_rates": bars_svg(
            [f"{p.label}{' (bonus)' if p.bonus else ''}" for p in summary.parts],
            [p.pass_rate for p in summary.parts],
            title="pass rate per part",
        ),
    }
    return env.get_template("summary.html.j2").render(s=summary, charts=charts)
