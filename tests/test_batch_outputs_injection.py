"""Untrusted text through every output: CSV cells neutralised by OWASP's leading-character
rule (gradebook.csv, the web gradebook; canvas.csv in test_batch_canvas), feedback Markdown in
which nothing a student wrote becomes markup. Each output is checked verbatim and inert."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from batch_support import SECRET, SUBMISSIONS, clean_env, grader_cli
from environment_support import UntrustedGrading
from markdown_it import MarkdownIt
from markdown_it.token import Token

from grader.batch.feedback import feedback_markdown
from grader.batch.run import Row
from grader.csvfile import FORMULA_STARTS, CsvWriter, safe_cell
from grader.report import GradeReport, Messages, PartReport, SubmissionInfo
from grader.web.gradebook import gradebook_csv
from grader.web.store import SubmissionRecord

#: OWASP's characters that make a spreadsheet read a cell as a formula, with test ids.
FORMULAS = [("=", "equals"), ("+", "plus"), ("-", "minus"), ("@", "at"), ("\t", "tab"),
            ("\r", "cr")]  # fmt: skip


def formula(start: str, n: int) -> str:
    """A student id (and file stem) a spreadsheet would run: quotes and a comma included."""
    return f'{start}HYPERLINK("x{n}","y")'


def starts_a_formula(cell: str) -> bool:
    return cell[:1] in FORMULA_STARTS


def test_the_rule_and_its_numbers() -> None:
    assert FORMULA_STARTS == ("=", "+", "-", "@", "\t", "\r")
    assert [safe_cell(c + "1") for c, _ in FORMULAS] == [f"'{c}1" for c, _ in FORMULAS]
    # Numbers the product writes stay numbers, negative ones too; text never does.
    assert safe_cell(-1) == "-1" and safe_cell(-1.5) == "-1.5" and safe_cell(None) == ""
    assert safe_cell(2.5, float_format="g") == "2.5" and safe_cell(10.0, float_format="g") == "10"
    assert safe_cell("-1") == "'-1" and safe_cell("1-") == "1-" and safe_cell("") == ""
    writer = CsvWriter(float_format="g")
    writer.writerows([["h", "=h"], ["a,b", 'say "hi"', "x\ny", "a\rb", "=1+1", 3, 0.25]])
    assert list(csv.reader(io.StringIO(writer.getvalue(), newline=""))) == [
        ["h", "'=h"],
        ["a,b", 'say "hi"', "x\ny", "a\rb", "'=1+1", "3", "0.25"],
    ], "quoting kept (a lone carriage return too), headers neutralised"


def test_gradebook_csv_neutralises_student_ids_and_file_names(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    students = [formula(c, n) for n, (c, _) in enumerate(FORMULAS)]
    for student in students:
        shutil.copy(SUBMISSIONS / "correct_vectorized.py", folder / f"{student}.py")
    env = clean_env(GRADER_SECRET=SECRET, **untrusted.env)
    out = tmp_path / "out"
    proc = grader_cli("batch", folder, "--out", out, "--allow-unconfined", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["student"]: r["file"] for r in rows} == {f"'{s}": f"'{s}.py" for s in students}, (
        "every id and file name kept verbatim after the quote"
    )
    assert [r["score"] for r in rows] == ["10"] * len(students), "numbers are not quoted"
    assert not any(starts_a_formula(cell) for r in rows for cell in r.values())


@pytest.mark.parametrize(("start", "name"), FORMULAS, ids=[i for _, i in FORMULAS])
def test_web_gradebook_neutralises_student_ids(start: str, name: str) -> None:
    # One id with graded work (its numbers stay numbers), one without any.
    graded, idle = formula(start, 1), formula(start, 2)
    report = {"parts": [{"name": "W", "score": 2.0, "status": "passed"}]}
    sub = SubmissionRecord(
        id=7, student=graded, filename=f"{start}f.py", sha256="0" * 64, status="done",
        submitted_at=datetime(2024, 1, 2, tzinfo=UTC), attempts=1, graded_count=1,
        score=-0.5, max_score=10.0, report=report, error=None,
    )  # fmt: skip
    text = gradebook_csv([graded, idle], [sub], ["W"])
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {f"'{graded}", f"'{idle}"}
    assert rows[f"'{graded}"]["best_total"] == "-0.5", "a number the product wrote stays one"
    assert rows[f"'{graded}"]["W_points"] == "2.0"
    assert rows[f"'{idle}"]["submissions"] == "0"


# Feedback Markdown ------------------------------------------------------------------------

MD = MarkdownIt("commonmark", {"html": True}).enable("table")
#: Everything a student might try: closing the fence, a score line, a heading, HTML, a table
#: row, entities, a link, list and quote markers, a thematic break.
PAYLOAD = (
    "x```\n**Score: 10 / 10**\n\n# Full marks\n<img src=x onerror=alert(1)>\n| a | b |\n"
    "&lt;b&gt; &amp; [link](http://x) ~~gone~~ _em_ \\* $x$\n````\n- item\n1. first\n> quote\n---"
)
MARKER = "Full marks"


def leaves(markdown: str) -> list[tuple[tuple[str, ...], Token]]:
    """Every leaf of the parsed document with the kinds of node around it."""
    found: list[tuple[tuple[str, ...], Token]] = []
    stack: list[str] = []
    for tok in MD.parse(markdown):
        if tok.nesting:
            _ = stack.append(tok.type[:-5]) if tok.nesting > 0 else stack.pop()
        elif tok.type == "inline":
            inner: list[str] = []
            for child in tok.children or []:
                if child.nesting:
                    _ = inner.append(child.type[:-5]) if child.nesting > 0 else inner.pop()
                else:
                    found.append(((*stack, *inner), child))
        else:
            found.append((tuple(stack), tok))
    return found


def cells(markdown: str) -> list[list[str]]:
    """The table's rows, each cell's text as the reader sees it."""
    rows: list[list[str]] = []
    stack: list[str] = []
    for tok in MD.parse(markdown):
        if tok.type == "tr_open":
            rows.append([])
        elif tok.type in ("td_open", "th_open"):
            stack.append("cell")
        elif tok.type in ("td_close", "th_close"):
            stack.pop()
        elif tok.type == "inline" and stack:
            rows[-1].append("".join(c.content for c in tok.children or []))
    return rows


def assert_inert(markdown: str, title: str, score: str | None) -> None:
    """No HTML, no link or emphasis, the title the only heading, ``score`` the only strong
    text, every table row four cells, and the marker only ever plain text or code."""
    found = leaves(markdown)
    assert not {t.type for _, t in found} & {"html_inline", "html_block", "image"}, markdown
    kinds = {k for ctx, _ in found for k in ctx}
    assert not kinds & {"link", "em", "s", "blockquote", "ordered_list", "hr"}, markdown
    assert [
        t.content for ctx, t in found if "heading" in ctx and t.content not in ("Notes", "备注")
    ] == [title]
    assert [t.content for ctx, t in found if "strong" in ctx] == ([score] if score else [])
    assert all(len(r) == 4 for r in cells(markdown)), markdown
    for ctx, tok in found:
        if MARKER in tok.content:
            assert tok.type in ("text", "fence", "code_inline"), (ctx, tok)
            assert ctx.count("bullet_list") <= 1 and "heading" not in ctx, (ctx, tok)


def test_feedback_from_the_real_command_is_inert(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    # A file name with a backtick run; top-level code that raises the payload.
    (folder / "``boom```.py").write_text(f"raise ValueError({PAYLOAD!r})\n")
    # A part that raises it: its message lands in a table cell.
    code = (SUBMISSIONS / "correct_vectorized.py").read_text()
    part = f"def dL_dd(y_pred, y_gt):\n    raise ValueError({PAYLOAD!r})\n"
    (folder / "part.py").write_text(code + "\n\n" + part)
    env = clean_env(GRADER_SECRET=SECRET, **untrusted.env)
    out = tmp_path / "out"
    proc = grader_cli("batch", folder, "--out", out, "--allow-unconfined", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    slugs = json.loads((out / "students.json").read_text())
    title = "Feedback: BPTT for a one-layer ReLU RNN classifier"

    boom = (out / "feedback" / f"{slugs['``boom```']}.md").read_text()
    assert_inert(boom, title, "Score: 0 / 10")
    found = leaves(boom)
    assert [t.content for _, t in found if t.type == "code_inline"] == ["``boom```.py"]
    (fence,) = [t for _, t in found if t.type == "fence"]
    assert PAYLOAD in fence.content, "the load error verbatim, inside its fence"

    text = (out / "feedback" / f"{slugs['part']}.md").read_text()
    assert_inert(text, title, "Score: 9 / 10")
    report = GradeReport.model_validate_json(
        (out / "reports" / f"{slugs['part']}.json").read_text()
    )
    message = report.part("d").messages.en
    assert PAYLOAD.splitlines()[0] in message
    assert " ".join(message.split()) in [r[3] for r in cells(text)], "the message verbatim"


def made_report(text: str) -> GradeReport:
    part = PartReport(
        name="W", label=f"dL/dW {text}", status="error", score=0, max_score=2,
        message=text, messages=Messages(en=text, zh=text),
    )  # fmt: skip
    return GradeReport(
        assignment="bptt", submission=SubmissionInfo(filename="x.py", sha256="0" * 64),
        score=0, max_score=10, parts=[part], case_set="hidden", sandbox="plain",
        grader_version="0", duration_s=0.1, load_error=Messages(en=text),
        notes=[text, f"# {text}", f"- {text}", f"1. {text}", f"> {text}", "---", "+ x", "=", "`"],
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_feedback_markdown_escapes_every_untrusted_field(lang: str) -> None:
    row = Row(student="s", slug="s", file=f"`{PAYLOAD}`.py", report=made_report(PAYLOAD))
    text = feedback_markdown(row, "HW", lang)  # type: ignore[arg-type]
    score = "Score: 0 / 10" if lang == "en" else "得分：0 / 10"
    title = "Feedback: HW" if lang == "en" else "作业反馈：HW"
    assert_inert(text, title, score)
    found = leaves(text)
    flat = " ".join(PAYLOAD.split())
    (name,) = [t.content for _, t in found if t.type == "code_inline"]
    assert name == f"`{PAYLOAD}`.py".replace("\n", " "), "the file name verbatim, on one line"
    notes = [t.content for ctx, t in found if "list_item" in ctx]
    assert notes[:5] == [flat, f"# {flat}", f"- {flat}", f"1. {flat}", f"> {flat}"]
    assert notes[5:] == ["---", "+ x", "=", "`"]
    (row_cells,) = cells(text)[1:]
    assert row_cells[0].endswith(flat) and row_cells[3] == flat


def test_feedback_of_an_ungraded_submission_fences_its_error() -> None:
    row = Row(student="s", slug="s", file="s.py", error=PAYLOAD, error_kind="file")
    text = feedback_markdown(row, "HW", "en")
    assert_inert(text, "Feedback: HW", None)
    (fence,) = [t for _, t in leaves(text) if t.type == "fence"]
    assert fence.content == PAYLOAD + "\n"
