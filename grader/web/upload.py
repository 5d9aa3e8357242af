"""Reading an upload: a multipart body with one ``file`` field, checked while it streams in.

The size limit holds against the bytes actually received, not the Content-Length header: the
body is read in chunks and abandoned (413) as soon as it passes the limit plus the multipart
framing's allowance.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import PurePosixPath, PureWindowsPath

from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from grader.source import SUFFIXES

#: Headers and boundaries around the file's bytes; more than this is not a single small file.
FRAMING_ALLOWANCE = 16 << 10

BODY_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "your submission, a .py or .ipynb file",
                        }
                    },
                }
            }
        },
    }
}


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the file is larger than the limit of {limit >> 10} KiB")


async def read_upload(request: Request, limit: int) -> tuple[str, bytes]:
    """(file name, bytes) of the ``file`` field, or the precise 4xx for what is wrong."""
    ctype = request.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise HTTPException(415, "send the file as multipart/form-data in a field named 'file'")
    cap = limit + FRAMING_ALLOWANCE
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise too_large(limit)

    async def body() -> AsyncGenerator[bytes, None]:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > cap:
                raise too_large(limit)
            yield chunk

    parser = MultiPartParser(
        request.headers, body(), max_files=1, max_fields=8, max_part_size=FRAMING_ALLOWANCE
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(400, f"malformed multipart body: {exc.message}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(422, "the form has no file in a field named 'file'")
        name = _base_name(upload.filename or "")
        if not name:
            raise HTTPException(422, "the uploaded file has no name: send it with its file name")
        if not name.lower().endswith(SUFFIXES):
            raise HTTPException(
                415, f"{name} is not a Python file or notebook: submit a .py or .ipynb file"
            )
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise too_large(limit)
        return name, data
    finally:
        await form.close()


def _base_name(filename: str) -> str:
    # Browsers on Windows may send a full path; keep only the last component.
    name = PureWindowsPath(PurePosixPath(filename).name).name.strip()
    return name[:200]
