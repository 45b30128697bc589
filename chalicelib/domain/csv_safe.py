"""CSV the portal writes back out: one function, so every export neutralises formulas the same way.

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` (and, in some, a tab or carriage
return) as a formula: a customer name such as `=HYPERLINK(...)` would run on the broker's machine.
Such cells get a leading apostrophe, which spreadsheets show as text and never evaluate (OWASP's
advice for CSV injection). Imported values are stored exactly as they came; only output changes.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def to_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """The text of a CSV file (CRLF, quoted where needed) with every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(c) for c in row] for row in rows)
    return out.getvalue()
