"""The JSON API: upload, status, lists, the gradebook and regrading. A thin shell over the
store: blocking calls run in the thread pool, never on the event loop."""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime
from pathlib import PurePath
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from grader.report import GradeReport
from grader.web.auth import Caller, caller, instructor, student
from grader.web.gradebook import gradebook_csv
from grader.web.limits import QueueFull, QuotaExceeded, UploadLimits, UploadRefused
from grader.web.settings import WebSettings
from grader.web.store import SubmissionRecord
from grader.web.upload import BODY_SCHEMA, check_source, read_upload

router = APIRouter()
#: Ids are 64-bit integers in every database; a larger one is a 422, not a server error.
SQL_INT_MAX = 2**63 - 1
Status = Literal["queued", "running", "done", "error"]


class Accepted(BaseModel):
    id: int
    status: Literal["queued"] = "queued"


class SubmissionOut(BaseModel):
    id: int
    student: str
    filename: str
    sha256: str
    status: Status
    submitted_at: datetime
    score: float | None = None
    max_score: float | None = None
    report: GradeReport | None = None
    error: str | None = Field(None, description="why grading itself failed (status error)")

    @classmethod
    def of(
        cls, sub: SubmissionRecord, *, with_report: bool = True, details: bool = True
    ) -> SubmissionOut:
        """``details``: each case's error sizes and the captured output; without, a report on
        the hidden cases keeps its verdicts and messages only (see :func:`without_details`)."""
        report = GradeReport.model_validate(sub.report) if sub.report and with_report else None
        if report is not None and not details:
            report = without_details(report)
        return cls(
            id=sub.id,
            student=sub.student,
            filename=sub.filename,
            sha256=sub.sha256,
            status=sub.status,
            submitted_at=sub.submitted_at,
            score=sub.score,
            max_score=sub.max_score,
            report=report,
            error=sub.error,
        )


def without_details(report: GradeReport) -> GradeReport:
    """What a student sees of a report on the hidden cases: each case's verdict and wrong
    steps, not its error sizes or where the worst element is, and not what the code printed
    (from those, answers to the hidden cases can be rebuilt upload by upload)."""
    if report.case_set != "hidden":
        return report
    hidden = {"max_abs_error", "max_rel_error", "worst_index", "tolerance_ratio"}
    parts = [
        p.model_copy(
            update={"cases": [c.model_copy(update=dict.fromkeys(hidden)) for c in p.cases]}
        )
        for p in report.parts
    ]
    return report.model_copy(update={"parts": parts, "output_excerpt": ""})


class RegradeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student: str | None = Field(None, description="regrade only this student's submissions")


class Regraded(BaseModel):
    requeued: int


def _service(request: Request) -> Any:
    return request.app.state.service


def upload_limits(web: WebSettings) -> UploadLimits:
    return UploadLimits(
        per_minute=web.rate_limit_per_minute,
        pending_per_student=web.max_pending_per_student,
        stored_bytes_per_student=web.max_stored_kb_per_student << 10,
        queue_max=web.queue_max,
    )


def refused(exc: UploadRefused) -> HTTPException:
    """The answer to a refused upload: 413 past the storage cap, 503 when the whole queue is
    full, 429 for the student's own rate or pending caps."""
    status = 413 if isinstance(exc, QuotaExceeded) else 503 if isinstance(exc, QueueFull) else 429
    headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
    return HTTPException(status, str(exc), headers=headers)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid token"},
    403: {"description": "not allowed with this token"},
}


@router.post(
    "/api/submissions",
    status_code=202,
    response_model=Accepted,
    openapi_extra=BODY_SCHEMA,
    responses={
        **ERRORS,
        400: {"description": "malformed multipart body"},
        413: {"description": "file too large, or your stored submissions would pass the cap"},
        415: {"description": "not a .py or .ipynb file"},
        422: {"description": "empty, not UTF-8, a broken notebook, or a bad file name"},
        429: {"description": "too many uploads, or too many waiting: see Retry-After"},
        503: {"description": "queue full or database busy: see Retry-After"},
    },
)
async def submit(request: Request, who: Annotated[Caller, Depends(student)]) -> Accepted:
    """Upload a submission (multipart field ``file``). It is stored before the 202 answer and
    graded later on the hidden cases: poll ``GET /api/submissions/{id}``."""
    service = _service(request)
    assert who.student is not None
    limits = upload_limits(service.web)
    try:
        # An early answer, before the body is read; the decision is add_submission's.
        await run_in_threadpool(service.store.admission, who.student, limits)
        filename, data = await read_upload(request, service.settings.max_source_kb << 10)
        await run_in_threadpool(check_source, filename, data)
        sub_id = await run_in_threadpool(
            functools.partial(
                service.store.add_submission,
                who.student,
                filename,
                hashlib.sha256(data).hexdigest(),
                size=len(data),
                limits=limits,
                save=functools.partial(service.uploads.save, data),
            )
        )
    except UploadRefused as exc:
        raise refused(exc) from None
    service.pool.wake()
    return Accepted(id=sub_id)


@router.get(
    "/api/submissions/{sub_id}",
    response_model=SubmissionOut,
    responses={**ERRORS, 404: {"description": "no such submission of yours"}},
)
async def get_submission(
    sub_id: Annotated[int, Path(ge=1, le=SQL_INT_MAX, description="the submission's id")],
    request: Request,
    who: Annotated[Caller, Depends(caller)],
) -> SubmissionOut:
    """One submission with its status and, once graded, its report."""
    sub = await run_in_threadpool(_service(request).store.get, sub_id)
    if sub is None or (not who.is_instructor and sub.student != who.student):
        raise HTTPException(404, f"no submission {sub_id} of yours")
    return SubmissionOut.of(sub, details=_details(request, who))


@router.get("/api/submissions", response_model=list[SubmissionOut], responses=ERRORS)
async def list_submissions(
    request: Request,
    who: Annotated[Caller, Depends(caller)],
    student: str | None = None,
    report: bool = False,
) -> list[SubmissionOut]:
    """Your submissions, oldest first (the instructor: everyone's, or ``?student=``'s), with
    status and score; each one's full report with ``?report=true`` (or from its own URL)."""
    only = student if who.is_instructor else who.student
    subs = await run_in_threadpool(
        functools.partial(_service(request).store.list, only, with_reports=report)
    )
    details = _details(request, who)
    return [SubmissionOut.of(s, with_report=report, details=details) for s in subs]


#: The media type of a downloaded submission, by its suffix (uploads are only these two).
MEDIA_TYPES = {".py": "text/x-python", ".ipynb": "application/x-ipynb+json"}


def attachment(filename: str) -> str:
    """A Content-Disposition for an untrusted file name (RFC 6266): an ASCII fallback in which
    quotes, backslashes and anything unprintable are "_", and the exact name percent-encoded
    in ``filename*``, so that no name can end the header or add one."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get(
    "/api/submissions/{sub_id}/file",
    response_class=Response,
    responses={
        **ERRORS,
        200: {
            "content": {t: {} for t in MEDIA_TYPES.values()},
            "description": "the bytes uploaded",
        },
        404: {"description": "no such submission"},
    },
)
async def submission_file(
    sub_id: Annotated[int, Path(ge=1, le=SQL_INT_MAX, description="the submission's id")],
    request: Request,
    _: Annotated[Caller, Depends(instructor)],
) -> Response:
    """Instructor: the exact file a submission uploaded, as an attachment under its name."""
    service = _service(request)
    sub = await run_in_threadpool(service.store.get, sub_id)
    if sub is None:
        raise HTTPException(404, f"no submission {sub_id}")
    try:
        data = await run_in_threadpool(service.uploads.load, sub.sha256)
    except FileNotFoundError:
        raise HTTPException(
            410,
            f"the file of submission {sub_id} is gone from the uploads folder: restore it "
            "from a backup (deploy/backup.sh)",
        ) from None
    suffix = PurePath(sub.filename).suffix.lower()
    return Response(
        data,
        media_type=MEDIA_TYPES.get(suffix, "application/octet-stream"),
        headers={"Content-Disposition": attachment(sub.filename)},
    )


def _details(request: Request, who: Caller) -> bool:
    return bool(who.is_instructor or _service(request).web.show_hidden_details)


@router.get(
    "/api/gradebook.csv",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"text/csv": {}}, "description": "one row per student"}},
)
async def gradebook(request: Request, _: Annotated[Caller, Depends(instructor)]) -> Response:
    """One row per student: best and latest score, and the latest's points per part."""
    service = _service(request)
    students = await run_in_threadpool(service.store.students)
    subs = await run_in_threadpool(service.store.list, None)
    text = gradebook_csv(students, subs, service.parts)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="gradebook.csv"'},
    )


@router.post(
    "/api/regrade",
    response_model=Regraded,
    responses={**ERRORS, 404: {"description": "no such student"}},
)
async def regrade(
    request: Request,
    _: Annotated[Caller, Depends(instructor)],
    body: Annotated[RegradeRequest | None, Body()] = None,
) -> Regraded:
    """Queue every finished submission again (or one student's) to be graded anew."""
    service = _service(request)
    only = body.student if body else None
    if only is not None and only not in await run_in_threadpool(service.store.students):
        raise HTTPException(404, f"no student {only!r} in the roster")
    count = await run_in_threadpool(service.store.requeue_finished, only)
    for _i in range(service.web.workers):
        service.pool.wake()
    return Regraded(requeued=count)


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    """Liveness and the queue's length."""
    pending = await run_in_threadpool(_service(request).store.pending_count)
    return {"status": "ok", "pending": pending}
