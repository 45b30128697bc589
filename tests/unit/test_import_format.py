"""The pure parts of an import: amounts in major units to minor units, records read from any byte
offset as spreadsheets number them, and CSV written back out with formulas neutralised."""
from __future__ import annotations

import csv
import io

import pytest

from chalicelib.domain.csv_records import FileProblem, records, sniff_separator
from chalicelib.domain.csv_safe import neutralise, to_csv
from chalicelib.domain.import_format import Mapping, RowError, minor_units


@pytest.mark.parametrize(("text", "currency", "decimal", "minor"), [
    ("1250.00", "EUR", ".", 125000), ("1,250.00", "EUR", ".", 125000), ("1.250,00", "EUR", ",", 125000),
    ("1 250,5", "EUR", ",", 125050), ("0.1", "USD", ".", 10), ("5000", "JPY", ".", 5000),
    ("1.234", "KWD", ".", 1234), ("12.300", "EUR", ".", 1230), ("-5.00", "EUR", ".", -500),
    ("99999999999.99", "USD", ".", 9999999999999), ("1'000.00", "CHF", ".", 100000),
    ("0.30000000000000004", "EUR", ".", None), ("12.345", "EUR", ".", None), ("1.5", "JPY", ".", None),
    ("1,250.00", "EUR", ",", None), ("12e3", "EUR", ".", None), ("", "EUR", ".", None), ("€12", "EUR", ".", None),
])
def test_amounts_become_minor_units_exactly_or_a_row_error(text, currency, decimal, minor):
    if minor is None:
        with pytest.raises(RowError) as refused:
            minor_units(text, currency, decimal)
        assert refused.value.field == "invoice.amount"
    else:
        assert minor_units(text, currency, decimal) == minor


def lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def read(data: bytes, offset: int = 0, row: int = 0, separator: str | None = None) -> list[tuple[int, list[str]]]:
    return [(r.row, r.cells or []) for r in records(lines(data[offset:]), offset=offset, row=row,
                                                   separator=separator, max_record_bytes=1000)]


def test_records_are_numbered_as_a_spreadsheet_shows_them_and_resume_from_any_record():
    data = ('\ufeffa;b\r\n"x\r\ny";"1,5"\r\n\r\nlast;"say ""hi"""\r\n').encode()
    assert read(data) == [(1, ["a", "b"]), (2, ["x\r\ny", "1,5"]), (3, []), (4, ["last", 'say "hi"'])]
    ends = [r.end for r in records(lines(data), offset=0, row=0, separator=None, max_record_bytes=1000)]
    # From the offset after record 2, with the row counter saved beside it: the same rows after it.
    assert read(data, offset=ends[1], row=2, separator=";") == [(3, []), (4, ["last", 'say "hi"'])]


@pytest.mark.parametrize(("data", "problem"), [
    (b"a,b\n\"open,1\n2,3\n", "row 2 opens a quote that never closes"),
    (b"a,b\nx" + b"y" * 2000 + b"\n", "row 2 is longer than 0 KB"),
    (b"a,b\n\xff\xfe,1\n", "row 2 is not UTF-8 text"),
    (b"a,b\n\x00\x01,1\n", "row 2 holds binary data"),
])
def test_a_file_that_cannot_be_read_stops_with_its_row(data, problem):
    with pytest.raises(FileProblem) as stopped:
        read(data)
    assert problem in stopped.value.message


def test_the_separator_is_the_one_the_header_uses_outside_quotes():
    assert sniff_separator('"a,b";c;d') == ";"
    assert sniff_separator("a\tb\tc") == "\t"
    assert sniff_separator("single") == ","


def test_csv_written_out_neutralises_every_cell_a_spreadsheet_would_run():
    assert [neutralise(c) for c in ("=1+2", "+49 30", "-5", "@SUM(A1)", "\tx", "plain", "")] == [
        "'=1+2", "'+49 30", "'-5", "'@SUM(A1)", "'\tx", "plain", ""]
    text = to_csv(["name", "=evil"], [["=HYPERLINK(\"x\")", "a,b\nc"]])
    assert list(csv.reader(io.StringIO(text))) == [["name", "'=evil"], ["'=HYPERLINK(\"x\")", "a,b\nc"]]


def test_a_mapping_finds_columns_whatever_their_case_and_names_the_missing_ones():
    xero = Mapping.from_dict({"preset": "xero"})
    index = xero.locate(["*ContactName", "EmailAddress", "*InvoiceNumber", "*InvoiceDate", "*DueDate", "Total",
                         "Currency"])
    assert index["amount"] == 5 and index["customer_name"] == 0
    with pytest.raises(Exception, match="invoice.number: InvoiceNumber"):
        xero.locate(["ContactName", "EmailAddress"])
