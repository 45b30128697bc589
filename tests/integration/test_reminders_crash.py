"""Crash the worker at every AWS call of a step, before and after it, then let SQS and the sweep retry.

A crash is a BaseException raised from a botocore hook: nothing in our code can catch it, as with a
Lambda that dies. What went out is read from moto's SES and SNS records.

What the tests prove, for every crash point:
  * no delivery is ever sent twice (per step and channel, at most one message reaches the provider);
  * every delivery ends up on the record: `reminder_sent` with the provider's message id, or, for the
    one delivery whose claim was stored when the worker died, `reminder_unconfirmed`;
  * a crash before the claim is stored, or after the provider accepted the message, never loses it;
  * the fee of the step is charged once and the ladder moves on to the next step.
The single gap, by design: a worker that dies after storing its claim and before the provider call
leaves a delivery that is recorded as unconfirmed and not sent (SES and SNS cannot be asked whether a
message went out, so the worker must choose between "maybe twice" and "maybe never" for that window,
and chooses never twice). The tests name that window exactly and check it is the only one.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain import ladder
from chalicelib.domain.history import verify_history
from tests.integration.reminder_stack import Stack, sent_emails, sent_sms

START = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)
COURTESY_AT = datetime(2026, 10, 28, 7, 0, tzinfo=timezone.utc)  # -3: Wednesday 28 Oct, 08:00 Berlin
PLUS3_AT = datetime(2026, 11, 3, 7, 0, tzinfo=timezone.utc)  # +3: email and SMS
LATE_FEE_AT = datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)  # +20: fee, email and SMS
# Every call that writes or sends: a crash at a read is the same as a crash before the next write.
WATCHED = {("dynamodb", "TransactWriteItems"), ("sesv2", "SendEmail"), ("sns", "CheckIfPhoneNumberIsOptedOut"),
           ("sns", "Publish"), ("sqs", "SendMessage")}
WRITE, SEND = ("dynamodb", "TransactWriteItems"), ("sesv2", "SendEmail")
OPT_OUT, TEXT = ("sns", "CheckIfPhoneNumberIsOptedOut"), ("sns", "Publish")
EMAIL_STEP = [WRITE, SEND, WRITE]  # claim (+start), send, confirm (+finish, plan the next step)
TWO_CHANNEL_STEP = [WRITE, SEND, WRITE, OPT_OUT, TEXT, WRITE]  # ... confirm email + claim SMS, ..., confirm


def points(calls: list[tuple[str, str]]) -> list[tuple[int, str]]:
    return [(i, phase) for i in range(len(calls)) for phase in ("before", "after")]


class Crash(BaseException):
    """The worker's process dies: no except clause of ours sees this."""


def clients() -> list[Any]:
    return [bootstrap.aws("dynamodb"), bootstrap.sending_client("sesv2"), bootstrap.sending_client("sns"),
            bootstrap.aws("sqs")]


class Tracer:
    """Records (service, operation) of each watched call; optionally dies before or after call number n."""

    def __init__(self, crash_at: int | None = None, phase: str = "before") -> None:
        self.calls: list[tuple[str, str]] = []
        self.crash_at = crash_at
        self.phase = phase
        self.crashed = False

    def before(self, model: Any, **_: Any) -> None:
        name = (model.service_model.service_name, model.name)
        if name not in WATCHED:
            return
        self.calls.append(name)
        if self.crash_at == len(self.calls) - 1 and self.phase == "before" and not self.crashed:
            self.crashed = True
            raise Crash(f"before {name}")

    def after(self, model: Any, **_: Any) -> None:
        name = (model.service_model.service_name, model.name)
        if name not in WATCHED:
            return
        if self.crash_at == len(self.calls) - 1 and self.phase == "after" and not self.crashed:
            self.crashed = True
            raise Crash(f"after {name}")

    def install(self) -> None:
        for client in clients():
            client.meta.events.register("before-call.*.*", self.before, unique_id="tracer-before")
            client.meta.events.register("after-call.*.*", self.after, unique_id="tracer-after")

    def remove(self) -> None:
        for client in clients():
            client.meta.events.unregister("before-call.*.*", unique_id="tracer-before")
            client.meta.events.unregister("after-call.*.*", unique_id="tracer-after")


@pytest.fixture
def stack(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    yield Stack(monkeypatch, START)


def worker_calls(stack: Stack, at: datetime) -> list[tuple[str, str]]:
    """The AWS calls one worker makes for the step due at `at`, on an untouched stack."""
    case = stack.open_case()
    stack.travel(at.replace(hour=0))  # every step before this one
    stack.clock.now = at
    stack.sweep()
    bodies = [m["Body"] for m in stack.messages()]
    tracer = Tracer()
    tracer.install()
    try:
        stack.work(bodies)
    finally:
        tracer.remove()
    assert stack.events(case.case_id, "reminder_sent")
    return tracer.calls


def step_of(stack: Stack, case_id: str, step: str) -> dict[str, list[Any]]:
    events = stack.case(case_id)[1]
    return {t: [e.data for e in events if e.type == t and e.data.get("step") == step]
            for t in ("reminder_started", "reminder_sent", "reminder_unconfirmed", "fee_applied")}


def crash_and_recover(stack: Stack, at: datetime, crash_at: int, phase: str) -> tuple[str, Tracer, tuple[int, int]]:
    case = stack.open_case()
    stack.travel(at.replace(hour=0))
    baseline = (len(sent_emails()), len(sent_sms()))
    stack.clock.now = at
    stack.sweep()
    bodies = [m["Body"] for m in stack.messages()]
    tracer = Tracer(crash_at, phase)
    tracer.install()
    try:
        with pytest.raises(Crash):
            stack.work(bodies)
    finally:
        tracer.remove()
    # SQS redelivers the message at once (it was never deleted); the sweep finds the case again later.
    stack.work(bodies)
    stack.run()
    stack.clock.now = at + ladder.LEASE
    stack.run()
    stack.clock.now = at.replace(hour=20)
    stack.run()
    return case.case_id, tracer, baseline


def check_step(stack: Stack, case_id: str, step: str, channels: list[str], tracer: Tracer,
               baseline: tuple[int, int]) -> None:
    record = step_of(stack, case_id, step)
    emails = sent_emails()[baseline[0]:]
    texts = sent_sms()[baseline[1]:]
    per_channel = Counter({"email": len(emails), "sms": len(texts)})
    sent = {d["channel"] for d in record["reminder_sent"]}
    unconfirmed = [d["channel"] for d in record["reminder_unconfirmed"]]

    assert len(record["reminder_started"]) == 1
    for channel in channels:
        # Never twice.
        assert per_channel[channel] <= 1, (channel, tracer.calls, tracer.crash_at, tracer.phase)
        # Always on the record, exactly once: sent, or unconfirmed.
        assert (channel in sent) + unconfirmed.count(channel) == 1, (channel, record)
        if channel in sent:
            assert per_channel[channel] == 1
    assert len(unconfirmed) <= 1
    # A delivery can only be missing if it was claimed and the worker died before calling the provider.
    missing = [c for c in channels if per_channel[c] == 0]
    if missing:
        assert missing == unconfirmed
        crashed_call = tracer.calls[tracer.crash_at or 0]
        assert (tracer.phase, crashed_call) in {("after", WRITE), ("before", SEND), ("before", OPT_OUT),
                                                ("after", OPT_OUT), ("before", TEXT)}, (tracer.phase, crashed_call)
    # Each message the provider took is recorded with its id when the worker lived to confirm it.
    ids = {m.message_id for m in emails} | {mid for mid, _, _ in texts}
    assert {d["message_id"] for d in record["reminder_sent"]} <= ids


@pytest.mark.parametrize(("crash_at", "phase"), points(EMAIL_STEP))
def test_a_crash_anywhere_in_an_email_step_never_sends_it_twice(stack, crash_at, phase):
    case_id, tracer, baseline = crash_and_recover(stack, COURTESY_AT, crash_at, phase)
    assert tracer.crashed and tracer.calls[:crash_at + 1] == EMAIL_STEP[:crash_at + 1]
    check_step(stack, case_id, "-3", ["email"], tracer, baseline)
    case, events = stack.case(case_id)
    assert case.ladder.done_offset == -3 and case.ladder.pending is None
    assert case.next_action_at == "2026-10-31T07:00:00.000Z"  # the ladder goes on: +0 on Saturday 08:00
    assert verify_history(events, case.head_hash).ok


@pytest.mark.parametrize(("crash_at", "phase"), points(TWO_CHANNEL_STEP))
def test_a_crash_anywhere_in_the_late_fee_step_charges_once_and_sends_each_channel_at_most_once(
        stack, crash_at, phase):
    case_id, tracer, baseline = crash_and_recover(stack, LATE_FEE_AT, crash_at, phase)
    assert tracer.crashed and tracer.calls[:crash_at + 1] == TWO_CHANNEL_STEP[:crash_at + 1]
    assert baseline == (4, 1)  # -3, +0, +3, +10 emails and the +3 SMS went out before, once each
    check_step(stack, case_id, "+20", ["email", "sms"], tracer, baseline)
    record = step_of(stack, case_id, "+20")
    assert [d["amount"] for d in record["fee_applied"]] == [6250]
    case, events = stack.case(case_id)
    assert case.balance.fees == 6250
    assert case.ladder.done_offset == 20 and case.next_action_at == "2026-11-30T07:00:00.000Z"
    assert verify_history(events, case.head_hash).ok


@pytest.mark.parametrize(("at", "expected"), [(COURTESY_AT, EMAIL_STEP), (PLUS3_AT, TWO_CHANNEL_STEP),
                                              (LATE_FEE_AT, TWO_CHANNEL_STEP)])
def test_a_crash_free_run_makes_the_calls_the_crash_tests_walk_through(stack, at, expected):
    assert worker_calls(stack, at) == expected


# --- retries from outside: the sweep, SQS, a second worker ---------------------------------------------

def test_a_retried_sweep_and_a_redelivered_message_send_nothing_twice(stack):
    case = stack.open_case()
    stack.travel(COURTESY_AT.replace(hour=0))
    stack.clock.now = COURTESY_AT
    assert stack.sweep() == 1
    assert stack.sweep() == 1  # the sweep ran twice before any worker: two messages for one case
    bodies = [m["Body"] for m in stack.messages()]
    assert len(bodies) == 2
    stack.work(bodies)
    stack.work(bodies)  # and SQS delivered both again
    assert len(sent_emails()) == 1
    assert len(stack.events(case.case_id, "reminder_sent")) == 1


def test_two_workers_on_one_case_send_once(stack):
    case = stack.open_case()
    stack.travel(COURTESY_AT.replace(hour=0))
    stack.clock.now = COURTESY_AT
    stack.sweep()
    bodies = [m["Body"] for m in stack.messages()]
    inside: list[bool] = []

    def second_worker(model: Any, **_: Any) -> None:
        # Worker A is about to store its claim; worker B runs to completion in between.
        if model.name == "TransactWriteItems" and not inside:
            inside.append(True)
            stack.work(bodies)

    db = bootstrap.aws("dynamodb")
    db.meta.events.register("before-call.dynamodb.TransactWriteItems", second_worker, unique_id="second")
    try:
        stack.work(bodies)
    finally:
        db.meta.events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="second")
    assert inside == [True]
    assert len(sent_emails()) == 1
    assert len(stack.events(case.case_id, "reminder_started")) == 1


def test_a_worker_holding_a_claim_blocks_every_other_until_its_lease_runs_out(stack):
    case = stack.open_case()
    stack.travel(COURTESY_AT.replace(hour=0))
    stack.clock.now = COURTESY_AT
    stack.sweep()
    bodies = [m["Body"] for m in stack.messages()]
    held: list[int] = []

    def others_while_holding(model: Any, **_: Any) -> None:
        if not held:
            held.append(1)
            stack.work(bodies)  # worker B: sees the claim, sends nothing
            stack.clock.now = COURTESY_AT + ladder.LEASE / 2
            stack.run()  # a sweep meanwhile: the case is not due before the lease ends

    ses = bootstrap.sending_client("sesv2")
    ses.meta.events.register("before-call.sesv2.SendEmail", others_while_holding, unique_id="others")
    try:
        stack.work(bodies)
    finally:
        ses.meta.events.unregister("before-call.sesv2.SendEmail", unique_id="others")
    assert len(sent_emails()) == 1
    assert [e.type for e in stack.events(case.case_id)].count("reminder_sent") == 1


# --- the two crash points that leave a claim unconfirmed, spelled out -----------------------------------

def test_a_worker_dying_after_the_provider_took_the_email_leaves_one_email_recorded_as_unconfirmed(stack):
    case_id, tracer, baseline = crash_and_recover(stack, COURTESY_AT, 1, "after")  # after SendEmail
    assert len(sent_emails()) - baseline[0] == 1
    record = step_of(stack, case_id, "-3")
    assert record["reminder_sent"] == [] and [d["channel"] for d in record["reminder_unconfirmed"]] == ["email"]


def test_a_worker_dying_between_its_claim_and_the_provider_call_sends_nothing_and_says_so(stack):
    """The one window where at-most-once costs a message: visible in the history, never silent."""
    case_id, tracer, baseline = crash_and_recover(stack, COURTESY_AT, 0, "after")  # after the claim write
    assert len(sent_emails()) == baseline[0]
    record = step_of(stack, case_id, "-3")
    assert [d["channel"] for d in record["reminder_unconfirmed"]] == ["email"]
    unconfirmed = stack.events(case_id, "reminder_unconfirmed")[0]
    assert unconfirmed.actor == "system" and unconfirmed.at == "2026-10-28T07:05:00.000Z"  # when the lease ran out


# --- a batch of cases: claims one by one, confirmations together --------------------------------------

def batch_due(stack: Stack, n: int) -> tuple[list[str], list[str]]:
    ids = [stack.open_case(number=f"INV-{i}").case_id for i in range(n)]
    stack.clock.now = COURTESY_AT
    stack.sweep()
    return ids, [m["Body"] for m in stack.messages()]


def test_a_batch_claims_each_case_on_its_own_and_confirms_them_in_one_write(stack):
    ids, bodies = batch_due(stack, 5)
    tracer = Tracer()
    tracer.install()
    try:
        stack.work(bodies)
    finally:
        tracer.remove()
    assert tracer.calls == [WRITE, WRITE, WRITE, WRITE, WRITE, SEND, SEND, SEND, SEND, SEND, WRITE]
    assert len(sent_emails()) == 5
    assert all(len(stack.events(i, "reminder_sent")) == 1 for i in ids)


def test_a_crash_before_the_batch_is_confirmed_loses_nothing_and_repeats_nothing(stack):
    ids, bodies = batch_due(stack, 4)
    tracer = Tracer(crash_at=8, phase="before")  # 4 claims, 4 sends, then the confirmation write
    tracer.install()
    try:
        with pytest.raises(Crash):
            stack.work(bodies)
    finally:
        tracer.remove()
    stack.work(bodies)  # redelivered
    stack.clock.now = COURTESY_AT + ladder.LEASE
    stack.run()
    assert len(sent_emails()) == 4
    assert all([e.data["channel"] for e in stack.events(i, "reminder_unconfirmed")] == ["email"] for i in ids)
    assert all(stack.case(i)[0].next_action_at == "2026-10-31T07:00:00.000Z" for i in ids)


def test_a_case_changed_during_the_batch_is_confirmed_on_its_own(stack):
    ids, bodies = batch_due(stack, 3)
    noted: list[bool] = []

    def broker_writes_a_note(model: Any, **_: Any) -> None:
        if not noted:  # between the sends and the confirmation: the broker adds a note to the first case
            noted.append(True)
            bootstrap.case_service().add_note(stack.broker_id, ids[0], "call", "Spoke to Jane")

    ses = bootstrap.sending_client("sesv2")
    ses.meta.events.register("after-call.sesv2.SendEmail", broker_writes_a_note, unique_id="note")
    try:
        stack.work(bodies)
    finally:
        ses.meta.events.unregister("after-call.sesv2.SendEmail", unique_id="note")
    assert len(sent_emails()) == 3
    for case_id in ids:
        assert len(stack.events(case_id, "reminder_sent")) == 1
        assert stack.events(case_id, "reminder_unconfirmed") == []
    assert [e.type for e in stack.events(ids[0])][-2:] == ["note_added", "reminder_sent"]
