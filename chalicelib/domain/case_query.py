"""A broker's search over their cases (the console's Cases list): filters, order and page, as plain values."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

SORTS = ("due_date", "balance", "customer", "updated_at")
ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class CaseQuery:
    status: str | None = None
    stage: str | None = None
    tier: str | None = None
    currency: str | None = None
    due_from: date | None = None  # due on or after (overdue_max days ago)
    due_to: date | None = None  # due on or before (overdue_min days ago)
    q: str | None = None  # case-folded substring of customer name, email or invoice number
    sort: str = "due_date"
    order: str = "asc"


def case_query(params: dict[str, object], today: date) -> CaseQuery:
    """From validated query parameters; the overdue range in days becomes a range of due dates."""
    low, high = params.get("overdue_min"), params.get("overdue_max")
    q = str(params["q"]).strip().casefold() if params.get("q") else None
    return CaseQuery(
        status=_text(params.get("status")), stage=_text(params.get("stage")), tier=_text(params.get("tier")),
        currency=_text(params.get("currency")),
        due_from=today - timedelta(days=int(str(high))) if high is not None else None,
        due_to=today - timedelta(days=int(str(low))) if low is not None else None,
        q=q or None, sort=str(params.get("sort", "due_date")), order=str(params.get("order", "asc")))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def days_overdue(due_on: date, today: date) -> int:
    return max(0, (today - due_on).days)
