"""The service as it runs: a real uvicorn process killed with SIGKILL mid-grading loses nothing
and grades nothing twice; the student page works in headless Chromium."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest
from environment_support import CHROMIUM_ARGS, UntrustedGrading, chromium_path
from test_web_support import INSTRUCTOR, SUBMISSIONS, add_students, auth, live_server

FILES = [
    "correct_loops.py",
    "mistake_uses_h_t.py",
    "notebook_correct.ipynb",
    "mistake_sign_flip.py",
]


def rows(db: Path) -> dict[int, tuple[str, int, int]]:
    """id -> (status, attempts, graded_count), read straight from the database file."""
    with sqlite3.connect(db) as con:
        return {
            i: (s, a, g)
            for i, s, a, g in con.execute(
                "SELECT id, status, attempts, graded_count FROM submissions"
            )
        }


@pytest.mark.slow
def test_sigkill_mid_grading_loses_nothing_and_grades_each_once(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    data = tmp_path / "data"
    tokens = add_students(data, "alice", "bob", "carol")
    db = data / "grader.db"
    log = tmp_path / "server.log"
    env = {
        "GRADER_WORKERS": "1",
        "GRADER_RATE_LIMIT_PER_MINUTE": "1000",
        "GRADER_MAX_PENDING_PER_STUDENT": "1000",
        **untrusted.env,
    }
    accepted: list[int] = []
    stop = threading.Event()

    def keep_uploading(url: str) -> None:
        # Uploads continue while the server is killed: only the ones answered 202 count.
        students = itertools.cycle(tokens.values())
        for name in itertools.cycle(FILES):
            if stop.is_set() or len(accepted) >= 40:
                return
            path = SUBMISSIONS / name
            try:
                res = httpx.post(
                    f"{url}/api/submissions",
                    headers=auth(next(students)),
                    files={"file": (name, path.read_bytes())},
                    timeout=10,
                )
            except httpx.TransportError:
                return
            if res.status_code == 202:
                accepted.append(res.json()["id"])

    with live_server(data, log, **env) as (url, proc):
        uploader = threading.Thread(target=keep_uploading, args=(url,))
        uploader.start()
        deadline = time.monotonic() + 60
        while len(accepted) < 6 or not any(s == "running" for s, _, _ in rows(db).values()):
            assert time.monotonic() < deadline, "no job started"
            time.sleep(0.02)
        proc.kill()  # SIGKILL: no shutdown, a job mid-grading, an upload maybe mid-request
        proc.wait(10)
        stop.set()
        uploader.join(30)
    killed = rows(db)
    interrupted = [i for i, (s, _, _) in killed.items() if s == "running"]
    assert interrupted, "the kill did not land mid-grading"
    assert set(accepted) <= set(killed), "an accepted submission is missing from the database"

    with live_server(data, log, **env) as (url, _proc):
        # Up to 40 jobs one after another, about a second each: a hang guard only.
        deadline = time.monotonic() + 600
        while any(s != "done" for s, _, _ in rows(db).values()):
            assert time.monotonic() < deadline, rows(db)
            time.sleep(0.2)
        everything = httpx.get(
            f"{url}/api/submissions?report=true", headers=auth(INSTRUCTOR)
        ).json()
    final = rows(db)
    assert len(accepted) >= 6
    assert {s["id"] for s in everything} == set(final) >= set(accepted)
    assert all(s["report"] is not None for s in everything)
    assert {i: g for i, (_, _, g) in final.items()} == dict.fromkeys(final, 1)
    assert all(final[i][1] == 2 for i in interrupted)  # claimed, killed, claimed again
    assert "re-queued" in log.read_text()


@pytest.mark.slow
@pytest.mark.chromium
def test_a_student_uploads_on_the_page_and_reads_the_diagnosis(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    from playwright.sync_api import expect, sync_playwright

    data = tmp_path / "data"
    token = add_students(data, "alice")["alice"]
    upload = tmp_path / "mistake_uses_h_t.py"
    shutil.copy(SUBMISSIONS / "mistake_uses_h_t.py", upload)
    log = tmp_path / "server.log"
    with live_server(data, log, **untrusted.env) as (url, _proc), sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(),
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_context(locale="en-US").new_page()
            page.goto(url + "/")
            page.fill("#token", token)
            page.click("#save-token")
            expect(page.locator("#token-state")).to_have_text("Token saved in this browser.")
            page.set_input_files("#file", str(upload))
            page.click("#submit")
            expect(page.locator("#status")).to_have_attribute("data-status", "done", timeout=60_000)
            # mistake_uses_h_t: W wrong, both bonus parts right.
            expect(page.locator("#verdict")).to_contain_text("Score 7 / 10 · Bonus 2 / 2 · Total 9")
            w_row = page.locator("#parts tbody tr", has_text="∂L/∂W")
            expect(w_row).to_contain_text("failed")
            expect(w_row).to_contain_text("uses_h_t")  # the mistake named, no formula
            page.screenshot(path=str(tmp_path / "page-en.png"), full_page=True)
            page.click("#lang-zh")
            expect(page.locator("#verdict")).to_contain_text("得分 7 / 10 · 附加 2 / 2 · 总分 9")
            expect(w_row).to_contain_text("错误")
            page.reload()  # the token and the language are remembered
            expect(page.locator("#token-state")).to_have_text("令牌已保存在本浏览器中。")
            expect(page.locator("#history tbody tr")).to_have_count(1)
            page.screenshot(path=str(tmp_path / "page-zh.png"), full_page=True)
        finally:
            browser.close()
