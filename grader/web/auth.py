"""Who is calling: ``Authorization: Bearer <token>`` names a student or the instructor.

No valid token is a 401 (with ``WWW-Authenticate: Bearer``); a student on an instructor route
is a 403. Tokens are compared by their sha256, in constant time.
"""

from __future__ import annotations

import hmac
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from grader.web.settings import WebSettings
from grader.web.store import hash_token, new_token

bearer = HTTPBearer(auto_error=False, description="a student's token, or the instructor's")


@dataclass(frozen=True)
class Caller:
    student: str | None  # None: the instructor

    @property
    def is_instructor(self) -> bool:
        return self.student is None


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized("send your token as 'Authorization: Bearer <token>'")
    token = credentials.credentials
    service = request.app.state.service
    if hmac.compare_digest(hash_token(token), service.instructor_hash):
        return Caller(student=None)
    student = await run_in_threadpool(service.store.student_for_token, token)
    if student is None:
        raise unauthorized("this token is not valid (revoked, mistyped, or from another course)")
    return Caller(student=student)


async def instructor(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if not who.is_instructor:
        raise HTTPException(403, "only the instructor may do this")
    return who


async def student(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if who.is_instructor:
        raise HTTPException(403, "submit with a student's token: the instructor has no work")
    return who


def instructor_token(settings: WebSettings) -> str:
    """GRADER_INSTRUCTOR_TOKEN, or the token kept in the token file (generated on first start,
    readable only by its owner, and printed that once)."""
    if settings.instructor_token is not None and settings.instructor_token.get_secret_value():
        return settings.instructor_token.get_secret_value()
    path = settings.resolved_instructor_token_file
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
        path.unlink()
    return _generate_token_file(path)


def _generate_token_file(path: Path) -> str:
    token = new_token()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
        f.flush()
        os.fsync(f.fileno())
    print(
        f"instructor token (kept in {path}, shown this once):\n    {token}",
        file=sys.stderr,
        flush=True,
    )
    return token
