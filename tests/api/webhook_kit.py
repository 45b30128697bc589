"""Outbound webhooks on moto: the delivery queue from infra/, a real local receiver, and one pump that runs
the relay and the delivery worker the way their Lambdas would (SQS messages in, failed ones left)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from portal import infra
from portal.webhook_receiver import Inbox, WebhookReceiver
from tests.conftest import post

SENDER_DOMAIN = "collections.example.com"  # the default policy's sender


@pytest.fixture
def webhook_env(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> str:
    url, _ = infra.create_webhook_queues(boto3.client("sqs"))
    infra.verify_sender(boto3.client("sesv2"), SENDER_DOMAIN)
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", url)
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")  # the receiver listens on 127.0.0.1
    monkeypatch.setenv("WEBHOOK_RETRY_SCALE", "0.0001")  # first retry after 3 ms: SQS delay 0
    bootstrap.reset()
    return url


@pytest.fixture
def receiver(webhook_env: str) -> Iterator[WebhookReceiver]:
    secrets: list[str] = []
    with WebhookReceiver("127.0.0.1", 0, Inbox(lambda: secrets)) as running:
        running.secrets = secrets  # type: ignore[attr-defined]
        yield running


def register(client: Any, key: str, receiver: WebhookReceiver, types: list[str],
             path: str = "/hooks") -> dict[str, Any]:
    created = post(client, "/admin/webhooks", key, {"url": receiver.url + path, "event_types": types})
    assert created.status_code == 201, created.json_body
    receiver.secrets.append(created.json_body["secret"])  # type: ignore[attr-defined]
    return dict(created.json_body)


def queued(queue_url: str) -> list[dict[str, Any]]:
    """Messages visible now (at most 10)."""
    return list(boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                                    VisibilityTimeout=0).get("Messages", []))


def work(queue_url: str, rounds: int = 200) -> int:
    """The delivery Lambda: take visible messages, handle them, delete those not reported failed."""
    sqs = boto3.client("sqs")
    handled = 0
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return handled
        outcomes = bootstrap.webhook_worker().handle_batch([m["Body"] for m in messages])
        for m, outcome in zip(messages, outcomes, strict=True):
            if not outcome.failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
        handled += len(messages)
    raise AssertionError("the queue never emptied")


def pump(queue_url: str) -> None:
    bootstrap.webhook_relay().run()
    work(queue_url)


def bodies(inbox: Inbox) -> dict[str, set[str]]:
    """Accepted deliveries by event id -> the distinct bodies received for it."""
    found: dict[str, set[str]] = {}
    for r in inbox.received:
        if r.answered == 200:
            found.setdefault(r.event_id, set()).add(r.body)
    return found


def types_of(inbox: Inbox) -> list[str]:
    return [json.loads(next(iter(b)))["type"] for b in bodies(inbox).values()]
