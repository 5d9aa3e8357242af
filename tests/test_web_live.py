"""The service as it runs: a real uvicorn process killed with SIGKILL mid-grading loses nothing
and grades nothing twice; the student page works in headless Chromium."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import subprocess
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


DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def test_the_installed_app_factory_serves_from_any_folder(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    # What deploy/bptt-grader.service runs: the package's factory, no checkout in the way.
    unit = (DEPLOY / "bptt-grader.service").read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert "--factory grader.web.app:create_app" in exec_start
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    data = tmp_path / "data"
    token = add_students(data, "alice")["alice"]
    app = ("--factory", "grader.web.app:create_app")
    with live_server(data, tmp_path / "log", app=app, cwd=elsewhere, **untrusted.env) as (url, _):
        assert httpx.get(f"{url}/healthz", timeout=5).json()["status"] == "ok"
        listed = httpx.get(f"{url}/api/submissions", headers=auth(token), timeout=5)
        assert listed.status_code == 200 and listed.json() == []


def test_the_backup_script_copies_the_database_and_the_uploads(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "uploads" / "ab").mkdir(parents=True)
    (data / "uploads" / "ab" / "abcd").write_bytes(b"print(1)\n")
    with sqlite3.connect(data / "grader.db") as db:
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (42)")
    env = {"PATH": "/usr/bin:/bin", "GRADER_DATA_DIR": str(data), "BACKUP_DIR": str(tmp_path / "b")}
    proc = subprocess.run(
        ["bash", str(DEPLOY / "backup.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    (copy,) = (tmp_path / "b").iterdir()
    with sqlite3.connect(copy / "grader.db") as db:
        assert db.execute("SELECT x FROM t").fetchall() == [(42,)]
    assert (copy / "uploads" / "ab" / "abcd").read_bytes() == b"print(1)\n"
