"""The sweep and the worker on moto: what customers receive, when, in which language, and what is recorded."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib import bootstrap
from chalicelib.domain.cases import parse_iso
from chalicelib.domain.history import verify_history
from chalicelib.domain.policy import DEFAULT_POLICY
from tests.integration.reminder_stack import Stack, sent_emails, sent_sms

START = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def stack(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    yield Stack(monkeypatch, START)


def pay_token(text: str) -> str:
    match = re.search(r"http://site\.test/pay#([A-Za-z0-9._-]+)", text)
    assert match, text
    return match.group(1)


EXPECTED_LOCAL = [  # due Saturday 31 October 2026; the steps at 08:00 local, Sundays moved to Monday
    ("-3", "Wed 2026-10-28 08:00", ["email"]),
    ("+0", "Sat 2026-10-31 08:00", ["email"]),
    ("+3", "Tue 2026-11-03 08:00", ["email", "sms"]),
    ("+10", "Tue 2026-11-10 08:00", ["email"]),
    ("+20", "Fri 2026-11-20 08:00", ["email", "sms"]),
    ("+30", "Mon 2026-11-30 08:00", ["email", "sms"]),
    ("+45", "Tue 2026-12-15 08:00", ["broker"]),
]


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Europe/Berlin", "Asia/Tokyo"])
def test_sixty_days_of_sweeps_send_the_default_ladder_once_each_at_eight_local(stack, tz):
    case = stack.open_case(customer__timezone=tz)
    stack.travel(START + timedelta(days=80))
    events = stack.case(case.case_id)[1]
    zone = ZoneInfo(tz)
    sent = [e for e in events if e.type == "reminder_sent"]
    got: dict[str, tuple[str, list[str]]] = {}
    for e in sent:
        local = parse_iso(e.at).astimezone(zone).strftime("%a %Y-%m-%d %H:%M")
        step = got.setdefault(e.data["step"], (local, []))
        step[1].append(e.data["channel"])
    assert [(s, got[s][0], got[s][1]) for s in got] == EXPECTED_LOCAL
    customer_emails = [m for m in sent_emails() if m.to == "jane@example.test"]
    assert [m.subject for m in customer_emails] == [
        "Invoice INV-1 is due on October 31, 2026", "Invoice INV-1 is due today",
        "Reminder: invoice INV-1 is overdue", "Payment request: invoice INV-1", "Late fee added: invoice INV-1",
        "Final notice: invoice INV-1"]
    assert len(sent_sms()) == 3
    broker_mail = [m for m in sent_emails() if m.to == "ar@acme.test"]
    assert len(broker_mail) == 1 and broker_mail[0].subject.startswith("Ready for collections: invoice INV-1")
    # Every message is on the record with the provider's id.
    ids = {m.message_id for m in sent_emails()} | {mid for mid, _, _ in sent_sms()}
    assert {e.data["message_id"] for e in sent} == ids
    final, history = stack.case(case.case_id)
    assert final.status == "open" and final.closing.ready_for_collections and final.next_action_at is None
    assert verify_history(history, final.head_hash).ok
    assert bootstrap.case_audit().verify(stack.broker_id, case.case_id).ok  # the worker anchored every change


def test_each_email_is_multipart_with_the_breakdown_and_a_working_pay_link_of_its_own(stack):
    case = stack.open_case()
    stack.travel(datetime(2026, 11, 21, tzinfo=timezone.utc))  # through the +20 late fee step
    late = next(m for m in sent_emails() if m.subject == "Late fee added: invoice INV-1")
    assert late.raw.is_multipart() and late.raw["Reply-To"] == "ar@acme.test"
    assert late.raw["From"] == "Acme Brokers <reminders@collections.example.com>"
    assert "Late fee added: invoice INV-1" in late.html and "&euro;" not in late.text
    for body in (late.text, late.html):
        assert "€1,250.00" in body and "€62.50" in body and "€1,312.50" in body  # amount, fee, balance due
        assert "November 20" not in body and "October 31, 2026" in body
        assert "payment plan" in body
    token = pay_token(late.text)
    assert pay_token(late.html.replace("&amp;", "&")) == token
    claims = bootstrap.pay_links().read(token)
    sent = [e.data for e in stack.events(case.case_id, "reminder_sent") if e.data["step"] == "+20"
            and e.data["channel"] == "email"][0]
    # Which reminder brought the payer: its claim, its step and the day it went out (the reports count by them).
    assert claims.ref == f"{sent['claim']}@+20@2026-11-20" and claims.link_id == sent["link_id"]
    seen, _ = bootstrap.customer_service().authenticate(token)
    assert seen.case_id == case.case_id


@pytest.mark.parametrize(("locale", "subject", "amount", "due"), [
    ("de", "Rechnung INV-1 ist am 31. Oktober 2026 fällig", "1.250,00\xa0€", "31. Oktober 2026"),
    ("fr", "La facture INV-1 arrive à échéance le 31 octobre 2026", "1\u202f250,00\xa0€", "31 octobre 2026"),
    ("es", "La factura INV-1 vence el 31 de octubre de 2026", "1.250,00\xa0€", "31 de octubre de 2026"),
])
def test_messages_speak_the_customers_language_with_local_amounts_and_dates(stack, locale, subject, amount, due):
    stack.open_case(customer__locale=locale)
    stack.travel(datetime(2026, 10, 29, tzinfo=timezone.utc))
    [mail] = sent_emails()
    assert mail.subject == subject
    assert amount in mail.text and due in mail.text
    assert f'<html lang="{locale}">' in mail.html


def test_an_sms_opt_out_is_recorded_and_no_sms_follows(stack):
    case = stack.open_case(customer__phone="+14155550199")  # moto: numbers ending in 99 have opted out
    stack.travel(datetime(2026, 12, 5, tzinfo=timezone.utc))
    assert sent_sms() == []
    assert len(stack.events(case.case_id, "sms_opted_out")) == 1
    started = {e.data["step"]: e.data for e in stack.events(case.case_id, "reminder_started")}
    assert started["+20"]["not_sent_on"] == ["sms"] and started["+30"]["not_sent_on"] == ["sms"]
    assert stack.case(case.case_id)[0].ladder.sms_opted_out


def test_refused_sends_retry_with_backoff_then_fail_into_the_dead_letter_queue(stack, client):
    # A sender SES has not verified: SES refuses every send (MessageRejected).
    body: dict[str, Any] = DEFAULT_POLICY.as_dict()
    body["sender"] = {"from_email": "ar@unverified.test"}
    answer = client.http.put("/admin/policy", headers={"Authorization": f"Bearer {stack.key}",
                                                       "Content-Type": "application/json"},
                             body=__import__("json").dumps(body))
    assert answer.status_code == 200
    bootstrap.policy_service()._cache.clear()  # the worker's container would see it within a minute
    case = stack.open_case()
    stack.travel(datetime(2026, 10, 29, tzinfo=timezone.utc))
    attempts = stack.events(case.case_id, "reminder_attempt_failed")
    assert [e.data["attempt"] for e in attempts] == [1, 2, 3, 4]
    assert {e.data["error"] for e in attempts} == {"MessageRejected"}
    gaps = [parse_iso(b.at) - parse_iso(a.at) for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps == [timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1)]
    [failed] = stack.events(case.case_id, "reminder_failed")
    assert failed.data["attempt"] == 5 and failed.data["channel"] == "email"
    dead = stack.dead_letters()
    assert len(dead) == 1 and dead[0]["c"] == case.case_id and dead[0]["claim"] == failed.data["claim"]
    assert sent_emails() == []
    assert stack.case(case.case_id)[0].ladder.done_offset == -3  # the ladder goes on to "due today"


def test_statutory_interest_with_a_carried_forward_rate_is_charged_once_and_shown_as_provisional(stack, client):
    body: dict[str, Any] = DEFAULT_POLICY.as_dict()
    body["interest"] = {"regime": "eu", "country": "DE"}
    import json

    client.http.put("/admin/policy", headers={"Authorization": f"Bearer {stack.key}",
                                              "Content-Type": "application/json"}, body=json.dumps(body))
    bootstrap.policy_service()._cache.clear()
    case = stack.open_case()
    stack.travel(datetime(2026, 12, 1, tzinfo=timezone.utc))
    interest = stack.events(case.case_id, "interest_applied")
    assert [e.data["step"] for e in interest] == ["+20", "+30"]
    assert interest[0].data["provisional"] is True and interest[0].data["amount"] == 703
    assert all(e.data["policy_version"] == 1 for e in stack.events(case.case_id, "reminder_started")
               if e.data["step"] in ("+20", "+30"))
    fees = [e.data for e in stack.events(case.case_id, "fee_applied")]
    assert [(f["kind"], f["amount"]) for f in fees] == [("late_fee", 6250), ("fixed_compensation", 4000)]
    final = next(m for m in sent_emails() if m.subject.startswith("Final notice"))
    assert "latest published reference rate" in final.text


def test_the_sweep_queries_the_index_and_never_scans(stack):
    for n in range(5):
        stack.open_case(number=f"INV-{n}")
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    db = bootstrap.aws("dynamodb")
    db.meta.events.register("before-call.dynamodb.*", record, unique_id="record")
    try:
        stack.clock.now = datetime(2026, 10, 28, 7, 0, tzinfo=timezone.utc)
        assert stack.sweep() == 5
    finally:
        db.meta.events.unregister("before-call.dynamodb.*", unique_id="record")
    assert "Scan" not in calls and set(calls) == {"Query"}
    assert len(calls) == 8  # one per shard


def test_nothing_is_due_before_its_time(stack):
    stack.open_case()
    stack.clock.now = datetime(2026, 10, 28, 6, 59, tzinfo=timezone.utc)
    assert stack.run() == 0 and sent_emails() == []
    stack.clock.now = datetime(2026, 10, 28, 7, 0, tzinfo=timezone.utc)
    assert stack.run() == 1 and len(sent_emails()) == 1


def test_a_poison_message_ends_in_the_dead_letter_queue_after_five_receives(stack):
    import boto3

    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=stack.queue_url, MessageBody='{"b": "nobody", "c": "nothing"}')
    for _ in range(6):
        answer = stack.invoke_worker(max_messages=1)  # the worker names it failed each time: SQS keeps it
        assert len(answer["batchItemFailures"]) <= 1
    dead = sqs.receive_message(QueueUrl=stack.dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in dead] == ['{"b": "nobody", "c": "nothing"}']
