"""Reading an upload: a multipart body with one ``file`` field, checked while it streams in,
then read as a submission; anything wrong with it is a 4xx that says what.

The size limit holds against the bytes actually received, not the Content-Length header: the
body is read in chunks and abandoned (413) as soon as it passes the limit plus the multipart
framing's allowance.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import AsyncGenerator, Callable
from pathlib import PurePosixPath, PureWindowsPath

from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from grader.errors import SubmissionFileError
from grader.source import SUFFIXES, source_from_bytes

log = logging.getLogger("grader.web")

#: Headers and boundaries around the file's bytes; more than this is not a single small file.
FRAMING_ALLOWANCE = 16 << 10
#: The longest file name kept (the database column holds 255).
MAX_NAME = 200
#: Characters that reorder how the text around them is shown: a name with one is not shown
#: to the instructor as it is.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

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
        if not name.lower().endswith(SUFFIXES):
            raise HTTPException(
                415, f"{name} is not a Python file or notebook: submit a .py or .ipynb file"
            )
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise too_large(limit)
        if not data.decode("utf-8-sig", "replace").strip():  # a BOM or U+3000 alone too
            raise HTTPException(422, f"{name} is empty: save your work in it, then upload it again")
        return name, data
    finally:
        await form.close()


def check_source(
    filename: str, data: bytes, read: Callable[[str, bytes], object] = source_from_bytes
) -> None:
    """That the upload reads as a submission (``read`` it, without running it), or a 422
    saying why not.

    Whatever reading a hostile file raises is the file's fault, never a 500: a
    SubmissionFileError says why in its message; anything else (a RecursionError from JSON
    nested 100,000 deep, say) is logged and named."""
    try:
        read(filename, data)
    except SubmissionFileError as exc:
        raise HTTPException(422, str(exc)) from None
    except Exception as exc:
        log.warning("cannot read the upload %r (%d bytes)", filename, len(data), exc_info=True)
        raise HTTPException(
            422,
            f"{filename} cannot be read as a Python file or Jupyter notebook "
            f"({type(exc).__name__}): save it again from your editor or Jupyter, "
            "or submit a .py file",
        ) from None


def _base_name(filename: str) -> str:
    """The name to keep, or a 422 saying what is wrong with it."""
    # Browsers on Windows may send a full path; keep only the last component.
    name = PureWindowsPath(PurePosixPath(filename).name).name.strip()
    if not name:
        raise HTTPException(422, "the uploaded file has no name: send it with its file name")
    bad = next((c for c in name if _unshowable(c)), None)
    if bad is not None:
        raise HTTPException(
            422,
            f"the file name {name[:MAX_NAME]!r} has a control character (U+{ord(bad):04X}): "
            "rename the file and upload it again",
        )
    if len(name) > MAX_NAME:
        raise HTTPException(
            422,
            f"the file name is {len(name)} characters long, the limit is {MAX_NAME}: "
            "rename the file and upload it again",
        )
    return name


def _unshowable(char: str) -> bool:
    # Controls (newline, NUL, DEL, ...), line and paragraph separators, lone surrogates.
    return unicodedata.category(char) in {"Cc", "Zl", "Zp", "Cs"} or char in _BIDI_CONTROLS
