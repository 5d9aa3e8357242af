"""Reading a submission file: what it is, its hash, its code, and where each line came from.

A ``.py`` file is its own code. A ``.ipynb`` notebook's code is its code cells joined (see
:mod:`grader.notebook`); ``Source.where`` turns a line of that code back into "cell 4, line 2".
"""

from __future__ import annotations

import hashlib
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
        hint = (
            ": clear its outputs (Edit → Clear All Outputs) and save again"
            if path.suffix.lower() == ".ipynb"
            else ""
        )
        raise SubmissionFileError(
            f"{path.name} is {size >> 10} KiB; the limit is {max_kb} KiB{hint}"
        )
    data = path.read_bytes()
    return source_from_bytes(path.name, data)


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
        nb = notebook_code(filename, code)
        return Source(
            filename=filename,
            sha256=digest,
            code=nb.code,
            notes=nb.notes,
            line_map=nb.line_map,
        )
    return Source(filename=filename, sha256=digest, code=code)
