"""The student page (paste a token once, upload, watch the status, read the report) and the
homework text it links to."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates

from grader.version import __version__

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    settings = request.app.state.service.settings
    return templates.TemplateResponse(
        request,
        "index.html",
        {"version": __version__, "max_kb": settings.max_source_kb},
    )


@router.get("/homework", response_class=PlainTextResponse, include_in_schema=False)
async def homework(request: Request, lang: Literal["en", "zh"] = "en") -> PlainTextResponse:
    """The homework as Markdown text (English where it has no translation), no token needed."""
    text = request.app.state.service.homework.get(lang)
    if text is None:
        raise HTTPException(404, "this assignment ships no homework text")
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8")
