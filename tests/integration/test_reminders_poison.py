"""One bad case never fails the others: the worker reports it to SQS alone (ReportBatchItemFailures).

The poison is stored data, not a bug in the test: a customer name holding a lone surrogate (valid JSON
text in DynamoDB, `\\ud800`, but no email can encode it), next to a message naming a case that does not
exist. What went out is read from moto's SES records.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone

import boto3
import pytest

from chalicelib import bootstrap
from tests.conftest import store_customer_name
from tests.integration.reminder_stack import Stack, sent_emails

START = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)
COURTESY_AT = datetime(2026, 10, 28, 7, 0, tzinfo=timezone.utc)


@pytest.fixture
def stack(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    yield Stack(monkeypatch, START)


def poison_name(stack: Stack, case_id: str) -> None:
    """Write a lone surrogate into the stored customer name, as a bad import or a buggy client could."""
    store_customer_name(boto3.client("dynamodb"), bootstrap.settings().table_name, stack.broker_id, case_id,
                        "Jane \ud800")


def queued(stack: Stack) -> dict[str, str]:
    """message id -> case id of what is still on the queue (without taking it)."""
    page = stack.sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return {m["MessageId"]: json.loads(m["Body"])["c"] for m in page.get("Messages", [])}


def test_a_poison_case_fails_alone_and_every_other_case_is_sent_once(stack):
    healthy = [stack.open_case(number=f"INV-{n}", customer__email=f"c{n}@example.test") for n in range(3)]
    poison = stack.open_case(number="INV-P", customer__email="poison@example.test")
    poison_name(stack, poison.case_id)
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody='{"b": "nobody", "c": "nothing"}')
    stack.clock.now = COURTESY_AT
    assert stack.sweep() == 4

    answer = stack.invoke_worker()

    left = queued(stack)  # what SQS keeps for redelivery: exactly the messages the worker named
    assert {f["itemIdentifier"] for f in answer["batchItemFailures"]} == set(left)
    assert sorted(left.values()) == sorted([poison.case_id, "nothing"])
    assert sorted(m.to for m in sent_emails()) == ["c0@example.test", "c1@example.test", "c2@example.test"]
    # The poison case says what happened; its step is retried later, not lost and not sent.
    [failed] = stack.events(poison.case_id, "reminder_attempt_failed")
    assert failed.data["error"] == "UnicodeEncodeError" and failed.data["channel"] == "email"

    for _ in range(3):  # SQS redelivers the failed ones; the healthy cases are never repeated
        stack.invoke_worker()
    stack.clock.now = COURTESY_AT.replace(hour=12)
    stack.run()
    assert sorted(m.to for m in sent_emails()) == ["c0@example.test", "c1@example.test", "c2@example.test"]
    for case in healthy:
        assert len(stack.events(case.case_id, "reminder_sent")) == 1
