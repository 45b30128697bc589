"""The Case aggregate: invariants with clear errors, guarded transitions, payments and credit, events."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain import cases as domain
from chalicelib.domain import payments
from chalicelib.domain.cases import (
    STATUSES,
    TRANSITIONS,
    Balance,
    BrokerContact,
    Case,
    Change,
    Customer,
    Invoice,
    Link,
    iso,
    parse_iso,
)
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.history import GENESIS, verify_history

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def invoice(**overrides) -> Invoice:
    fields = {"number": "INV-1", "issued_on": date(2026, 10, 1), "due_on": date(2026, 10, 31),
              "amount": 10000, "currency": "EUR", "description": "Consulting"}
    return Invoice(**{**fields, **overrides})


def opened(amount: int = 10000, currency: str = "EUR") -> tuple[Case, list]:
    change = domain.open_case(
        broker_id="b1", case_id="c1", broker=BrokerContact("Acme", "ar@acme.test"),
        customer=Customer("Jane", "jane@example.test"), invoice=invoice(amount=amount, currency=currency),
        link=Link("l1", 1, iso(T0 + timedelta(days=30))), at=T0,
    )
    return change.case, list(change.events)


# --- invariants ----------------------------------------------------------------------------------

def test_due_date_before_issue_date_is_rejected_naming_the_field():
    with pytest.raises(InvalidInput) as raised:
        invoice(issued_on=date(2026, 10, 31), due_on=date(2026, 10, 30))
    assert raised.value.field == "invoice.due_on"


def test_due_on_the_issue_date_is_fine():
    assert invoice(issued_on=date(2026, 10, 1), due_on=date(2026, 10, 1)).due_on == date(2026, 10, 1)


@pytest.mark.parametrize("amount", [0, -1, -10000, 10.5, True, "100"])
def test_invoice_amount_must_be_a_positive_integer(amount):
    with pytest.raises(InvalidInput) as raised:
        invoice(amount=amount)
    assert raised.value.field == "invoice.amount"


def test_unknown_invoice_currency_names_the_invoice_field():
    with pytest.raises(InvalidInput) as raised:
        invoice(currency="XXQ")
    assert raised.value.field == "invoice.currency"


@pytest.mark.parametrize("locale", ["", "EN", "xx", "en-US"])
def test_unsupported_locale_is_rejected_naming_the_field(locale):
    with pytest.raises(InvalidInput) as raised:
        Customer("Jane", "jane@example.test", locale=locale)
    assert raised.value.field == "customer.locale"


def test_unknown_actor_is_refused():
    case, _ = opened()
    with pytest.raises(ValueError, match="actor"):
        domain.add_note(case, kind="note", text="x", at=T0, actor="robot")


def test_unknown_note_kind_is_refused():
    case, _ = opened()
    with pytest.raises(InvalidInput) as raised:
        domain.add_note(case, kind="fax", text="x", at=T0)
    assert raised.value.field == "kind"


def test_naive_times_are_refused():
    case, _ = opened()
    with pytest.raises(ValueError, match="naive"):
        domain.add_note(case, kind="note", text="x", at=datetime(2026, 11, 2, 9, 30))


# --- transitions ---------------------------------------------------------------------------------

ALLOWED = [(a, b) for a in STATUSES for b in sorted(TRANSITIONS[a])]
FORBIDDEN = [(a, b) for a in STATUSES for b in STATUSES if b != a and b not in TRANSITIONS[a]]


def test_every_status_has_a_rule_and_rules_name_real_statuses():
    assert set(TRANSITIONS) == set(STATUSES)
    assert all(targets <= set(STATUSES) for targets in TRANSITIONS.values())


@pytest.mark.parametrize(("start", "target"), ALLOWED)
def test_allowed_transitions_pass(start, target):
    case, _ = opened()
    assert domain.transition(replace(case, status=start), target) == target


@pytest.mark.parametrize(("start", "target"), FORBIDDEN)
def test_impossible_transitions_raise_conflict(start, target):
    case, _ = opened()
    with pytest.raises(Conflict) as raised:
        domain.transition(replace(case, status=start), target)
    assert raised.value.field == "status"
    assert start in raised.value.message and target in raised.value.message


def test_a_paid_case_cannot_become_promised():
    case, _ = opened()
    paid = by_card(case, 10000).case
    assert paid.status == "paid"
    with pytest.raises(Conflict):
        domain.transition(paid, "promised")


def test_staying_in_the_same_status_is_not_a_transition():
    case, _ = opened()
    assert domain.transition(case, "open") == "open"


def test_unknown_status_is_a_programming_error():
    case, _ = opened()
    with pytest.raises(ValueError):
        domain.transition(case, "closed")


# --- balance and payments ------------------------------------------------------------------------

def test_balance_due_is_derived_from_its_parts():
    balance = Balance("EUR", principal=10000, fees=500, interest=120, discount=200, paid=3000)
    assert balance.due == 10000 + 500 + 120 - 200 - 3000
    assert balance.credit == 0
    assert balance.as_dict()["due"] == balance.due


def by_card(case: Case, amount: int, ref: str = "pi_1", at: datetime = T0) -> Change:
    """Money received as Stripe's webhook records it (the payments ledger)."""
    change = payments.apply(case, [payments.succeeded(ref, amount, currency="EUR", method="card")], at=at)
    assert change is not None
    return change


def test_paying_in_full_closes_the_case_and_clears_the_next_action():
    case, _ = opened()
    case = replace(case, status="promised", next_action_at="2026-11-09T09:00:00.000Z")
    change = by_card(case, 10000)
    assert change.case.status == "paid"
    assert change.case.next_action_at is None
    assert change.case.balance.due == 0 and change.case.balance.credit == 0
    assert [(e.type, e.data.get("status"), e.data.get("from")) for e in change.events][:2] == [
        ("payment_received", None, None), ("status_changed", "paid", "promised")]


def test_money_after_the_case_is_paid_adds_to_the_credit_without_a_second_status_change():
    case, _ = opened()
    paid = by_card(case, 10000).case
    again = by_card(paid, 300, ref="pi_2", at=T0 + timedelta(minutes=1))
    assert again.case.status == "paid"
    assert again.case.balance.credit == 300
    assert [e.type for e in again.events] == ["payment_received", "credit_kept"]


def test_payment_after_a_write_off_closes_the_case_as_paid():
    case, _ = opened()
    change = by_card(replace(case, status="written_off"), 10000)
    assert change.case.status == "paid"


# --- events and versions -------------------------------------------------------------------------

def test_opening_a_case_records_who_what_and_when():
    case, events = opened()
    assert [e.type for e in events] == ["case_opened", "link_issued"]
    assert all(e.actor == "broker" and e.at == iso(T0) for e in events)
    assert events[0].data == {"invoice_number": "INV-1", "amount": 10000, "currency": "EUR",
                              "issued_on": "2026-10-01", "due_on": "2026-10-31"}
    assert case.status == "open"
    assert case.balance.due == 10000
    assert case.version == 2
    assert case.created_at == case.updated_at == "2026-11-02T09:30:00.000Z"


def test_versions_increase_by_one_per_event_and_events_chain():
    case, events = opened()
    history = list(events)
    steps = [
        lambda c, at: domain.add_note(c, kind="call", text="left a voicemail", at=at),
        lambda c, at: domain.issue_link(c, link_id="l2", expires_at=at + timedelta(days=30), at=at),
        lambda c, at: by_card(c, 10000, at=at),
    ]
    for n, step in enumerate(steps, start=1):
        at = T0 + timedelta(hours=n)
        change = step(case, at)
        assert change.expected_version == case.version
        assert change.case.version == case.version + len(change.events)
        assert [e.seq for e in change.events] == list(range(case.version + 1, change.case.version + 1))
        assert all(e.at == iso(at) for e in change.events)
        assert change.case.updated_at == iso(at)
        assert change.case.head_hash == change.events[-1].hash
        history.extend(change.events)
        case = change.case
    assert [e.seq for e in history] == list(range(1, case.version + 1))
    assert [e.actor for e in history] == ["broker"] * 4 + ["stripe"] * 4
    assert verify_history(history, case.head_hash).ok


def test_a_new_link_revokes_the_previous_version():
    case, _ = opened()
    change = domain.issue_link(case, link_id="l2", expires_at=T0 + timedelta(days=30), at=T0)
    assert change.case.link == Link("l2", 2, iso(T0 + timedelta(days=30)))
    assert change.events[0].data["revoked_version"] == 1


def test_link_opened_is_recorded_at_most_once_an_hour():
    case, _ = opened()
    first = domain.record_link_opened(case, at=T0)
    assert first is not None and first.events[0].actor == "customer"
    assert domain.record_link_opened(first.case, at=T0 + timedelta(minutes=59)) is None
    later = domain.record_link_opened(first.case, at=T0 + timedelta(hours=1))
    assert later is not None and later.case.link.opened_at == iso(T0 + timedelta(hours=1))


def test_customer_timeline_never_shows_notes():
    case, events = opened()
    note = domain.add_note(case, kind="note", text="customer sounded evasive", at=T0)
    timeline = domain.customer_timeline(events + list(note.events))
    assert [e["type"] for e in timeline] == ["case_opened"]
    assert "evasive" not in repr(timeline)


def test_a_draft_case_starts_at_the_genesis_hash():
    case, events = opened()
    assert events[0].prev_hash == GENESIS


def test_times_round_trip_as_utc_with_z():
    plus_two = timezone(timedelta(hours=2))
    text = iso(datetime(2026, 11, 2, 11, 30, 0, 250000, tzinfo=plus_two))
    assert text == "2026-11-02T09:30:00.250Z"
    assert parse_iso(text) == datetime(2026, 11, 2, 9, 30, 0, 250000, tzinfo=timezone.utc)
