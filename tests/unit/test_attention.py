"""Attention flags: raised and cleared by the change that causes them, keeping the time they were raised."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from chalicelib.domain import cases as domain
from chalicelib.domain.cases import BrokerContact, Customer, Invoice, Link, record
from chalicelib.domain.closing_state import Closing

T0 = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)


def opened() -> domain.Case:
    return domain.open_case(
        broker_id="b1", case_id="c1", broker=BrokerContact("Acme"),
        customer=Customer("Jane", "jane@example.test", "+14155550100"),
        invoice=Invoice("INV-1", date(2026, 10, 1), date(2026, 10, 31), 10000, "EUR"),
        link=Link("l1", 1, "2026-12-31T00:00:00.000Z"), at=T0).case


def kinds(case: domain.Case) -> list[tuple[str, str, str | None]]:
    return [(f.kind, f.since, f.detail) for f in case.attention]


def test_a_failed_send_is_flagged_until_a_later_reminder_goes_out():
    case = record(opened(), T0, "system", [("reminder_failed", {"channel": "email", "error": "MessageRejected"})]).case
    case = record(case, T0 + timedelta(days=1), "system", [("note_added", {"kind": "note", "text": "x"})]).case
    assert kinds(case) == [("send_failed", "2026-11-02T09:00:00.000Z", "MessageRejected")]
    case = record(case, T0 + timedelta(days=2), "system", [("reminder_sent", {"channel": "broker"})]).case
    assert [k for k, _, _ in kinds(case)] == ["send_failed"]  # the broker's own copy is no customer contact
    case = record(case, T0 + timedelta(days=3), "system", [("reminder_sent", {"channel": "sms"})]).case
    assert kinds(case) == []


def test_a_bounce_keeps_the_time_it_was_first_seen_and_a_closed_case_needs_nobody():
    case = opened()
    bounced = record(case, T0, "system", [("email_bounced", {})],
                     ladder=replace(case.ladder, email_suppressed="bounced")).case
    later = record(bounced, T0 + timedelta(days=4), "broker", [("note_added", {"kind": "note", "text": "x"})]).case
    assert kinds(later) == [("email_bounced", "2026-11-02T09:00:00.000Z", "bounced")]
    assert record(later, T0 + timedelta(days=5), "broker", [("status_changed", {"status": "paid"})],
                  status="paid").case.attention == ()


def test_ready_for_collections_until_the_case_is_escalated():
    case = opened()
    ready = record(case, T0, "system", [("ready_for_collections", {})],
                   closing=replace(case.closing, ready_for_collections=True)).case
    assert [k for k, _, _ in kinds(ready)] == ["ready_for_collections"]
    escalated = record(ready, T0, "broker", [("status_changed", {"status": "escalated"})], status="escalated",
                       closing=Closing(ready_for_collections=True, escalations=1)).case
    assert kinds(escalated) == []
