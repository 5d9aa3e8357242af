"""CSV text the grader writes, safe to open in a spreadsheet: every CSV output goes through here.

OWASP's CSV injection rule: a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is a formula to Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)``, DDE), so a
text cell starting with one gets a single quote in front, which the spreadsheet shows as text.
The csv module still quotes commas, quotes and line breaks. Lines end in ``\r\n`` (RFC 4180):
Python 3.11's csv quotes a cell holding a lone carriage return only when ``\r`` is part of the
line terminator, and an unquoted one splits the row for every reader.

The rule applies to text, i.e. anything that is not a number: student ids, file names, roster
fields, messages, headers. Integer and real cells (``int``, ``float``, numpy's) are numbers
the grader computed itself and are written as numbers (``-0.5`` stays ``-0.5``). A number that
arrives as a string is text: convert it first if it is meant as a number.
"""

from __future__ import annotations

import csv
import io
import numbers
from collections.abc import Iterable

#: The leading characters that make a spreadsheet evaluate a cell (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object, *, float_format: str = "") -> str:
    """One cell's text: ``None`` empty, numbers formatted (floats with ``float_format``, as in
    ``format(x, "g")``; the default is ``str``), anything else as text, neutralised."""
    if value is None:
        return ""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real):  # float, numpy's floats
        return format(float(value), float_format)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    """:func:`csv.writer` over a text buffer, every cell through :func:`safe_cell`; ``\\r\\n``
    line ends. ``getvalue()`` is the CSV text, for :func:`grader.batch.files.write_atomic` or
    a response body."""

    def __init__(self, *, float_format: str = "") -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\r\n")
        self._float_format = float_format

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(c, float_format=self._float_format) for c in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)

    def getvalue(self) -> str:
        return self._buf.getvalue()
