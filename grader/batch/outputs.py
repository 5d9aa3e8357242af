"""Everything a batch run leaves in OUT besides the reports: gradebook, feedback, summary."""

from __future__ import annotations

from pathlib import Path

from grader.assignment import Assignment
from grader.batch.feedback import feedback_markdown
from grader.batch.files import write_atomic
from grader.batch.gradebook import write_gradebook
from grader.batch.run import FEEDBACK, BatchResult
from grader.batch.summary import render_summary, summarize
from grader.report import Lang

GRADEBOOK, SUMMARY = "gradebook.csv", "summary.html"


def write_outputs(result: BatchResult, assignment: Assignment, out: Path, lang: Lang) -> None:
    title = assignment.title_zh if lang == "zh" and assignment.title_zh else assignment.title
    for row in result.rows:
        write_atomic(out / FEEDBACK / f"{row.slug}.md", feedback_markdown(row, title, lang))
    write_gradebook(result.rows, assignment, out / GRADEBOOK)
    write_atomic(out / SUMMARY, render_summary(summarize(result, assignment)))
