"""The hash chain: verify_history accepts a real timeline and catches every kind of tampering."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain import cases as domain
from chalicelib.domain import payments
from chalicelib.domain.cases import BrokerContact, Case, Customer, Invoice, Link, iso
from chalicelib.domain.history import GENESIS, Event, canonical, chain_hash, verify_history

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def timeline() -> tuple[Case, list[Event]]:
    """A real case with eight events: opened, link issued, two notes, a payment closing it (four events)."""
    change = domain.open_case(
        broker_id="b1", case_id="c1", broker=BrokerContact("Acme"), customer=Customer("Jane", "jane@example.test"),
        invoice=Invoice("INV-1", date(2026, 10, 1), date(2026, 10, 31), 10000, "EUR"),
        link=Link("l1", 1, iso(T0 + timedelta(days=30))), at=T0,
    )
    case, events = change.case, list(change.events)
    for n, command in enumerate([
        lambda c, at: domain.add_note(c, kind="call", text="promised to pay Friday", at=at),
        lambda c, at: domain.add_note(c, kind="email", text="sent statement", at=at),
        lambda c, at: payments.apply(c, [payments.succeeded("pi_1", 10000, currency="EUR", method="card")], at=at),
    ], start=1):
        change = command(case, T0 + timedelta(days=n))
        case, events = change.case, events + list(change.events)
    assert len(events) == 8
    return case, events


def problems(events: list[Event], head: str | None) -> str:
    report = verify_history(events, head)
    assert not report.ok
    return "\n".join(report.problems)


def test_a_real_chain_verifies(timeline):
    case, events = timeline
    report = verify_history(events, case.head_hash)
    assert report.ok and report.problems == []
    assert verify_history(events).ok


def test_an_empty_history_of_a_new_case_verifies():
    assert verify_history([], GENESIS).ok


def test_edited_data_is_caught(timeline):
    case, events = timeline
    events[2] = replace(events[2], data={**events[2].data, "text": "never called"})
    assert "event 3: content does not match its hash (edited)" in problems(events, case.head_hash)


def test_edited_amount_is_caught(timeline):
    case, events = timeline
    events[4] = replace(events[4], data={**events[4].data, "amount": 1})
    assert "event 5" in problems(events, case.head_hash)


def test_edited_time_is_caught(timeline):
    case, events = timeline
    events[3] = replace(events[3], at=iso(T0 - timedelta(days=30)))
    assert "event 4: content does not match its hash (edited)" in problems(events, case.head_hash)


@pytest.mark.parametrize("field", ["type", "actor"])
def test_edited_type_or_actor_is_caught(timeline, field):
    case, events = timeline
    events[1] = replace(events[1], **{field: "system"})
    assert "event 2" in problems(events, case.head_hash)


def test_a_removed_middle_event_is_caught(timeline):
    case, events = timeline
    del events[2]
    found = problems(events, case.head_hash)
    assert "event 3: found event 4 here (removed or reordered)" in found
    assert "does not follow the event before it" in found


def test_a_removed_newest_event_is_caught_by_the_head_hash(timeline):
    case, events = timeline
    shortened = events[:-1]
    # A truncated chain is internally consistent: only the hash the case remembers reveals the loss.
    assert verify_history(shortened).ok
    assert "the newest event is not the one the case points to" in problems(shortened, case.head_hash)


def test_removing_every_event_is_caught(timeline):
    case, _ = timeline
    assert "the newest event" in problems([], case.head_hash)


def test_two_swapped_events_are_caught(timeline):
    case, events = timeline
    events[2], events[3] = events[3], events[2]
    found = problems(events, case.head_hash)
    assert "event 3: found event 4 here" in found
    assert "event 4: found event 3 here" in found


def test_swapped_events_with_renumbered_seqs_are_still_caught(timeline):
    case, events = timeline
    events[2], events[3] = replace(events[3], seq=3), replace(events[2], seq=4)
    found = problems(events, case.head_hash)
    assert "event 3: does not follow the event before it" in found
    assert "event 3: content does not match its hash (edited)" in found


def test_a_forged_rehash_of_one_event_breaks_the_next_link(timeline):
    case, events = timeline
    original = events[2]
    forged = Event.seal(original.prev_hash, original.seq, original.type, original.at, original.actor,
                        {**original.data, "text": "customer refused to pay"})
    events[2] = forged
    report = verify_history(events, case.head_hash)
    assert not report.ok
    assert not any(p.startswith("event 3:") for p in report.problems)  # the forgery itself is consistent
    assert "event 4: does not follow the event before it (removed or reordered)" in report.problems


def test_rewriting_the_rest_of_the_chain_is_caught_by_the_head_hash(timeline):
    case, events = timeline
    prev = events[1].hash
    rewritten = list(events[:2])
    for e in events[2:]:
        data = {**e.data, "text": "rewritten"} if e.type == "note_added" else e.data
        forged = Event.seal(prev, e.seq, e.type, e.at, e.actor, data)
        rewritten.append(forged)
        prev = forged.hash
    assert verify_history(rewritten).ok
    assert "the newest event" in problems(rewritten, case.head_hash)


def test_an_appended_event_is_caught_by_the_head_hash(timeline):
    case, events = timeline
    last = events[-1]
    extra = Event.seal(last.hash, last.seq + 1, "note_added", last.at, "broker", {"kind": "note", "text": "x"})
    assert "the newest event" in problems([*events, extra], case.head_hash)


def test_the_hash_covers_the_previous_hash_and_the_canonical_form(timeline):
    _, events = timeline
    e = events[3]
    assert e.hash == chain_hash(e.prev_hash, canonical(e.seq, e.type, e.at, e.actor, e.data))
    assert len(e.hash) == 64 and e.prev_hash == events[2].hash


def test_the_canonical_form_ignores_key_order():
    assert canonical(1, "t", "at", "broker", {"a": 1, "b": 2}) == canonical(1, "t", "at", "broker", {"b": 2, "a": 1})


def test_the_first_bad_event_is_named_by_its_place_in_the_chain(timeline):
    case, events = timeline
    del events[2]  # event 3 gone: event 4 stands where event 3 belongs
    first = verify_history(events, case.head_hash).first
    assert first is not None and first.seq == 3 and "removed or reordered" in first.what


def test_who_made_a_change_is_covered_by_the_hash_and_older_events_hash_as_before():
    from chalicelib.domain.history import GENESIS, Event, attributed, canonical, chain_hash, verify_history

    plain = Event.seal(GENESIS, 1, "note_added", "2026-11-30T09:00:00.000Z", "broker", {"text": "hi"})
    # What the code before `by` computed: the same five keys, nothing else.
    assert plain.hash == chain_hash(GENESIS, canonical(1, "note_added", plain.at, "broker", {"text": "hi"}))
    [signed] = attributed([plain], {"kind": "user", "id": "u1", "name": "Cara"})
    assert signed.hash != plain.hash and signed.as_dict()["by"]["name"] == "Cara"
    assert verify_history([signed], signed.hash).ok
    renamed = Event(signed.seq, signed.type, signed.at, signed.actor, signed.data, signed.prev_hash, signed.hash,
                    {**signed.by, "name": "Olga"})  # type: ignore[dict-item]
    assert not verify_history([renamed], signed.hash).ok
