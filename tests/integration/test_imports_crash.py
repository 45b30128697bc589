"""Crash the import functions at every AWS write of an import, before and after it, then let the triggers
retry as AWS does (Lambda retries a failed S3 event; SQS redelivers a message nobody deleted).

A crash is a BaseException raised from a botocore hook: nothing in our code can catch it, as with a
Lambda that dies. Points include the checkpoint writes (between chunks) and the case writes inside a
chunk (mid-chunk). For every point: each invoice has exactly one case, each failed row is reported
once, and the counters are those of a run that never crashed.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from chalicelib import bootstrap
from chalicelib.services import brokers
from portal import infra
from portal.import_trigger import ImportTrigger
from tests.conftest import IMPORTS

WATCHED = {("dynamodb", "PutItem"), ("dynamodb", "TransactWriteItems"), ("dynamodb", "BatchWriteItem"),
           ("sqs", "SendMessage"), ("s3", "PutObject")}
HEADER = "customer_name,customer_email,invoice_number,amount,currency,issued_on,due_on\n"
FILE = (HEADER + "".join(f"C{i},c{i}@example.test,INV-{i},{i}.00,EUR,2026-10-01,2026-10-31\n" for i in range(1, 4))
        + "Bad,not-an-email,INV-4,4.00,EUR,2026-10-01,2026-10-31\n"
        + "C5,c5@example.test,INV-5,5.00,EUR,2026-10-01,2026-10-31\n").encode()
EXPECTED = {"status": "finished", "rows_total": 5, "rows_done": 5, "created": 4, "skipped": 0, "failed": 1,
            "updated": 0}


class Crash(BaseException):
    """The function's process dies: no except clause of ours sees this."""


class Tracer:
    def __init__(self, crash_at: int | None = None, phase: str = "before") -> None:
        self.calls: list[tuple[str, str]] = []
        self.crash_at, self.phase, self.crashed = crash_at, phase, False

    def before(self, model: Any, **_: Any) -> None:
        name = (model.service_model.service_name, model.name)
        if name in WATCHED:
            self.calls.append(name)
            self._maybe("before", name)

    def after(self, model: Any, **_: Any) -> None:
        if (model.service_model.service_name, model.name) in WATCHED:
            self._maybe("after", self.calls[-1])

    def _maybe(self, phase: str, name: tuple[str, str]) -> None:
        if self.crash_at == len(self.calls) - 1 and self.phase == phase and not self.crashed:
            self.crashed = True
            raise Crash(f"{phase} {name}")

    def clients(self) -> list[Any]:
        return [bootstrap.aws("dynamodb"), bootstrap.aws("sqs"), bootstrap.aws("s3")]

    def install(self) -> None:
        for client in self.clients():
            client.meta.events.register("before-call.*.*", self.before, unique_id="import-tracer-before")
            client.meta.events.register("after-call.*.*", self.after, unique_id="import-tracer-after")

    def remove(self) -> None:
        for client in self.clients():
            client.meta.events.unregister("before-call.*.*", unique_id="import-tracer-before")
            client.meta.events.unregister("after-call.*.*", unique_id="import-tracer-after")


@pytest.fixture
def trigger(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[ImportTrigger]:
    sqs = boto3.client("sqs")
    url = infra.create_function_queue(sqs, "ImportQueue", "imports-crash")
    # A message whose function died comes back when its visibility timeout passes: here, at once.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    monkeypatch.setenv("IMPORT_QUEUE_URL", url)
    monkeypatch.setenv("IMPORT_CHUNK_ROWS", "2")
    bootstrap.reset()
    yield ImportTrigger(boto3.client("s3"), sqs, IMPORTS, url)


def start(broker_id: str) -> str:
    job, slot = bootstrap.import_service().start(broker_id, None, None, False, "crash.csv")
    sent = requests.post(slot["url"], data=slot["fields"], files={"file": ("crash.csv", FILE)}, timeout=30)
    assert sent.status_code in (200, 201, 204)
    return job.import_id


def outcome(broker_id: str, import_id: str) -> dict[str, Any]:
    status = bootstrap.import_service().get(broker_id, import_id)
    return {k: status[k] for k in EXPECTED}


def run(trigger: ImportTrigger, tracer: Tracer) -> None:
    tracer.install()
    try:
        for _ in range(200):
            try:
                if not trigger.deliver():
                    return
            except Crash:
                continue  # the trigger hands the same event or message over again
    finally:
        tracer.remove()


def invoices(broker_id: str) -> list[str]:
    found, cursor = [], None
    while True:
        page, cursor = bootstrap.case_service().list_cases(broker_id, None, 100, cursor)
        found += [c.invoice.number for c in page]
        if not cursor:
            return sorted(found)


def fresh_broker() -> str:
    broker, _ = brokers.create_broker(bootstrap.store(), bootstrap.utc_now, "Crash Ltd", "ar@crash.test")
    return broker.broker_id


def clean_calls(trigger: ImportTrigger) -> list[tuple[str, str]]:
    broker_id = fresh_broker()
    import_id = start(broker_id)
    tracer = Tracer()
    run(trigger, tracer)
    assert outcome(broker_id, import_id) == EXPECTED
    return tracer.calls


def announcements(caplog: pytest.LogCaptureFixture, import_id: str) -> int:
    return sum(1 for r in caplog.records if r.getMessage() == "import over" and r.__dict__["import_id"] == import_id)


def test_a_crash_at_any_write_resumes_from_the_checkpoint_and_creates_each_case_once(trigger, caplog):
    caplog.set_level("INFO", logger="chalicelib.services.imports")
    calls = clean_calls(trigger)
    # The scan's checkpoint and hand-on, then 3 chunks: a transaction and an anchor per case, the failed
    # row, the checkpoint (between chunks) and the hand-on to the next; at the end the import.finished
    # webhook event (one more transaction).
    assert calls.count(("dynamodb", "TransactWriteItems")) == 5 and calls.count(("dynamodb", "BatchWriteItem")) == 1
    # After the scan, after each chunk of 2, 2 and 1 rows, and once the end was announced.
    assert calls.count(("dynamodb", "PutItem")) == 5
    emitted = max(i for i, call in enumerate(calls) if call == ("dynamodb", "TransactWriteItems"))
    for point in range(len(calls)):
        for phase in ("before", "after"):
            broker_id = fresh_broker()
            import_id = start(broker_id)
            tracer = Tracer(point, phase)
            run(trigger, tracer)
            assert tracer.crashed, (point, phase)
            where = f"crash {phase} call {point} {calls[point]}"
            assert outcome(broker_id, import_id) == EXPECTED, where
            assert invoices(broker_id) == ["INV-1", "INV-2", "INV-3", "INV-5"], where
            failures = bootstrap.import_service().get(broker_id, import_id)["failures"]
            assert [(f["row"], f["field"]) for f in failures] == [(5, "customer.email")], where
            # ImportService.finished ran once; twice only when the run died inside it (its webhook event, which
            # the event's key makes one event however often it is emitted) or before the write that records it
            # (the last write of all).
            told = announcements(caplog, import_id)
            assert told == (2 if emitted <= point and (point, phase) != (len(calls) - 1, "after") else 1), where
