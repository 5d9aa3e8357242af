"""Jupyter notebooks as submissions: the code of a ``.ipynb`` file, and where each line came from.

The code cells are joined in order into one Python source, line for line, so that every line of
the generated code maps back to ``(cell, line in cell)``. **Cell numbers are 1-based positions
among all the notebook's cells, markdown and raw cells included** ("cell 4" is the fourth cell
from the top, as a student counts them while scrolling); execution counts are not used, since
they are stale or missing in a saved notebook.

IPython syntax is not Python, so it is dropped before grading, and a note says what was dropped:

- a cell whose first non-blank line starts with ``%%`` (a cell magic such as ``%%time``) is
  dropped whole: its code does not run when grading;
- a line starting with ``%`` (line magic) or ``!`` (shell escape), an assignment from one
  (``files = !ls``), and a help line (``np.ones?``, ``??np.ones``) is dropped.

A dropped line becomes a blank line, or ``pass`` at the same indentation when it was indented, so
that line numbers stay aligned and an enclosing block stays valid. Detection is line by line, as
in IPython's own line transformers: a line inside a multi-line string that looks like a magic is
blanked too, which changes only that string's text.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass

from grader.errors import SubmissionFileError

#: A line magic, shell escape, or an assignment from one: ``%time f()``, ``!ls``, ``x = !ls``.
_MAGIC_LINE = re.compile(r"\s*(?:[A-Za-z_][\w.]*\s*=\s*)?[%!]")
#: Help on a (dotted) name: ``np.ones?``, ``np.ones??``, ``?np.ones``.
_HELP_LINE = re.compile(r"\s*(?:\?{1,2}[A-Za-z_][\w.]*|[A-Za-z_][\w.]*\?{1,2})\s*")
_SHOWN_ITEMS = 8


@dataclass(frozen=True)
class NotebookCode:
    """A notebook's code, with ``line_map[i]`` = (cell, line in cell) of generated line i + 1."""

    code: str
    line_map: tuple[tuple[int, int], ...]
    notes: tuple[str, ...]


def notebook_code(filename: str, text: str) -> NotebookCode:
    """The Python code of a notebook's code cells, or a SubmissionFileError saying why not."""
    cells = _read_cells(filename, text)
    if not any(kind == "code" for kind, _ in cells):
        raise SubmissionFileError(
            f"{filename} has no code cells: put your functions in code cells of the notebook"
        )
    lines: list[str] = []
    line_map: list[tuple[int, int]] = []
    dropped_lines: list[str] = []
    dropped_cells: list[str] = []
    for number, (kind, source) in enumerate(cells, start=1):
        if kind != "code":
            continue
        cell_lines = _split_lines(source)
        first = next((ln.strip() for ln in cell_lines if ln.strip()), "")
        if first.startswith("%%"):
            dropped_cells.append(f"cell {number} `{_short(first)}`")
            cell_lines = [""] * len(cell_lines)
        else:
            for i, line in enumerate(cell_lines):
                if _MAGIC_LINE.match(line) or _HELP_LINE.fullmatch(line):
                    dropped_lines.append(f"cell {number} line {i + 1} `{_short(line.strip())}`")
                    indent = line[: len(line) - len(line.lstrip())]
                    cell_lines[i] = f"{indent}pass" if indent else ""
        lines.extend(cell_lines)
        line_map.extend((number, i) for i in range(1, len(cell_lines) + 1))
    notes = []
    if dropped_lines:
        notes.append(
            f"dropped {len(dropped_lines)} IPython magic/shell "
            f"line{'s' if len(dropped_lines) > 1 else ''}: {_listing(dropped_lines)}"
        )
    if dropped_cells:
        cells_with, code_of = ("cells", "their") if len(dropped_cells) > 1 else ("cell", "its")
        notes.append(
            f"dropped {len(dropped_cells)} {cells_with} with a `%%` cell magic ({code_of} code "
            f"does not run when grading): {_listing(dropped_cells)}"
        )
    code = "\n".join(lines) + "\n" if lines else ""
    return NotebookCode(code=code, line_map=tuple(line_map), notes=tuple(notes))


def _read_cells(filename: str, text: str) -> list[tuple[str, str]]:
    """(cell type, source) of every cell, after checking that the text is a valid notebook."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise _nested_too_deeply(filename) from None
    except ValueError as exc:
        raise SubmissionFileError(
            f"{filename} is not a Jupyter notebook: it is not JSON ({exc}); save it again from "
            "Jupyter, or submit a .py file"
        ) from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise SubmissionFileError(
            f"{filename} is JSON but not a Jupyter notebook (it has no 'nbformat' field); "
            "submit the .ipynb file saved by Jupyter, or a .py file"
        )
    try:
        import nbformat  # here, not at the top: grading a .py file need not load it (~90 ms)
    except ModuleNotFoundError:
        raise SubmissionFileError(
            f"{filename} is a notebook, and reading notebooks needs the nbformat package, which "
            "is not installed here: pip install nbformat, or submit a .py file"
        ) from None

    # Warnings about the student's file (e.g. cells without ids) are not the grader's to raise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nb = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
            nbformat.validate(nb)
        except RecursionError:
            raise _nested_too_deeply(filename) from None
        except Exception as exc:  # nbformat raises many kinds on malformed input
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise SubmissionFileError(
                f"{filename} is not a valid Jupyter notebook ({detail}); open it in Jupyter "
                "and save it again, or submit a .py file"
            ) from None
    return [(str(cell.cell_type), str(cell.source)) for cell in nb.cells]


def _nested_too_deeply(filename: str) -> SubmissionFileError:
    return SubmissionFileError(
        f"{filename} is not a valid notebook: nested too deeply; open it in Jupyter and save "
        "it again, or submit a .py file"
    )


def _split_lines(source: str) -> list[str]:
    """A cell's lines, split where Python's compiler splits them (not at form feeds)."""
    if not source:
        return []
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN_ITEMS])
    more = len(items) - _SHOWN_ITEMS
    return f"{shown}, and {more} more" if more > 0 else shown
