"""The student page: paste a token once, upload, watch the status, read the report."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
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
