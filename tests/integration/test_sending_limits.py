"""Reminders within SES's rate: a new account's 14 sends a second (portal/moto_ses_rate.py on moto), paced by
the worker and, when SES still says "slow down", taken again later without counting as a failed attempt."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import bootstrap
from portal.moto_ses_rate import NEW_ACCOUNT_RATE, SimulatedTime, limit_ses_send_rate, send_times, throttled_sends
from tests.integration.reminder_stack import Stack, sent_emails

START = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)
COURTESY = datetime(2026, 10, 28, 7, 0, tzinfo=timezone.utc)  # the -3 step, 08:00 in Berlin
FAILURES = ("reminder_attempt_failed", "reminder_failed")


@pytest.fixture
def stack(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    # SES's second and the pacing on a clock only the pacer's waits move (tests/conftest.py's also runs with
    # real time), so what SES sees does not depend on how fast this machine is.
    sending_time = SimulatedTime()
    limit_ses_send_rate(NEW_ACCOUNT_RATE, sending_time.monotonic)
    monkeypatch.setattr(bootstrap, "monotonic", sending_time.monotonic)
    monkeypatch.setattr(bootstrap, "sleep", sending_time.sleep)
    yield Stack(monkeypatch, START)


def open_cases(stack: Stack, n: int) -> list[str]:
    return [stack.open_case(f"INV-{i}", customer__email=f"customer{i}@example.test").case_id for i in range(n)]


def count(stack: Stack, case_ids: list[str], type_: str) -> int:
    return sum(len(stack.events(c, type_)) for c in case_ids)


def test_a_burst_above_the_send_rate_is_paced_and_nothing_is_throttled(stack):
    cases = open_cases(stack, 30)
    stack.clock.now = COURTESY
    stack.run()
    assert len(sent_emails()) == 30
    assert throttled_sends() == 0
    assert count(stack, cases, "reminder_deferred") == 0 and count(stack, cases, FAILURES[0]) == 0
    # Paced at this container's share (14/s x 0.9, over the 2 containers the event source allows).
    times = send_times()
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) == pytest.approx(1 / 6.3)


def test_a_throttled_send_is_taken_again_later_and_never_counted_as_failed(stack, monkeypatch):
    monkeypatch.setenv("EMAIL_SEND_RATE", "1000")  # pacing as if the account allowed far more than it does
    bootstrap.reset()
    cases = open_cases(stack, 20)
    stack.clock.now = COURTESY
    stack.run()
    assert len(sent_emails()) == 14  # SES took what its rate allows and throttled the rest
    assert throttled_sends() == 6
    assert count(stack, cases, "reminder_deferred") == 6
    assert count(stack, cases, FAILURES[0]) == 0 and count(stack, cases, FAILURES[1]) == 0
    # Each throttled case went back to the queue with its jittered delay (a second or two: real time on
    # moto's SQS, so by now some may be visible again).
    attributes = stack.sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["All"])["Attributes"]
    assert int(attributes["ApproximateNumberOfMessagesDelayed"]) + int(attributes["ApproximateNumberOfMessages"]) == 6
    deferred = [e for c in cases for e in stack.events(c, "reminder_deferred")]
    assert {e.data["error"] for e in deferred} == {"TooManyRequestsException"}
    waits = [datetime.fromisoformat(e.data["retry_at"]) - COURTESY for e in deferred]
    assert all(timedelta(seconds=1) <= w <= timedelta(seconds=2) for w in waits)

    bootstrap.sleep(1.0)  # a second later on SES's clock, and past every retry on the portal's
    stack.clock.now = COURTESY + timedelta(minutes=1)
    stack.run()
    sent_to = Counter(m.to for m in sent_emails())
    assert len(sent_to) == 20 and set(sent_to.values()) == {1}  # every customer once
    assert count(stack, cases, "reminder_sent") == 20
    assert count(stack, cases, FAILURES[0]) == 0 and count(stack, cases, FAILURES[1]) == 0
    retries = [e for c in cases for e in stack.events(c, "reminder_retry")]
    assert len(retries) == 6 and {e.data["attempt"] for e in retries} == {1}  # the throttle used no attempt
    assert stack.dead_letters() == []


def test_the_sweep_stops_short_of_its_timeout_and_the_next_one_hands_out_the_rest(stack):
    open_cases(stack, 25)
    stack.clock.now = COURTESY
    first = bootstrap.reminder_sweep().run(time_left_ms=lambda: 5_000)  # already inside the margin
    assert (first.queued, first.complete) == (10, False)
    stack.work([m["Body"] for m in stack.messages()])
    assert len(sent_emails()) == 10
    second = bootstrap.reminder_sweep().run(time_left_ms=lambda: 60_000)
    assert (second.queued, second.complete) == (15, True)
    stack.work([m["Body"] for m in stack.messages()])
    assert len({m.to for m in sent_emails()}) == 25 and len(sent_emails()) == 25


def test_receipts_sent_in_a_burst_are_paced_like_reminders_and_every_customer_gets_one(stack):
    cases = open_cases(stack, 20)
    payments = bootstrap.payment_service()
    for case_id in cases:  # twenty customers' bank transfers recorded within the same second
        payments.record_offline(stack.broker_id, case_id, {"amount": 125000, "method": "bank_transfer",
                                                           "reference": f"BANK-{case_id}", "received_on": "2026-10-01"})
    assert throttled_sends() == 0
    receipts = [m.to for m in sent_emails() if m.to.startswith("customer")]
    assert sorted(receipts) == sorted(f"customer{i}@example.test" for i in range(20))
    times = send_times()
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) == pytest.approx(1 / 6.3)
