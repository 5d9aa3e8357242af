"""The gradebook CSV, and the Canvas import CSV built from a Canvas gradebook export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from grader.assignment import Assignment
from grader.batch.files import write_atomic
from grader.batch.run import Row
from grader.errors import SubmissionFileError

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def gradebook_columns(assignment: Assignment) -> list[str]:
    cols = ["student", "file", "score", "max_score"]
    for p in assignment.parts:
        cols += [f"{p.name}_points", f"{p.name}_status", f"{p.name}_diagnosis"]
    return [*cols, "error"]


def score_of(row: Row) -> float | None:
    """The row's score: the report's; 0 for a file that cannot be graded; None when the
    grader itself failed (nothing to record yet)."""
    if row.report is not None:
        return row.report.score
    return 0.0 if row.error_kind == "file" else None


def write_gradebook(rows: Sequence[Row], assignment: Assignment, path: Path) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(gradebook_columns(assignment))
    for row in rows:
        score = score_of(row)
        line: list[object] = [
            row.student,
            row.file,
            "" if score is None else f"{score:g}",
            f"{assignment.max_score:g}",
        ]
        graded = {p.name: p for p in row.report.parts} if row.report else {}
        for part in assignment.parts:
            pr = graded.get(part.name)
            if pr is None:
                line += ["", "error" if row.error else "", ""]
            else:
                line += [f"{pr.score:g}", pr.status, pr.diagnosis or ""]
        writer.writerow([*line, row.error or ""])
    write_atomic(path, buf.getvalue())


class CanvasExport(BaseModel):
    model_config = ConfigDict(frozen=True)

    column: str
    matched: int
    #: Graded students with no roster line (their scores are not in canvas.csv).
    unmatched_students: tuple[str, ...]
    #: Roster students with no submission (left blank: Canvas leaves their grade unchanged).
    no_submission: tuple[str, ...]


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def write_canvas(
    rows: Sequence[Row],
    canvas_user_ids: dict[str, str],
    roster: Path,
    out: Path,
    column: str,
) -> CanvasExport:
    """Scores in Canvas's import format, matched to the roster by Canvas user id (from the
    Canvas file names), SIS Login ID, SIS User ID, or the "lastfirst" form of the name."""
    try:
        with roster.open(encoding="utf-8-sig", newline="") as f:
            lines = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SubmissionFileError(f"cannot read the Canvas roster {roster}: {exc}") from None
    if not lines or any(c not in lines[0] for c in CANVAS_COLUMNS):
        raise SubmissionFileError(
            f"{roster} is not a Canvas gradebook export: it needs the columns "
            f"{', '.join(CANVAS_COLUMNS)}"
        )
    # Canvas exports put a "Points Possible" line (and sometimes a muted line) first.
    students = [r for r in lines if r["Student"].strip() and r["ID"].strip().isdigit()]
    by_key: dict[str, dict[str, str]] = {}
    for r in students:
        for key in (f"id:{r['ID'].strip()}", r["SIS Login ID"], r["SIS User ID"]):
            if key.strip():
                by_key.setdefault(key.strip().lower(), r)
        last, _, first = r["Student"].partition(",")
        by_key.setdefault(f"name:{_norm(last + first)}", r)
    scores: dict[str, float | None] = {}
    unmatched = []
    for row in rows:
        uid = canvas_user_ids.get(row.student)
        candidates = [f"id:{uid}"] if uid else []
        candidates += [row.student.lower(), f"name:{_norm(row.student)}"]
        hit = next((by_key[c] for c in candidates if c in by_key), None)
        if hit is None:
            unmatched.append(row.student)
        else:
            scores[hit["ID"].strip()] = score_of(row)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*CANVAS_COLUMNS, column])
    for r in students:
        score = scores.get(r["ID"].strip())
        writer.writerow([*(r[c] for c in CANVAS_COLUMNS), "" if score is None else f"{score:g}"])
    write_atomic(out, buf.getvalue())
    return CanvasExport(
        column=column,
        matched=len(scores),
        unmatched_students=tuple(unmatched),
        no_submission=tuple(r["Student"] for r in students if r["ID"].strip() not in scores),
    )
