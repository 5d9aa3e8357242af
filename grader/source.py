"""Reading a submission file: what it is, its hash, and its code."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from grader.errors import SubmissionFileError

SUFFIXES = (".py",)


@dataclass(frozen=True)
class Source:
    filename: str
    sha256: str
    code: str
    notes: tuple[str, ...] = ()


def read_source(path: Path, max_kb: int = 256) -> Source:
    """Read and decode a submission, or say precisely why it cannot be graded."""
    if not path.exists():
        raise SubmissionFileError(f"{path}: no such file")
    if not path.is_file():
        raise SubmissionFileError(f"{path} is not a file: pass the path of your .py file")
    if path.suffix.lower() not in SUFFIXES:
        raise SubmissionFileError(
            f"{path.name} is not a Python file: submit a {' or '.join(SUFFIXES)} file"
        )
    size = path.stat().st_size
    if size > max_kb << 10:
        raise SubmissionFileError(f"{path.name} is {size >> 10} KiB; the limit is {max_kb} KiB")
    data = path.read_bytes()
    return source_from_bytes(path.name, data)


def source_from_bytes(filename: str, data: bytes) -> Source:
    digest = hashlib.sha256(data).hexdigest()
    try:
        code = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionFileError(
            f"{filename} is not UTF-8 text (byte {exc.start}): save it as UTF-8 "
            "(most editors: 'Save with encoding')"
        ) from None
    if "\x00" in code:
        raise SubmissionFileError(f"{filename} contains NUL bytes: it is not a text file")
    return Source(filename=filename, sha256=digest, code=code)
