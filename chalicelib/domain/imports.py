"""A bulk import as the portal tracks it: where the file stands, what came of each row, when it is over.

An import goes waiting_for_upload -> scanning (the whole file is read once: header, encoding, row limit,
total) -> importing (rows become cases, a chunk at a time) -> finished; any step may end it as failed
with a message. Nothing is created before the scan has passed, so a file that cannot be read is never
half imported. The checkpoint (byte offset, row, counters) moves with each chunk in one conditional
write on `step`, so a chunk run twice, or twice at once, counts once.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from chalicelib.domain.cases import Case, Change, record

STATUSES = ("waiting_for_upload", "scanning", "importing", "finished", "failed")
COUNTERS = ("created", "updated", "skipped", "failed")


@dataclass(frozen=True)
class Failure:
    row: int
    field: str
    column: str | None
    message: str
    cells: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class ImportJob:
    broker_id: str
    import_id: str
    created_at: str
    mapping: dict[str, Any]
    update: bool = False
    filename: str = ""
    status: str = "waiting_for_upload"
    step: int = 0
    size: int = 0  # the uploaded file's bytes
    etag: str = ""  # and its version: every chunk reads that file or none
    data_offset: int = 0  # where the first row after the header starts
    offset: int = 0  # bytes of the file already read
    row: int = 0  # the spreadsheet row read last (header = 1)
    separator: str | None = None
    header: tuple[str, ...] = ()
    index: dict[str, int] = field(default_factory=dict)
    rows_total: int | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    message: str = ""
    finished_at: str | None = None
    announced: bool = False  # ImportService.finished has run (at least once) for this ending
    started_by: dict[str, str] | None = None  # who started it ({"kind", "id", "name"}): named by what it changes

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def over(self) -> bool:
        return self.status in ("finished", "failed")

    def advanced(self, **changes: Any) -> ImportJob:
        """The next checkpoint: `step` moves by one with every stored change."""
        return replace(self, step=self.step + 1, **changes)

    def counted(self, outcomes: dict[str, int], **changes: Any) -> ImportJob:
        counts = {k: self.counts[k] + outcomes.get(k, 0) for k in COUNTERS}
        return self.advanced(counts=counts, **changes)

    def view(self) -> dict[str, Any]:
        return {"import_id": self.import_id, "status": self.status, "filename": self.filename,
                "update": self.update, "created_at": self.created_at, "finished_at": self.finished_at,
                "rows_total": self.rows_total, "rows_done": self.done, **self.counts,
                "message": self.message or None}


CONTACT_FIELDS = ("name", "email", "phone", "locale", "timezone")


def contact_change(case: Case, given: dict[str, Any], at: datetime) -> Change | None:
    """`?update=true`: only how to reach the customer changes (name, email, phone, locale, time zone).
    Amounts, dates, currency and tier stay as the case has them: payments, fees and the ladder rest on
    them. The event names the fields, not their values (the timeline never shows an address)."""
    fresh = {f: given[f] for f in CONTACT_FIELDS if f in given}
    changed = [f for f, value in fresh.items() if getattr(case.customer, f) != value]
    if not changed:
        return None
    return record(case, at, "broker", [("customer_updated", {"fields": changed, "source": "import"})],
                  customer=replace(case.customer, **{f: fresh[f] for f in changed}))
