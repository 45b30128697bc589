"""Crash the change, the relay and the delivery worker at each AWS call, before and after it, then let the
next relay run and SQS's redelivery carry on: every event of a stored change reaches the endpoint at least
once, always with the same id and body (so the receiver deduplicates it), and a change that was not stored
sends nothing.

A crash is a BaseException raised from a botocore hook, as in tests/integration/test_reminders_crash.py:
nothing in our code can catch it, as with a Lambda that dies.
"""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from tests.api.conftest import open_case
from tests.api.webhook_kit import bodies, pump, register
from tests.conftest import post


class Crash(BaseException):
    pass


class CrashAt:
    """Dies before or after the n-th call of one AWS operation, once."""

    def __init__(self, operation: tuple[str, str], phase: str, nth: int = 1) -> None:
        self.operation, self.phase, self.nth = operation, phase, nth
        self.seen = 0
        self.crashed = False

    def _hook(self, phase: str) -> Any:
        def hook(model: Any, **_: Any) -> None:
            if (model.service_model.service_name, model.name) != self.operation or self.crashed:
                return
            if phase == "before":
                self.seen += 1
            if self.seen == self.nth and phase == self.phase:
                self.crashed = True
                raise Crash(f"{phase} {self.operation}")
        return hook

    def __enter__(self) -> CrashAt:
        for client in (bootstrap.aws("dynamodb"), bootstrap.aws("sqs"), bootstrap.aws("secretsmanager")):
            client.meta.events.register("before-call.*.*", self._hook("before"), unique_id="crash-before")
            client.meta.events.register("after-call.*.*", self._hook("after"), unique_id="crash-after")
        return self

    def __exit__(self, *exc: object) -> None:
        for client in (bootstrap.aws("dynamodb"), bootstrap.aws("sqs"), bootstrap.aws("secretsmanager")):
            client.meta.events.unregister("before-call.*.*", unique_id="crash-before")
            client.meta.events.unregister("after-call.*.*", unique_id="crash-after")


def deliver_with_crash(queue_url: str, crash: CrashAt) -> None:
    """One delivery Lambda run that dies; SQS then makes its messages visible again (the visibility timeout)."""
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    assert messages
    with crash, pytest.raises(Crash):
        bootstrap.webhook_worker().handle_batch([m["Body"] for m in messages])
    for m in messages:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)


def two_changes(client: Any, key: str) -> str:
    case = open_case(client, key)
    paid = post(client, f"/admin/cases/{case['case_id']}/payments", key, {
        "amount": 700, "method": "cash", "reference": "R-7", "received_on": "2026-11-02"})
    assert paid.status_code == 201
    return str(case["case_id"])


def check_every_event_arrived(receiver: Any, client: Any, key: str, case_id: str, endpoint_id: str) -> None:
    got = bodies(receiver.inbox)
    kinds = sorted(json.loads(next(iter(b)))["type"] for b in got.values())
    assert kinds == ["case.opened", "payment.received"]
    assert all(len(b) == 1 for b in got.values())  # duplicates are byte-identical: deduplicable by id
    assert all(json.loads(next(iter(b)))["id"] == event_id for event_id, b in got.items())
    assert {json.loads(next(iter(b)))["data"]["case_id"] for b in got.values()} == {case_id}
    log = client.http.get(f"/admin/webhooks/{endpoint_id}/deliveries", headers={"Authorization": f"Bearer {key}"})
    assert {d["status"] for d in log.json_body["items"]} == {"delivered"}


@pytest.mark.parametrize("phase", ["before", "after"])
def test_a_crash_at_the_commit_sends_the_event_exactly_when_the_change_was_stored(
        client, broker, receiver, webhook_env, phase):
    _, key = broker
    register(client, key, receiver, ["case.opened", "payment.received"])
    case = open_case(client, key)
    with CrashAt(("dynamodb", "TransactWriteItems"), phase), pytest.raises(Crash):
        post(client, f"/admin/cases/{case['case_id']}/payments", key, {
            "amount": 700, "method": "cash", "reference": "R-7", "received_on": "2026-11-02"})
    pump(webhook_env)
    kinds = sorted(r.type for r in receiver.inbox.received)
    # Died before the commit: no payment, no event. After it (before the relay ever ran): the event goes out.
    assert kinds == (["case.opened"] if phase == "before" else ["case.opened", "payment.received"])


RELAY_CALLS = [("dynamodb", "Query"), ("dynamodb", "PutItem"), ("sqs", "SendMessage"), ("dynamodb", "DeleteItem")]


@pytest.mark.parametrize("operation", RELAY_CALLS, ids=lambda op: op[1])
@pytest.mark.parametrize("phase", ["before", "after"])
@pytest.mark.parametrize("nth", [1, 2])
def test_a_crash_anywhere_in_the_relay_loses_no_event(client, broker, receiver, webhook_env, operation, phase, nth):
    _, key = broker
    endpoint = register(client, key, receiver, ["case.opened", "payment.received"])
    case_id = two_changes(client, key)
    with CrashAt(operation, phase, nth) as crash, pytest.raises(Crash):
        bootstrap.webhook_relay().run()
    assert crash.crashed
    pump(webhook_env)  # the next scheduled relay, then the worker
    check_every_event_arrived(receiver, client, key, case_id, endpoint["endpoint_id"])


WORKER_CALLS = [("dynamodb", "GetItem"), ("secretsmanager", "GetSecretValue"), ("dynamodb", "PutItem")]


@pytest.mark.parametrize("operation", WORKER_CALLS, ids=lambda op: op[1])
@pytest.mark.parametrize("phase", ["before", "after"])
def test_a_crash_anywhere_in_a_delivery_loses_no_event(client, broker, receiver, webhook_env, operation, phase):
    _, key = broker
    endpoint = register(client, key, receiver, ["case.opened", "payment.received"])
    case_id = two_changes(client, key)
    bootstrap.webhook_relay().run()
    deliver_with_crash(webhook_env, CrashAt(operation, phase))
    pump(webhook_env)
    check_every_event_arrived(receiver, client, key, case_id, endpoint["endpoint_id"])
    if (operation, phase) == (("dynamodb", "PutItem"), "before"):
        # Died after the endpoint answered and before the answer was recorded: it hears that event twice.
        assert len(receiver.inbox.accepted_ids()) == 3 and len(set(receiver.inbox.accepted_ids())) == 2


def test_a_crash_while_queueing_a_retry_still_retries(client, broker, receiver, webhook_env):
    _, key = broker
    endpoint = register(client, key, receiver, ["case.opened", "payment.received"])
    receiver.inbox.fail_next = 2
    case_id = two_changes(client, key)
    bootstrap.webhook_relay().run()
    deliver_with_crash(webhook_env, CrashAt(("sqs", "SendMessage"), "before"))
    pump(webhook_env)
    check_every_event_arrived(receiver, client, key, case_id, endpoint["endpoint_id"])
