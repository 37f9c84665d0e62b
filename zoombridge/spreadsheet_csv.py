"""CSV files that people open in a spreadsheet: no text cell can run as a formula.

Excel, LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-` or `@` (and, in
some versions, a tab, a carriage return or the full-width forms of those signs) as a formula, so
a first name like `=HYPERLINK(...)` or an email like `=1+1@x.co` would run on a finance officer's
machine (OWASP, "CSV Injection"). Every `str` cell that starts with one of them gets a leading
apostrophe, which spreadsheets show as text. Numbers (int, Decimal) are written as numbers so
that sums still work; a negative amount is only ever written as a number, never as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def text_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Decimal):
        return value
    return text_cell(str(value))


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """The whole file (CRLF line ends, as spreadsheets and Zoom's import expect), every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()
