"""Reading a submission file: what it is, its hash, its code, and where each line came from.

A ``.py`` file is its own code. A ``.ipynb`` notebook's code is its code cells joined (see
:mod:`grader.notebook`); ``Source.where`` turns a line of that code back into "cell 4, line 2".

Decoding a student's bytes raises nothing but :class:`SubmissionFileError`, whatever the bytes
(a notebook nested 100,000 deep included). :func:`read_regular_file` reads a file from a
folder written by students: never through a symbolic link, only a regular file, never more
than the limit.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from grader.errors import SubmissionFileError
from grader.notebook import notebook_code
from grader.report import Messages

SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Source:
    filename: str
    sha256: str
    code: str
    notes: tuple[str, ...] = ()
    #: For a notebook: (cell, line in cell) of each line of ``code``; None for a .py file.
    line_map: tuple[tuple[int, int], ...] | None = None

    def where(self, line: int | None) -> Messages:
        """Where a line of ``code`` is, as the student sees it: "line 7" or "cell 4, line 2"."""
        if line is None:
            return Messages(en="an unknown line", zh="未知行")
        if self.line_map and line >= 1:
            # Past the end (a syntax error at end of file): count on from the last cell's end.
            cell, in_cell = self.line_map[min(line, len(self.line_map)) - 1]
            in_cell += max(0, line - len(self.line_map))
            return Messages(
                en=f"cell {cell}, line {in_cell}", zh=f"第 {cell} 个单元格第 {in_cell} 行"
            )
        return Messages(en=f"line {line}", zh=f"第 {line} 行")


def read_source(path: Path, max_kb: int = 256) -> Source:
    """Read and decode a submission, or say precisely why it cannot be graded."""
    if not path.exists():
        raise SubmissionFileError(f"{path}: no such file")
    if not path.is_file():
        raise SubmissionFileError(f"{path} is not a file: pass the path of your .py or .ipynb file")
    if path.suffix.lower() not in SUFFIXES:
        raise SubmissionFileError(
            f"{path.name} is not a Python file or notebook: submit a {' or '.join(SUFFIXES)} file"
        )
    size = path.stat().st_size
    if size > max_kb << 10:
        raise _too_big(path.name, size, max_kb << 10)
    data = path.read_bytes()
    return source_from_bytes(path.name, data)


def _too_big(filename: str, size: int, limit: int) -> SubmissionFileError:
    hint = (
        ": clear its outputs (Edit → Clear All Outputs) and save again"
        if filename.lower().endswith(".ipynb")
        else ""
    )
    # Just over the limit is the limit in KiB: say it in bytes then.
    shown = f"{size >> 10} KiB" if size >> 10 > limit >> 10 else f"{size} bytes"
    return SubmissionFileError(f"{filename} is {shown}; the limit is {limit >> 10} KiB{hint}")


_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_TOP_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_DIR_FLAGS = _TOP_FLAGS | os.O_NOFOLLOW


def read_regular_file(path: Path, max_bytes: int, *, inside: Path | None = None) -> bytes:
    """The bytes of the regular file ``path``, or a SubmissionFileError saying why not.

    It is opened without following a symbolic link, and with ``inside`` (the folder it was
    found in) one folder at a time from ``inside``, none of them through a link: a file
    swapped for a link (or a FIFO, which O_NONBLOCK keeps from blocking the open) after it was
    found is refused, not read. At most ``max_bytes`` + 1 bytes are read. A file with other
    hard links is read: it is a regular file, and its links are the folder's own.
    """
    name = path.name
    parts: tuple[str, ...] = (name,)
    if inside is not None:
        try:
            parts = path.relative_to(inside).parts
        except ValueError:
            raise SubmissionFileError(f"{name} is not inside {inside}: not graded") from None
        if not parts or ".." in parts:
            raise SubmissionFileError(f"{name} is not inside {inside}: not graded")
    try:
        # The folder itself is the caller's (the instructor's): it may be a link of theirs.
        folder = os.open(inside if inside is not None else path.parent, _TOP_FLAGS)
    except OSError as exc:
        raise SubmissionFileError(f"{name} cannot be read: {exc.strerror}") from None
    try:
        for part in parts[:-1]:
            try:
                inner = os.open(part, _DIR_FLAGS, dir_fd=folder)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise SubmissionFileError(
                        f"{name}: {part} is a symbolic link or not a folder: not followed"
                    ) from None
                raise SubmissionFileError(f"{name} cannot be read: {exc.strerror}") from None
            os.close(folder)
            folder = inner
        try:
            fd = os.open(parts[-1], _READ_FLAGS, dir_fd=folder)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise SubmissionFileError(
                    f"{name} is a symbolic link: not graded; submit the file itself"
                ) from None
            raise SubmissionFileError(f"{name} cannot be read: {exc.strerror}") from None
    finally:
        os.close(folder)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionFileError(
                f"{name} is not a regular file: not graded; submit the file itself"
            )
        chunks: list[bytes] = []
        got = 0
        while got <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except OSError as exc:
        raise SubmissionFileError(f"{name} cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if got > max_bytes:
        raise _too_big(name, max(got, info.st_size), max_bytes)
    return b"".join(chunks)


def _encodable(text: str) -> str:
    """``text`` with any lone surrogate (a notebook's JSON can hold "\\udc80") written as its
    escape: a report quoting it must be writable as UTF-8. In code, the escape means the same."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def source_from_bytes(filename: str, data: bytes) -> Source:
    """A submission's code from its bytes; a name ending in .ipynb is read as a notebook."""
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
    if filename.lower().endswith(".ipynb"):
        try:
            nb = notebook_code(filename, code)
        except SubmissionFileError:
            raise
        except Exception as exc:  # a student's file must never crash whoever reads it
            why = "nested too deeply" if isinstance(exc, RecursionError) else type(exc).__name__
            raise SubmissionFileError(
                f"{filename} is not a valid notebook: {why}; open it in Jupyter and save it "
                "again, or submit a .py file"
            ) from None
        return Source(
            filename=filename,
            sha256=digest,
            code=_encodable(nb.code),
            notes=tuple(_encodable(note) for note in nb.notes),
            line_map=nb.line_map,
        )
    return Source(filename=filename, sha256=digest, code=code)
