"""The caps on a student's uploads: the decision itself, and through the real app (ASGI), where
simultaneous uploads with one token are accepted exactly up to each cap, the rest refused with
the cap's status and message, and nothing refused is saved."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from environment_support import UntrustedGrading
from fastapi import FastAPI
from test_web_support import (
    DATABASES,
    TestClient,
    auth,
    database_overrides,
    make_client,
    service,
    tokens,
    web_settings,
)

from grader.web.app import create_app
from grader.web.limits import (
    QueueFull,
    QuotaExceeded,
    RateLimited,
    TooManyPending,
    UploadLimits,
    UploadRefused,
    Usage,
    admit,
)

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
LIMITS = UploadLimits(
    per_minute=5, pending_per_student=3, stored_bytes_per_student=10 << 10, queue_max=100
)
IDLE = Usage(recent=0, oldest_recent=None, pending=0, stored_bytes=0, queued=0)

DECISIONS = [
    # (id, usage, size of the upload, the refusal or None, words of its message)
    pytest.param(IDLE, 1 << 10, None, "", id="nothing-used"),
    pytest.param(
        Usage(4, NOW - timedelta(seconds=50), 2, 9 << 10, 99),
        1 << 10,
        None,
        "",
        id="every-cap-just-met",  # one below each count; the file fills the room exactly
    ),
    pytest.param(
        Usage(5, NOW - timedelta(seconds=50), 0, 0, 0),
        1,
        RateLimited,
        "at most 5 uploads a minute: try again in 10 s",
        id="rate",  # the oldest leaves the window in 10 s
    ),
    pytest.param(
        Usage(5, NOW + timedelta(seconds=1), 0, 0, 0),
        1,
        RateLimited,
        "try again in 60 s",
        id="rate-clock-read-early",  # never more than the window
    ),
    pytest.param(
        Usage(0, None, 3, 0, 3),
        1,
        TooManyPending,
        "you have 3 submissions waiting to be graded: wait for one to finish",
        id="pending",
    ),
    pytest.param(
        Usage(0, None, 0, (9 << 10) + 1, 0),
        1 << 10,
        QuotaExceeded,
        "this file (1 KiB) does not fit: your submissions take 9 KiB of the 10 KiB",
        id="stored",  # one byte too many
    ),
    pytest.param(Usage(0, None, 0, 0, 100), 1, QueueFull, "queue is full", id="queue"),
]


@pytest.mark.parametrize(("usage", "size", "refusal", "words"), DECISIONS)
def test_the_decision_names_the_cap_and_the_numbers(
    usage: Usage, size: int, refusal: type[UploadRefused] | None, words: str
) -> None:
    if refusal is None:
        admit(usage, LIMITS, size, NOW)
        return
    with pytest.raises(refusal, match=re.escape(words)) as info:
        admit(usage, LIMITS, size, NOW)
    assert (info.value.retry_after_s is None) == (refusal is QuotaExceeded)


def test_one_pending_submission_is_singular() -> None:
    with pytest.raises(TooManyPending, match="you have 1 submission waiting"):
        admit(Usage(0, None, 1, 0, 1), UploadLimits(5, 1, 1 << 20, 100), 1, NOW)


ROOMY = {
    "workers": 0,
    "rate_limit_per_minute": 1000,
    "max_pending_per_student": 1000,
    "max_stored_kb_per_student": 1 << 20,
}
CAPS = [
    # (id, the cap's setting, how many of 40 simultaneous 1 KiB uploads fit, status, words)
    pytest.param({"rate_limit_per_minute": 5}, 5, 429, "at most 5 uploads a minute", id="rate"),
    pytest.param(
        {"max_pending_per_student": 4},
        4,
        429,
        "you have 4 submissions waiting to be graded: wait for one to finish",
        id="pending",
    ),
    pytest.param(
        {"max_stored_kb_per_student": 6},
        6,
        413,
        "your submissions take 6 KiB of the 6 KiB each student may store",
        id="stored",
    ),
]
UPLOADS = 40


def kib_file(n: int) -> bytes:
    """A distinct valid .py file of exactly 1 KiB."""
    head = f"x = {n}\n"
    return (head + "#" * (1023 - len(head)) + "\n").encode()


def send(client: TestClient, token: str, n: int) -> httpx.Response:
    files = {"file": (f"s{n}.py", kib_file(n))}
    return client.post("/api/submissions", files=files, headers=auth(token))


async def burst(app: FastAPI, token: str, count: int) -> tuple[list[httpx.Response], list[Any]]:
    """``count`` uploads sent at once through the app's ASGI interface, its lifespan running;
    the answers, and then the student's list of submissions."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://grader.test") as client,
    ):
        answers = await asyncio.gather(
            *(
                client.post(
                    "/api/submissions",
                    files={"file": (f"s{n}.py", kib_file(n))},
                    headers=auth(token),
                )
                for n in range(count)
            )
        )
        listed = await client.get("/api/submissions", headers=auth(token))
        return answers, listed.json()


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    yield from database_overrides(request.param)


@pytest.mark.parametrize(("cap", "fits", "status", "words"), CAPS)
def test_simultaneous_uploads_with_one_token_stop_exactly_at_each_cap(
    tmp_path: Path,
    untrusted: UntrustedGrading,
    database: dict[str, Any],
    cap: dict[str, int],
    fits: int,
    status: int,
    words: str,
) -> None:
    settings, web = web_settings(tmp_path, **(untrusted.settings | ROOMY | cap | database))
    app = create_app(settings, web, backend=untrusted.backend())
    token = app.state.service.store.add_student("alice")
    answers, listed = asyncio.run(burst(app, token, UPLOADS))
    codes = [r.status_code for r in answers]
    assert codes.count(202) == fits, codes
    assert codes.count(status) == UPLOADS - fits, codes
    for refused in (r for r in answers if r.status_code != 202):
        assert words in refused.json()["detail"]
        if status == 429:
            assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert sorted(s["id"] for s in listed) == sorted(
        r.json()["id"] for r in answers if r.is_success
    )
    saved = [p for p in app.state.service.uploads.root.rglob("*") if p.is_file()]
    assert len(saved) == fits  # a refused upload is not kept


def test_a_refused_upload_is_not_saved_and_a_finished_one_frees_a_place(
    tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    overrides = ROOMY | {"max_pending_per_student": 1, "max_stored_kb_per_student": 2}
    for client in make_client(tmp_path, untrusted, **overrides):
        t = tokens(client, "alice", "bob")
        store, uploads = service(client.app).store, service(client.app).uploads

        assert send(client, t["alice"], 1).status_code == 202
        res = send(client, t["alice"], 2)
        assert res.status_code == 429 and res.headers["retry-after"]
        assert res.json()["detail"] == (
            "you have 1 submission waiting to be graded: wait for one to finish"
        )
        assert send(client, t["bob"], 2).status_code == 202  # bob's own place
        job = store.claim_next()
        assert job is not None and store.finish(job.id, error="done with")
        assert send(client, t["alice"], 3).status_code == 202
        job = store.claim_next()
        assert job is not None and store.finish(job.id, error="done with")
        job = store.claim_next()
        assert job is not None and store.finish(job.id, error="done with")
        res = send(client, t["alice"], 4)  # 2 KiB stored: a third does not fit
        assert res.status_code == 413 and "2 KiB of the 2 KiB" in res.json()["detail"]
        assert not uploads.path(hashlib.sha256(kib_file(4)).hexdigest()).exists()
