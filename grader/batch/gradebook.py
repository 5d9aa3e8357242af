"""The gradebook CSV, and the Canvas import CSV built from a Canvas gradebook export."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from grader.assignment import Assignment
from grader.batch.files import write_atomic
from grader.batch.run import Row
from grader.csvfile import CsvWriter
from grader.errors import ConfigError, SubmissionFileError

#: The columns of a Canvas gradebook export that identify a student, copied into the import.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def gradebook_columns(assignment: Assignment) -> list[str]:
    """score (required parts), bonus (bonus parts), total (their sum, the grade), out of
    max_score, with max_bonus on top; then every part's points (bonus parts too) and status."""
    cols = ["student", "file", "score", "bonus", "total", "max_score", "max_bonus"]
    for p in assignment.parts:
        cols += [f"{p.name}_points", f"{p.name}_status", f"{p.name}_diagnosis"]
    return [*cols, "late", "file_choice", "error"]


def scores_of(row: Row) -> tuple[float, float, float] | None:
    """The row's score, bonus and total: the report's; zeros for a file that cannot be
    graded; None when the grader itself failed (nothing to record yet)."""
    if row.report is not None:
        return row.report.score, row.report.bonus_score, row.report.total
    return (0.0, 0.0, 0.0) if row.error_kind == "file" else None


def total_of(row: Row) -> float | None:
    """The grade to record (score plus bonus): see :func:`scores_of`."""
    scores = scores_of(row)
    return None if scores is None else scores[2]


def write_gradebook(rows: Sequence[Row], assignment: Assignment, path: Path) -> None:
    writer = CsvWriter(float_format="g")  # ids, file names and messages are untrusted text
    writer.writerow(gradebook_columns(assignment))
    for row in rows:
        scores = scores_of(row)
        line: list[object] = [
            row.student,
            row.file,
            *(["", "", ""] if scores is None else [f"{s:g}" for s in scores]),
            f"{assignment.max_score:g}",
            f"{assignment.max_bonus:g}",
        ]
        graded = {p.name: p for p in row.report.parts} if row.report else {}
        for part in assignment.parts:
            pr = graded.get(part.name)
            if pr is None:
                line += ["", "error" if row.error else "", ""]
            else:
                line += [f"{pr.score:g}", pr.status, pr.diagnosis or ""]
        line += ["yes" if row.late else "", row.file_choice]
        writer.writerow([*line, row.error or ""])
    write_atomic(path, writer.getvalue())


class CanvasRoster(BaseModel):
    """A Canvas gradebook export: its header and its students' lines."""

    model_config = ConfigDict(frozen=True)

    path: Path
    header: tuple[str, ...]
    students: tuple[dict[str, str], ...]

    @property
    def assignment_columns(self) -> tuple[str, ...]:
        """The columns Canvas imports scores into: an assignment's name and its Canvas id,
        ``HW3 BPTT (98765)``. Canvas's computed columns (``Current Score``, ``Final Grade``,
        ``Unposted ...``, ``... Current Points``) and the fixed ones carry no id."""
        return tuple(
            c for c in self.header if c not in CANVAS_COLUMNS and _ASSIGNMENT_HEADER.search(c)
        )


class CanvasExport(BaseModel):
    model_config = ConfigDict(frozen=True)

    column: str
    matched: int
    #: Graded students with no roster line (their scores are not in canvas.csv).
    unmatched_students: tuple[str, ...]
    #: Roster students with no submission (left blank: Canvas leaves their grade unchanged).
    no_submission: tuple[str, ...]
    #: Students whose file Canvas marked LATE. canvas.csv carries scores only (an unknown
    #: column would become a new assignment in Canvas); gradebook.csv has the late column.
    late: tuple[str, ...] = ()


#: The end of an assignment's header in a Canvas export: the assignment id in parentheses.
_ASSIGNMENT_HEADER = re.compile(r" \(\d+\)$")


def read_canvas_roster(path: Path) -> CanvasRoster:
    """The Canvas gradebook export at ``path`` (Grades → Export → CSV)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            lines = [{k: v or "" for k, v in r.items() if isinstance(k, str)} for r in reader]
            header = tuple(reader.fieldnames or ())
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SubmissionFileError(f"cannot read the Canvas roster {path}: {exc}") from None
    if any(c not in header for c in CANVAS_COLUMNS):
        raise SubmissionFileError(
            f"{path} is not a Canvas gradebook export: it needs the columns "
            f"{', '.join(CANVAS_COLUMNS)}"
        )
    # Canvas exports put a "Points Possible" line (and sometimes a muted line) first.
    students = [r for r in lines if r["Student"].strip() and r["ID"].strip().isdigit()]
    return CanvasRoster(path=path, header=header, students=tuple(students))


def canvas_column(roster: CanvasRoster, requested: str | None) -> str:
    """The roster's assignment column to fill: ``requested`` if it is one of them exactly,
    else the only one. A header Canvas does not know would make it create a new assignment."""
    columns = roster.assignment_columns
    listed = ", ".join(repr(c) for c in columns)
    if requested:
        if requested in columns:
            return requested
        raise ConfigError(
            f"--canvas-column {requested!r} is not an assignment column of the Canvas roster "
            f"{roster.path}: "
            + (f"give one of {listed} exactly" if columns else _NO_ASSIGNMENT_COLUMN)
        )
    if len(columns) == 1:
        return columns[0]
    if not columns:
        raise ConfigError(f"the Canvas roster {roster.path} has {_NO_ASSIGNMENT_COLUMN}")
    raise ConfigError(
        f"the Canvas roster {roster.path} has {len(columns)} assignment columns: {listed}; "
        "choose the one to fill with --canvas-column"
    )


_NO_ASSIGNMENT_COLUMN = (
    "no assignment column (a header ending in the assignment id, like 'HW3 BPTT (98765)'): "
    "create the assignment in Canvas, then export the gradebook again"
)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def write_canvas(
    rows: Sequence[Row],
    canvas_user_ids: dict[str, str],
    roster: CanvasRoster | Path,
    out: Path,
    column: str | None = None,
) -> CanvasExport:
    """Totals (score plus bonus: Canvas takes points above the assignment's points possible
    as extra credit) in Canvas's import format under the roster's assignment ``column`` (see
    :func:`canvas_column`), matched to the roster by Canvas user id (from the Canvas file
    names), SIS Login ID, SIS User ID, or the "lastfirst" form of the name."""
    if isinstance(roster, Path):
        roster = read_canvas_roster(roster)
    column = canvas_column(roster, column)
    by_key: dict[str, dict[str, str]] = {}
    for r in roster.students:
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
            scores[hit["ID"].strip()] = total_of(row)  # bonus included: extra credit
    # Roster fields are text (neutralised: Canvas matches students by ID); scores are numbers.
    writer = CsvWriter(float_format="g")
    writer.writerow([*CANVAS_COLUMNS, column])
    for r in roster.students:
        writer.writerow([*(r[c] for c in CANVAS_COLUMNS), scores.get(r["ID"].strip())])
    write_atomic(out, writer.getvalue())
    return CanvasExport(
        column=column,
        matched=len(scores),
        unmatched_students=tuple(unmatched),
        no_submission=tuple(r["Student"] for r in roster.students if r["ID"].strip() not in scores),
        late=tuple(row.student for row in rows if row.late),
    )
