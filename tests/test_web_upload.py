"""Reading an upload, through the real app (TestClient over ASGI) on SQLite and PostgreSQL:
each broken file, body or file name is a 4xx that says what is wrong (never a 500), and leaves
nothing stored; whatever reading a file raises is a 422 that names it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from environment_support import UntrustedGrading
from fastapi import HTTPException
from test_web_support import (
    DATA,
    DATABASES,
    TestClient,
    auth,
    database_overrides,
    make_client,
    service,
    tokens,
)

from grader.web.upload import check_source

DEEP = b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
NOTEBOOK_HEAD = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": '
DEEP_CELLS = NOTEBOOK_HEAD + b"[" * 990 + b"]" * 990 + b"}"
CELLS_NOT_A_LIST = NOTEBOOK_HEAD + b'{"a": 1}}'
HUGE_INTEGER = NOTEBOOK_HEAD + b"[], " + b'"x": ' + b"1" * 5000 + b"}"


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    yield from database_overrides(request.param)


@pytest.fixture
def idle(
    tmp_path: Path, untrusted: UntrustedGrading, database: dict[str, Any]
) -> Iterator[TestClient]:
    """A server that accepts but does not grade (no worker threads)."""
    yield from make_client(tmp_path, untrusted, workers=0, **database)


def nothing_stored(client: TestClient, token: str) -> bool:
    listed = client.get("/api/submissions", headers=auth(token)).json()
    return listed == [] and not [
        p for p in service(client.app).uploads.root.rglob("*") if p.is_file()
    ]


BAD_UPLOADS = [
    # (id, file name, bytes, status, words the message must contain)
    ("too-large", "big.py", b"#" * ((256 << 10) + 1), 413, "256 KiB"),
    ("wrong-extension", "answers.txt", b"x = 1\n", 415, ".py or .ipynb"),
    ("not-utf8", "latin1.py", "x = 'é'\n".encode("latin-1"), 422, "not UTF-8"),
    ("nul-bytes", "bin.py", b"x = 1\x00\n", 422, "NUL"),
    ("corrupt-notebook", "corrupt.ipynb", (DATA / "corrupt.ipynb").read_bytes(), 422, "not JSON"),
    (
        "json-not-notebook",
        "nb.ipynb",
        (DATA / "not_a_notebook.ipynb").read_bytes(),
        422,
        "not a Jupyter notebook",
    ),
    (
        "no-code-cells",
        "nb.ipynb",
        (DATA / "no_code_cells.ipynb").read_bytes(),
        422,
        "no code cells",
    ),
    ("empty-notebook", "empty.ipynb", b"", 422, "empty.ipynb is empty"),
    # Found by the attack round: each was a 500, or accepted though it cannot be graded.
    ("nested-100000-deep", "deep.ipynb", DEEP, 422, "deep.ipynb"),  # a RecursionError
    ("nested-in-a-notebook", "nb.ipynb", DEEP_CELLS, 422, "nb.ipynb"),
    ("json-list", "list.ipynb", b"[1, 2, 3]", 422, "not a Jupyter notebook"),
    ("json-string", "str.ipynb", b'"cells"', 422, "not a Jupyter notebook"),
    ("cells-not-a-list", "nb.ipynb", CELLS_NOT_A_LIST, 422, "not a valid Jupyter notebook"),
    ("huge-integer", "nb.ipynb", HUGE_INTEGER, 422, "nb.ipynb"),
    ("not-utf8-notebook", "nb.ipynb", b'{"cells": "\xff"}', 422, "not UTF-8"),
    ("nul-in-notebook", "nb.ipynb", b'{"nbformat": 4}\x00', 422, "NUL"),
    ("empty-py", "empty.py", b"", 422, "empty.py is empty"),
    ("blank-py", "blank.py", b" \n\t\r\n", 422, "blank.py is empty"),
    ("bom-only", "bom.py", b"\xef\xbb\xbf\n", 422, "bom.py is empty"),
    ("wide-spaces", "wide.py", "\u3000\u00a0\n".encode(), 422, "wide.py is empty"),
]


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [b[1:] for b in BAD_UPLOADS],
    ids=[b[0] for b in BAD_UPLOADS],
)
def test_a_bad_upload_gets_a_precise_4xx_and_changes_nothing(
    idle: TestClient, name: str, data: bytes, status: int, words: str
) -> None:
    alice = tokens(idle, "alice")["alice"]
    res = idle.post("/api/submissions", files={"file": (name, data)}, headers=auth(alice))
    assert res.status_code == status, res.text
    assert words in res.json()["detail"]
    assert nothing_stored(idle, alice)


MALFORMED = [
    # (id, headers, body, status)
    ("not-multipart", {"Content-Type": "application/json"}, b"{}", 415),
    ("broken-multipart", {"Content-Type": "multipart/form-data; boundary=xx"}, b"garbage", 400),
    (
        "no-file-field",
        {"Content-Type": "multipart/form-data; boundary=xx"},
        b'--xx\r\nContent-Disposition: form-data; name="other"\r\n\r\nhi\r\n--xx--\r\n',
        422,
    ),
    (
        "lying-content-length",
        {"Content-Type": "multipart/form-data; boundary=xx", "Content-Length": "10"},
        b"x" * 10,
        400,
    ),
]


@pytest.mark.parametrize(
    ("headers", "body", "status"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_a_malformed_body_is_a_4xx(
    idle: TestClient, headers: dict[str, str], body: bytes, status: int
) -> None:
    alice = tokens(idle, "alice")["alice"]
    res = idle.post("/api/submissions", content=body, headers=auth(alice) | headers)
    assert res.status_code == status, res.text
    assert nothing_stored(idle, alice)


def test_the_size_limit_holds_for_a_streamed_body_without_content_length(idle: TestClient) -> None:
    alice = tokens(idle, "alice")["alice"]
    boundary = b"bnd"
    head = b'--bnd\r\nContent-Disposition: form-data; name="file"; filename="a.py"\r\n\r\n'

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(64):  # 4 MiB, far over the limit
            yield b"#" * (64 << 10)
        yield b"\r\n--" + boundary + b"--\r\n"

    res = idle.post(
        "/api/submissions",
        content=chunks(),
        headers=auth(alice) | {"Content-Type": "multipart/form-data; boundary=bnd"},
    )
    assert res.status_code == 413


def multipart(filename: bytes, data: bytes = b"x = 1\n") -> bytes:
    """A body with one file field, its file name sent byte for byte (no client escapes it)."""
    disposition = b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"'
    return b"--bnd\r\n" + disposition + b"\r\n\r\n" + data + b"\r\n--bnd--\r\n"


NAMES = [
    # (id, file name as sent, status, words of the message; the stored name when accepted)
    ("newline", b"a\nb.py", 422, "control character (U+000A)"),
    ("nul", b"a\x00b.py", 422, "control character (U+0000)"),  # PostgreSQL refuses NUL text
    ("tab", b"a\tb.py", 422, "control character (U+0009)"),
    ("delete", b"a\x7fb.py", 422, "control character (U+007F)"),
    ("right-to-left-override", "a\u202eyp.py".encode(), 422, "control character (U+202E)"),
    ("300-characters", b"a" * 297 + b".py", 422, "300 characters long, the limit is 200"),
    ("carriage-return", b"a\rb.py", 400, "malformed multipart body"),  # ends the header line
    ("only-a-folder", b"C:\\Users\\", 422, "has no name"),
    ("200-characters", b"a" * 197 + b".py", 202, "a" * 197 + ".py"),
    ("windows-path", b"C:\\Users\\me\\..\\hw.py", 202, "hw.py"),
    ("chinese", "作业.py".encode(), 202, "作业.py"),
    ("not-utf8", b"\xff.py", 202, "\xff.py"),  # read as Latin-1: shown, not refused
]


@pytest.mark.parametrize(
    ("filename", "status", "words"), [n[1:] for n in NAMES], ids=[n[0] for n in NAMES]
)
def test_a_file_name_is_kept_as_sent_or_refused_with_the_reason(
    idle: TestClient, filename: bytes, status: int, words: str
) -> None:
    alice = tokens(idle, "alice")["alice"]
    res = idle.post(
        "/api/submissions",
        content=multipart(filename),
        headers=auth(alice) | {"Content-Type": "multipart/form-data; boundary=bnd"},
    )
    assert res.status_code == status, res.text
    if status == 202:
        listed = idle.get("/api/submissions", headers=auth(alice)).json()
        assert [s["filename"] for s in listed] == [words]
        return
    assert words in res.json()["detail"]
    assert nothing_stored(idle, alice)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(RecursionError("maximum recursion depth exceeded"), id="recursion"),
        pytest.param(MemoryError(), id="memory"),
        pytest.param(KeyError("cells"), id="key"),
        pytest.param(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid"), id="unicode"),
    ],
)
def test_whatever_reading_an_upload_raises_is_a_422_that_names_it_and_is_logged(
    error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    def read(filename: str, data: bytes) -> object:
        raise error

    with (
        caplog.at_level(logging.WARNING, logger="grader.web"),
        pytest.raises(HTTPException) as info,
    ):
        check_source("nb.ipynb", b"{}", read=read)
    assert info.value.status_code == 422
    assert "nb.ipynb" in info.value.detail and type(error).__name__ in info.value.detail
    record = caplog.records[-1]
    assert "nb.ipynb" in record.getMessage() and record.exc_info is not None
    assert record.exc_info[1] is error
