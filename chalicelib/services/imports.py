"""Bulk import: an upload slot, then the file processed a chunk at a time, each well inside a Lambda's
timeout however large the file (a number of rows or of seconds, whichever comes first).

Every chunk starts from the checkpoint stored with the job and ends by storing the next one in one
conditional write; the rest of the file is handed on through the queue. A run that dies anywhere is
run again by its trigger (Lambda retries an S3 event; SQS redelivers a message it was not told
succeeded) and starts from the last checkpoint: the rows after it go through again, and each is
idempotent (a case is created with an idempotency key of the import and the row, so a row created
before the crash comes back as that same case and is counted once; a second upload of the same file
finds each invoice number taken and skips it).
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

from chalicelib import schemas, validation
from chalicelib.domain.cases import iso
from chalicelib.domain.csv_records import FileProblem, Record, records, sniff_separator
from chalicelib.domain.csv_safe import to_csv
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.import_format import FIELDS, PRESETS, Mapping, RowError, case_body
from chalicelib.domain.imports import Failure, ImportJob, contact_change
from chalicelib.ports import Broker, BrokerStore, Clock, Queue
from chalicelib.services import acting
from chalicelib.services.cases import CaseService

# (broker id, webhook event type, data, key): a retried announce with the same key is one event
Announce = Callable[[str, str, dict[str, Any], str], object]
log = logging.getLogger(__name__)

FAILURES_PAGE = 100


class ImportStore(Protocol):
    def get(self, broker_id: str, import_id: str) -> ImportJob: ...

    def save(self, job: ImportJob) -> None: ...

    def add_failures(self, broker_id: str, import_id: str, failures: list[Failure]) -> None: ...

    def failures(self, broker_id: str, import_id: str, *, limit: int | None = None,
                 after: int = 0) -> list[Failure]: ...

    def case_for_invoice(self, broker_id: str, number: str) -> str | None: ...

    def put_mapping(self, broker_id: str, name: str, mapping: dict[str, Any], updated_at: str) -> None: ...

    def mapping(self, broker_id: str, name: str) -> dict[str, Any] | None: ...

    def mappings(self, broker_id: str) -> dict[str, dict[str, Any]]: ...


class Files(Protocol):
    def object_key(self, broker_id: str, import_id: str) -> str: ...

    def named(self, key: str) -> tuple[str, str] | None: ...

    def upload_slot(self, key: str, max_bytes: int, expires_in: int) -> dict[str, Any]: ...

    def stat(self, key: str) -> tuple[int, str] | None: ...

    def lines(self, key: str, offset: int, line_limit: int, etag: str) -> Iterator[bytes]: ...


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 100_000
    max_record_bytes: int = 64 * 1024
    chunk_rows: int = 500  # a row costs a few AWS calls: 500 take well under a minute
    chunk_seconds: float = 20.0  # and no chunk runs longer than this, whatever its rows cost
    upload_seconds: int = 15 * 60


class RecentBrokers:
    """The broker's contact details (copied onto each new case) read once per minute, not once per row:
    an import opens thousands of cases for one broker. Everything else goes to the store."""

    def __init__(self, store: BrokerStore, timer: Callable[[], float] = time.monotonic, seconds: float = 60) -> None:
        self._store, self._timer, self._seconds = store, timer, seconds
        self._seen: dict[str, tuple[float, Broker]] = {}

    def get_broker(self, broker_id: str) -> Broker:
        now = self._timer()
        found = self._seen.get(broker_id)
        if found is None or now - found[0] > self._seconds:
            found = (now, self._store.get_broker(broker_id))
            self._seen[broker_id] = found
        return found[1]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def new_import_id() -> str:
    return "imp" + secrets.token_hex(8)


def check_currency(code: str) -> None:
    validation.validate(code, schemas.CURRENCY, "invoice.currency")


class ImportService:
    def __init__(self, jobs: ImportStore, files: Files, cases: CaseService, queue: Callable[[], Queue],
                 clock: Clock, limits: Limits = Limits(), timer: Callable[[], float] = time.monotonic,
                 announce: Announce | None = None) -> None:
        self._tell_webhooks = announce  # the broker's webhooks: import.finished
        self._jobs = jobs
        self._files = files
        self._cases = cases
        self._queue = queue
        self._clock = clock
        self._limits = limits
        self._timer = timer

    # --- the broker's side ---------------------------------------------------------------------------

    def start(self, broker_id: str, mapping_name: str | None, inline: dict[str, Any] | None, update: bool,
              filename: str) -> tuple[ImportJob, dict[str, Any]]:
        """A new import waiting for its file, and the slot to upload it to."""
        mapping = Mapping.from_dict(inline) if inline is not None else self._named(broker_id, mapping_name or "portal")
        by = acting.current()
        job = ImportJob(broker_id, new_import_id(), iso(self._clock()), mapping.as_dict(), update, filename,
                        started_by=by.by if by else None)
        self._jobs.save(job)
        slot = self._files.upload_slot(self._files.object_key(broker_id, job.import_id), self._limits.max_bytes,
                                       self._limits.upload_seconds)
        return job, slot

    def _named(self, broker_id: str, name: str) -> Mapping:
        saved = self._jobs.mapping(broker_id, name)
        if saved is not None:
            return Mapping.from_dict(saved)
        if name in PRESETS:
            return Mapping.from_dict({"preset": name})
        raise InvalidInput(f"no mapping named {name!r}: use one of {', '.join(PRESETS)} or a saved one", "mapping")

    def get(self, broker_id: str, import_id: str, after: int = 0) -> dict[str, Any]:
        job = self._jobs.get(broker_id, import_id)
        failures = self._jobs.failures(broker_id, import_id, limit=FAILURES_PAGE + 1, after=after)
        page = failures[:FAILURES_PAGE]
        return {**job.view(), "failures": [f.as_dict() for f in page],
                "failures_after": page[-1].row if len(failures) > FAILURES_PAGE else None}

    def failed_csv(self, broker_id: str, import_id: str) -> str:
        """The failed rows as the file had them, with an `error` column: fix them and upload this file."""
        job = self._jobs.get(broker_id, import_id)
        rows = [[*f.cells, f"row {f.row}: {f.column or f.field}: {f.message}"]
                for f in self._jobs.failures(broker_id, import_id)]
        return to_csv([*job.header, "error"], rows)

    def save_mapping(self, broker_id: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if name in PRESETS:
            raise InvalidInput(f"{name} is a built-in mapping: choose another name", "name")
        self._jobs.put_mapping(broker_id, name, body, iso(self._clock()))
        return {"name": name, **Mapping.from_dict(body).as_dict()}

    def mappings(self, broker_id: str) -> dict[str, Any]:
        saved = self._jobs.mappings(broker_id)
        return {"presets": {n: Mapping.from_dict({"preset": n}).as_dict() for n in PRESETS},
                "saved": {n: Mapping.from_dict(m).as_dict() for n, m in saved.items()}}

    # --- the processor -------------------------------------------------------------------------------

    def uploaded(self, object_key: str) -> ImportJob | None:
        """An S3 event for `object_key`: the import starts (the scan's first chunk). Cases are created only
        by the queue's function; an event delivered again after the scan just hands the import on again."""
        named = self._files.named(object_key)
        if named is None:
            log.warning("import event for an unknown key", extra={"key": object_key})
            return None
        try:
            job = self._jobs.get(*named)
        except NotFound:
            log.warning("import event for no import", extra={"key": object_key})
            return None
        if job.status == "importing":
            self._hand_on(job)  # the queue's function goes on from the checkpoint
            return job
        return self.step(*named)

    def continued(self, body: str) -> ImportJob:
        message = json.loads(body)
        return self.step(message["broker_id"], message["import_id"])

    def step(self, broker_id: str, import_id: str) -> ImportJob:
        """One chunk from the stored checkpoint; stores the next and hands on the rest."""
        job = self._jobs.get(broker_id, import_id)
        with acting.on_behalf_of(broker_id, job.started_by):  # the cases it opens name who started it
            return self._step(job)

    def _step(self, job: ImportJob) -> ImportJob:
        if job.over:
            if not job.announced:  # the run that ended it died before telling
                self._announce(job)
            return job
        deadline = self._timer() + self._limits.chunk_seconds
        try:
            if job.status == "waiting_for_upload":
                job = self._received(job)
            if job.status == "scanning":
                job = self._scan(job, deadline)
            else:
                job = self._import(job, deadline)
        except FileProblem as exc:
            job = job.advanced(status="failed", message=exc.message, finished_at=iso(self._clock()))
        try:
            self._jobs.save(job)
        except Conflict:
            log.info("import chunk already stored by another run", extra={"import_id": job.import_id})
            return self._jobs.get(job.broker_id, job.import_id)
        if job.over:
            self._announce(job)
        else:
            self._hand_on(job)
        return job

    def _announce(self, job: ImportJob) -> None:
        """`finished` at least once per import: a run that dies before marking it announced leaves the
        message (or S3 event) to be delivered again, and that run calls it again (deduplicate by import_id)."""
        self.finished(job)
        try:
            self._jobs.save(job.advanced(announced=True))
        except Conflict:
            pass  # another run announced it

    def _hand_on(self, job: ImportJob) -> None:
        self._queue().send(json.dumps({"broker_id": job.broker_id, "import_id": job.import_id}))

    def finished(self, job: ImportJob) -> None:
        """Called when an import ends (finished or failed), at least once and almost always once (see
        _announce): the one place to tell others."""
        # `created` is a LogRecord attribute itself: the counters go under names of their own.
        log.info("import over", extra={"import_id": job.import_id, "broker_id": job.broker_id,
                                       "import_status": job.status, **{f"rows_{k}": n for k, n in job.counts.items()}})
        if self._tell_webhooks is not None:
            self._tell_webhooks(job.broker_id, "import.finished", job.view(), job.import_id)

    def _received(self, job: ImportJob) -> ImportJob:
        found = self._files.stat(self._files.object_key(job.broker_id, job.import_id))
        if found is None:
            raise FileProblem("no file was uploaded for this import")
        size, etag = found
        if size > self._limits.max_bytes:
            raise FileProblem(f"the file is {size:,} bytes; the limit is {self._limits.max_bytes:,}")
        return replace(job, status="scanning", size=size, etag=etag)

    def _records(self, job: ImportJob) -> Iterator[Record]:
        if job.offset >= job.size:
            return iter(())
        lines = self._files.lines(self._files.object_key(job.broker_id, job.import_id), job.offset,
                                  self._limits.max_record_bytes + 1, job.etag)
        return records(lines, offset=job.offset, row=job.row, separator=job.separator,
                       max_record_bytes=self._limits.max_record_bytes)

    def _scan(self, job: ImportJob, deadline: float) -> ImportJob:
        """Read the whole file once before creating anything: header, encoding, row limit, total."""
        changes: dict[str, Any] = {}
        total = job.rows_total or 0
        for record in self._records(job):
            if record.row == 1:
                changes.update(self._header(job, record))
            elif not record.blank:
                total += 1
                if total > self._limits.max_rows:
                    raise FileProblem(f"the file has more than {self._limits.max_rows:,} rows (the limit): "
                                      "split it and upload each part")
            changes.update(offset=record.end, row=record.row)
            if self._timer() > deadline:
                return job.advanced(rows_total=total, **changes)
        job = replace(job, **changes)
        if not job.header:
            raise FileProblem("the file is empty")
        if total == 0:
            raise FileProblem("the file has a header but no rows")
        return job.advanced(status="importing", rows_total=total, offset=job.data_offset, row=1)

    def _header(self, job: ImportJob, record: Record) -> dict[str, Any]:
        if not record.cells or not any(c.strip() for c in record.cells):
            raise FileProblem("row 1 must be the header (the column names)")
        try:
            index = Mapping.from_dict(job.mapping).locate(record.cells)
        except InvalidInput as exc:
            raise FileProblem(exc.message) from None
        return {"header": tuple(record.cells), "index": index, "separator": sniff_separator(record.text),
                "data_offset": record.end}

    def _import(self, job: ImportJob, deadline: float) -> ImportJob:
        mapping = Mapping.from_dict(job.mapping)
        outcomes: Counter[str] = Counter()
        failures: list[Failure] = []
        changes: dict[str, Any] = {}
        rows = 0
        for record in self._records(job):
            changes.update(offset=record.end, row=record.row)
            if record.blank:
                continue
            outcome, failure = self._row(job, mapping, record)
            outcomes[outcome] += 1
            failures += [failure] if failure else []
            rows += 1
            if rows >= self._limits.chunk_rows or self._timer() > deadline:
                break
        else:
            changes.update(status="finished", finished_at=iso(self._clock()))
        self._jobs.add_failures(job.broker_id, job.import_id, failures)  # before the checkpoint that counts them
        return job.counted(dict(outcomes), **changes)

    def _row(self, job: ImportJob, mapping: Mapping, record: Record) -> tuple[str, Failure | None]:
        """A row through the same schema and rules as POST /admin/cases: created, updated, skipped, failed."""
        cells = record.cells
        if cells is None:
            return "failed", Failure(record.row, "row", None, record.problem, (record.text,))
        try:
            body = case_body(cells, job.index, mapping, check_currency)
            validation.validate(body, schemas.CREATE_CASE)
            self._cases.create(job.broker_id, body, f"import-{job.import_id}-{record.row}")
        except (RowError, InvalidInput) as exc:
            field = exc.field or "body"
            return "failed", Failure(record.row, field, self._column(job, field), exc.message, tuple(cells))
        except Conflict as exc:
            if exc.field != "invoice.number":
                raise
            return (self._update(job, body) if job.update else "skipped"), None
        return "created", None

    def _update(self, job: ImportJob, body: dict[str, Any]) -> str:
        case_id = self._jobs.case_for_invoice(job.broker_id, body["invoice"]["number"])
        if case_id is None:
            return "skipped"
        done = self._cases.change(job.broker_id, case_id,
                                  lambda case: contact_change(case, body["customer"], self._clock()))
        return "updated" if done.created else "skipped"

    @staticmethod
    def _column(job: ImportJob, field: str) -> str | None:
        """The file's column for an API field (`customer.email` -> `EmailAddress`)."""
        for name, api_field in FIELDS.items():
            if (field == api_field or field.startswith(api_field + ".")) and name in job.index:
                return job.header[job.index[name]]
        return None
