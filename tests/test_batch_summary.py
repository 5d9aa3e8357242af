"""The class summary page: its numbers, its escaping, and how it renders in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_support import SECRET, TIMEOUT_VERDICT_S, make_flat
from environment_support import CHROMIUM_ARGS, UntrustedGrading, chromium_path

from grader.assignment import load_assignment
from grader.batch.discover import discover
from grader.batch.executors import LocalExecutor
from grader.batch.run import BatchResult, run_batch
from grader.batch.summary import render_summary, summarize
from grader.cases import load_case_set
from grader.core import Grader
from grader.runner.limits import Limits
from grader.settings import get_settings

ASSIGNMENT = load_assignment()
EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory, untrusted: UntrustedGrading) -> BatchResult:
    root = tmp_path_factory.mktemp("summary")
    # lou's loop is a timeout verdict, so the limit is short: the others are quick ones.
    folder = make_flat(
        root / "in",
        {"ann": "correct_vectorized", "ben": "mistake_sign_flip", "cy": "mistake_sign_flip",
         "dee": "mistake_transposed_W", "lou": "loop"},
    )  # fmt: skip
    (folder / f"{EVIL}.py").write_bytes(b"\xff")
    limits = Limits(part_timeout_s=TIMEOUT_VERDICT_S)
    settings = get_settings(limits=limits, **untrusted.settings)
    grader = Grader(
        settings, case_set=load_case_set(ASSIGNMENT, "hidden", SECRET), assignment=ASSIGNMENT,
        untrusted=True, backend=untrusted.backend(),
    )  # fmt: skip
    return run_batch(discover(folder).submissions, root / "out", grader, LocalExecutor(2))


def test_summary_numbers(result: BatchResult) -> None:
    s = summarize(result, ASSIGNMENT)
    assert (s.students, s.graded, s.full_marks) == (6, 5, 1)
    assert dict(s.histogram)["10"] == 1 and sum(c for _, c in s.histogram) == 5
    d = next(p for p in s.parts if p.name == "d")
    assert (d.passed, d.graded) == (2, 5)  # ann and dee (a mistake in W only)
    assert d.diagnoses == [("sign_flip", 2), ("timeout", 1)]
    assert {student for student, _ in s.failures} == {"lou", EVIL}
    assert s.p95_s is not None and s.mean_s is not None and s.workers == 2


def test_summary_escapes_student_ids(result: BatchResult) -> None:
    html = render_summary(summarize(result, ASSIGNMENT))
    assert EVIL not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html.lower()


@pytest.mark.chromium
def test_summary_renders_in_chromium(result: BatchResult, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_path = tmp_path / "summary.html"
    page_path.write_text(render_summary(summarize(result, ASSIGNMENT)), encoding="utf-8")
    shot = tmp_path / "summary.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(),
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(page_path.as_uri())
            histogram = page.locator("#histogram svg.histogram")
            assert histogram.count() == 1 and histogram.bounding_box()["height"] > 100
            assert page.locator("#histogram svg rect").count() >= 11
            text = page.inner_text("body")
            for part in ASSIGNMENT.parts:
                assert part.label in text
            assert "sign_flip" in text and EVIL in text  # shown as text, not run
            assert dialogs == []
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
