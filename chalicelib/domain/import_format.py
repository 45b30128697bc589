"""How a row of an accounting export becomes the body of POST /admin/cases.

A mapping names, for each of the portal's fields, the column that holds it (presets for Xero's and
QuickBooks' invoice exports and for the portal's own names; a broker may save their own), how the
file writes amounts (decimal point or comma) and dates, and defaults for fields a file leaves out.
The body is then checked by the same schema and domain rules as the API, so a bad value gets the
same message in an import as in a request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import EXPONENTS

# The portal's own column names, and where each goes in the body of POST /admin/cases.
FIELDS: dict[str, str] = {
    "customer_name": "customer.name", "customer_email": "customer.email", "customer_phone": "customer.phone",
    "locale": "customer.locale", "timezone": "customer.timezone", "tier": "customer.tier",
    "invoice_number": "invoice.number", "amount": "invoice.amount", "currency": "invoice.currency",
    "issued_on": "invoice.issued_on", "due_on": "invoice.due_on", "description": "invoice.description",
}
REQUIRED = ("customer_name", "customer_email", "invoice_number", "amount", "currency", "issued_on", "due_on")
DEFAULTABLE = ("currency", "locale", "timezone", "tier")
DATE_FORMATS = {"YYYY-MM-DD": r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",
                "DD/MM/YYYY": r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})",
                "MM/DD/YYYY": r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})",
                "DD.MM.YYYY": r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"}

# Column names as the exports write them, matched without regard to case, spaces, `*` or `.`.
PRESETS: dict[str, dict[str, Any]] = {
    "portal": {"columns": {f: [f] for f in FIELDS}, "decimal": ".", "date_format": "YYYY-MM-DD"},
    # Xero: Business > Invoices > Export (one row per invoice line; later lines of an invoice are skipped).
    "xero": {"columns": {
        "customer_name": ["ContactName"], "customer_email": ["EmailAddress"], "invoice_number": ["InvoiceNumber"],
        "amount": ["InvoiceAmountDue", "Total"], "currency": ["Currency"], "issued_on": ["InvoiceDate"],
        "due_on": ["DueDate"], "description": ["Reference", "Description"]},
        "decimal": ".", "date_format": "DD/MM/YYYY"},
    # QuickBooks Online: Sales > Invoices > Export (or the Invoice List report).
    "quickbooks": {"columns": {
        "customer_name": ["Customer", "Customer Name"], "customer_email": ["Customer Email", "Email", "Bill Email"],
        "customer_phone": ["Phone"], "invoice_number": ["Invoice No", "No", "Num", "Invoice Number"],
        "amount": ["Open Balance", "Balance", "Amount"], "currency": ["Currency"],
        "issued_on": ["Invoice Date", "Date"], "due_on": ["Due Date"], "description": ["Memo", "Description"]},
        "decimal": ".", "date_format": "MM/DD/YYYY"},
}


def _norm(name: str) -> str:
    return re.sub(r"[\s*._]+", "", name).casefold()


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, list[str]]
    decimal: str = "."
    date_format: str = "YYYY-MM-DD"
    defaults: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        """From a validated mapping (schemas.IMPORT_MAPPING): `columns` values may be one name or several;
        a preset named in `preset` gives the columns not named here."""
        base = PRESETS[data.get("preset", "portal")]
        columns = {**base["columns"], **{k: [v] if isinstance(v, str) else list(v)
                                         for k, v in data.get("columns", {}).items()}}
        return cls(columns, data.get("decimal", base["decimal"]), data.get("date_format", base["date_format"]),
                   dict(data.get("defaults", {})))

    def as_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "decimal": self.decimal, "date_format": self.date_format,
                "defaults": self.defaults}

    def locate(self, header: list[str]) -> dict[str, int]:
        """Column index of each field in this header; a required field with no column and no default
        fails the file before anything is created."""
        index = {}
        positions: dict[str, int] = {}
        for i, name in enumerate(header):
            positions.setdefault(_norm(name), i)
        for name, aliases in self.columns.items():
            found = [positions[_norm(a)] for a in aliases if _norm(a) in positions]
            if found:
                index[name] = found[0]
        missing = [f for f in REQUIRED if f not in index and f not in self.defaults]
        if missing:
            wanted = "; ".join(f"{FIELDS[f]}: {' or '.join(self.columns.get(f, [f]))}" for f in missing)
            raise InvalidInput(f"the header has no column for {wanted}", "header")
        return index


class RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def case_body(cells: list[str], index: dict[str, int], mapping: Mapping,
              check_currency: Any) -> dict[str, Any]:
    """The body of POST /admin/cases for one row (not yet validated: the caller runs the API's schema).

    `check_currency(code)` raises the API's error for an unknown code (the exponent is needed here)."""
    values = dict(mapping.defaults)
    for name, i in index.items():
        cell = cells[i].strip() if i < len(cells) else ""
        if cell:
            values[name] = cell
    body: dict[str, Any] = {"customer": {}, "invoice": {}}
    for name, value in values.items():
        if name not in FIELDS:
            continue
        part, key = FIELDS[name].split(".")
        body[part][key] = value
    invoice = body["invoice"]
    for key in ("issued_on", "due_on"):
        if key in invoice:
            invoice[key] = parse_date(invoice[key], mapping.date_format, f"invoice.{key}")
    if "amount" in invoice and "currency" in invoice:
        check_currency(invoice["currency"])
        invoice["amount"] = minor_units(invoice["amount"], invoice["currency"], mapping.decimal)
    return body


def minor_units(text: str, currency: str, decimal: str) -> int:
    """`1250.00`, `1,250.00` or (decimal comma) `1.250,00` -> 125000 for EUR, exactly (no float).

    More decimals than the currency has is an error, never rounded away."""
    thousands = "," if decimal == "." else "."
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text)
    sign = ""
    if cleaned[:1] in ("+", "-"):
        sign, cleaned = cleaned[0], cleaned[1:]
    if re.fullmatch(rf"\d{{1,3}}(\{thousands}\d{{3}})+(\{decimal}\d*)?", cleaned):
        cleaned = cleaned.replace(thousands, "")
    whole, _, fraction = cleaned.partition(decimal)
    if not re.fullmatch(r"\d+", whole) or not re.fullmatch(r"\d*", fraction):
        point = "a decimal comma" if decimal == "," else "a decimal point"
        raise RowError("invoice.amount", f"must be an amount such as {'1.250,00' if decimal == ',' else '1250.00'} "
                                         f"(this file's mapping uses {point})")
    exponent = EXPONENTS[currency]
    fraction = fraction.rstrip("0")
    if len(fraction) > exponent:
        raise RowError("invoice.amount", f"has more decimals than {currency} has ({exponent})")
    amount = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or "0")
    return -amount if sign == "-" else amount


def parse_date(text: str, date_format: str, field_name: str) -> str:
    """The file's date as YYYY-MM-DD; a text that does not match the format is left as it is, so the
    API's own check reports it."""
    found = re.fullmatch(DATE_FORMATS[date_format], text)
    if not found:
        if date_format != "YYYY-MM-DD":
            raise RowError(field_name, f"must be a date as {date_format}")
        return text
    try:
        return date(int(found["y"]), int(found["m"]), int(found["d"])).isoformat()
    except ValueError:
        raise RowError(field_name, f"must be a date as {date_format}") from None
