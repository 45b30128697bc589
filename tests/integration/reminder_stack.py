"""The reminder machinery on moto, as Lambda runs it: the sweep fills the real queue, a worker drains it.

What went out is read from moto's own records of SES and SNS, never from our code.
"""
from __future__ import annotations

import email
import email.policy
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chalicelib import bootstrap
from chalicelib.domain.cases import Case, parse_iso
from chalicelib.domain.history import Event
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.services import brokers
from portal import infra

REGION = "eu-west-1"


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    to: str
    subject: str
    text: str
    html: str
    raw: Message


def sent_emails() -> list[SentEmail]:
    found = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages:
        # From bytes: a part sent as 8-bit UTF-8 (short lines) only decodes right that way.
        raw = email.message_from_bytes(message.raw_data.encode(), policy=email.policy.default)
        parts = {p.get_content_type(): p.get_content() for p in raw.walk()
                 if not p.is_multipart()}
        found.append(SentEmail(message.id, raw["To"], str(raw["Subject"]), parts.get("text/plain", ""),
                               parts.get("text/html", ""), raw))
    return found


def sent_sms() -> list[tuple[str, str, str]]:
    """(message id, phone, text) of every SMS."""
    return [(mid, phone, text) for mid, (phone, text) in sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.items()]


class Stack:
    def __init__(self, monkeypatch: Any, start: datetime) -> None:
        self.clock = MovableClock(start)
        monkeypatch.setattr(bootstrap, "utc_now", self.clock)
        self.sqs = boto3.client("sqs")
        self.queue_url, self.dlq_url = infra.create_reminder_queues(self.sqs)
        sender_domain = DEFAULT_POLICY.sender.from_email.split("@", 1)[1]
        infra.verify_sender(boto3.client("sesv2"), sender_domain)
        monkeypatch.setenv("REMINDER_QUEUE_URL", self.queue_url)
        monkeypatch.setenv("REMINDER_DLQ_URL", self.dlq_url)
        bootstrap.reset()
        broker, self.key = brokers.create_broker(bootstrap.store(), self.clock, "Acme Brokers", "ar@acme.test")
        self.broker_id = broker.broker_id

    def open_case(self, number: str = "INV-1", **overrides: Any) -> Case:
        customer = {"name": "Jane Customer", "email": "jane@example.test", "phone": "+14155550100",
                    "locale": "en", "timezone": "Europe/Berlin"}
        invoice = {"number": number, "amount": 125000, "currency": "EUR", "issued_on": "2026-10-01",
                   "due_on": "2026-10-31", "description": "Consulting, October"}
        for key, value in overrides.items():
            section, _, name = key.partition("__")
            (customer if section == "customer" else invoice)[name] = value
        case, _ = bootstrap.case_service().create(self.broker_id, {"customer": customer, "invoice": invoice}, None)
        return case

    # --- what Lambda does ------------------------------------------------------------------------------

    def sweep(self) -> int:
        return bootstrap.reminder_sweep().run().due

    def messages(self) -> list[dict[str, Any]]:
        """Receive everything queued (as the SQS trigger would), without deleting it."""
        received: list[dict[str, Any]] = []
        while True:
            page = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                            VisibilityTimeout=0, WaitTimeSeconds=0)
            batch = page.get("Messages", [])
            if not batch:
                return received
            for m in batch:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
            received.extend(batch)

    def work(self, bodies: list[str]) -> list[str]:
        """The worker over these bodies; the ones it reports failed."""
        outcomes = bootstrap.reminder_worker().handle_batch(bodies)
        return [b for b, outcome in zip(bodies, outcomes, strict=True) if outcome.failed]

    def invoke_worker(self, max_messages: int = 10) -> dict[str, Any]:
        """What Lambda's event source does with ReportBatchItemFailures: receive a batch, invoke the
        worker's handler, delete the messages it did not name as failed (those stay for redelivery)."""
        from app import app

        page = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=max_messages,
                                        VisibilityTimeout=0, WaitTimeSeconds=0)
        records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                    "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs"}
                   for m in page.get("Messages", [])]
        answer: dict[str, Any] = app.handler_map["reminder_worker"]({"Records": records}, None)
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        for r in records:
            if r["messageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=r["receiptHandle"])
        return answer

    def run(self) -> int:
        """One sweep and one worker pass over what it queued."""
        found = self.sweep()
        bodies = [m["Body"] for m in self.messages()]
        if bodies:
            self.work(bodies)
        return found

    def travel(self, until: datetime) -> None:
        """Move time forward, sweeping whenever a case falls due (what a sweep every 15 minutes does)."""
        while True:
            due = self.next_due()
            if due is None or due > until:
                break
            self.clock.now = max(self.clock.now, due)
            self.run()
        self.clock.now = max(self.clock.now, until)

    def next_due(self) -> datetime | None:
        times = []
        for shard in range(bootstrap.reminder_sweep()._index.shards):  # test-only peek at the index
            page = boto3.client("dynamodb").query(
                TableName=bootstrap.settings().table_name, IndexName="by_next_action",
                KeyConditionExpression="SweepPK = :pk", ExpressionAttributeValues={":pk": {"S": f"SWEEP#{shard}"}},
                Limit=1)
            times += [parse_iso(i["SweepSK"]["S"].split("#", 1)[0]) for i in page["Items"]]
        return min(times) if times else None

    # --- what happened ---------------------------------------------------------------------------------

    def case(self, case_id: str) -> tuple[Case, list[Event]]:
        return bootstrap.store().load(self.broker_id, case_id)

    def events(self, case_id: str, type_: str | None = None) -> list[Event]:
        return [e for e in self.case(case_id)[1] if type_ is None or e.type == type_]

    def dead_letters(self) -> list[dict[str, Any]]:
        page = self.sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return [json.loads(m["Body"]) for m in page.get("Messages", [])]

    def later(self, **delta: float) -> None:
        self.clock.now += timedelta(**delta)
