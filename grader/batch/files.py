"""Output files of batch grading: atomic writes and file names made from student ids."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DOTS = re.compile(r"\.{2,}")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so that ``path`` is either its old content or the new one, never half:
    a temporary file in the same folder, flushed to disk, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def slugs_for(students: Iterable[str]) -> dict[str, str]:
    """A safe, unique file name stem for each student id (ids are untrusted input)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for student in students:
        base = _DOTS.sub("_", _UNSAFE.sub("_", student)).strip("._-")[:80] or "student"
        slug, n = base, 2
        while slug.lower() in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug.lower())
        out[student] = slug
    return out
