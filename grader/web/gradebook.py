"""The gradebook: one CSV row per student, best and latest scores, the latest's parts."""

from __future__ import annotations

from collections.abc import Sequence

from grader.csvfile import CsvWriter
from grader.web.store import SubmissionRecord


def gradebook_csv(
    students: Sequence[str], submissions: Sequence[SubmissionRecord], parts: Sequence[str]
) -> str:
    """CSV text: student, counts, best/latest score, then ``<part>_points``/``<part>_status``
    of the latest graded submission. A student without graded work has empty scores."""
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
        "best_score",
        "latest_score",
        "max_score",
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
        best = max(s.score or 0.0 for s in done)
        assert latest.report is not None
        by_part = {p["name"]: p for p in latest.report["parts"]}
        row: list[object] = [
            student,
            counts[student],
            len(done),
            best,
            latest.score,
            latest.max_score,
            latest.id,
            latest.submitted_at.isoformat(),
        ]
        for part in parts:
            p = by_part.get(part)
            row += [p["score"], p["status"]] if p else ["", "not graded"]
        writer.writerow(row)
    return writer.getvalue()
