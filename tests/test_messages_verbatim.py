"""Every message the grader can show, verbatim, through every output that shows it.

Each key of :mod:`grader.messages` (every placeholder filled with hostile text) and each
catalogued mistake's text and solution (every language and part wording the case set carries)
goes into a report in English and in Chinese, and that report through the terminal table
(``grader check``), the JSON report, the batch feedback Markdown, the batch summary page and
the student web page. Each output must show each message whole: nothing read as rich markup,
emoji codes, Markdown or HTML. Whitespace is compared squashed where the output reflows it.
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from string import Formatter
from typing import Any

import pytest
from environment_support import CHROMIUM_ARGS, chromium_path
from markdown_it import MarkdownIt
from rich.console import Console

from grader.assignment import load_assignment
from grader.batch.feedback import feedback_markdown
from grader.batch.run import BatchResult, Row
from grader.batch.summary import render_summary, summarize
from grader.cases import load_case_set
from grader.messages import TEMPLATES, message
from grader.render import print_report
from grader.report import GradeReport, Lang, Messages, PartReport, SubmissionInfo
from reference.mistakes import CATALOGUE

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = load_assignment(REPO / "reference" / "assignment.toml")
MISTAKES = load_case_set(ASSIGNMENT, "public").mistakes
LANGS: tuple[Lang, ...] = ("en", "zh")

#: rich markup and an escaped bracket, an emoji code, Markdown emphasis, code and a table
#: column break, HTML and an entity, and a format field.
NASTY = "[x] [bold]b[/] \\[e] :warning: **s** __u__ `c` ``d`` | <b>t</b> &amp; {z}"


def squash(text: str) -> str:
    return " ".join(text.split())


def filled(key: str) -> Messages:
    """The message ``key`` with NASTY in each text placeholder and 1.5 in each number."""
    values: dict[str, Any] = {}
    for template in TEMPLATES[key]:
        for _, field, spec, _ in Formatter().parse(template):
            if field is not None:
                values[field] = 1.5 if spec else NASTY
    return message(key, **values)


def catalogued(lang: Lang) -> list[tuple[str, str]]:
    """(name, text) of every message in ``lang``: the grader's own, then each mistake's in
    every wording (the general one, "en", and any part's own, "en:U") and its solution's
    ("solution:en", "solution:en:U")."""
    own = [(key, filled(key).get(lang)) for key in TEMPLATES]
    mistakes = [
        (f"{m.id}/{key}", text)
        for m in MISTAKES
        for key, text in m.messages.items()
        if key.removeprefix("solution:").split(":")[0] == lang
    ]
    return own + mistakes


def test_every_message_is_covered() -> None:
    assert {m.id for m in MISTAKES} == {m.id for m in CATALOGUE}
    for lang in LANGS:
        names = [name for name, _ in catalogued(lang)]
        assert set(TEMPLATES) <= set(names)
        assert {m.id for m in CATALOGUE} <= {n.split("/")[0] for n in names}
        for name, text in catalogued(lang):
            assert text, (lang, name)
    for key in TEMPLATES:  # the hostile text reached every message that has a text field
        fields = [(f, spec) for t in TEMPLATES[key] for _, f, spec, _ in Formatter().parse(t)]
        has_text = any(f is not None and not spec for f, spec in fields)
        assert (NASTY in filled(key).en) == has_text, key


def report_of(lang: Lang) -> GradeReport:
    """A report in ``lang`` with one failed part per message; hostile text everywhere else."""
    texts = catalogued(lang)
    parts = [
        PartReport(
            name=f"p{i}",
            label=f"{i} {NASTY}",
            status="failed",
            score=0.0,
            max_score=1.0,
            message=text,
            messages=Messages(en=text, zh=text),
        )
        for i, (_, text) in enumerate(texts)
    ]
    # Validated from plain data, as a report read back from its JSON is.
    return GradeReport.model_validate(
        {
            "assignment": NASTY,
            "submission": SubmissionInfo(filename=f"{NASTY}.py", sha256="0" * 64),
            "score": 0.0,
            "max_score": float(len(parts)),
            "parts": parts,
            "case_set": "public",
            "sandbox": "plain",
            "grader_version": "0",
            "duration_s": 0.5,
            "lang": lang,
            "load_error": filled("load_raised"),
            "output_excerpt": NASTY,
            "output_bytes": len(NASTY),
            "notes": [NASTY],
        }
    )


# -- the terminal (grader check) ------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_terminal_table_shows_every_message_verbatim(lang: Lang) -> None:
    report = report_of(lang)
    console = Console(file=io.StringIO(), record=True, width=100_000, color_system=None)
    print_report(report, console)
    lines = [squash(line) for line in console.export_text().splitlines()]
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == len(report.parts)  # one line each: nothing wrapped
    for row, part in zip(rows, report.parts, strict=True):
        assert row.startswith(f"│ {squash(part.label)} │"), row
        assert row.endswith(f"│ {squash(part.messages.get(lang))} │"), (part.name, row)
    assert squash(f"{NASTY} · {NASTY}.py") in lines  # the title: assignment and file name
    assert squash(report.load_error.get(lang)) in lines  # type: ignore[union-attr]
    assert lines.count(NASTY) == 2  # the note and what the code printed


# -- the JSON report ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_json_report_keeps_every_message_verbatim(lang: Lang) -> None:
    report = report_of(lang)
    data = json.loads(report.model_dump_json(indent=2))
    assert [p["messages"][lang] for p in data["parts"]] == [t for _, t in catalogued(lang)]
    assert [p["message"] for p in data["parts"]] == [t for _, t in catalogued(lang)]
    assert GradeReport.model_validate(data) == report


# -- the batch feedback (Markdown) ---------------------------------------------------------------


class Cells(HTMLParser):
    """The text of each element of interest, and any tag that opens inside a table cell."""

    WATCHED = ("td", "th", "li", "h1", "pre", "p")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, list[str]] = {tag: [] for tag in self.WATCHED}
        self.open: list[str] = []
        self.tags_in_cells: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.open and self.open[-1] in ("td", "th", "li"):
            self.tags_in_cells.append(tag)
        if tag in self.WATCHED:
            self.texts[tag].append("")
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for tag in self.open:
            self.texts[tag][-1] += data


def cells_of(html: str) -> Cells:
    parser = Cells()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize("lang", LANGS)
def test_feedback_markdown_shows_every_message_verbatim(lang: Lang) -> None:
    report = report_of(lang)
    row = Row(student=NASTY, slug="s", file=f"{NASTY}.py", report=report)
    markdown = feedback_markdown(row, NASTY, lang)
    # CommonMark with raw HTML on and GitHub's tables: how an LMS or GitHub would show it.
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    seen = cells_of(html)
    assert seen.tags_in_cells == []  # no emphasis, code, link or HTML made from the text
    cells = seen.texts["td"]
    assert len(cells) == 4 * len(report.parts)
    for i, part in enumerate(report.parts):
        label, _, _, shown = cells[4 * i : 4 * i + 4]
        assert squash(label) == squash(part.label)
        assert squash(shown) == squash(part.messages.get(lang)), part.name
    assert seen.texts["li"] == [NASTY]  # the notes
    assert seen.texts["pre"] == [report.load_error.get(lang) + "\n"]  # type: ignore[union-attr]
    assert seen.texts["h1"][0].endswith(NASTY)


# -- the batch summary page ----------------------------------------------------------------------


def test_summary_page_shows_every_failure_verbatim() -> None:
    # The summary shows no part messages: what it shows of a student's work is the reason a
    # submission failed: the error text, or the first line of the load error (in English).
    texts = [t for lang in LANGS for _, t in catalogued(lang)]
    errored = [
        Row(student=f"{i} {NASTY}", slug=f"e{i}", file="f.py", error=t) for i, t in enumerate(texts)
    ]
    failed_to_load = [
        Row(
            student=f"{i} {NASTY}",
            slug=f"l{i}",
            file="f.py",
            report=report_of("en").model_copy(update={"load_error": Messages(en=t, zh=t)}),
        )
        for i, (_, t) in enumerate(catalogued("en"))
    ]
    rows = (*errored, *failed_to_load)
    result = BatchResult(rows=rows, graded=len(rows), reused=0, wall_s=1.0, workers=1)
    page = render_summary(summarize(result, ASSIGNMENT))
    section = page.split('<section id="failures">', 1)[1].split("</section>", 1)[0]
    seen = cells_of(section)
    assert seen.tags_in_cells == []
    cells = seen.texts["td"]
    shown = list(zip(cells[::2], cells[1::2], strict=True))
    assert shown == [(r.student, r.failure) for r in rows]
    assert all(r.failure for r in rows)


# -- the student web page ------------------------------------------------------------------------

INDEX = REPO / "grader" / "web" / "templates" / "index.html"
#: DOM sinks that parse a string as HTML (or run it).
HTML_SINKS = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment"
    r"|DOMParser|srcdoc|\beval\(|new Function"
)


def test_student_page_script_writes_text_only() -> None:
    script = INDEX.read_text(encoding="utf-8").split("<script>", 1)[1]
    assert HTML_SINKS.findall(script) == []
    assert "textContent" in script


def page_html() -> str:
    from grader.web.pages import templates

    return templates.env.get_template("index.html").render(version="0", max_kb=64)


@pytest.mark.chromium
def test_student_page_shows_every_message_verbatim() -> None:
    from playwright.sync_api import Dialog, Route, sync_playwright

    html = page_html()

    def serve(route: Route) -> None:
        if route.request.url == "http://grader.test/":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        else:
            route.fulfill(status=404, body="")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(),
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page()
            dialogs: list[str] = []

            def on_dialog(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            page.route("**/*", serve)
            page.goto("http://grader.test/")
            for lang in LANGS:
                report = report_of(lang)
                sub = {
                    "id": 1,
                    "filename": f"{NASTY}.py",
                    "status": "done",
                    "error": None,
                    "report": json.loads(report.model_dump_json()),
                }
                page.evaluate("([l, sub]) => { setLang(l); render(sub); }", [lang, sub])
                rows = page.eval_on_selector_all(
                    "#parts tbody tr",
                    "rows => rows.map((r) => [...r.cells].map((c) => c.textContent))",
                )
                assert [r[0] for r in rows] == [p.label for p in report.parts]
                assert [r[3] for r in rows] == [t for _, t in catalogued(lang)]
                assert page.locator("#parts tbody td *").count() == 0  # text only
                assert page.text_content("#load-error") == report.load_error.get(lang)  # type: ignore[union-attr]
                assert page.text_content("#sub-file") == f"{NASTY}.py"
            assert dialogs == []
        finally:
            browser.close()
