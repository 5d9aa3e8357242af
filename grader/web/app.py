"""``create_app(settings) -> FastAPI``: the service's one object, built from settings.

Everything that can be wrong with the set-up (no secret, no hardened sandbox, a bad database
URL) fails here, before the server listens, with a message that says how to fix it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from grader.assignment import HOMEWORK_FILES, Assignment
from grader.core import Grader
from grader.errors import AssignmentError
from grader.runner.backend import SandboxBackend
from grader.settings import Settings, get_settings
from grader.version import __version__
from grader.web.auth import instructor_token
from grader.web.db import make_engine
from grader.web.settings import WebSettings, get_web_settings
from grader.web.store import Store, StoreBusyError
from grader.web.uploads import Uploads
from grader.web.workers import WorkerPool

log = logging.getLogger("grader.web")


@dataclass
class Service:
    """What the routes use, kept on ``app.state.service``."""

    settings: Settings
    web: WebSettings
    store: Store
    uploads: Uploads
    pool: WorkerPool
    instructor_hash: str
    parts: list[str]
    homework: dict[str, str]  # per language, empty when the assignment ships none


def create_app(
    settings: Settings | None = None,
    web: WebSettings | None = None,
    *,
    backend: SandboxBackend | None = None,
) -> FastAPI:
    """The web service. ``backend`` defaults to the probed best one; plain needs
    ``allow_unconfined``. Grading threads start with the app's lifespan."""
    from grader.web import api, pages

    settings = settings or get_settings()
    web = web or get_web_settings()
    grader = Grader(settings, case_set="hidden", untrusted=True, warm=True, backend=backend)
    for note in grader.notes:
        log.warning("%s", note)
    try:
        assignment = grader.assignment
        web.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(web.resolved_database_url, busy_timeout_s=web.db_busy_timeout_s)
        store = Store(engine)
        uploads = Uploads(web.data_dir / "uploads")
        token = instructor_token(web)
        pool = WorkerPool(store, uploads, grader, web.workers)
        service = Service(
            settings=settings,
            web=web,
            store=store,
            uploads=uploads,
            pool=pool,
            instructor_hash=hashlib.sha256(token.encode()).hexdigest(),
            parts=[p.name for p in assignment.parts],
            homework=_homework(assignment),
        )
    except BaseException:
        grader.close()  # its warm pool: nothing else will stop it
        raise

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pool.start()
        try:
            yield
        finally:
            pool.stop()
            grader.close()
            engine.dispose()

    app = FastAPI(
        title="bptt-grader",
        version=__version__,
        description="Upload a BPTT homework submission; it is graded on the hidden cases.",
        lifespan=lifespan,
    )
    app.state.service = service
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(StoreBusyError)
    async def _busy(_request: Request, exc: StoreBusyError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "2"})

    return app


def _homework(assignment: Assignment) -> dict[str, str]:
    try:
        return {lang: assignment.homework_text(lang) for lang in HOMEWORK_FILES}
    except AssignmentError:
        return {}
