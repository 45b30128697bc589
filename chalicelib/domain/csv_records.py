"""Records of a CSV file as spreadsheets write them, read from raw lines so a reader can stop and resume.

The caller hands in the file's lines as bytes (each ending with b"\\n" but the last), from any byte
offset where a record starts. Each record comes back with the offset just past it, so a checkpoint is a
byte offset plus a row number and reading resumes there without reading what came before.

Rows are numbered as a spreadsheet shows them: the header is row 1, and a record whose quoted field
runs over several lines is one row. Handled: a UTF-8 byte-order mark, CRLF or LF, quoted fields with
commas, quotes and line breaks, and `,`, `;` or tab separators (sniffed from the header).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"
SEPARATORS = (",", ";", "\t")


class FileProblem(Exception):
    """The file cannot be read as CSV at all: the import fails with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Record:
    row: int  # the spreadsheet's row number (header = 1)
    end: int  # byte offset just past this record: where the next one starts
    cells: list[str] | None  # None: the record is not valid CSV (see `problem`)
    text: str
    problem: str = ""

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def sniff_separator(header_line: str) -> str:
    """The separator the header uses most outside quotes (`,` when it has none)."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ","


def records(lines: Iterable[bytes], *, offset: int, row: int, separator: str | None,
            max_record_bytes: int) -> Iterator[Record]:
    """Records from `offset` (where row `row` + 1 starts). With separator None, the first record is the
    header and sets it (see `Record.cells`). A FileProblem stops the file: binary data, text that is
    not UTF-8, a record longer than max_record_bytes, a quote that never closes."""
    pending = b""
    for line in lines:
        if offset == 0 and not pending and line.startswith(BOM):
            offset += len(BOM)
            line = line[len(BOM):]
        pending += line
        if len(pending) > max_record_bytes:
            raise FileProblem(f"row {row + 1} is longer than {max_record_bytes // 1024} KB: "
                              "is this a CSV file?")
        if pending.count(b'"') % 2 and line.endswith(b"\n"):
            continue  # a quoted field runs on to the next line
        if pending.count(b'"') % 2:
            raise FileProblem(f"row {row + 1} opens a quote that never closes")
        offset += len(pending)
        row += 1
        text = decode(pending, row)
        pending = b""
        if separator is None:
            separator = sniff_separator(text)
        yield parse(text, row, offset, separator)
    if pending:
        raise FileProblem(f"row {row + 1} opens a quote that never closes")


_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control bytes no text file holds


def decode(raw: bytes, row: int) -> str:
    if _BINARY.search(raw):
        raise FileProblem(f"row {row} holds binary data: this is not a CSV text file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FileProblem(f"row {row} is not UTF-8 text: save the file as \"CSV UTF-8\" and upload it "
                          "again") from None


def parse(text: str, row: int, end: int, separator: str) -> Record:
    if not text.strip():
        return Record(row, end, [], text)
    body = text[:-1] if text.endswith("\n") else text
    body = body[:-1] if body.endswith("\r") else body
    try:
        parsed = list(csv.reader(io.StringIO(body, newline=""), delimiter=separator, strict=True))
    except csv.Error as exc:
        return Record(row, end, None, text, f"is not valid CSV ({exc})")
    if len(parsed) != 1:
        return Record(row, end, None, text, "is not valid CSV")
    return Record(row, end, parsed[0], text)
