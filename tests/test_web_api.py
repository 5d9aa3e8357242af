"""The JSON API through a real app (TestClient) on a real SQLite file under tmp_path (and on
PostgreSQL where a server is given), grading in the real sandbox where it runs, else on the
plain backend, allowed explicitly."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from environment_support import UntrustedGrading
from test_web_support import (
    DATABASES,
    INSTRUCTOR,
    SUBMISSIONS,
    TestClient,
    auth,
    database_overrides,
    make_client,
    service,
    tokens,
    upload,
    wait_graded,
    web_settings,
)

from grader.errors import SandboxError, SecretError
from grader.runner.backend import PlainBackend
from grader.web.app import create_app


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    yield from database_overrides(request.param)


@pytest.fixture
def client(
    tmp_path: Path, untrusted: UntrustedGrading, database: dict[str, Any]
) -> Iterator[TestClient]:
    yield from make_client(tmp_path, untrusted, **database)


@pytest.fixture
def idle(
    tmp_path: Path, untrusted: UntrustedGrading, database: dict[str, Any]
) -> Iterator[TestClient]:
    """A server that accepts but does not grade (no worker threads)."""
    yield from make_client(tmp_path, untrusted, workers=0, **database)


def test_an_upload_is_stored_before_202_and_graded_on_the_hidden_cases(client: TestClient) -> None:
    alice = tokens(client, "alice")["alice"]
    res = upload(client, alice, SUBMISSIONS / "mistake_uses_h_t.py")
    assert res.status_code == 202
    body = res.json()
    assert body["status"] == "queued"
    svc = service(client.app)
    row = svc.store.get(body["id"])
    assert row is not None and row.student == "alice"
    assert svc.uploads.load(row.sha256) == (SUBMISSIONS / "mistake_uses_h_t.py").read_bytes()
    done = wait_graded(client, body["id"], alice)
    assert done["status"] == "done", done
    report = done["report"]
    assert report["case_set"] == "hidden"
    assert report["score"] == done["score"] < report["max_score"]
    w = next(p for p in report["parts"] if p["name"] == "W")
    assert w["status"] == "failed" and w["diagnosis"] == "uses_h_t"
    # The service's default feedback level: the mistake named, no formula given.
    assert report["feedback"] == "mistake"
    assert "h_t is used in the term of step t" in w["messages"]["en"] and w["messages"]["zh"]
    assert "Σ_t" not in w["messages"]["en"] + w["messages"]["zh"]
    assert svc.store.get(body["id"]).graded_count == 1


def test_tokens_decide_who_sees_what(idle: TestClient) -> None:
    t = tokens(idle, "alice", "bob")
    a_id = upload(idle, t["alice"], SUBMISSIONS / "correct_loops.py").json()["id"]
    b_id = upload(idle, t["bob"], SUBMISSIONS / "correct_loops.py").json()["id"]
    for path in ("/api/submissions", f"/api/submissions/{a_id}", "/api/gradebook.csv"):
        res = idle.get(path)
        assert res.status_code == 401 and res.headers["www-authenticate"] == "Bearer"
        assert idle.get(path, headers=auth("not-a-token")).status_code == 401
    assert idle.get(f"/api/submissions/{b_id}", headers=auth(t["alice"])).status_code == 404
    assert idle.get("/api/submissions/999", headers=auth(t["alice"])).status_code == 404
    own = idle.get("/api/submissions?student=bob", headers=auth(t["alice"])).json()
    assert [s["id"] for s in own] == [a_id]
    assert idle.get("/api/gradebook.csv", headers=auth(t["bob"])).status_code == 403
    assert idle.post("/api/regrade", headers=auth(t["bob"])).status_code == 403
    everyone = idle.get("/api/submissions", headers=auth(INSTRUCTOR)).json()
    assert sorted(s["student"] for s in everyone) == ["alice", "bob"]
    only_bob = idle.get("/api/submissions?student=bob", headers=auth(INSTRUCTOR)).json()
    assert [s["id"] for s in only_bob] == [b_id]
    res = upload(idle, INSTRUCTOR, SUBMISSIONS / "correct_loops.py")
    assert res.status_code == 403
    service(idle.app).store.revoke("bob")
    assert idle.get("/api/submissions", headers=auth(t["bob"])).status_code == 401


def test_uploads_beyond_the_rate_limit_get_429_with_retry_after(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    for client in make_client(tmp_path, untrusted, workers=0, rate_limit_per_minute=2):
        alice = tokens(client, "alice")["alice"]
        for _ in range(2):
            assert upload(client, alice, SUBMISSIONS / "correct_loops.py").status_code == 202
        res = upload(client, alice, SUBMISSIONS / "correct_loops.py")
        assert res.status_code == 429
        assert 1 <= int(res.headers["retry-after"]) <= 60
        bob = tokens(client, "bob")["bob"]  # the limit is per student
        assert upload(client, bob, SUBMISSIONS / "correct_loops.py").status_code == 202


def test_a_full_queue_answers_503_with_retry_after(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    for client in make_client(tmp_path, untrusted, workers=0, queue_max=2):
        t = tokens(client, "a", "b", "c")
        assert upload(client, t["a"], SUBMISSIONS / "correct_loops.py").status_code == 202
        assert upload(client, t["b"], SUBMISSIONS / "correct_loops.py").status_code == 202
        res = upload(client, t["c"], SUBMISSIONS / "correct_loops.py")
        assert res.status_code == 503 and int(res.headers["retry-after"]) > 0
        assert len(client.get("/api/submissions", headers=auth(INSTRUCTOR)).json()) == 2


def test_gradebook_has_best_and_latest_and_regrade_grades_again(client: TestClient) -> None:
    t = tokens(client, "alice", "bob", "carol")
    first = upload(client, t["alice"], SUBMISSIONS / "correct_loops.py").json()["id"]
    wait_graded(client, first, t["alice"])
    second = upload(client, t["alice"], SUBMISSIONS / "mistake_uses_h_t.py").json()["id"]
    latest = wait_graded(client, second, t["alice"])
    bob = upload(client, t["bob"], SUBMISSIONS / "notebook_correct.ipynb").json()["id"]
    wait_graded(client, bob, t["bob"])
    res = client.get("/api/gradebook.csv", headers=auth(INSTRUCTOR))
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    import csv
    import io

    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(res.text))}
    assert sorted(rows) == ["alice", "bob", "carol"]
    assert float(rows["alice"]["best_total"]) == 12.0  # correct_loops: 10 + 2 bonus
    assert float(rows["alice"]["latest_score"]) == latest["score"] < 10.0
    assert rows["alice"]["W_status"] == "failed" and float(rows["alice"]["W_points"]) == 0.0
    assert rows["alice"]["submissions"] == "2" and rows["carol"]["best_total"] == ""
    res = client.post("/api/regrade", json={"student": "alice"}, headers=auth(INSTRUCTOR))
    assert res.json() == {"requeued": 2}
    assert (
        client.post("/api/regrade", json={"student": "zed"}, headers=auth(INSTRUCTOR)).status_code
        == 404
    )
    for sub_id in (first, second):
        wait_graded(client, sub_id, t["alice"])
    store = service(client.app).store
    assert [store.get(i).graded_count for i in (first, second, bob)] == [2, 2, 1]


def test_the_instructor_token_is_generated_once_into_an_owner_only_file(
    tmp_path: Path, untrusted: UntrustedGrading, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, web = web_settings(tmp_path, instructor_token=None, workers=0, **untrusted.settings)
    create_app(settings, web, backend=untrusted.backend())
    path = web.resolved_instructor_token_file
    token = path.read_text().strip()
    assert path.stat().st_mode & 0o777 == 0o600
    assert token in capsys.readouterr().err
    app = create_app(settings, web, backend=untrusted.backend())
    assert token not in capsys.readouterr().err
    with TestClient(app) as client:
        assert client.get("/api/gradebook.csv", headers=auth(token)).status_code == 200


def test_the_service_refuses_to_start_without_a_secret_or_confinement(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    no_secret = web_settings(tmp_path, secret=None, **untrusted.settings)
    with pytest.raises(SecretError, match="GRADER_SECRET"):
        create_app(*no_secret, backend=untrusted.backend())
    with pytest.raises(SandboxError, match="--allow-unconfined"):
        create_app(*web_settings(tmp_path), backend=PlainBackend())
    create_app(*web_settings(tmp_path, allow_unconfined=True), backend=PlainBackend())


def test_a_locked_database_is_a_503_and_loses_nothing(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    for client in make_client(tmp_path, untrusted, workers=0, db_busy_timeout_s=0.2):
        alice = tokens(client, "alice")["alice"]
        lock = sqlite3.connect(tmp_path / "data" / "grader.db", isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            res = upload(client, alice, SUBMISSIONS / "correct_loops.py")
            assert res.status_code == 503 and res.headers["retry-after"]
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert client.get("/api/submissions", headers=auth(alice)).json() == []
        assert upload(client, alice, SUBMISSIONS / "correct_loops.py").status_code == 202
        assert len(client.get("/api/submissions", headers=auth(alice)).json()) == 1


def test_healthz_and_the_page(idle: TestClient) -> None:
    assert idle.get("/healthz").json() == {"status": "ok", "pending": 0}
    page = idle.get("/")
    assert page.status_code == 200 and "localStorage" in page.text and "中文" in page.text


def test_listing_leaves_reports_out_unless_asked(client: TestClient) -> None:
    """A listing carries status and score; reports only with ?report=true (or per id)."""
    alice = tokens(client, "alice")["alice"]
    sub_id = upload(client, alice, SUBMISSIONS / "correct_vectorized.py").json()["id"]
    wait_graded(client, sub_id, alice)
    plain = client.get("/api/submissions", headers=auth(alice)).json()
    full = client.get("/api/submissions?report=true", headers=auth(alice)).json()
    assert plain and all(s["report"] is None and s["score"] is not None for s in plain)
    assert full and all(s["report"] is not None for s in full)


@pytest.mark.parametrize(
    ("sub_id", "status"),
    [
        pytest.param("9223372036854775808", 422, id="past-64-bit"),  # found by the fuzz: was a 500
        pytest.param("0", 422, id="zero"),  # ids start at 1
        pytest.param("12345", 404, id="unknown"),  # in range, no such submission
    ],
)
def test_out_of_range_ids_are_4xx(idle: TestClient, sub_id: str, status: int) -> None:
    alice = tokens(idle, "alice")["alice"]
    assert idle.get(f"/api/submissions/{sub_id}", headers=auth(alice)).status_code == status


def test_the_store_is_the_database_asked_for(idle: TestClient, database: dict[str, Any]) -> None:
    """The same API runs on SQLite by default and on PostgreSQL through GRADER_DATABASE_URL."""
    dialect = service(idle.app).store.engine.dialect.name
    assert dialect == ("postgresql" if database else "sqlite")


def test_a_lone_surrogate_in_an_error_message_stops_no_grading(
    client: TestClient, tmp_path: Path
) -> None:
    # JSON's "\udc80" reaches the grader as a lone surrogate, which UTF-8 cannot encode: it
    # once ended each grading thread that met it, for good (the job stayed "running").
    mallory, alice = tokens(client, "mallory", "alice").values()
    bad = tmp_path / "bad.py"
    bad.write_text('def dL_dd(y_pred, y_gt):\n    raise RuntimeError("x \\udc80")\n')
    top = tmp_path / "top.py"
    top.write_text('raise RuntimeError("y \\udc81")\n')
    ids = [upload(client, mallory, path).json()["id"] for path in (bad, top)]
    ids.append(upload(client, alice, SUBMISSIONS / "correct_loops.py").json()["id"])
    done = [wait_graded(client, i, t) for i, t in zip(ids, [mallory, mallory, alice], strict=True)]
    assert [d["status"] for d in done] == ["done"] * 3, done
    d_part = next(p for p in done[0]["report"]["parts"] if p["name"] == "d")
    assert d_part["status"] == "error" and "\\udc80" in d_part["message"]
    assert "\\udc81" in done[1]["report"]["load_error"]["en"]
    assert done[2]["score"] == 10


def test_students_see_no_error_sizes_or_output_on_the_hidden_cases(
    client: TestClient, tmp_path: Path
) -> None:
    # Error sizes per hidden case and the printed inputs let a student rebuild the hidden
    # answers upload by upload: an outside attack round did, for ∂L/∂d, in two uploads.
    alice = tokens(client, "alice")["alice"]
    probe = tmp_path / "probe.py"
    probe.write_text("def dL_dd(y_pred, y_gt):\n    print(y_pred, y_gt)\n    return 1000.0\n")
    sub_id = upload(client, alice, probe).json()["id"]
    done = wait_graded(client, sub_id, alice)
    d = next(p for p in done["report"]["parts"] if p["name"] == "d")
    assert d["status"] == "failed" and d["cases"]
    for case in d["cases"]:
        assert case["max_abs_error"] is None and case["worst_index"] is None
        assert case["tolerance_ratio"] is None and case["passed"] is False
    assert done["report"]["output_excerpt"] == ""
    listed = client.get("/api/submissions?report=true", headers=auth(alice)).json()
    assert listed[0]["report"]["output_excerpt"] == ""
    # The instructor sees everything.
    full = client.get(f"/api/submissions/{sub_id}", headers=auth(INSTRUCTOR)).json()
    assert full["report"]["output_excerpt"]
    full_d = next(p for p in full["report"]["parts"] if p["name"] == "d")
    assert all(c["max_abs_error"] is not None for c in full_d["cases"])


def test_the_instructor_downloads_the_exact_bytes_under_a_header_safe_name(
    idle: TestClient,
) -> None:
    from urllib.parse import unquote

    t = tokens(idle, "alice")
    notebook = SUBMISSIONS / "notebook_correct.ipynb"
    name = "my hw; filename=evil.sh é.ipynb"
    nb_id = upload(idle, t["alice"], notebook, name=name).json()["id"]
    py_id = upload(idle, t["alice"], SUBMISSIONS / "correct_loops.py").json()["id"]
    # A name the upload would refuse (a CR/LF), written straight to the store: still inert.
    store = service(idle.app).store
    sha = service(idle.app).uploads.save(b"x = 1\n")
    crlf = 'a.py"\r\nX-Injected: 1\r\n\r\nbody'
    crlf_id = store.add_submission("alice", crlf, sha, size=6)

    res = idle.get(f"/api/submissions/{nb_id}/file", headers=auth(INSTRUCTOR))
    assert res.status_code == 200
    assert res.content == notebook.read_bytes()
    assert res.headers["content-type"].startswith("application/x-ipynb+json")
    disposition = res.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="my hw; filename=evil.sh _.ipynb"; ')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == name

    res = idle.get(f"/api/submissions/{py_id}/file", headers=auth(INSTRUCTOR))
    assert res.content == (SUBMISSIONS / "correct_loops.py").read_bytes()
    assert res.headers["content-type"].startswith("text/x-python")
    assert res.headers["content-disposition"] == (
        "attachment; filename=\"correct_loops.py\"; filename*=UTF-8''correct_loops.py"
    )

    res = idle.get(f"/api/submissions/{crlf_id}/file", headers=auth(INSTRUCTOR))
    assert res.status_code == 200 and res.content == b"x = 1\n"
    assert "x-injected" not in res.headers
    disposition = res.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="a.py___X-Injected: 1____body"; ')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == crlf

    assert idle.get(f"/api/submissions/{py_id}/file", headers=auth(t["alice"])).status_code == 403
    assert idle.get(f"/api/submissions/{py_id}/file").status_code == 401
    assert idle.get("/api/submissions/999/file", headers=auth(INSTRUCTOR)).status_code == 404


def test_a_download_whose_file_is_gone_is_a_410(idle: TestClient) -> None:
    alice = tokens(idle, "alice")["alice"]
    sub_id = upload(idle, alice, SUBMISSIONS / "correct_loops.py").json()["id"]
    svc = service(idle.app)
    row = svc.store.get(sub_id)
    assert row is not None
    svc.uploads.path(row.sha256).unlink()
    res = idle.get(f"/api/submissions/{sub_id}/file", headers=auth(INSTRUCTOR))
    assert res.status_code == 410 and "backup" in res.json()["detail"]
