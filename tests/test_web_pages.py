"""The student page and the homework it links to, through a real app (TestClient)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from environment_support import UntrustedGrading
from starlette.exceptions import StarletteDeprecationWarning
from test_web_support import web_settings

from grader.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture
def client(tmp_path: Path, untrusted: UntrustedGrading) -> Iterator[TestClient]:
    settings, web = web_settings(tmp_path, workers=0, **untrusted.settings)
    with TestClient(create_app(settings, web, backend=untrusted.backend())) as client:
        yield client


def test_the_page_links_the_homework(client: TestClient) -> None:
    page = client.get("/").text
    link = re.search(r'<a id="homework-link" href="([^"]+)"', page)
    assert link is not None and link.group(1) == "homework"
    assert "homework?lang=" in page  # the language switch points it at the right text


@pytest.mark.parametrize(
    ("query", "doc"),
    [
        pytest.param("", "homework.md", id="english"),
        pytest.param("?lang=zh", "homework.zh.md", id="chinese"),
    ],
)
def test_the_homework_is_served_as_text_without_a_token(
    client: TestClient, query: str, doc: str
) -> None:
    response = client.get(f"/homework{query}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == (DOCS / doc).read_text(encoding="utf-8")


def test_an_unknown_language_is_a_422(client: TestClient) -> None:
    assert client.get("/homework?lang=fr").status_code == 422
