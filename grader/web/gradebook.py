"""The gradebook: one CSV row per student, best and latest totals, the latest's parts."""

from __future__ import annotations

from collections.abc import Sequence

from grader.csvfile import CsvWriter
from grader.web.store import SubmissionRecord

#: The figures of a submission's report, as every output shows them.
SCORE_FIELDS = ("score", "bonus_score", "total", "max_score", "max_bonus")


def report_scores(sub: SubmissionRecord) -> dict[str, float | None]:
    """``SCORE_FIELDS`` of a graded submission. A report stored before bonus parts counted has
    no ``total`` (its score, plus any bonus it has) nor ``max_bonus`` (0)."""
    report = sub.report or {}
    score = report.get("score", sub.score)
    bonus = report.get("bonus_score", 0.0)
    total = report.get("total", None if score is None else score + bonus)
    return {
        "score": score,
        "bonus_score": bonus,
        "total": total,
        "max_score": report.get("max_score", sub.max_score),
        "max_bonus": report.get("max_bonus", 0.0),
    }


def gradebook_csv(
    students: Sequence[str], submissions: Sequence[SubmissionRecord], parts: Sequence[str]
) -> str:
    """CSV text: student, counts, ``best_total`` (the highest total of any graded submission:
    score plus bonus, the grade to record), the latest graded submission's score, bonus and
    total out of max_score (and max_bonus), then its ``<part>_points``/``<part>_status``,
    bonus parts included. A student without graded work has empty scores."""
    graded: dict[str, list[SubmissionRecord]] = {s: [] for s in students}
    counts = dict.fromkeys(students, 0)
    for sub in submissions:
        counts[sub.student] = counts.get(sub.student, 0) + 1
        if sub.status == "done" and sub.report is not None:
            graded.setdefault(sub.student, []).append(sub)
    header = [
        "student",
        "submissions",
        "graded",
        "best_total",
        "latest_score",
        "latest_bonus",
        "latest_total",
        "max_score",
        "max_bonus",
        "latest_id",
        "latest_submitted_at",
    ]
    for part in parts:
        header += [f"{part}_points", f"{part}_status"]
    writer = CsvWriter()  # student ids are untrusted: neutralised as text, numbers kept
    writer.writerow(header)
    for student in sorted(set(students) | set(counts)):
        done = graded.get(student, [])
        if not done:
            writer.writerow([student, counts.get(student, 0), 0] + [""] * (len(header) - 3))
            continue
        latest = max(done, key=lambda s: (s.submitted_at, s.id))
        best = max(report_scores(s)["total"] or 0.0 for s in done)
        scores = report_scores(latest)
        assert latest.report is not None
        by_part = {p["name"]: p for p in latest.report["parts"]}
        row: list[object] = [
            student,
            counts[student],
            len(done),
            best,
            *(scores[k] for k in SCORE_FIELDS),
            latest.id,
            latest.submitted_at.isoformat(),
        ]
        for part in parts:
            p = by_part.get(part)
            row += [p["score"], p["status"]] if p else ["", "not graded"]
        writer.writerow(row)
    return writer.getvalue()
